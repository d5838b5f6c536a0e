#!/usr/bin/env bash
# The load benchmark of issue 8: p6auth on SQLite and on PostgreSQL next to node's oidc-provider
# (ES256 JWT access tokens, 2-worker cluster), each driven by wrk with the same script
# (bench/wrk.lua): client_credentials by form body, by HTTP Basic, introspection, and the JWKS.
# Servers are loaded one at a time; the others sit idle.
#
#   usage: bench/run.sh
#   env:   DURATION (10s per row)  CONNS (64)  THREADS (wrk threads, 1)  WARMUP (2s, discarded; 0 skips)
#          BACKENDS ("sqlite postgres")  PEER (1; 0 skips the peer)
#          PEERS_DIR (../shared/peers next to the repository)  PEERS_RUN (the peers' state, /tmp/peers-run)
#          PG_URL (postgres://postgres@127.0.0.1:5432, trust auth; a throwaway database is made and dropped)
#          P6AUTH_BIN (skip the build and use this binary)  OUT (target/bench/<UTC time>)
#
# Prints a markdown table (requests/s, p50, p99, errors, peak RSS of the server's processes from
# /proc, the ratio p6auth / peer per endpoint), the idle RSS, the store writes p6auth made during
# its load (p6auth_store_writes_total; must be 0), and the issue's budget line by line. Everything
# it starts is stopped at exit, by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}
WARMUP=${WARMUP:-2s}
BACKENDS=${BACKENDS:-sqlite postgres}
PEER=${PEER:-1}
PEERS_DIR=${PEERS_DIR:-$REPO/../shared/peers}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
OUT=${OUT:-$REPO/target/bench/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: > "$RESULTS"

command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk || { apt-get update -qq && apt-get install -y -qq wrk; }; }
for tool in curl jq openssl; do command -v $tool >/dev/null || { echo "$tool is needed" >&2; exit 1; }; done

# --- cleanup: only what this script started ------------------------------------------------
P6AUTH_PIDS=()
PEER_STARTED=""
PG_DB=""
cleanup() {
  for pid in "${P6AUTH_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  [ -n "$PEER_STARTED" ] && "$PEERS_DIR/stop.sh" "$PEER_STARTED" >/dev/null
  [ -n "$PG_DB" ] && psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1
  true
}
trap cleanup EXIT

# --- /proc readings over a server and its child processes (kB) ----------------------------------
tree_pids() { echo "$1"; ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' '; }
proc_kb() {  # proc_kb PID FIELD (VmRSS, VmHWM)
  local t=0 p v
  for p in $(tree_pids "$1"); do
    v=$(awk -v f="$2:" '$1==f {print $2}' "/proc/$p/status" 2>/dev/null || true)
    t=$((t + ${v:-0}))
  done
  echo "$t"
}
urlenc() { jq -rn --arg v "$1" '$v|@uri'; }

