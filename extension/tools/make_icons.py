"""Draw the extension's icons (icons/icon-<size>.png) with the standard library only.

A rounded square with a diagonal orange-to-violet gradient carrying a white bookmark
ribbon. Shapes are sampled on a fine grid per pixel, which gives clean anti-aliased
edges at every size. Run: python3 extension/tools/make_icons.py
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

SIZES = (16, 32, 48, 128)
TOP_LEFT = (255, 122, 61)  # warm orange
BOTTOM_RIGHT = (124, 77, 240)  # violet
RIBBON = (255, 255, 255)


def inside_rounded_square(x: float, y: float, radius: float) -> bool:
    """(x, y) in the unit square with corners rounded by ``radius``."""
    cx = min(max(x, radius), 1 - radius)
    cy = min(max(y, radius), 1 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def inside_ribbon(x: float, y: float) -> bool:
    """A bookmark ribbon: a tall rectangle with a V cut into its lower edge."""
    left, right, top, bottom, notch = 0.31, 0.69, 0.2, 0.8, 0.17
    if not (left <= x <= right and top <= y <= bottom):
        return False
    middle = (left + right) / 2
    # The V: below the line from each lower corner up to the notch's tip is outside.
    depth = notch * (1 - abs(x - middle) / (middle - left))
    return y <= bottom - depth


def pixel(px: int, py: int, size: int, samples: int) -> tuple[int, int, int, int]:
    coverage = ribbon = 0
    for sy in range(samples):
        for sx in range(samples):
            x = (px + (sx + 0.5) / samples) / size
            y = (py + (sy + 0.5) / samples) / size
            if inside_rounded_square(x, y, 0.22):
                coverage += 1
                ribbon += inside_ribbon(x, y)
    total = samples * samples
    if coverage == 0:
        return (0, 0, 0, 0)
    t = ((px + 0.5) / size + (py + 0.5) / size) / 2
    background = [round(a + (b - a) * t) for a, b in zip(TOP_LEFT, BOTTOM_RIGHT, strict=True)]
    share = ribbon / coverage
    color = [round(bg + (fg - bg) * share) for bg, fg in zip(background, RIBBON, strict=True)]
    return (*color, round(255 * coverage / total))


def png(size: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 on every row
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def draw(size: int) -> bytes:
    samples = 8 if size <= 48 else 4
    rows = [
        bytes(channel for px in range(size) for channel in pixel(px, py, size, samples))
        for py in range(size)
    ]
    return png(size, rows)


def main() -> None:
    folder = Path(__file__).resolve().parent.parent / "icons"
    folder.mkdir(exist_ok=True)
    for size in SIZES:
        (folder / f"icon-{size}.png").write_bytes(draw(size))


if __name__ == "__main__":
    main()
