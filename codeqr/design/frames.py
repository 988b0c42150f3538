"""Frames: where the code sits in the image and what is drawn around it (the frame in
frameColor and its caption). Without a frame the code fills the image.

The image's width is the design's ``size``, frame included: the code shrinks inside the
frame, and the image grows in height to hold the caption. Every length below is a share
of that width, but the caption's font size, which is CodeQR's: units of a 1024-unit code.
"""

import math
import unicodedata
from typing import NamedTuple

from ..design_rules import contrast
from . import fonts
from .drawing import Box, Caption, Fill, Item, TextLine
from .paths import Path
from .values import FrameTextStyles

#: ``frameTextStyles.size`` -> the caption's font size in units of a 1024-unit code.
TEXT_SIZES = {"s": 60, "m": 89.1, "l": 120, "xl": 150}
#: The caption never takes more lines: longer text is set smaller, step by step.
MAX_LINES = 4
SHRINK = 0.92
#: What a frame says when frameText is null.
DEFAULT_TEXT = "SCAN ME"
#: Line pitch, and the room above and below the lines and beside them, in em of the
#: caption's own size before any shrinking.
LINE_HEIGHT = 1.25
PAD_Y = 0.45
PAD_X = 0.35

BORDER = 0.04  # frame-1, frame-2: the frame's width around the code
RING = 0.025  # frame-3, frame-5, frame-6: the ring around the code
RADIUS = 0.06  # the frame's outer corners
GAP = 0.035  # frame-5, frame-6: between the ring and the caption's box
TAB = (0.42, 0.8)  # frame-3: the tab's least and greatest width


class Layout(NamedTuple):
    """``height`` of the image (its width is ``size``); ``code``: the square (a
    ``geometry.Box``) the symbol and quiet zone fill; ``behind``: drawn first (backgrounds,
    the frame); ``above``: drawn last (captions)."""

    height: int
    code: Box
    behind: list[Item]
    above: list[Item]


class Text(NamedTuple):
    """A caption set for a box: its lines at font ``size``, and how tall a box holds them."""

    face: fonts.Face
    lines: list[str]
    size: float
    height: float  # the box's height: the lines and the room above and below them
    widest: float  # the longest line's width


def layout(spec) -> Layout:
    """The layout of the design's frame."""
    if spec.design.frame == "none":
        return Layout(spec.size, Box(0, 0, spec.size, spec.size), [_background(spec, spec.size)], [])
    return FRAMES[spec.design.frame](spec)


def caption_text(design) -> str:
    """What the caption says (NFC): frameText, or "SCAN ME" when it is null."""
    return unicodedata.normalize("NFC", DEFAULT_TEXT if design.frame_text is None else design.frame_text)


def text_color(design) -> str:
    """frameTextColor, or black or white, whichever contrasts more with frameColor."""
    if design.frame_text_color is not None:
        return design.frame_text_color
    return max(("#000000", "#ffffff"), key=lambda color: contrast(color, design.frame_color))


def text_size(spec, code_side: float) -> float:
    """The caption's font size (frameTextStyles.size) for a code ``code_side`` pixels wide."""
    styles = spec.design.frame_text_styles or FrameTextStyles()
    return TEXT_SIZES[styles.size] * code_side / 1024


def set_text(spec, first: float, width: float) -> Text:
    """The caption at font size ``first``, wrapped to lines of ``width`` pixels and
    shrunk until it takes at most ``MAX_LINES`` lines."""
    styles = spec.design.frame_text_styles or FrameTextStyles()
    face = fonts.face(styles.family, styles.weight, styles.style)
    words = [word for word in _split(caption_text(spec.design)) if word]
    size = first
    lines = wrap(words, face, size, width)
    while len(lines) > MAX_LINES:
        size *= SHRINK
        lines = wrap(words, face, size, width)
    height = (2 * PAD_Y * first + len(lines) * LINE_HEIGHT * size) if lines else 0.0
    return Text(face, lines, size, height, max((face.width(line, size) for line in lines), default=0.0))


def _split(text: str) -> list[str]:
    """The words of ``text``: white space (a line break too) separates them."""
    return "".join(" " if fonts.breaks_line(char) else char for char in text).split(" ")


def wrap(words: list[str], face: fonts.Face, size: float, width: float) -> list[str]:
    """Lines of at most ``width`` pixels, a word per line at least; a word wider than
    a line is broken between its letters. One pass: each advance is added once."""
    limit, space = width / size, face.advance(" ")  # in em
    lines: list[str] = []
    line, used = "", 0.0
    for word in words:
        length = face.width(word, 1.0)
        if line and used + space + length <= limit:
            line, used = f"{line} {word}", used + space + length
            continue
        if line:
            lines.append(line)
        line, used = "", 0.0
        if length <= limit:
            line, used = word, length
            continue
        for char in word:
            advance = face.advance(char)
            if line and used + advance > limit:
                lines.append(line)
                line, used = "", 0.0
            line, used = line + char, used + advance
    return lines + ([line] if line else [])


def caption(spec, text: Text, box: Box) -> list[Item]:
    """The caption's lines centred in ``box``, each centred on its capitals' middle."""
    if not text.lines:
        return []
    face, size = text.face, text.size
    pitch = LINE_HEIGHT * size
    top = box.y + (box.height - pitch * len(text.lines)) / 2
    lines = [TextLine(line, box.x + (box.width - face.width(line, size)) / 2,
                      top + (index + 0.5) * pitch + face.cap_height * size / 2)
             for index, line in enumerate(text.lines)]
    outline = Path()
    for line in lines:
        outline.extend(face.outline(line.text, size, line.x, line.baseline))
    return [Caption(lines, face, size, text_color(spec.design), outline)]


