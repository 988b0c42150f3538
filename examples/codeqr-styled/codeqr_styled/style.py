"""The style settings and the geometry both renderers share."""

import re
from dataclasses import dataclass

from codeqr import PluginError, Renderer, contrast

MODULE_SHAPES = ("square", "rounded", "dots")
EYE_SHAPES = ("square", "rounded", "circle")

#: Dot diameter as a fraction of a module: a visible gap, yet the centre a decoder samples stays dark.
DOT_SCALE = 0.9
#: Rounded eye corner radii in modules. Frame (7 modules), hole (5) and ball (3) are scaled
#: copies of one shape, so any line through the centre crosses them 1:1:3:1:1 as it does a
#: square eye; decoders check that ratio on diagonals too. A frame radius of 2 modules
#: failed 3 to 6% of decodes without a quiet zone (margin 0); 1 module failed none.
EYE_RADII = (1.0, 5 / 7, 3 / 7)
#: Under this many pixels per module a curve is a pixel or two of noise that stops
#: decoders; such small codes are drawn square in both formats, like the built-ins.
MIN_PITCH = 4
#: The core's own contrast floor for fgColor against bgColor (WCAG ratio).
MIN_CONTRAST = 3.0

_COLOR = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


@dataclass(frozen=True)
class Style:
    """What the ``CODEQR_STYLED_*`` settings ask for, checked once when the app is built."""

    modules: str
    eyes: str
    eye_color: str | None  # None: the QR Code's fgColor

    @classmethod
    def from_config(cls, config) -> "Style":
        modules = _choice(config, "CODEQR_STYLED_MODULES", MODULE_SHAPES)
        eyes = _choice(config, "CODEQR_STYLED_EYES", EYE_SHAPES)
        color = config.get("CODEQR_STYLED_EYE_COLOR") or None  # an empty environment variable means "unset"
        if color is not None:
            if not isinstance(color, str) or not _COLOR.fullmatch(color):
                raise PluginError(f"CODEQR_STYLED_EYE_COLOR={color!r}: expected #rgb or #rrggbb, or None")
            color = color.lower()
            if len(color) == 4:
                color = "#" + "".join(c * 2 for c in color[1:])
        return cls(modules, eyes, color)

    @property
    def tag(self) -> str:
        """A string naming the look; the renderers put it in their ``version`` (so in the ETag)."""
        return f"modules={self.modules},eyes={self.eyes},eye={self.eye_color or 'fg'}"

    def shapes_for(self, spec) -> tuple[str, str]:
        """Return the module and eye shapes to draw ``spec`` with: square when it is tiny."""
        if spec.size / len(spec.modules) < MIN_PITCH:
            return "square", "square"
        return self.modules, self.eyes

    def eye_color_for(self, spec) -> str:
        """Return the eye colour to draw, or fgColor when the setting would not scan on this background.

        The eyes must contrast with the background and sit on the same side of it as the
        other modules (both darker or both lighter), or a decoder cannot find them.
        """
        color = self.eye_color
        if color is None:
            return spec.fg_color
        bg = _luminance(spec.bg_color)
        same_side = (_luminance(color) < bg) == (_luminance(spec.fg_color) < bg)
        return color if same_side and contrast(color, spec.bg_color) >= MIN_CONTRAST else spec.fg_color


def _choice(config, setting: str, allowed: tuple[str, ...]) -> str:
    value = config.get(setting)
    if value not in allowed:
        raise PluginError(f"{setting}={value!r}: expected one of {', '.join(allowed)}")
    return value


def _luminance(color: str) -> float:
    """WCAG relative luminance, to tell which side of the background a colour is on."""
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


class StyledRenderer(Renderer):
    """What both styled renderers share: the style read from the config, and a
    version that includes it (the image hash does, so another style is another ETag)."""

    version = "1"

    def __init__(self, config):
        super().__init__(config)
        self.style = Style.from_config(config)
        self.version = f"{type(self).version};{self.style.tag}"


def rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def eye_origins(spec) -> list[tuple[int, int]]:
    """Return the top-left ``(x, y)`` module of each 7x7 finder pattern (the "eyes")."""
    count, margin = len(spec.modules), spec.margin
    far = count - margin - 7
    return [(margin, margin), (far, margin), (margin, far)]


def data_modules(spec):
    """Yield ``(x, y, corners)`` for each dark module outside the eyes.

    ``corners`` is a 4-bit mask of the convex corners (top-left 1, top-right 2,
    bottom-right 4, bottom-left 8): those whose two neighbours are both light. The
    rounded shape rounds only these, so touching modules stay joined.
    """
    modules = spec.modules
    count = len(modules)
    eyes = {(ex + dx, ey + dy) for ex, ey in eye_origins(spec) for dx in range(7) for dy in range(7)}

    def dark(x, y):
        return 0 <= x < count and 0 <= y < count and modules[y][x]

    for y, row in enumerate(modules):
        for x, is_dark in enumerate(row):
            if not is_dark or (x, y) in eyes:
                continue
            left, right, up, down = not dark(x - 1, y), not dark(x + 1, y), not dark(x, y - 1), not dark(x, y + 1)
            corners = (left and up) | (right and up) << 1 | (right and down) << 2 | (left and down) << 3
            yield x, y, corners
