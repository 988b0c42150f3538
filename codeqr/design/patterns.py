"""Module patterns, finder eyes and the outline around the code, in module units
(one module = 1; the quiet zone included), as ``Path`` outlines."""

import math
from collections.abc import Collection

from .drawing import Fill, LinearGradient
from .paths import Path


def eye_origins(spec) -> list[tuple[int, int]]:
    """The top-left module of each 7×7 finder pattern (the "eyes")."""
    count, margin = len(spec.modules), spec.margin
    far = count - margin - 7
    return [(margin, margin), (far, margin), (margin, far)]


def eye_modules(spec) -> frozenset[tuple[int, int]]:
    """Every ``(x, y)`` module of the three eyes."""
    return frozenset((ex + dx, ey + dy) for ex, ey in eye_origins(spec) for dx in range(7) for dy in range(7))


def modules(spec, cleared: Collection[tuple[int, int]] = ()) -> Path:
    """The dark modules outside the eyes and ``cleared``, drawn in the design's pattern."""
    skip = eye_modules(spec) | frozenset(cleared)
    path = Path()
    for y, row in enumerate(spec.modules):
        x = 0
        while x < len(row):
            if row[x] and (x, y) not in skip:
                start = x
                while x < len(row) and row[x] and (x, y) not in skip:
                    x += 1
                path.rect(start, y, x - start, 1)
            else:
                x += 1
    return path


def eyes(spec) -> list[Path]:
    """Each eye as one path (even-odd: the ring's hole is a second outline), in the
    design's eye shape."""
    out = []
    for ex, ey in eye_origins(spec):
        path = Path().rect(ex, ey, 7, 7).rect(ex + 1, ey + 1, 5, 5).rect(ex + 2, ey + 2, 3, 3)
        out.append(path)
    return out


def outline(spec, code) -> list[Fill]:
    """What the design's ``shape`` draws around the code (in pixels)."""
    return []


def linear_gradient(box, rotation: int, colors: tuple[str, str]) -> LinearGradient:
    """A gradient across ``box`` at ``rotation`` degrees clockwise from left-to-right,
    its ends on the box's edges so both colours show whole."""
    angle = math.radians(rotation)
    dx, dy = math.cos(angle), math.sin(angle)
    half = (abs(dx) * box.width + abs(dy) * box.height) / 2
    cx, cy = box.x + box.width / 2, box.y + box.height / 2
    return LinearGradient(cx - dx * half, cy - dy * half, cx + dx * half, cy + dy * half, colors)
