"""The reader's time zone, where days and hours of the analytics begin: the page's script
remembers the browser's zone in a cookie on the first page it runs on, so no page is
loaded twice to learn it (and a flashed message is not lost to a reload)."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import request

COOKIE = "codeqr_timezone"
#: Longer than any IANA name (the analytics API takes at most 64 characters).
_LONGEST = 64


def reader_zone() -> str:
    """The time zone the reader's browser named (the cookie is the browser's to write:
    anything may come), or UTC."""
    return known_zone(request.cookies.get(COOKIE))


def known_zone(name: str | None) -> str:
    """``name`` if it names a time zone the server knows, else UTC."""
    if not name or len(name) > _LONGEST or not name.isprintable():
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return "UTC"
    return name
