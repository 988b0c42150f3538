"""Module patterns, finder eyes and the outline around the code, in module units
(one module = 1; the quiet zone included), as ``Path`` outlines.

Every module shape is drawn clockwise into one path filled with the non-zero rule, so
shapes that touch or overlap join instead of punching holes. Each eye is one path
filled even-odd: ring, hole and ball.
"""

import math
import random
from collections.abc import Collection, Iterable

from .drawing import Box, Fill, LinearGradient, Paint
from .paths import KAPPA, Path

#: Dot diameter in modules: a visible gap between dots, yet the centre a decoder samples
#: stays dark.
DOT_SCALE = 0.9
#: Under this many pixels per module an anti-aliased curve is a pixel or two of grey that
#: stops decoders: such small codes are drawn with square modules and eyes (``geometry``).
#: Measured with zxing-cpp on random codes in curved patterns and eyes: 1.6 to 2.5 px failed
#: 7 of 200 (squares: none), 2 to 2.5 px 2 of 300, 2.5 to 4 px none of 500.
MIN_PITCH = 3.0
#: Light modules kept between the symbol and an outline (the ring, the border, the
#: decorative modules), whatever the margin: with less, decoders read them as the code's.
MIN_GAP = 2
#: The width of the outline's line, in modules.
BORDER = 1.0
#: The outer radius, in modules of the 7-module ring, of a rounded eye and of a leaf's
#: round corners. The hole and the ball are copies of the ring scaled about its centre
#: (5/7 and 3/7), so every line through the centre crosses ring, hole and ball 1:1:3:1:1,
#: the ratio decoders check, diagonals included. Larger radii fail at margin 0 or 1
#: (zxing-cpp, 236 to 400 px, 300 random codes each): rounded 2 failed 7, 1.5 none of
#: 900; leaf 3 failed 49, 2.5 failed 11, 2 none of 900.
EYE_ROUND = 1.5
LEAF_ROUND = 2.0

# The corners of a module, as bits.
TL, TR, BR, BL = 1, 2, 4, 8

#: Per pattern: which convex corners (both neighbours light) are rounded, and whether a
#: module with one rounded corner only (an L bend) rounds it over the whole module.
#: A module with no dark neighbour becomes a circle (rounded) or a leaf (classy).
ROUNDING: dict[str, tuple[int, bool]] = {
    "default": (0, False),
    "rounded": (TL | TR | BR | BL, False),
    "extra-rounded": (TL | TR | BR | BL, True),
    "classy": (TL | BR, False),
    "classy-rounded": (TL | BR, True),
}


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
    dark = {(x, y) for y, row in enumerate(spec.modules) for x, on in enumerate(row) if on and (x, y) not in skip}
    return cells(dark, spec.design.pattern)


def cells(dark: Collection[tuple[int, int]], pattern: str) -> Path:
    """The modules ``dark`` (``(x, y)``, any integers) in ``pattern``; a module left out
    counts as light for its neighbours."""
    path = Path()
    if pattern == "dots":
        for x, y in sorted(dark, key=lambda cell: (cell[1], cell[0])):
            path.ellipse(x + 0.5, y + 0.5, DOT_SCALE / 2, DOT_SCALE / 2)
        return path
    rounded, whole = ROUNDING[pattern]
    # Horizontal neighbours never round the edge they share, so each horizontal run is one
    # shape: its first module gives the left corners, its last the right ones.
    for y, start, end in _runs(dark):
        first, last = _radii(dark, start, y, rounded, whole), _radii(dark, end, y, rounded, whole)
        _box(path, start, y, end + 1 - start, (first[0], last[1], last[2], first[3]))
    return path


def _runs(dark: Collection[tuple[int, int]]) -> Iterable[tuple[int, int, int]]:
    """``(y, first x, last x)`` of each horizontal run of ``dark`` modules."""
    run: list[int] | None = None
    for x, y in sorted(dark, key=lambda cell: (cell[1], cell[0])):
        if run and run[0] == y and run[2] == x - 1:
            run[2] = x
            continue
        if run:
            yield run[0], run[1], run[2]
        run = [y, x, x]
    if run:
        yield run[0], run[1], run[2]


def _radii(dark: Collection[tuple[int, int]], x: int, y: int, rounded: int, whole: bool) -> tuple[float, ...]:
    """The corner radii (top-left, top-right, bottom-right, bottom-left) of module ``(x, y)``."""
    left, right, up, down = ((x + dx, y + dy) not in dark for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)))
    corners = rounded & ((left and up) * TL | (right and up) * TR | (right and down) * BR | (left and down) * BL)
    radius = 1.0 if whole and corners in (TL, TR, BR, BL) else 0.5
    return tuple(radius if corners & bit else 0.0 for bit in (TL, TR, BR, BL))


def _box(path: Path, x: float, y: float, w: float, radii: tuple[float, ...]) -> None:
    """A box ``w`` wide and one module high, clockwise, with quarter-circle corners of
    ``radii`` (top-left, top-right, bottom-right, bottom-left); a radius of 1 (only where
    both its neighbouring corners are square) turns the module into a quarter disc."""
    tl, tr, br, bl = radii
    k = 1 - KAPPA
    path.move(x + tl, y).line(x + w - tr, y)
    if tr:
        path.curve(x + w - tr * k, y, x + w, y + tr * k, x + w, y + tr)
    path.line(x + w, y + 1 - br)
    if br:
        path.curve(x + w, y + 1 - br * k, x + w - br * k, y + 1, x + w - br, y + 1)
    path.line(x + bl, y + 1)
    if bl:
        path.curve(x + bl * k, y + 1, x, y + 1 - bl * k, x, y + 1 - bl)
    path.line(x, y + tl)
    if tl:
        path.curve(x, y + tl * k, x + tl * k, y, x + tl, y)
    path.close()


