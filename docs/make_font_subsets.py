"""Make the frame fonts shipped in codeqr/design/fonts/: DejaVu fonts cut down to the
letters captions are drawn with (Latin, Greek, Cyrillic, common punctuation and symbols).

Run from the repository's root, with the DejaVu fonts installed (Debian:
fonts-dejavu-core and fonts-dejavu-extra)::

    .venv/bin/python docs/make_font_subsets.py [/usr/share/fonts/truetype/dejavu]

Each font keeps the characters of those blocks it has (DejaVu Sans Mono has fewer:
no Vietnamese, for one). Hinting, kerning and shaping tables are dropped:
captions are drawn as outlines at their size, each glyph at its advance.
"""

import sys
import unicodedata
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

from codeqr.design.fonts import FAMILY_FILES, FONT_DIR, file_stem

#: The Unicode blocks kept (first, last code point).
BLOCKS = [
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x00FF),  # Latin-1 Supplement
    (0x0100, 0x024F),  # Latin Extended-A and -B
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x052F),  # Cyrillic and its supplement
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese among others)
    (0x2000, 0x206F),  # General Punctuation
    (0x20A0, 0x20CF),  # Currency Symbols
    (0x2100, 0x214F),  # Letterlike Symbols (№, ™, ℃)
    (0x2190, 0x2199),  # arrows
    (0x2212, 0x2212),  # minus
]

#: Characters drawn as they are: letters, digits, punctuation, symbols, spaces. Marks
#: (they need shaping) and invisible formatting characters are refused, not drawn.
DRAWN_CATEGORIES = {"Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po",
                    "Sm", "Sc", "Sk", "So", "Zs"}


def wanted() -> set[int]:
    return {code for first, last in BLOCKS for code in range(first, last + 1)
            if unicodedata.category(chr(code)) in DRAWN_CATEGORIES}


def main(source: Path) -> None:
    stems = [file_stem(family, weight, style) for family in FAMILY_FILES
             for weight in ("normal", "bold") for style in ("normal", "italic")]
    fonts = {stem: TTFont(source / f"{stem}.ttf", recalcTimestamp=False) for stem in stems}
    options = subset.Options()
    options.layout_features = []  # no shaping: GSUB and GPOS go
    options.drop_tables += ["kern", "GDEF", "FFTM", "DSIG"]
    options.hinting = False
    options.name_IDs = ["*"]  # the copyright and licence strings stay in every file
    options.name_languages = ["*"]
    options.glyph_names = False
    options.notdef_outline = True
    for stem, font in fonts.items():
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=wanted() & set(font.getBestCmap()))
        subsetter.subset(font)
        font.save(FONT_DIR / f"{stem}.ttf")
    print(f"{len(fonts)} fonts, {sum((FONT_DIR / f'{stem}.ttf').stat().st_size for stem in stems) / 1e6:.2f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/truetype/dejavu"))
