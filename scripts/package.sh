#!/usr/bin/env bash
# Builds the .deb and the .rpm with the Tauri bundler, offline: the desktop app with its menu
# entry and icons, and the mindpal-admin CLI in /usr/bin; their dependencies (WebKitGTK, GTK)
# declared. PROFILE=release (the default, `make package`) or debug (what `make test` installs
# and launches, built in a minute from the test build).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-release}
cargo_flag=() tauri_flag=()
if [ "$profile" = release ]; then cargo_flag=(--release); else tauri_flag=(--debug); fi
(cd ui && npm run build)
cargo build "${cargo_flag[@]}" -p mindpal-admin-cli
mkdir -p target/package
cp "target/$profile/mindpal-admin" target/package/mindpal-admin
ui/node_modules/.bin/tauri build "${tauri_flag[@]}" --bundles deb rpm
ls -l "target/$profile/bundle/deb/"*.deb "target/$profile/bundle/rpm/"*.rpm
