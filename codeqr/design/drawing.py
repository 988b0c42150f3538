"""A drawing: what every format renders, in pixels of the final image (y downwards).

The geometry builds one ``Drawing`` per render spec; the SVG writer, the rasteriser
(PNG, JPEG, WebP), the PDF and the EPS writers each walk its items in order, so every
format shows the same shapes.
"""

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .paths import Path


class Box(NamedTuple):
    """A rectangle in pixels."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class LinearGradient:
    """From ``colors[0]`` at ``(x1, y1)`` to ``colors[1]`` at ``(x2, y2)``."""

    x1: float
    y1: float
    x2: float
    y2: float
    colors: tuple[str, str]


@dataclass(frozen=True)
class RadialGradient:
    """From ``colors[0]`` at the centre to ``colors[1]`` at radius ``r``."""

    cx: float
    cy: float
    r: float
    colors: tuple[str, str]


#: How a shape is painted: a ``#rrggbb`` colour or a gradient.
Paint = str | LinearGradient | RadialGradient


@dataclass
class Fill:
    """A path filled with a paint (non-zero winding unless ``evenodd``)."""

    path: Path
    paint: Paint
    evenodd: bool = False


@dataclass
class Bitmap:
    """A PNG image drawn to fill the box ``(x, y, width, height)`` (stretched if its shape differs)."""

    x: float
    y: float
    width: float
    height: float
    png: bytes = field(repr=False)


@dataclass
class TextLine:
    """One line of a caption: its text and where its baseline starts."""

    text: str
    x: float
    baseline: float


@dataclass
class Caption:
    """Text set in one font (a ``fonts.Face``) at one size and colour. ``outline`` is the
    same text as glyph outlines: what formats without the font draw (SVG, PNG, EPS);
    PDF writes the text itself, with the font embedded."""

    lines: list[TextLine]
    face: Any
    size: float
    color: str
    outline: Path


Item = Fill | Bitmap | Caption


@dataclass
class Drawing:
    """The whole image: ``width`` is the design's ``size``; ``height`` grows with a frame."""

    width: int
    height: int
    items: list[Item] = field(default_factory=list)