def _window(spec, path: Path, code: Box) -> Path:
    """Cut the code's square out of ``path`` (even-odd), its corners rounded within the quiet zone."""
    quiet = spec.design.margin * code.width / len(spec.modules)
    radius = min(0.02 * spec.size, quiet / 2)
    return path.rounded_rect(*code, (radius,) * 4)


def _ring(spec, top: float, thickness: float) -> tuple[Box, Fill]:
    """A frame of ``thickness`` around the code, its top at ``top``: the code's box and the ring."""
    size = spec.size
    code = Box(thickness, top + thickness, size - 2 * thickness, size - 2 * thickness)
    outer = Path().rounded_rect(0, top, size, size, (RADIUS * size,) * 4)
    return code, Fill(_window(spec, outer, code), spec.design.frame_color, evenodd=True)


def _height(total: float) -> int:
    return math.ceil(total - 1e-6)


def _bar(spec, below: bool) -> Layout:
    """frame-1 and frame-2: one frame around the code, widened into a bar for the caption
    below the code or above it."""
    size = spec.size
    border = BORDER * size
    side = size - 2 * border
    first = text_size(spec, side)
    text = set_text(spec, first, side - 2 * PAD_X * first)
    height = _height(border + side + max(text.height, border))
    bar = height - border - side  # the rounding goes to the bar
    code = Box(border, border if below else bar, side, side)
    outer = Path().rounded_rect(0, 0, size, height, (RADIUS * size,) * 4)
    frame = Fill(_window(spec, outer, code), spec.design.frame_color, evenodd=True)
    box = Box(border, border + side if below else 0, side, bar)
    return Layout(height, code, [_background(spec, height), frame], caption(spec, text, box))


def _tab(spec) -> Layout:
    """frame-3: a ring around the code and, under it, a tab as wide as the caption."""
    size = spec.size
    ring = RING * size
    code, frame = _ring(spec, 0, ring)
    first = text_size(spec, code.width)
    text = set_text(spec, first, TAB[1] * size - 2 * PAD_X * first)
    height = _height(size + text.height)
    behind: list[Item] = [_background(spec, height), frame]
    if not text.lines:
        return Layout(height, code, behind, [])
    width = min(max(text.widest + 2 * PAD_X * first, TAB[0] * size), TAB[1] * size)
    box = Box((size - width) / 2, size, width, height - size)
    radius = min(RADIUS * size, box.height / 2)
    # The tab starts inside the ring's bottom edge, so the two read as one shape.
    tab = Path().rounded_rect(box.x, size - ring, width, box.height + ring, (0, 0, radius, radius))
    behind.append(Fill(tab, spec.design.frame_color))
    return Layout(height, code, behind, caption(spec, text, box))


def _badge(spec) -> Layout:
    """frame-5: a ring around the code and, under it, a pill holding the caption, with a
    notch pointing up at the code."""
    size = spec.size
    code, frame = _ring(spec, 0, RING * size)
    first = text_size(spec, code.width)
    radius = (2 * PAD_Y + LINE_HEIGHT) * first / 2  # a pill's of one line
    room = 0.6 * radius  # beside the lines: clear of the round ends
    text = set_text(spec, first, size - 2 * room)
    gap = GAP * size
    height = _height(size + gap + text.height) if text.lines else size
    behind: list[Item] = [_background(spec, height), frame]
    if not text.lines:
        return Layout(height, code, behind, [])
    width = min(max(text.widest + 2 * room, 0.5 * size), size)
    box = Box((size - width) / 2, size + gap, width, height - size - gap)
    pill = Path().rounded_rect(*box, (min(radius, box.height / 2),) * 4)
    pill.extend(_pointer(size / 2, box.y, size + gap * 0.25, gap))
    behind.append(Fill(pill, spec.design.frame_color))
    return Layout(height, code, behind, caption(spec, text, box))


def _top_bars(spec) -> Layout:
    """frame-6: the caption in a bar above the code, pointing down at it, over a ring
    around the code."""
    size = spec.size
    side = size - 2 * RING * size  # the code's side, whatever the caption
    first = text_size(spec, side)
    text = set_text(spec, first, side - 2 * PAD_X * first)
    gap = GAP * size if text.lines else 0.0
    height = _height(text.height + gap + size)
    top = height - size
    code, frame = _ring(spec, top, RING * size)
    behind: list[Item] = [_background(spec, height), frame]
    if not text.lines:
        return Layout(height, code, behind, [])
    box = Box(0, 0, size, top - gap)
    bar = Path().rounded_rect(*box, (RADIUS * size,) * 4)
    bar.extend(_pointer(size / 2, box.height, top - gap * 0.25, gap))
    behind.append(Fill(bar, spec.design.frame_color))
    return Layout(height, code, behind, caption(spec, text, Box(code.x, 0, code.width, box.height)))


def _pointer(x: float, base: float, tip: float, gap: float) -> Path:
    """A small triangle from ``base`` (overlapping the shape it leaves) to ``tip``."""
    half = gap * 0.9
    inward = 1 if tip < base else -1
    return Path().move(x - half, base + inward).line(x, tip).line(x + half, base + inward).close()


def _background(spec, height: float) -> Fill:
    return Fill(Path().rect(0, 0, spec.size, height), spec.design.bg_color)


FRAMES = {
    "frame-1": lambda spec: _bar(spec, below=True),
    "frame-2": lambda spec: _bar(spec, below=False),
    "frame-3": _tab,
    "frame-5": _badge,
    "frame-6": _top_bars,
}
