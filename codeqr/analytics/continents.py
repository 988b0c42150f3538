"""The continent of a scan's country, worked out in SQL: by the enrichment, which
stores it with the event, and by reads of the scans still waiting (``stored``), so
both say what ``scans.visit.continent_of`` says."""

from collections import defaultdict
from itertools import product
from string import ascii_uppercase

from sqlalchemy import ColumnElement, String, case, literal_column, null

from ..scans.visit import continent_of


def _countries_by_continent() -> dict[str, list[str]]:
    """Every two-letter code ``continent_of`` gives a continent, by continent."""
    found = defaultdict(list)
    for letters in product(ascii_uppercase, repeat=2):
        country = "".join(letters)
        if name := continent_of(country):
            found[name].append(country)
    return dict(found)


_COUNTRIES_BY_CONTINENT = _countries_by_continent()


def continent(country: ColumnElement) -> ColumnElement:
    """The continent code of the ``country`` column (null when unknown). The countries
    are written into the statement, seven lists of constants: no parameter, no table,
    and each database finds a value in such a list by a hash or a search."""

    def quoted(text: str) -> ColumnElement:
        return literal_column(f"'{text}'", String)  # two capital letters: nothing to escape

    return case(*((country.in_([quoted(code) for code in codes]), quoted(name))
                  for name, codes in _COUNTRIES_BY_CONTINENT.items()), else_=null())
