"""Styled PNG: shapes drawn at the final size on a three-colour palette image.

No antialiasing and no resize: every pixel is exactly bgColor, fgColor or the eye
colour, and the output is exactly ``spec.size`` square.
"""

import io
import math
from functools import lru_cache

from PIL import Image

from .style import DOT_SCALE, EYE_RADII, Style, StyledRenderer, data_modules, eye_origins, rgb

BG, FG, EYE = 0, 1, 2  # palette indices


def edges(count: int, size: int) -> list[int]:
    """Return the pixel where each module starts (and the end): cells differ by one pixel at most."""
    return [(2 * i * size + count) // (2 * count) for i in range(count + 1)]


def disc_mask(width: int, height: int, radius: float, cx: float | None = None, cy: float | None = None) -> Image.Image:
    """Return an ``L`` mask of a disc centred at ``(cx, cy)`` (default: the box centre).

    A pixel is in when its centre is. Computed row by row from the circle's equation
    (one span per row): exact and symmetric, which Pillow's ``ellipse`` is not at
    small odd sizes.
    """
    cx = width / 2 if cx is None else cx
    cy = height / 2 if cy is None else cy
    rows = []
    for py in range(height):
        dy = py + 0.5 - cy
        if dy * dy > radius * radius:
            rows.append(bytes(width))
            continue
        half = math.sqrt(radius * radius - dy * dy)
        start = max(0, math.ceil(cx - half - 0.5))
        end = min(width, math.floor(cx + half - 0.5) + 1)
        rows.append(bytes(start) + b"\xff" * max(0, end - start) + bytes(width - max(start, end)))
    return Image.frombytes("L", (width, height), b"".join(rows))


def rounded_mask(width: int, height: int, diameter: int, corners: int = 15) -> Image.Image:
    """Return an ``L`` mask of a rectangle whose ``corners`` (tl 1, tr 2, br 4, bl 8) are
    quarters of a disc of ``diameter`` pixels.

    Not Pillow's ``rounded_rectangle``: it refuses some boxes whose radius is near
    half their side, which is exactly an isolated rounded module.
    """
    diameter = max(1, min(diameter, width, height))
    quarter = (diameter + 1) // 2
    far = diameter - quarter
    disc = disc_mask(diameter, diameter, diameter / 2)
    mask = Image.new("L", (width, height), 255)
    places = ((1, 0, 0, 0, 0), (2, far, 0, width - quarter, 0),
              (4, far, far, width - quarter, height - quarter), (8, 0, far, 0, height - quarter))
    for bit, sx, sy, dx, dy in places:
        if corners & bit:
            mask.paste(disc.crop((sx, sy, sx + quarter, sy + quarter)), (dx, dy))
    return mask


# Only module-sized masks are cached: a size needs few of them, pasted hundreds of times,
# and they stay small (about 130 px square at 4096 px). Eye masks are drawn per render.
@lru_cache(maxsize=512)
def _module_mask(shape: str, corners: int, width: int, height: int) -> Image.Image | None:
    """Return the ``L`` mask of one module cell, or None for a full cell.

    Cells come in at most four sizes and 16 corner sets, so masks are drawn once
    and pasted many times: far cheaper than drawing each module.
    """
    if shape == "square" or not corners:
        return None
    return rounded_mask(width, height, min(width, height), corners)


_dot_mask = lru_cache(maxsize=512)(disc_mask)


def _paste_disc(image: Image.Image, fill: int, cx: float, cy: float, radius: float, masks=disc_mask) -> None:
    """Paste a disc centred at an exact (fractional) point of the module grid.

    Decoders sample modules at their true centres: dots snapped to whole-pixel cells
    failed about 1 decode in 400 at 4 to 9 pixels per module. The centre is kept to
    1/8 pixel, so the dots of one size need at most 64 masks (``masks=_dot_mask``).
    """
    left, top = math.floor(cx - radius), math.floor(cy - radius)
    side = math.ceil(2 * radius) + 2
    fx, fy = round((cx - left) * 8) / 8, round((cy - top) * 8) / 8
    image.paste(fill, (left, top, left + side, top + side), masks(side, side, radius, fx, fy))


def _draw_eye(image: Image.Image, shape: str, x: int, y: int, cuts: list[int], pitch: float) -> None:
    """Draw one 7x7 eye at module ``(x, y)``: frame, the hole in it, then the 3x3 ball."""
    for inset, fill, radius in zip((0, 1, 2), (EYE, BG, EYE), EYE_RADII):
        box = (cuts[x + inset], cuts[y + inset], cuts[x + 7 - inset], cuts[y + 7 - inset])
        if shape == "square":
            image.paste(fill, box)
        elif shape == "rounded":
            width, height = box[2] - box[0], box[3] - box[1]
            image.paste(fill, box, rounded_mask(width, height, round(2 * radius * pitch)))
        else:
            _paste_disc(image, fill, (x + 3.5) * pitch, (y + 3.5) * pitch, (3.5 - inset) * pitch)


def raster(spec, style: Style) -> Image.Image:
    """Return the styled QR Code as a palette image of exactly ``spec.size`` pixels square."""
    count = len(spec.modules)
    cuts = edges(count, spec.size)
    image = Image.new("P", (spec.size, spec.size), BG)
    image.putpalette(rgb(spec.bg_color) + rgb(spec.fg_color) + rgb(style.eye_color_for(spec)))
    modules, eyes = style.shapes_for(spec)
    pitch = spec.size / count
    for x, y, corners in data_modules(spec):
        if modules == "dots":
            _paste_disc(image, FG, (x + 0.5) * pitch, (y + 0.5) * pitch, pitch * DOT_SCALE / 2, _dot_mask)
        else:
            box = (cuts[x], cuts[y], cuts[x + 1], cuts[y + 1])
            image.paste(FG, box, _module_mask(modules, corners, box[2] - box[0], box[3] - box[1]))
    for x, y in eye_origins(spec):
        _draw_eye(image, eyes, x, y, cuts, pitch)
    return image


class StyledPngRenderer(StyledRenderer):
    name = "styled-png"
    media_type = "image/png"

    def render(self, spec) -> bytes:
        image = raster(spec, self.style)
        if spec.overlay is not None:
            image = image.convert("RGB")
            spec.overlay.paint_raster(image, spec)
        out = io.BytesIO()
        image.save(out, format="PNG", compress_level=1 if spec.size > 1024 else 6)
        return out.getvalue()
