"""Draw the app's icons (a white star on the brand blue) as PNGs with only the standard library.

Run from the repository root: python tools/make_icons.py
"""

import math
import struct
import zlib
from pathlib import Path

BRAND = (0x0B, 0x3D, 0x6B)
WHITE = (0xFF, 0xFF, 0xFF)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def star_points(size, radius):
    centre, inner = size / 2, radius * 0.45
    points = []
    for index in range(10):
        r = radius if index % 2 == 0 else inner
        angle = -math.pi / 2 + index * math.pi / 5
        points.append((centre + r * math.cos(angle), centre + r * math.sin(angle) + radius * 0.06))
    return points


def inside(x, y, polygon):
    hit = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=False):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def png(size, star_radius):
    polygon = star_points(size, star_radius)
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter type: none
        for x in range(size):
            row += bytes(WHITE if inside(x + 0.5, y + 0.5, polygon) else BRAND)
        rows.append(bytes(row))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "icon-192.png").write_bytes(png(192, 192 * 0.40))
    (OUT / "icon-512.png").write_bytes(png(512, 512 * 0.40))
    # Maskable: the star stays inside the central safe zone (a circle of 40% radius).
    (OUT / "icon-maskable-512.png").write_bytes(png(512, 512 * 0.30))
