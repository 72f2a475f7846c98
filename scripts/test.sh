#!/usr/bin/env bash
# Runs the whole test suite: unit and property tests of the core, HTTP tests against the
# real server on SQLite and PostgreSQL, and the headless-Chromium browser test; then scans
# the log every test server wrote (debug level) for patient names and passwords.
# On a fresh machine it first installs what is missing and starts PostgreSQL
# (scripts/prepare: chromium, chromium-driver, a Python environment under target/); the tests
# use PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
source scripts/prepare
export OPENIOP_TEST_LOG="$PWD/target/test-suite.log"
rm -f "$OPENIOP_TEST_LOG" "$OPENIOP_TEST_LOG.names"
cargo test --workspace --locked "$@"
if [ "$#" -eq 0 ]; then
  python3 scripts/scan-test-log "$OPENIOP_TEST_LOG" crates/web/src/demo/mod.rs
fi
