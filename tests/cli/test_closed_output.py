"""``foxbridge … | head`` and friends: a reader that goes away is no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from daemon.errors import ExitStatus

ROOT = Path(__file__).resolve().parents[2]


def test_output_to_a_closed_pipe_ends_quietly(tmp_path):
    reader, writer = os.pipe()
    os.close(reader)  # every write to the pipe now fails with EPIPE
    try:
        result = subprocess.run(
            [sys.executable, "-m", "daemon", "restore", "--list", "--json"],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "FOXBRIDGE_HOME": str(tmp_path)},
            cwd=ROOT,
            timeout=60,
        )
    finally:
        os.close(writer)
    assert result.stderr == ""
    assert result.returncode == ExitStatus.FAILURE
