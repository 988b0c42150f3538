"""Cross-field rules a QR Code must keep to scan: logo needs Q/H, colours need contrast;
and the frame's caption must be text its fonts draw."""

import unicodedata
from collections.abc import Collection
from typing import Any

from .errors import InvalidInput, InvalidInputs, listed

#: Lowest WCAG contrast ratio between foreground and background that we accept.
MIN_CONTRAST = 3.0


def rgb(color: str) -> tuple[int, int, int]:
    """The red, green and blue of a ``#rrggbb`` colour, 0 to 255."""
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _luminance(color: str) -> float:
    channels = [channel / 255 for channel in rgb(color)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """Return the WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def design_problems(fields: dict, refused: Collection[str] = ()) -> list[InvalidInput]:
    """Every reason a design would not scan reliably; rules on a field in ``refused``
    (API names the schema refused already) are left out."""
    found = []
    if not {"showLogo", "level"} & set(refused) and fields["show_logo"] and fields["level"] not in ("Q", "H"):
        found.append(InvalidInput(
            "must be Q or H when showLogo is true (the logo hides modules)", "level",
            sentence="With the logo, choose error correction Q or H: the logo covers part of the code."))
    if not {"fgColor", "bgColor"} & set(refused):
        ratio = contrast(fields["fg_color"], fields["bg_color"])
        if ratio < MIN_CONTRAST:
            # Said once, beside the foreground: the colour people usually change.
            found.append(InvalidInput(
                f"too close to scan against bgColor (contrast {ratio:.2f}:1, need {MIN_CONTRAST}:1)", "fgColor",
                sentence=f"These two colours are too alike to scan (contrast {ratio:.1f} to 1, at least "
                         f"{MIN_CONTRAST:g} needed): make the foreground darker or the background lighter."))
    if not {"frameText", "frameTextStyles"} & set(refused):
        problem = frame_text_problem(fields.get("frame_text"), fields.get("frame_text_styles"))
        found += [problem] if problem else []
    return found


def frame_text_problem(text: str | None, styles: Any) -> InvalidInput | None:
    """Why the caption cannot be drawn in its font (None: it can): characters the font
    has no glyph for, or that need shaping the renderer does not do. ``styles``: the
    ``FrameTextStyles`` or None."""
    # Imported here: ``from codeqr import contrast`` loads this module for plugins, without
    # pydantic nor fontTools.
    from .design import fonts
    from .design.values import FrameTextStyles

    styles = styles or FrameTextStyles()
    refused = fonts.face(styles.family, styles.weight, styles.style).undrawable(text or "")
    if not refused:
        return None
    quoted = listed((f"“{fonts.shown(char)}”" for char in refused), ", ", "character")
    named = listed((f"U+{ord(char):04X} {unicodedata.name(char, 'unassigned')}" for char in refused), ", ", "character")
    if styles.family != fonts.WIDEST and not fonts.face(fonts.WIDEST, styles.weight, styles.style).undrawable(text or ""):
        sentence = (f"The frame text cannot be drawn with {quoted} in the {styles.family} font: "
                    f"choose the {fonts.WIDEST} font, which draws it.")
    else:
        sentence = f"The frame text cannot be drawn with {quoted}: the frame fonts draw Latin, Greek and Cyrillic letters."
    return InvalidInput(f"has characters the frame font cannot draw: {named}", "frameText", sentence=sentence)


def check_design(fields: dict) -> None:
    """Refuse a design that would not scan reliably, saying every reason at once."""
    InvalidInputs.raise_any(*design_problems(fields))
