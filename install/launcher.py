"""The launcher: the small executable a host manifest points at.

A manifest names one executable and the browser passes it the caller's origin, so the
launcher only has to run the host with the Python of foxbridge's own environment. It
pins ``FOXBRIDGE_HOME`` when foxbridge was installed with one, so the host always meets
the daemon it was installed with.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path

from install.machine import OS

HOST_MODULE = "host"


def launcher_name(os: OS) -> str:
    return "foxbridge-host.cmd" if os is OS.WINDOWS else "foxbridge-host"


def launcher_script(os: OS, python: Path, environment: Mapping[str, str]) -> str:
    if os is OS.WINDOWS:
        lines = ["@echo off"]
        lines += [f'set "{name}={value}"' for name, value in environment.items()]
        lines.append(f'"{python}" -m {HOST_MODULE} %*')
        return "\r\n".join(lines) + "\r\n"
    lines = ["#!/bin/sh", "# Started by the browser when the foxbridge extension connects."]
    lines += [f"{name}={shlex.quote(value)}; export {name}" for name, value in environment.items()]
    lines.append(f'exec {shlex.quote(str(python))} -m {HOST_MODULE} "$@"')
    return "\n".join(lines) + "\n"
