#!/usr/bin/env bash
# Runs the whole test suite: unit and property tests of the core, HTTP tests against the
# real server on SQLite and PostgreSQL, and the headless-Chromium browser test.
# Needs PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`) and Debian's chromium +
# chromium-driver; `bash .ci/run` installs and starts them on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test --workspace --locked "$@"
