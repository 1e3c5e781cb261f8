"""Where the daemon's socket and foxbridge's config folder are, without platformdirs.

The daemon finds its folders with ``daemon.paths.default_paths()``, which uses
platformdirs. The host must not pay for importing that, so these few rules are written
again here with the standard library alone; a test checks that both give the same
paths under many environments. Keep the two in step. (Paths are plain strings here:
importing pathlib would cost the host a few milliseconds at every start.)
"""

from __future__ import annotations

import os
import posixpath
import stat
import sys

APP_NAME = "foxbridge"
SOCKET_NAME = "daemon.sock"
ALLOWED_ORIGINS_FILE = "allowed_origins.json"


def socket_path(platform: str = sys.platform) -> str:
    """The daemon's socket: ``daemon.paths.default_paths().socket_path``."""
    home = _foxbridge_home()
    if home is not None:
        return os.path.join(home, "run", SOCKET_NAME)
    return os.path.join(_runtime_dir(platform), APP_NAME, SOCKET_NAME)


def config_dir(platform: str = sys.platform) -> str:
    """foxbridge's config folder: ``daemon.paths.default_paths().config_dir``."""
    home = _foxbridge_home()
    if home is not None:
        return os.path.join(home, "config")
    if platform == "win32":
        return os.path.join(_windows_local_appdata(), APP_NAME)
    xdg = _absolute_env("XDG_CONFIG_HOME")
    if xdg:
        return os.path.join(xdg, APP_NAME)
    base = "~/Library/Application Support" if platform == "darwin" else "~/.config"
    return os.path.join(_expand_user(base), APP_NAME)


def _foxbridge_home() -> str | None:
    home = os.environ.get("FOXBRIDGE_HOME")
    return os.path.realpath(os.path.expanduser(home)) if home else None


def _runtime_dir(platform: str) -> str:
    """The per-user runtime folder, chosen the way platformdirs chooses it."""
    if platform == "win32":
        return os.path.join(_windows_local_appdata(), "Temp")
    xdg = _absolute_env("XDG_RUNTIME_DIR")
    if platform == "darwin":
        if xdg and not _private_dir_problem(xdg, missing_ok=True):
            return xdg
        return _expand_user("~/Library/Caches/TemporaryItems")
    # Linux and the BSDs accept XDG_RUNTIME_DIR only when it is private to the user and
    # sits where no other user can swap it; else the system's per-user folder, else a
    # folder of the user's own in the temporary directory.
    if xdg and not (_private_dir_problem(xdg, missing_ok=True) or _parent_problem(xdg)):
        return xdg
    if platform.startswith("openbsd"):
        system = f"/tmp/run/user/{os.geteuid()}"  # noqa: S108 - OpenBSD's own location
    elif platform.startswith(("freebsd", "netbsd")):
        system = f"/var/run/user/{os.geteuid()}"
    else:
        system = f"/run/user/{os.geteuid()}"
    if not _private_dir_problem(system, missing_ok=False):
        return system
    import tempfile  # only on this rare path: it is slow to import

    fallback = posixpath.join(tempfile.gettempdir(), f"runtime-{os.geteuid()}")
    if _private_dir_problem(fallback, missing_ok=True, check_mode=False):
        raise PermissionError(f"The runtime folder {fallback} is not private to this user.")
    return fallback


def _private_dir_problem(path: str, *, missing_ok: bool, check_mode: bool = True) -> bool:
    """Whether ``path`` fails to be a real folder of this user's (mode 0700 if checked)."""
    try:
        info = os.lstat(_clean(path))
    except FileNotFoundError:
        return not missing_ok
    except OSError:
        return True
    return (
        stat.S_ISLNK(info.st_mode)
        or not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.geteuid()
        or (check_mode and info.st_mode & 0o777 != 0o700)
    )


def _parent_problem(path: str) -> bool:
    """Whether another user could replace ``path`` through one of its parents."""
    in_shared_dir = False
    for parent in _parents_from_root(path):
        try:
            if in_shared_dir and os.lstat(parent).st_uid not in {0, os.geteuid()}:
                return True
            mode = os.stat(parent).st_mode
        except OSError:
            return False
        in_shared_dir = bool(mode & stat.S_IWOTH)
        if in_shared_dir and not mode & stat.S_ISVTX:
            return True
    return False


def _clean(path: str) -> str:
    """``path`` without empty or "." parts and trailing slashes, as pathlib writes it."""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    return ("/" if path.startswith("/") else "") + "/".join(parts) or "."


def _parents_from_root(path: str) -> list[str]:
    """The folders above ``path``, outermost first (``reversed(Path(path).parents)``)."""
    parents: list[str] = []
    current = _clean(path)
    while (parent := os.path.dirname(current)) not in (current, ""):
        parents.append(parent)
        current = parent
    return parents[::-1]


def _absolute_env(name: str) -> str | None:
    value = os.environ.get(name, "")
    return value if posixpath.isabs(value) else None


def _expand_user(path: str) -> str:
    """``~`` expanded, treating a relative HOME as unset (as platformdirs does)."""
    home = os.environ.get("HOME")
    if home is not None and not posixpath.isabs(home):
        import pwd

        return pwd.getpwuid(os.getuid()).pw_dir.rstrip("/") + path[1:] or "/"
    return os.path.expanduser(path)


def _windows_local_appdata() -> str:
    local = os.environ.get("WIN_PD_OVERRIDE_LOCAL_APPDATA") or os.environ.get("LOCALAPPDATA")
    if not local:
        raise OSError("LOCALAPPDATA is not set; cannot find foxbridge's folders.")
    return os.path.normpath(local)
