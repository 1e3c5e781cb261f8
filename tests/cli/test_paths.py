"""foxbridge's folders are the user's own: a folder another user made first (the /tmp
fallback of the runtime folder) is refused, not used for the daemon's socket."""

from __future__ import annotations

import os

import pytest

from daemon.errors import FoxbridgeError
from daemon.paths import Paths

needs_root = pytest.mark.skipif(
    os.name != "posix" or os.getuid() != 0, reason="needs root to give a folder away"
)
NOBODY = 65534


def paths_in(root) -> Paths:
    return Paths(root / "config", root / "data", root / "log", root / "runtime-x" / "foxbridge")


def test_ensure_makes_private_folders(tmp_path):
    paths = paths_in(tmp_path)
    paths.ensure()
    for folder in (paths.config_dir, paths.data_dir, paths.log_dir, paths.runtime_dir):
        assert folder.stat().st_mode & 0o777 == 0o700


@needs_root
def test_a_runtime_parent_owned_by_another_user_is_refused(tmp_path):
    paths = paths_in(tmp_path)
    (tmp_path / "runtime-x").mkdir(mode=0o777)
    os.chown(tmp_path / "runtime-x", NOBODY, NOBODY)
    with pytest.raises(FoxbridgeError, match="belongs to another user"):
        paths.ensure()


@needs_root
def test_a_folder_made_by_another_user_is_refused(tmp_path):
    paths = paths_in(tmp_path)
    paths.data_dir.mkdir(mode=0o777)
    os.chown(paths.data_dir, NOBODY, NOBODY)
    with pytest.raises(FoxbridgeError, match="belongs to another user"):
        paths.ensure()
