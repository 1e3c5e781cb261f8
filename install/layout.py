"""Where an installation puts its own pieces, and what it runs them with."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from daemon.paths import Paths
from install.launcher import launcher_name
from install.machine import Machine
from install.manifest import MANIFEST_FILE
from install.record import RECORD_FILE

ALLOWED_ORIGINS_FILE = "allowed_origins.json"  # read by the host (host/origins.py)


@dataclass(frozen=True)
class Layout:
    machine: Machine
    paths: Paths
    python: Path  # the Python of foxbridge's environment: runs the host and the daemon
    # Variables the launcher and autostart entries set, so they reach this installation.
    environment: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def current(cls, paths: Paths, python: Path) -> Layout:
        home = os.environ.get("FOXBRIDGE_HOME")
        environment = {"FOXBRIDGE_HOME": str(Path(home).expanduser().resolve())} if home else {}
        return cls(Machine.current(), paths, python, environment)

    @property
    def host_dir(self) -> Path:
        return self.paths.data_dir / "host"

    @property
    def launcher(self) -> Path:
        return self.host_dir / launcher_name(self.machine.os)

    @property
    def windows_manifest(self) -> Path:
        """On Windows the registry points at one manifest kept here."""
        return self.host_dir / MANIFEST_FILE

    @property
    def origins_file(self) -> Path:
        return self.paths.config_dir / ALLOWED_ORIGINS_FILE

    @property
    def record_file(self) -> Path:
        return self.paths.data_dir / RECORD_FILE
