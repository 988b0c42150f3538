"""Content lines of the directory formats vCard 3.0 (RFC 2425/2426) and iCalendar (RFC 5545):
TEXT values escaped, lines folded at 75 octets, CRLF line ends. Both formats share these
rules word for word, so they are written once here."""

from collections.abc import Iterable

#: The longest a line may be, in octets of UTF-8, line break excluded (RFC 5545 3.1).
LINE_OCTETS = 75
CRLF = "\r\n"


def one_kind_of_line_break(value: str) -> str:
    """CRLF, CR and LF are all line breaks to people: make each one LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def escape_text(value: str) -> str:
    r"""A TEXT value: backslash, comma and semicolon escaped by a backslash, each line break
    written as ``\n`` (the escape order matters: the backslash first)."""
    value = one_kind_of_line_break(value)
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line: no physical line longer than 75 octets, each continuation starting
    with a space (which counts in its 75), and never inside a UTF-8 sequence: a whole
    character goes to the next line when it does not fit."""
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for char in line:
        size = len(char.encode())
        if used + size > LINE_OCTETS:
            parts.append("".join(current))
            current, used = [" "], 1
        current.append(char)
        used += size
    parts.append("".join(current))
    return CRLF.join(parts)


def content(lines: Iterable[str]) -> str:
    """The object's text: each content line folded, each ended by CRLF (the last one too)."""
    return "".join(fold(line) + CRLF for line in lines)
