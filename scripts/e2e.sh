#!/usr/bin/env bash
# Runs a command beside the real window's test bench: Xvfb, a sandbox of its own (MariaDB
# primary/replica, Redis, Sentinel, seeded), its own HOME, a D-Bus session holding an unlocked
# gnome-keyring, and tauri-driver. The command gets E2E_* variables describing all that.
#   scripts/e2e.sh                      the end-to-end tests (screenshots in artifacts/e2e/)
#   scripts/e2e.sh node script.mjs …    any other driver of the window (the window benchmark)
# E2E_APP chooses the app binary (default: the debug build); E2E_PROFILE=1 registers the
# sandbox's profile in the window's store before it starts.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cli=$root/target/debug/mindpal-admin
app=${E2E_APP:-$root/target/debug/mindpal-admin-app}
if [ $# -eq 0 ]; then
  set -- node --test --test-reporter=spec --test-concurrency=1 "$root/ui/e2e/"
fi
for bin in "$cli" "$app"; do
  [ -x "$bin" ] || { echo "missing $bin: run 'make app' and 'cargo build -p mindpal-admin-cli'" >&2; exit 1; }
done
export CARGO_HOME=${CARGO_HOME:-$HOME/.cargo} RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
export PATH=$CARGO_HOME/bin:$PATH
command -v tauri-driver >/dev/null || { echo "tauri-driver is missing: run scripts/install-deps.sh" >&2; exit 1; }

tmp=$(mktemp -d /tmp/mindpal-e2e.XXXXXX)
artifacts=${E2E_ARTIFACTS_DIR:-$root/artifacts/e2e}
rm -rf "$artifacts" && mkdir -p "$artifacts"

free_run() { # the first of $1 consecutive free loopback ports
  python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(500):
    base = random.randint(20000, 32000)  # below the ephemeral range, where client sockets take ports
    try:
        socks = []
        for p in range(base, base + n):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
        print(base); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
PY
}
base=$(free_run 18)  # five servers, the bastion, and six Redis Cluster nodes with their bus ports
driver_port=$(free_run 2)
display=""
for n in $(seq 90 120); do [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || { display=":$n"; break; }; done

xvfb_pid=""
cleanup() {
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
  "$cli" sandbox down --dir "$tmp/sandbox" --purge >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
xvfb_pid=$!
"$cli" --profiles-file "$tmp/cli-profiles.json" sandbox up --dir "$tmp/sandbox" --port-base "$base" --scale 0.01 \
  >"$tmp/sandbox.log" 2>&1 || { cat "$tmp/sandbox.log" >&2; exit 1; }
users=$("$cli" --json --mysql "mysql://root@127.0.0.1:$base/mindpal" ping >/dev/null && \
  mariadb --protocol=tcp -h127.0.0.1 -P"$base" -uroot -N -e "SELECT COUNT(*) FROM mindpal.users")

home=$tmp/home
mkdir -p "$home" "$tmp/run" && chmod 700 "$tmp/run"
if [ "${E2E_PROFILE:-0}" = 1 ]; then
  # The profile `sandbox up` registered, as the window's own store.
  mkdir -p "$home/.local/share/com.mindpal.admin"
  cp "$tmp/cli-profiles.json" "$home/.local/share/com.mindpal.admin/profiles.json"
fi
export HOME=$home XDG_RUNTIME_DIR=$tmp/run DISPLAY=$display NO_AT_BRIDGE=1
export E2E_DRIVER_URL=http://127.0.0.1:$driver_port E2E_APP=$app E2E_SANDBOX_PORT=$base
export E2E_STORE_FILE=$home/.local/share/com.mindpal.admin/profiles.json E2E_EXPECTED_USERS=$users
export E2E_CLI=$cli E2E_SANDBOX_DIR=$tmp/sandbox E2E_SPARE_STORE=$tmp/cli-profiles.json
export E2E_ARTIFACTS=$artifacts E2E_COMMAND="$(printf '%q ' "$@")"
dbus-run-session -- bash -c '
  set -u
  eval "$(printf "mindpal-e2e\n" | gnome-keyring-daemon --unlock --components=secrets --daemonize)"
  export GNOME_KEYRING_CONTROL
  tauri-driver --port '"$driver_port"' --native-port '"$((driver_port + 1))"' >"'"$tmp"'/driver.log" 2>&1 &
  driver=$!
  for _ in $(seq 1 50); do curl -sf "$E2E_DRIVER_URL/status" >/dev/null 2>&1 && break; sleep 0.2; done
  eval "$E2E_COMMAND"
  status=$?
  kill -TERM "$driver"; wait "$driver" 2>/dev/null
  exit $status
'
