-- The one wrk script for every server and endpoint, so that each is driven the same way.
-- WRK_METHOD (GET or POST), WRK_BODY (a form body) and WRK_AUTH (an Authorization value) come
-- from the environment; done() prints one machine-readable line that run.sh parses.
wrk.method = os.getenv("WRK_METHOD") or "POST"
local body = os.getenv("WRK_BODY") or ""
if body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
local auth = os.getenv("WRK_AUTH") or ""
if auth ~= "" then
  wrk.headers["Authorization"] = auth
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50=%.2f p99=%.2f max=%.2f requests=%d non2xx=%d sockerr=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.requests, e.status,
    e.connect + e.read + e.write + e.timeout))
end
