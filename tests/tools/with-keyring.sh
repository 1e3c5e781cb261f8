#!/bin/sh
# with-keyring.sh CMD [ARGS...]: run CMD on a private D-Bus session bus with an unlocked
# gnome-keyring "login" collection (the real Secret Service), then stop the keyring.
# HOME is replaced by a throwaway folder, so a developer's own keyring is never touched.
set -eu
export HOME="$(mktemp -d)"
export XDG_RUNTIME_DIR="$(mktemp -d)"
chmod 700 "$XDG_RUNTIME_DIR"
exec dbus-run-session -- sh -eu -c '
  printf "%s" "test-password" \
    | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  # Wait until the daemon owns the Secret Service name; a client that came first would
  # make D-Bus start a second daemon that cannot unlock and may outlive the bus.
  n=0
  until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
        | grep -q "boolean true"; do
    n=$((n+1)); [ "$n" -le 200 ] || { echo "gnome-keyring-daemon did not start" >&2; exit 1; }
    sleep 0.05
  done
  pid=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets \
        | awk "/uint32/ {print \$2}")
  rc=0; "$@" || rc=$?
  kill "$pid" 2>/dev/null || true
  exit $rc' sh "$@"