# -- the eyes ----------------------------------------------------------------------


def eyes(spec) -> list[Path]:
    """Each eye as one path (even-odd: the ring's hole is a second outline), in the
    design's eye shape: the 7×7 ring, its 5×5 hole and the 3×3 ball alike."""
    shape = spec.design.eye_shape
    out = []
    for index, (ex, ey) in enumerate(eye_origins(spec)):
        path = Path()
        for inset in (0, 1, 2):
            _eye_part(path, shape, ex + inset, ey + inset, 7 - 2 * inset, mirrored=index == 0)
        out.append(path)
    return out


def _eye_part(path: Path, shape: str, x: float, y: float, side: float, mirrored: bool) -> None:
    """One square of an eye, ``side`` modules wide. A leaf has two opposite corners round
    and points along the other diagonal: at the centre of the code from each eye (the
    top-left eye, ``mirrored``, points the other way than the two others)."""
    scale = side / 7
    if shape == "circle":
        path.ellipse(x + side / 2, y + side / 2, side / 2, side / 2)
    elif shape == "rounded":
        path.rounded_rect(x, y, side, side, (EYE_ROUND * scale,) * 4)
    elif shape == "leaf":
        r = LEAF_ROUND * scale
        path.rounded_rect(x, y, side, side, (0, r, 0, r) if mirrored else (r, 0, r, 0))
    else:
        path.rect(x, y, side, side)


# -- the outline around the code -----------------------------------------------------


def _gap(spec) -> int:
    """Light modules added outside the quiet zone so the outline keeps ``MIN_GAP`` away."""
    return max(0, MIN_GAP - spec.margin)


def _across(spec) -> float:
    """How many modules wide the outline's box is: the code (symbol and quiet zone), the
    gap, and the line. A circle holds the code's clear square by its corners."""
    clear = len(spec.modules) + 2 * _gap(spec)
    shape = spec.design.shape
    if shape == "square":
        return clear + 2 * BORDER
    if shape == "circle":
        return clear * math.sqrt(2) + 2 * BORDER
    return len(spec.modules)


def code_box(spec, box: Box) -> Box:
    """Where the code (symbol and quiet zone) goes in ``box``, the square the layout gives
    it: all of it without an outline; shrunk, centred, to leave the outline its room."""
    pitch = box.width / _across(spec)
    side = len(spec.modules) * pitch
    return Box(box.x + (box.width - side) / 2, box.y + (box.height - side) / 2, side, side)


def outline(spec, code: Box, paint: Paint | None = None) -> list[Fill]:
    """What the design's ``shape`` draws around the code in ``code`` (the layout's square;
    the code itself shrinks to ``code_box``), in pixels, painted ``paint`` (the modules'
    paint; default fgColor). ``square``: a line along the box's edges. ``circle``: a ring
    touching them, and between it and the quiet zone decorative modules in the pattern
    (random, but the same for the same text)."""
    shape = spec.design.shape
    paint = paint or spec.fg_color
    if shape == "none":
        return []
    pitch = code.width / _across(spec)
    line = BORDER * pitch
    if shape == "square":
        ring = Path().rect(*code).rect(code.x + line, code.y + line, code.width - 2 * line, code.height - 2 * line)
        return [Fill(ring, paint, evenodd=True)]
    radius = code.width / 2
    cx, cy = code.x + radius, code.y + code.height / 2
    ring = Path().ellipse(cx, cy, radius, radius).ellipse(cx, cy, radius - line, radius - line)
    inner = code_box(spec, code)
    decoration = cells(_decoration(spec, radius / pitch - BORDER), spec.design.pattern)
    return [Fill(ring, paint, evenodd=True), Fill(decoration.transformed(pitch, inner.x, inner.y), paint)]


def _decoration(spec, inside: float) -> set[tuple[int, int]]:
    """Random dark modules (in the code's grid) between its clear square and a circle of
    radius ``inside`` modules about its centre, half a module off the circle."""
    count, gap = len(spec.modules), _gap(spec)
    centre, reach = count / 2, inside - 0.5
    chance = random.Random(spec.text)  # the same decoration for the same text, run after run
    span = range(math.floor(centre - reach), math.ceil(centre + reach))
    out = set()
    for y in span:
        for x in span:
            in_clear = -gap - 1 < x < count + gap and -gap - 1 < y < count + gap
            far = max(abs(x - centre), abs(x + 1 - centre)) ** 2 + max(abs(y - centre), abs(y + 1 - centre)) ** 2
            if not in_clear and far <= reach ** 2 and chance.random() < 0.5:
                out.add((x, y))
    return out


def linear_gradient(box, rotation: int, colors: tuple[str, str]) -> LinearGradient:
    """A gradient across ``box`` at ``rotation`` degrees clockwise from left-to-right,
    its ends on the box's edges so both colours show whole."""
    angle = math.radians(rotation)
    dx, dy = math.cos(angle), math.sin(angle)
    half = (abs(dx) * box.width + abs(dy) * box.height) / 2
    cx, cy = box.x + box.width / 2, box.y + box.height / 2
    return LinearGradient(cx - dx * half, cy - dy * half, cx + dx * half, cy + dy * half, colors)
