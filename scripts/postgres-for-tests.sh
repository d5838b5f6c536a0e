# Sourced by scripts/test.sh: finds or starts a PostgreSQL server for the tests and exports
#   P6AUTH_TEST_DATABASE_URL  a URL whose user may CREATE DATABASE (each test makes its own)
#   P6AUTH_TEST_PG_BINDIR     the server binaries (initdb, pg_ctl) for tests that run a cluster
# In order: $DATABASE_URL; PostgreSQL on 127.0.0.1:5432 (trust auth); else a throwaway cluster
# started here with initdb and pg_ctl (as the postgres user when run as root) and stopped on
# exit. If none can be had, it fails: the PostgreSQL tests are never skipped.

pg_bindir() {
  local newest=""
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && newest="$d"
  done
  if [ -z "$newest" ] && command -v initdb >/dev/null 2>&1; then
    newest="$(dirname "$(command -v initdb)")"
  fi
  printf '%s' "$newest"
}

pg_can_create_databases() {
  psql "$1" -v ON_ERROR_STOP=1 -qAtc "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user" 2>/dev/null | grep -qx t
}

if [ -z "$(pg_bindir)" ] || ! command -v psql >/dev/null 2>&1; then
  step "installing PostgreSQL (the PostgreSQL tests need its server binaries)"
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
P6AUTH_TEST_PG_BINDIR="$(pg_bindir)"
[ -n "$P6AUTH_TEST_PG_BINDIR" ] || { echo "error: no PostgreSQL server binaries found" >&2; exit 1; }
export P6AUTH_TEST_PG_BINDIR

if [ -n "${DATABASE_URL:-}" ]; then
  pg_can_create_databases "$DATABASE_URL" || { echo "error: DATABASE_URL cannot be used to create databases" >&2; exit 1; }
  P6AUTH_TEST_DATABASE_URL="$DATABASE_URL"
  pg_source='$DATABASE_URL'
elif pg_isready -q -h 127.0.0.1 -p 5432; then
  for user in postgres root "$(id -un)"; do
    for db in test postgres "$user"; do
      url="postgres://$user@127.0.0.1:5432/$db"
      if pg_can_create_databases "$url"; then
        P6AUTH_TEST_DATABASE_URL="$url"
        break 2
      fi
    done
  done
  [ -n "${P6AUTH_TEST_DATABASE_URL:-}" ] || { echo "error: PostgreSQL on 127.0.0.1:5432 takes none of our users (postgres, root) without a password; set DATABASE_URL" >&2; exit 1; }
  pg_source='127.0.0.1:5432'
else
  pg_dir="$(mktemp -d /tmp/p6auth-test-pg.XXXXXX)"
  pg_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  as_pg=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$pg_dir"
    as_pg=(runuser -u postgres --)
  fi
  "${as_pg[@]}" "$P6AUTH_TEST_PG_BINDIR/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$pg_dir/initdb.log" 2>&1 \
    || { cat "$pg_dir/initdb.log" >&2; echo "error: initdb failed" >&2; exit 1; }
  "${as_pg[@]}" "$P6AUTH_TEST_PG_BINDIR/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 30 \
      -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null \
    || { cat "$pg_dir/server.log" >&2; echo "error: the throwaway PostgreSQL did not start" >&2; exit 1; }
  stop_test_pg() {
    "${as_pg[@]}" "$P6AUTH_TEST_PG_BINDIR/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  }
  trap stop_test_pg EXIT
  P6AUTH_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
  pg_source="a throwaway cluster on port $pg_port"
fi
export P6AUTH_TEST_DATABASE_URL
echo "PostgreSQL for the tests: $pg_source ($(psql "$P6AUTH_TEST_DATABASE_URL" -qAtc 'SHOW server_version'))"

# scratch databases left by an interrupted earlier run: only those nobody is connected to, so a
# run going on at the same time on this server (another checkout, another CI job) keeps its own
for stale in $(psql "$P6AUTH_TEST_DATABASE_URL" -qAtc "SELECT datname FROM pg_database d WHERE datname LIKE 'p6auth\_test\_%' AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)"); do
  psql "$P6AUTH_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$stale\"" >/dev/null 2>&1 || true
done
