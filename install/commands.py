"""Running the system's service managers (systemctl, launchctl) behind a small interface.

The installer only ever calls ``Runner.run``; tests pass a fake that records the calls
and answers as a machine with (or without) a user systemd would.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Outcome:
    returncode: int
    output: str  # stdout and stderr together, for messages

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class Runner(Protocol):
    def run(self, argv: list[str]) -> Outcome: ...


class SubprocessRunner:
    """Runs commands for real, with a time limit; a missing program is status 127."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout

    def run(self, argv: list[str]) -> Outcome:
        try:
            done = subprocess.run(  # noqa: S603 - fixed service-manager commands
                argv,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError:
            return Outcome(127, f"{argv[0]}: not found")
        except subprocess.TimeoutExpired:
            return Outcome(124, f"{argv[0]}: no answer within {self.timeout:.0f} s")
        return Outcome(done.returncode, (done.stdout + done.stderr).strip())
