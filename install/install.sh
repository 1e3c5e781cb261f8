#!/bin/sh
# Installs foxbridge from this source tree for the current user (Linux and macOS):
#
#   1. a virtual environment of its own in foxbridge's data folder (reused on a re-run),
#      with foxbridge installed into it from this tree;
#   2. the `foxbridge` command linked into ~/.local/bin;
#   3. the browser extension copied to a stable place in the data folder;
#   4. `foxbridge install`: the native host registered with every Chromium-family browser
#      found, the daemon's autostart, and the daemon started.
#
# Any arguments are passed on to `foxbridge install` (for example --browser brave).
# Safe to run again: it changes only what is out of date. Undo with `foxbridge uninstall`.
set -eu

say() { printf '%s\n' "$*"; }
fail() {
    printf 'foxbridge install: %s\n' "$*" >&2
    exit 1
}

here=$(cd "$(dirname "$0")" && pwd)
source_tree=$(dirname "$here")
[ -f "$source_tree/pyproject.toml" ] && [ -d "$source_tree/extension" ] ||
    fail "run this script from foxbridge's source tree (install/install.sh)."
[ -n "${HOME:-}" ] || fail "HOME is not set."

case "$(uname -s)" in
Darwin) system=macos ;;
*) system=linux ;;
esac

# -- a Python 3.11 or newer, with its venv module --------------------------------------------

venv_package_hint() {
    if [ "$system" = macos ]; then
        say "Install Python 3.11 or newer from https://www.python.org/downloads/ or with Homebrew (brew install python)."
    elif command -v apt-get >/dev/null 2>&1; then
        say "Install it with: sudo apt install python3 python3-venv"
    elif command -v dnf >/dev/null 2>&1; then
        say "Install it with: sudo dnf install python3"
    elif command -v pacman >/dev/null 2>&1; then
        say "Install it with: sudo pacman -S python"
    elif command -v zypper >/dev/null 2>&1; then
        say "Install it with: sudo zypper install python311"
    else
        say "Install Python 3.11 or newer with your system's package manager."
    fi
}

python=""
for candidate in ${FOXBRIDGE_PYTHON:-} python3 python3.14 python3.13 python3.12 python3.11; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        python=$(command -v "$candidate")
        break
    fi
done
[ -n "$python" ] || fail "foxbridge needs Python 3.11 or newer, and none was found. $(venv_package_hint)"

if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
    version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    if command -v apt-get >/dev/null 2>&1; then
        fail "Python $version has no 'venv' module. Install it with: sudo apt install python$version-venv"
    fi
    fail "Python $version has no 'venv' module. $(venv_package_hint)"
fi

# -- where things go (the same folders foxbridge itself uses) -------------------------------

if [ -n "${FOXBRIDGE_HOME:-}" ]; then
    data_dir="$FOXBRIDGE_HOME/data"
elif [ "$system" = macos ]; then
    data_dir="$HOME/Library/Application Support/foxbridge"
else
    case "${XDG_DATA_HOME:-}" in
    /*) data_dir="$XDG_DATA_HOME/foxbridge" ;;
    *) data_dir="$HOME/.local/share/foxbridge" ;;
    esac
fi
venv="$data_dir/venv"
extension="$data_dir/extension"
bin_dir="$HOME/.local/bin"
link="$bin_dir/foxbridge"

mkdir -p "$data_dir"
chmod 700 "$data_dir"

# -- the environment -------------------------------------------------------------------------

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    say "· using the environment $venv"
else
    rm -rf "$venv"
    say "✓ creating the environment $venv"
    "$python" -m venv "$venv" || fail "could not create the environment $venv."
fi
# Reinstall only when the source changed since the last install from this same tree.
stamp="$venv/.foxbridge-installed-from"
changed_sources() {
    find "$source_tree/pyproject.toml" "$source_tree/daemon" "$source_tree/host" \
        "$source_tree/install" -newer "$stamp" ! -name '*.pyc' ! -name __pycache__ -print |
        head -n 1
}
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$source_tree" ] && [ -z "$(changed_sources)" ] &&
    [ -x "$venv/bin/foxbridge" ]; then
    say "· foxbridge in $venv is already up to date"
else
    say "✓ installing foxbridge into it (this takes a moment)"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$source_tree" ||
        fail "could not install foxbridge into $venv (see pip's message above)."
    printf '%s\n' "$source_tree" >"$stamp"
fi

# -- the command -------------------------------------------------------------------------------

mkdir -p "$bin_dir"
if [ -e "$link" ] && [ ! -L "$link" ]; then
    fail "$link exists and is not a link made by this script; move it away and run again."
fi
if [ "$(readlink "$link" 2>/dev/null || true)" = "$venv/bin/foxbridge" ]; then
    say "· $link already links to foxbridge"
else
    ln -sfn "$venv/bin/foxbridge" "$link"
    say "✓ linked $link"
fi
case ":${PATH:-}:" in
*":$bin_dir:"*) ;;
*) say "! $bin_dir is not on your PATH: add it (for example in ~/.profile: export PATH=\"\$HOME/.local/bin:\$PATH\"), or run $link directly." ;;
esac

# -- the extension, copied to a place that stays put ------------------------------------------

staging="$data_dir/.extension.new"
rm -rf "$staging"
mkdir -p "$staging"
# Only what the browser loads: no development tools, packages or hidden files.
for entry in "$source_tree/extension"/*; do
    case "$(basename "$entry")" in
    node_modules | tools | package.json | package-lock.json | eslint.config.js) continue ;;
    esac
    cp -R "$entry" "$staging/"
done
if [ -d "$extension" ] && diff -r "$staging" "$extension" >/dev/null 2>&1; then
    rm -rf "$staging"
    say "· extension already up to date in $extension"
else
    rm -rf "$extension"
    mv "$staging" "$extension"
    say "✓ copied the extension to $extension"
fi

# -- registrations, autostart, daemon ----------------------------------------------------------

"$venv/bin/foxbridge" install --program "$venv" --program "$link" --program "$extension" "$@" ||
    fail "'foxbridge install' failed (see above); 'foxbridge doctor' explains what is wrong."

cat <<EOF

foxbridge is installed. Last step: load the extension in your browser.

  1. Open the extensions page:
       Chrome, Chromium:  chrome://extensions
       Microsoft Edge:    edge://extensions
       Brave:             brave://extensions
       Vivaldi:           vivaldi://extensions
       Opera:             opera://extensions
  2. Turn on "Developer mode".
  3. Click "Load unpacked" and choose this folder:
       $extension
  4. Click the foxbridge icon and sign in to your Firefox Account.

Check everything with:   foxbridge doctor
Remove everything with:  foxbridge uninstall
EOF