# --- one row ---------------------------------------------------------------------------------
load() {  # load SERVER ENDPOINT URL METHOD BODY AUTH PID
  local server=$1 ep=$2 url=$3 method=$4 body=$5 auth=$6 pid=$7 raw line
  raw=$OUT/$server-$ep.txt
  export WRK_METHOD=$method WRK_BODY=$body WRK_AUTH=$auth
  if [ "$WARMUP" != 0 ]; then wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s bench/wrk.lua "$url" >/dev/null; fi
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 5s --latency -s bench/wrk.lua "$url" >"$raw" 2>&1
  line=$(grep '^RESULT' "$raw") || { echo "wrk failed: $raw" >&2; cat "$raw" >&2; return 1; }
  local rps p50 p99 max requests non2xx sockerr
  eval "$(echo "${line#RESULT }" | tr ' ' '\n')"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$ep" "$rps" "$p50" "$p99" \
    "$((non2xx + sockerr))" "$(proc_kb "$pid" VmHWM)" >>"$RESULTS"
  printf '  %-16s %-12s %9s req/s  p50 %6s ms  p99 %7s ms  errors %s\n' "$server" "$ep" "$rps" "$p50" "$p99" "$((non2xx + sockerr))"
}

# Drives one server through the four rows. Needs TOKEN_URL, INTROSPECT_URL (may be empty), JWKS_URL,
# CLIENT_ID, CLIENT_SECRET, SCOPE.
load_server() {  # load_server NAME PID
  local name=$1 pid=$2 form basic tok
  form="grant_type=client_credentials&scope=$(urlenc "$SCOPE")"
  basic="Basic $(printf '%s:%s' "$(urlenc "$CLIENT_ID")" "$(urlenc "$CLIENT_SECRET")" | base64 -w0)"
  tok=$(curl -sf -H "Authorization: $basic" -d "$form" "$TOKEN_URL" | jq -r .access_token)
  [ -n "$tok" ] && [ "$tok" != null ] || { echo "$name: no token from $TOKEN_URL" >&2; return 1; }
  load "$name" token-post "$TOKEN_URL" POST \
    "$form&client_id=$(urlenc "$CLIENT_ID")&client_secret=$(urlenc "$CLIENT_SECRET")" "" "$pid"
  load "$name" token-basic "$TOKEN_URL" POST "$form" "$basic" "$pid"
  if [ -n "$INTROSPECT_URL" ]; then
    [ "$(curl -s -H "Authorization: $basic" -d "token=$tok" "$INTROSPECT_URL" | jq -r .active)" = true ] ||
      { echo "$name: introspection does not answer active" >&2; return 1; }
    load "$name" introspect "$INTROSPECT_URL" POST "token=$tok" "$basic" "$pid"
  else
    printf '%s\tintrospect\t-\t-\t-\t-\t-\n' "$name" >>"$RESULTS"
  fi
  load "$name" jwks "$JWKS_URL" GET "" "" "$pid"
}

# --- p6auth ------------------------------------------------------------------------------------
if [ -z "${P6AUTH_BIN:-}" ]; then
  echo "== building p6auth (release)"
  cargo build --release --locked -p p6auth
  P6AUTH_BIN=${CARGO_TARGET_DIR:-$REPO/target}/release/p6auth
fi

run_p6auth() {  # run_p6auth BACKEND STORE_ARGS...
  local backend=$1 name=p6auth-$1 out id secret addr pid
  shift
  local store=("$@")
  p6() { "$P6AUTH_BIN" "${store[@]}" "$@"; }
  p6 instance create acme >/dev/null
  p6 permission-set create --instance acme --name Integration \
    --permission 'orgs=read' --permission 'acme:users=read("./")' >/dev/null
  out=$(p6 integration create --name bench --redirect-uri https://bench.invalid/cb --policy acme/Integration --json)
  id=$(echo "$out" | jq -r .application_id); secret=$(echo "$out" | jq -r .app_secret)
  # a long housekeeping interval: its writes would blur the no-write check
  P6AUTH_LOG=warn "$P6AUTH_BIN" serve --listen 127.0.0.1:0 --maintenance-interval 1h "${store[@]}" \
    >"$OUT/$name.log" 2>&1 &
  pid=$!
  P6AUTH_PIDS+=("$pid")
  for _ in $(seq 1 100); do
    addr=$(sed -n 's|^p6auth listening on http://||p' "$OUT/$name.log")
    [ -n "$addr" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "$name did not start:" >&2; cat "$OUT/$name.log" >&2; return 1; }
    sleep 0.1
  done
  sleep 2
  echo "== $name (pid $pid, http://$addr), idle RSS $(proc_kb "$pid" VmRSS) kB"
  printf '%s\tidle_rss_kb\t%s\n' "$name" "$(proc_kb "$pid" VmRSS)" >>"$OUT/extra.tsv"
  local writes0 writes1
  writes0=$(curl -s "http://$addr/metrics" | awk '$1=="p6auth_store_writes_total" {print $2}')
  TOKEN_URL=http://$addr/oauth/token INTROSPECT_URL=http://$addr/oauth/introspect \
    JWKS_URL=http://$addr/.well-known/jwks.json CLIENT_ID=$id CLIENT_SECRET=$secret SCOPE=orgs=read \
    load_server "$name" "$pid"
  writes1=$(curl -s "http://$addr/metrics" | awk '$1=="p6auth_store_writes_total" {print $2}')
  printf '%s\tstore_writes_during_load\t%s\n' "$name" "$((writes1 - writes0))" >>"$OUT/extra.tsv"
  echo "   store writes during the load: $((writes1 - writes0))"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
}

: >"$OUT/extra.tsv"
for backend in $BACKENDS; do
  case $backend in
    sqlite)
      rm -rf "$OUT/sqlite-data"
      run_p6auth sqlite --data-dir "$OUT/sqlite-data" ;;
    postgres)
      PG_DB=p6auth_bench_$$
      psql "$PG_URL/postgres" -qc "CREATE DATABASE $PG_DB" >/dev/null
      openssl rand -hex 32 >"$OUT/master.key"
      run_p6auth postgres --database-url "$PG_URL/$PG_DB" --master-key-file "$OUT/master.key"
      psql "$PG_URL/postgres" -qc "DROP DATABASE $PG_DB" >/dev/null
      PG_DB="" ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
done

