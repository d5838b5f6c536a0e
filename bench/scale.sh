#!/usr/bin/env bash
# The scale benchmark: p6auth on SQLite with 10 integrations, then with SCALE (100,000)
# integrations, USERS (100,000) users and ORG_NODES (10,000) org nodes, measuring startup time
# (launch to "listening", which comes after the client directory is loaded), idle RSS, token
# throughput and p99 by form body, and, in the large case, the user-search API's throughput and p99.
#
# The integrations are made by bench/scale-sqlite.sql: copies of one integration created with the
# CLI (same policy, same secret hash, new ids), inserted in one transaction (`p6auth import` does
# not create integrations: their secrets are generated, never imported). The users and org nodes
# are loaded with `p6auth import` from a file bench/scale-directory.py writes.
#
#   usage: bench/scale.sh
#   env:   SCALE (100000)  USERS (100000)  ORG_NODES (10000)
#          DURATION (10s)  CONNS (64)  THREADS (1)  WARMUP (2s)
#          P6AUTH_BIN (skip the build)  OUT (target/bench/scale-<UTC time>)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
SCALE=${SCALE:-100000}
USERS=${USERS:-100000}
ORG_NODES=${ORG_NODES:-10000}
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

echo "| integrations | users | org nodes | startup s | idle RSS MB | tokens/s | p50 ms | p99 ms | errors | RSS after load MB |" >"$OUT/summary.md"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" >>"$OUT/summary.md"
: >"$OUT/search.md"

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
  users=0; nodes=0
  if [ "$count" = "$SCALE" ]; then
    users=$USERS; nodes=$ORG_NODES
    python3 bench/scale-directory.py "$users" "$nodes" >"$OUT/directory.json"
    t0=$(date +%s.%N)
    p6 import "$OUT/directory.json" >"$OUT/import.txt"
    t1=$(date +%s.%N)
    echo "== $users users and $nodes org nodes imported in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}') s"
  fi

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
  if [ "$users" != 0 ]; then
    # the integration holds acme:users=read("./"): every user; a last-name search, 50 a page
    token=$(curl -s -d "grant_type=client_credentials&client_id=$id&client_secret=$secret" \
      "http://$addr/oauth/token" | jq -r .access_token)
    search="http://$addr/apis/v2/instances/acme/users?last_name=Name517&limit=50"
    found=$(curl -s -H "Authorization: Bearer $token" "$search" | jq '.users | length')
    WRK_METHOD=GET WRK_BODY="" WRK_AUTH="Bearer $token" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" \
      --timeout 5s --latency -s bench/wrk.lua "$search" >"$OUT/search.txt"
    line=$(grep '^RESULT' "$OUT/search.txt")
    (
      eval "$(echo "${line#RESULT }" | tr ' ' '\n')"
      printf '| user search, last name, %s of %s users a page | %.0f | %s | %s | %s |\n' "$found" "$users" \
        "$rps" "$p50" "$p99" "$((non2xx + sockerr))" >>"$OUT/search.md"
    )
    after=$(rss_kb "$PID")
  fi
  kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  printf '| %s | %s | %s | %.2f | %s | %.0f | %s | %s | %s | %s |\n' "$count" "$users" "$nodes" "$startup" "$(awk -v k="$idle" 'BEGIN{printf "%.1f", k / 1024}')" \
    "$rps" "$p50" "$p99" "$((non2xx + sockerr))" "$(awk -v k="$after" 'BEGIN{printf "%.1f", k / 1024}')" >>"$OUT/summary.md"
done
echo
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$OUT/summary.md"
echo
echo "| request | req/s | p50 ms | p99 ms | errors |"
echo "|---|---:|---:|---:|---:|"
cat "$OUT/search.md"
