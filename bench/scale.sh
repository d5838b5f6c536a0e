#!/usr/bin/env bash
# A first scale benchmark, until `p6auth import` exists: p6auth on SQLite with 10 and with
# 100,000 integrations (SCALE), measuring startup time (launch to "listening", which comes after
# the client directory is loaded), idle RSS, and token throughput and p99 by form body.
#
# The integrations are made by bench/scale-sqlite.sql: copies of one integration created with the
# CLI (same policy, same secret hash, new ids), inserted in one transaction. Users and org nodes
# are not loaded: p6auth has no user store yet.
#
#   usage: bench/scale.sh
#   env:   SCALE (100000)  DURATION (10s)  CONNS (64)  THREADS (1)  WARMUP (2s)
#          P6AUTH_BIN (skip the build)  OUT (target/bench/scale-<UTC time>)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
SCALE=${SCALE:-100000}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}
WARMUP=${WARMUP:-2s}
OUT=${OUT:-$REPO/target/bench/scale-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
command -v sqlite3 >/dev/null || apt-get install -y -qq sqlite3
command -v wrk >/dev/null || apt-get install -y -qq wrk

if [ -z "${P6AUTH_BIN:-}" ]; then
  cargo build --release --locked -p p6auth
  P6AUTH_BIN=${CARGO_TARGET_DIR:-$REPO/target}/release/p6auth
fi

PID=""
trap '[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null; true' EXIT
rss_kb() { awk '$1=="VmRSS:" {print $2}' "/proc/$1/status"; }

echo "| integrations | startup s | idle RSS MB | tokens/s | p50 ms | p99 ms | errors | RSS after load MB |" >"$OUT/summary.md"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|" >>"$OUT/summary.md"

for count in 10 "$SCALE"; do
  dir=$OUT/data-$count
  rm -rf "$dir"
  p6() { "$P6AUTH_BIN" --data-dir "$dir" "$@"; }
  p6 instance create acme >/dev/null
  p6 permission-set create --instance acme --name Integration \
    --permission 'orgs=read' --permission 'acme:users=read("./")' >/dev/null
  out=$(p6 integration create --name bench --redirect-uri https://bench.invalid/cb --policy acme/Integration --json)
  id=$(echo "$out" | jq -r .application_id); secret=$(echo "$out" | jq -r .app_secret)
  t0=$(date +%s.%N)
  sqlite3 "$dir/p6auth.db" -cmd ".parameter set :template \"'$id'\"" -cmd ".parameter set :copies $((count - 1))" \
    <bench/scale-sqlite.sql
  t1=$(date +%s.%N)
  echo "== $count integrations (loaded in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}') s)"

  t0=$(date +%s.%N)
  P6AUTH_LOG=warn "$P6AUTH_BIN" serve --listen 127.0.0.1:0 --maintenance-interval 1h --data-dir "$dir" \
    >"$OUT/serve-$count.log" 2>&1 &
  PID=$!
  addr=""
  for _ in $(seq 1 3000); do
    addr=$(sed -n 's|^p6auth listening on http://||p' "$OUT/serve-$count.log")
    [ -n "$addr" ] && break
    kill -0 "$PID" || { cat "$OUT/serve-$count.log" >&2; exit 1; }
    sleep 0.01
  done
  t1=$(date +%s.%N)
  startup=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')
  sleep 2
  idle=$(rss_kb "$PID")
  export WRK_METHOD=POST WRK_AUTH="" \
    WRK_BODY="grant_type=client_credentials&scope=orgs%3Dread&client_id=$id&client_secret=$secret"
  [ "$WARMUP" != 0 ] && wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s bench/wrk.lua "http://$addr/oauth/token" >/dev/null
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 5s --latency -s bench/wrk.lua \
    "http://$addr/oauth/token" >"$OUT/token-$count.txt"
  line=$(grep '^RESULT' "$OUT/token-$count.txt")
  eval "$(echo "${line#RESULT }" | tr ' ' '\n')"
  after=$(rss_kb "$PID")
  kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  printf '| %s | %.2f | %s | %.0f | %s | %s | %s | %s |\n' "$count" "$startup" "$(awk -v k="$idle" 'BEGIN{printf "%.1f", k / 1024}')" \
    "$rps" "$p50" "$p99" "$((non2xx + sockerr))" "$(awk -v k="$after" 'BEGIN{printf "%.1f", k / 1024}')" >>"$OUT/summary.md"
done
echo
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$OUT/summary.md"
