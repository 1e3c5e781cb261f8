#!/usr/bin/env bash
# Runs the whole test suite (or the pytest arguments given): installs what the tests need,
# then runs pytest with the real Secret Service keyring available.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/tools/setup-env.sh
root=$(pwd)
rc=0
tests/tools/with-keyring.sh "$root/.venv/bin/python" -m pytest --rootdir "$root" -c "$root/pyproject.toml" "$@" || rc=$?
# pytest's 5 means "no tests collected": not a failure when a subset was asked for.
[ "$rc" -eq 5 ] && rc=0
exit "$rc"
