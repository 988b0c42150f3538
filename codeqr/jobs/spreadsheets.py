"""CSV that spreadsheets open safely: no cell is run as a formula (OWASP's rule), whichever
separator the spreadsheet splits on.

Every cell is quoted, and a ``'`` goes before a character that starts a formula (= + - @ tab
CR) wherever a cell could begin: at the start of the text, and after a separator a
spreadsheet may split on (``,`` ``;`` tab, a line break), spaces and quotes skipped. So
``https://a.test/;=1+1;`` is written ``"https://a.test/;'=1+1;"``: split on ``;`` (German and
French Excel) it gives the text ``'=1+1``, not a formula. The ``'`` is added before a run of
``'`` too, so ``cell_value`` can take exactly one away: a file CodeQR wrote imports as it was.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from itertools import chain

#: Where a spreadsheet may start a cell (the text's start, or after a separator, spaces and
#: quotes skipped), followed by ``'``s and a character that starts a formula.
_GUARDED = re.compile(r"((?:^|[,;\t\r\n])[ \"]*)(?='*[=+\-@\t\r])")
_GUARD = re.compile(r"((?:^|[,;\t\r\n])[ \"]*)'(?='*[=+\-@\t\r])")


def safe_cell(value) -> str:
    """Return ``value`` as text, with a ``'`` wherever a spreadsheet would start a formula."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _GUARDED.sub(r"\1'", "" if value is None else str(value))


def cell_value(text: str) -> str:
    """The value ``safe_cell`` wrote ``text`` for: a file CodeQR wrote imports as it was."""
    return _GUARD.sub(r"\1", text)


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """Yield a CSV file line by line (for streaming), every cell quoted and made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    for row in chain([header], rows):
        writer.writerow([safe_cell(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
