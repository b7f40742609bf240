#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, run and test MindPal Admin.
# Idempotent: installs only missing packages; needs root (or sudo) for apt.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build the desktop shell
  build-essential pkg-config libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev
  # servers the sandbox and the tests run
  mariadb-server mariadb-client redis-server redis-sentinel
  # the SSH bastion the tests and `sandbox up --bastion` run (sshd with its own config, never the system one)
  openssh-server openssh-client
  # the window under Xvfb, end-to-end tests, screenshots, the OS keyring without a desktop
  xvfb webkit2gtk-driver imagemagick gnome-keyring dbus-x11
  # the platform's data is Chinese with emoji: fonts to show it
  fonts-noto-cjk fonts-noto-color-emoji
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "cargo is missing: install Rust with rustup (https://rustup.rs), then run this again" >&2
  exit 1
fi
if ! command -v npm >/dev/null; then
  echo "npm is missing: install Node.js 20 or newer, then run this again" >&2
  exit 1
fi
# The WebDriver bridge for the end-to-end tests (WebKitWebDriver comes from webkit2gtk-driver).
if ! command -v tauri-driver >/dev/null && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
  cargo install tauri-driver --locked --version 2.1.0
fi
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  (cd ui && npm ci --no-audit --no-fund)
fi
