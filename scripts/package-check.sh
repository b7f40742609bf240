#!/usr/bin/env bash
# Installs the built .deb as a user would (apt-get install ./…deb), runs `mindpal-admin
# --version` from the PATH, starts the installed app under Xvfb against a sandbox and sees its
# overview (ui/e2e/installed.check.mjs through tauri-driver), then removes the package.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-debug}
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
deb=$(ls "$PWD/target/$profile/bundle/deb/"*.deb | head -n1)
package=$(dpkg-deb -f "$deb" Package)
# A copy installed by an earlier, interrupted check would shadow this one.
$sudo apt-get remove -y -qq "$package" >/dev/null 2>&1 || true
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null
trap '$sudo apt-get remove -y -qq "$package" >/dev/null' EXIT
[ "$(command -v mindpal-admin)" = /usr/bin/mindpal-admin ] || { echo "mindpal-admin is not on the PATH from the package" >&2; exit 1; }
mindpal-admin --version
test -f "/usr/share/applications/MindPal Admin.desktop" || { echo "no menu entry installed" >&2; exit 1; }
E2E_APP=/usr/bin/mindpal-admin-app E2E_PROFILE=1 E2E_ARTIFACTS_DIR="$PWD/artifacts/package" \
  scripts/e2e.sh node --test --test-reporter=spec "$PWD/ui/e2e/installed.check.mjs"
echo "installed, launched and removed: $(basename "$deb")"
