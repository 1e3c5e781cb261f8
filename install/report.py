"""What an install or uninstall did, line by line, for the user to read."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    changes: int = 0

    def changed(self, message: str) -> None:
        self.changes += 1
        self.lines.append(f"✓ {message}")

    def unchanged(self, message: str) -> None:
        self.lines.append(f"· {message}")

    def note(self, message: str) -> None:
        self.lines.append(f"! {message}")

    def text(self) -> str:
        return "\n".join(self.lines)
