"""The frame fonts: DejaVu faces shipped in ``fonts/`` (cut down to Latin, Greek,
Cyrillic and common symbols by docs/make_font_subsets.py), read with fontTools for the
advances captions are laid out with and the outlines they are drawn with.

Glyphs are set one after another at their advance: no kerning and no shaping, so text
that needs shaping (right-to-left scripts, combining marks) is refused, not drawn wrong.
"""

import threading
import unicodedata
from functools import cache
from pathlib import Path as FilePath

from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont

from .paths import Path

FONT_DIR = FilePath(__file__).with_name("fonts")

#: ``frameTextStyles.family`` -> the DejaVu family's file name.
FAMILY_FILES = {
    "sans": "DejaVuSans",
    "sans-condensed": "DejaVuSansCondensed",
    "serif": "DejaVuSerif",
    "serif-elegant": "DejaVuSerifCondensed",
    "mono": "DejaVuSansMono",
}
#: The family whose fonts have the most characters: named when another lacks one.
WIDEST = "sans"

#: Unicode bidirectional classes of right-to-left letters: drawn left to right they
#: would read backwards, so they are refused.
RIGHT_TO_LEFT = {"R", "AL"}


def file_stem(family: str, weight: str, style: str) -> str:
    """``DejaVuSerif-BoldItalic``: the file of a face (DejaVu slants Sans and Mono
    "Oblique", Serif "Italic")."""
    stem = FAMILY_FILES[family]
    slant = "Italic" if "Serif" in stem else "Oblique"
    suffix = ("Bold" if weight == "bold" else "") + (slant if style == "italic" else "")
    return f"{stem}-{suffix}" if suffix else stem


def breaks_line(char: str) -> bool:
    """Whether ``char`` separates words: any white space but the no-break spaces."""
    return char.isspace() and char not in "\u00a0\u2007\u202f"


def shown(char: str) -> str:
    """How a character is written in a message: a mark on a dotted circle, an invisible
    one by its code point."""
    category = unicodedata.category(char)
    if category.startswith("M") and not unicodedata.name(char, "").startswith("VARIATION SELECTOR"):
        return "\u25cc" + char
    if category[0] in "CZM":
        return f"U+{ord(char):04X}"
    return char


class _PathPen(BasePen):
    """Collects a glyph's outline as a ``Path`` in font units, y upwards. Quadratic
    curves become cubic ones (BasePen's default), so every format draws them alike."""

    def __init__(self, glyph_set):
        super().__init__(glyph_set)
        self.path = Path()

    def _moveTo(self, pt):
        self.path.move(*pt)

    def _lineTo(self, pt):
        self.path.line(*pt)

    def _curveToOne(self, pt1, pt2, pt3):
        self.path.curve(*pt1, *pt2, *pt3)

    def _closePath(self):
        self.path.close()

    def _endPath(self):
        self.path.close()


class Face:
    """One font: a family at a weight and style, read from the shipped file (or ``path``)."""

    def __init__(self, family: str, weight: str = "normal", style: str = "normal", path: FilePath | None = None):
        self.family, self.weight, self.style = family, weight, style
        #: the font file (PDF embeds it)
        self.path = path or FONT_DIR / f"{file_stem(family, weight, style)}.ttf"
        font = TTFont(self.path)
        self._units = font["head"].unitsPerEm
        self._cmap: dict[int, str] = font.getBestCmap()
        self._advances = {name: width for name, (width, _) in font["hmtx"].metrics.items()}
        self._glyphs = font.getGlyphSet()
        #: the height of a capital letter, in em (captions are centred on it)
        self.cap_height = font["glyf"]["H"].yMax / self._units
        self._outlines: dict[str, Path] = {}
        self._lock = threading.Lock()  # fontTools reads glyphs lazily: one reader at a time

    def __repr__(self) -> str:
        return f"Face({self.family!r}, {self.weight!r}, {self.style!r})"

    def undrawable(self, text: str) -> list[str]:
        """The characters of ``text`` (after NFC) this face cannot draw, each once:
        those it has no glyph for, combining marks, invisible formatting characters and
        right-to-left letters."""
        found: list[str] = []
        for char in unicodedata.normalize("NFC", text):
            if char in found or breaks_line(char):
                continue
            category = unicodedata.category(char)
            if (ord(char) not in self._cmap or category.startswith("M") or category[0] == "C"
                    or unicodedata.bidirectional(char) in RIGHT_TO_LEFT):
                found.append(char)
        return found

    def advance(self, char: str) -> float:
        """How far ``char`` moves the pen, in em (nothing for a character without a glyph)."""
        name = self._cmap.get(ord(char))
        return self._advances[name] / self._units if name else 0.0

    def width(self, text: str, size: float) -> float:
        """The width of ``text`` set at ``size`` pixels per em."""
        return sum(self.advance(char) for char in text) * size

    def outline(self, text: str, size: float, x: float, baseline: float) -> Path:
        """``text`` as glyph outlines at ``size`` pixels per em, its baseline starting
        at ``(x, baseline)`` (y downwards, as in the drawing)."""
        scale = size / self._units
        out = Path()
        for char in text:
            name = self._cmap.get(ord(char))
            if name is None:
                continue
            for op in self._glyph(name).ops:
                coords = op[1:]
                out.ops.append((op[0], *(x + c * scale if i % 2 == 0 else baseline - c * scale
                                         for i, c in enumerate(coords))))
            x += self._advances[name] * scale
        return out

    def _glyph(self, name: str) -> Path:
        with self._lock:
            if name not in self._outlines:
                pen = _PathPen(self._glyphs)
                self._glyphs[name].draw(pen)
                self._outlines[name] = pen.path
            return self._outlines[name]


@cache
def face(family: str = "sans", weight: str = "normal", style: str = "normal") -> Face:
    """The face of ``frameTextStyles`` values, loaded once."""
    return Face(family, weight, style)
