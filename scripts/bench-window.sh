#!/usr/bin/env bash
# Launch time and idle memory of the release window, and what a command costs in its shell
# (with another profile's host black-holed), over a sandbox of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
E2E_APP=$PWD/target/release/mindpal-admin-app E2E_PROFILE=1 scripts/e2e.sh node "$PWD/scripts/bench-window.mjs"
E2E_APP=$PWD/target/release/mindpal-admin-app E2E_PROFILE=1 scripts/e2e.sh node "$PWD/scripts/bench-sessions.mjs"
