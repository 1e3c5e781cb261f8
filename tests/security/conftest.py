"""Fixtures shared with the host and service tests."""

from __future__ import annotations

from tests.host.conftest import host_env, short_home

__all__ = ["host_env", "short_home"]
