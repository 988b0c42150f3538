"""Countries by name, with their flag: the names come from the world map the analytics
pages draw (``static/world-map.svg``, one path per country, its id the ISO code)."""

import re
from functools import cache
from pathlib import Path

_MAP = Path(__file__).resolve().parent.parent / "static" / "world-map.svg"
_PATH = re.compile(r'<path id="([a-z]{2})" data-name="([^"]+)"')


@cache
def names() -> dict[str, str]:
    """Country names by their ISO 3166-1 alpha-2 code, in capitals."""
    return {code.upper(): name for code, name in _PATH.findall(_MAP.read_text(encoding="utf-8"))}


def flag(code: str) -> str:
    """The flag emoji of a two-letter code: its letters as regional indicator symbols."""
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in code.upper())


def name(code: str) -> str:
    """A country's name, or its code where the map does not know it."""
    return names().get(code.upper(), code)
