"""Where foxbridge keeps its files.

Everything comes from platformdirs, so each platform gets its usual places. Setting
``FOXBRIDGE_HOME`` puts every file under that one folder instead: tests use it to
run isolated daemons side by side, and so can a user with a portable setup.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from daemon.errors import FoxbridgeError

APP_NAME = "foxbridge"


@dataclass(frozen=True)
class Paths:
    config_dir: Path  # settings and the non-secret account description
    data_dir: Path  # the SQLite state and snapshots
    log_dir: Path
    runtime_dir: Path  # the daemon's socket and lock: private to the user

    @property
    def account_file(self) -> Path:
        return self.config_dir / "account.json"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def state_db(self) -> Path:
        return self.data_dir / "state.sqlite"

    @property
    def snapshots_dir(self) -> Path:
        return self.data_dir / "snapshots"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "foxbridge.log"

    @property
    def socket_path(self) -> Path:
        return self.runtime_dir / "daemon.sock"

    @property
    def lock_file(self) -> Path:
        return self.runtime_dir / "daemon.lock"

    def ensure(self) -> None:
        """Create the folders, readable by the user alone."""
        for folder in (self.config_dir, self.data_dir, self.log_dir, self.runtime_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if os.name == "posix":
                _refuse_foreign(folder)
                folder.chmod(0o700)
        if os.name == "posix":
            # Without XDG_RUNTIME_DIR the runtime folder sits in /tmp/runtime-<uid>, which
            # anyone could have made first; whoever owns it could swap the daemon's socket.
            _refuse_foreign(self.runtime_dir.parent)


def _refuse_foreign(folder: Path) -> None:
    owner = folder.stat().st_uid
    if owner not in (os.getuid(), 0):
        raise FoxbridgeError(
            f"{folder} belongs to another user (uid {owner}); foxbridge will not keep its "
            "files or its socket there. Remove it, or set XDG_RUNTIME_DIR to a private folder."
        )


def default_paths() -> Paths:
    home = os.environ.get("FOXBRIDGE_HOME")
    if home:
        root = Path(home).expanduser().resolve()
        return Paths(root / "config", root / "data", root / "log", root / "run")
    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR (ssh, cron, containers) platformdirs falls back to a
        # per-user folder in /tmp and warns; the fallback is fine (``ensure`` makes it
        # private), the warning on every command is not.
        warnings.simplefilter("ignore")
        runtime = platformdirs.user_runtime_dir(APP_NAME, appauthor=False, ensure_exists=False)
    return Paths(
        config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        log_dir=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        runtime_dir=Path(runtime),
    )
