"""Fixtures shared with the host and service tests."""

from __future__ import annotations

from tests.host.conftest import host_env
from tests.service.conftest import short_home
from tests.service.test_daemon_process import daemon, keyring_file

__all__ = ["daemon", "host_env", "keyring_file", "short_home"]