# --- the peer ----------------------------------------------------------------------------------
PEER_NAME=oidc-provider-jwt-2p
if [ "$PEER" = 1 ]; then
  RUN=${PEERS_RUN:-/tmp/peers-run}
  [ -x "$PEERS_DIR/oidc-provider.sh" ] || { echo "no peers at $PEERS_DIR (set PEERS_DIR)" >&2; exit 1; }
  already=""
  [ -f "$RUN/$PEER_NAME/pid" ] && kill -0 "$(cat "$RUN/$PEER_NAME/pid")" 2>/dev/null && already=1
  "$PEERS_DIR/oidc-provider.sh" jwt 2 | tail -2
  [ -z "$already" ] && PEER_STARTED=$PEER_NAME
  sleep 2
  (
    # shellcheck disable=SC1091
    . "$RUN/$PEER_NAME/peer.env"
    pid=$(cat "$RUN/$PEER_NAME/pid")
    base=${TOKEN_URL%/token}
    echo "== $PEER_NAME (pid $pid, $base), idle RSS $(proc_kb "$pid" VmRSS) kB"
    printf '%s\tidle_rss_kb\t%s\n' "$PEER_NAME" "$(proc_kb "$pid" VmRSS)" >>"$OUT/extra.tsv"
    JWKS_URL=$(curl -s "$base/.well-known/openid-configuration" | jq -r .jwks_uri)
    TOKEN_URL=$TOKEN_URL INTROSPECT_URL=$INTROSPECT_URL JWKS_URL=$JWKS_URL CLIENT_ID=$CLIENT_ID \
      CLIENT_SECRET=$CLIENT_SECRET SCOPE=$SCOPE load_server "$PEER_NAME" "$pid"
  )
fi

# --- report ------------------------------------------------------------------------------------
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) cores, $(free -h | awk '/Mem:/{print $2}') memory;" \
    "load average before the run: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "wrk -t$THREADS -c$CONNS -d$DURATION (warm-up $WARMUP) on the same machine; oidc-provider: $PEER_NAME"
  echo
  echo "| server | endpoint | req/s | p50 ms | p99 ms | errors | peak RSS MB | p6auth / peer |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' -v OFS=' | ' -v peer="$PEER_NAME" '
    { rows[NR] = $0; if ($1 == peer) base[$2] = $3 }
    END {
      for (i = 1; i <= NR; i++) {
        split(rows[i], f, "\t")
        ratio = "-"
        if (f[1] != peer && (f[2] in base) && base[f[2]] != "-" && f[3] != "-")
          ratio = sprintf("%.1f×", f[3] / base[f[2]])
        rss = f[7] == "-" ? "-" : sprintf("%.1f", f[7] / 1024)
        rps = f[3] == "-" ? "n/a" : sprintf("%\047d", f[3])
        print "| " f[1], f[2], rps, f[4], f[5], f[6], rss, ratio " |"
      }
    }' "$RESULTS"
  echo
  awk -F'\t' '$2=="idle_rss_kb" {printf "- idle RSS %s: %.1f MB\n", $1, $3/1024}
              $2=="store_writes_during_load" {printf "- store writes by %s during its load: %s\n", $1, $3}' "$OUT/extra.tsv"
  echo
  echo "Budget (issue 8), p6auth on SQLite:"
  awk -F'\t' -v peer="$PEER_NAME" '
    FNR == NR { if ($2 == "idle_rss_kb" && $1 == "p6auth-sqlite") idle = $3; next }
    $1 == "p6auth-sqlite" { rps[$2] = $3; p99[$2] = $5 }
    $1 == peer { prps[$2] = $3 }
    END {
      t = rps["token-post"]
      printf "- tokens/s ES256 at 64 connections >= 15,000: %s (%d)\n", t >= 15000 ? "met" : "NOT met", t
      printf "- token p99 <= 10 ms: %s (%s ms)\n", p99["token-post"] <= 10 ? "met" : "NOT met", p99["token-post"]
      if (prps["token-post"] > 0)
        printf "- >= 6x the 2-worker oidc-provider: %s (%.1fx)\n", t / prps["token-post"] >= 6 ? "met" : "NOT met", t / prps["token-post"]
      printf "- introspection >= 20,000/s: %s (%d)\n", rps["introspect"] >= 20000 ? "met" : "NOT met", rps["introspect"]
      printf "- idle RSS <= 30 MB: %s (%.1f MB)\n", idle / 1024 <= 30 ? "met" : "NOT met", idle / 1024
    }' "$OUT/extra.tsv" "$RESULTS"
} | tee "$OUT/summary.md"
echo "raw results: $OUT"
