"""CSV that spreadsheets open safely: no cell is run as a formula (OWASP's rule)."""

import csv
import io
from collections.abc import Iterable, Iterator
from itertools import chain

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Return ``value`` as text, with a leading ``'`` when a spreadsheet would run it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def cell_value(text: str) -> str:
    """The value ``safe_cell`` wrote ``text`` for: a file CodeQR wrote imports as it was."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS) else text


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """Yield a CSV file line by line (for streaming), every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in chain([header], rows):
        writer.writerow([safe_cell(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()

