#!/usr/bin/env bash
# Runs every check and test of p6auth. It installs what it needs (curl, a Python virtualenv with
# the pinned interop clients, PostgreSQL's binaries if missing) and finds or starts what it needs
# (a PostgreSQL server); nothing is skipped silently.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

if ! command -v curl >/dev/null 2>&1; then
  step "installing curl (the integration tests run the integrators' curl command)"
  apt-get update -qq && apt-get install -y -qq curl
fi

step "PostgreSQL for the tests"
# shellcheck source=scripts/postgres-for-tests.sh
source scripts/postgres-for-tests.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo bench --no-run: the micro-benchmarks build (they are not run here: too noisy to gate on)"
cargo bench -p p6auth-bench --locked --no-run

step "cargo test: unit, doc, store conformance (SQLite and PostgreSQL), end-to-end on SQLite (token service, lifecycle, client SDK), multi-node, database faults, store copy"
cargo test --workspace --locked

step "cargo test: the end-to-end suite again, on PostgreSQL (a database per test)"
P6AUTH_TEST_BACKEND=postgres cargo test --locked -p p6auth --test cli --test lifecycle --test token_endpoint --test token_lifecycle --test directory_api --test directory_cli --test directory_import --test login_flow --test email_change

step "interoperability: Python authlib + PyJWT against the real server"
target_dir="${CARGO_TARGET_DIR:-target}"
venv="$target_dir/interop-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
P6AUTH_BIN="$(cd "$target_dir" && pwd)/debug/p6auth" "$venv/bin/python" -m pytest -q tests/interop

step "browser: the portal in Debian's chromium driven by playwright-core (tests/browser)"
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq chromium
fi
command -v chromium >/dev/null 2>&1 || { echo "chromium is missing and could not be installed" >&2; exit 1; }
cargo build --locked -p p6auth
(cd tests/browser && npm ci --no-audit --no-fund)
P6AUTH_BIN="$(cd "$target_dir" && pwd)/debug/p6auth" CHROMIUM="$(command -v chromium)" node tests/browser/portal.spec.mjs

step "all tests passed"
