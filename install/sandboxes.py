"""Browsers in a Snap or Flatpak sandbox, which cannot start a native host from outside.

A sandboxed browser reads host manifests only from inside its sandbox and may only start
programs inside it, so registering foxbridge for it cannot work. We find such browsers
and tell the user what to do instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from install.machine import OS, Machine

SNAPS: dict[str, str] = {
    "chromium": "Chromium",
    "brave": "Brave",
    "opera": "Opera",
    "vivaldi": "Vivaldi",
}

FLATPAKS: dict[str, str] = {
    "com.google.Chrome": "Google Chrome",
    "com.google.ChromeDev": "Google Chrome Dev",
    "org.chromium.Chromium": "Chromium",
    "io.github.ungoogled_software.ungoogled_chromium": "Ungoogled Chromium",
    "com.brave.Browser": "Brave",
    "com.microsoft.Edge": "Microsoft Edge",
    "com.microsoft.EdgeDev": "Microsoft Edge Dev",
    "com.vivaldi.Vivaldi": "Vivaldi",
    "com.opera.Opera": "Opera",
}

SNAP_ADVICE = (
    "the Snap version cannot start foxbridge's helper. Install the browser from your "
    "distribution's or the vendor's own package (.deb/.rpm) and use that one."
)
FLATPAK_ADVICE = (
    "the Flatpak version cannot start foxbridge's helper outside its sandbox. Install the "
    "browser from your distribution's or the vendor's own package (.deb/.rpm) and use that one."
)


@dataclass(frozen=True)
class SandboxedBrowser:
    name: str
    kind: str  # "Snap" or "Flatpak"
    location: Path  # what gave it away

    @property
    def advice(self) -> str:
        return SNAP_ADVICE if self.kind == "Snap" else FLATPAK_ADVICE

    def explain(self) -> str:
        return f"{self.name} ({self.kind}, found at {self.location}): {self.advice}"


def find_sandboxed(machine: Machine, system_root: Path = Path("/")) -> list[SandboxedBrowser]:
    """The Snap and Flatpak Chromium-family browsers installed for this user (Linux only)."""
    if machine.os is not OS.LINUX:
        return []
    found: list[SandboxedBrowser] = []
    for snap, name in SNAPS.items():
        for place in (system_root / "snap" / "bin" / snap, machine.home / "snap" / snap):
            if place.exists():
                found.append(SandboxedBrowser(name, "Snap", place))
                break
    flatpak_homes = (
        machine.home / ".var" / "app",
        machine.home / ".local" / "share" / "flatpak" / "app",
        system_root / "var" / "lib" / "flatpak" / "app",
    )
    for app_id, name in FLATPAKS.items():
        for base in flatpak_homes:
            if (base / app_id).exists():
                found.append(SandboxedBrowser(name, "Flatpak", base / app_id))
                break
    return found
