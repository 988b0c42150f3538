"""SQL expressions the list's filters and sorts compare, each with an index of its own
(``models.QRCode``) on SQLite and PostgreSQL: a link option's value or kind (read from the
JSON ``link`` column, so no second copy of it has to be kept in step), the presence of
comments, and the first characters of long text.

An index only serves a query whose expression is written as the index's is: these are the
one spelling of each, used by the models' indexes and by ``filters`` alike (migration 0014
writes the same SQL out).
"""

import re
from typing import Any

from sqlalchemy import ColumnElement, String, func, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

#: How many characters of a title or url the sort index holds: longer values could pass
#: PostgreSQL's limit of a B-tree entry (about 2,700 bytes); ties are then ordered by the whole value.
SORT_PREFIX = 200

_KEY = re.compile(r"^[A-Za-z_]+$")


def _literal(key: str):
    # Keys are the code's own constants, never input: written into the SQL, as an index needs.
    assert _KEY.match(key), key
    return literal_column(f"'{key}'")


class LinkValue(FunctionElement):
    """The text of link option ``key`` (``expiresAt``, ``utm_source`` …), null when not set.
    Compared byte by byte (PostgreSQL's "C" collation): the stored expiry, UTC ISO 8601 text,
    sorts as the instants do."""

    type = String()
    name = "link_value"
    inherit_cache = True


class LinkKind(FunctionElement):
    """The JSON type of link option ``key`` (``object``, ``string`` …), or '' when not set:
    short, whatever the option holds (a ``geo`` of 250 URLs)."""

    type = String()
    name = "link_kind"
    inherit_cache = True


def link_value(link: Any, key: str) -> LinkValue:
    return LinkValue(link, _literal(key))


def link_kind(link: Any, key: str) -> LinkKind:
    return LinkKind(link, _literal(key))


def _parts(element, compiler, **kw) -> tuple[str, str]:
    column, key = element.clauses.clauses
    return compiler.process(column, **kw), key.name.strip("'")


@compiles(LinkValue, "sqlite")
def _value_sqlite(element, compiler, **kw):
    column, key = _parts(element, compiler, **kw)
    return f"json_extract({column}, '$.{key}')"


@compiles(LinkValue, "postgresql")
def _value_postgresql(element, compiler, **kw):
    column, key = _parts(element, compiler, **kw)
    return f"(({column} ->> '{key}') COLLATE \"C\")"


@compiles(LinkKind, "sqlite")
def _kind_sqlite(element, compiler, **kw):
    column, key = _parts(element, compiler, **kw)
    return f"coalesce(json_type({column}, '$.{key}'), '')"


@compiles(LinkKind, "postgresql")
def _kind_postgresql(element, compiler, **kw):
    column, key = _parts(element, compiler, **kw)
    return f"coalesce(json_typeof({column} -> '{key}'), '')"


# Written into the SQL, not bound: an index's expression holds no parameters, and the
# query's must read as the index's does.
_ONE: ColumnElement = literal_column("1")
_EMPTY: ColumnElement = literal_column("''")


def first_char(text: Any) -> ColumnElement:
    """The first character of ``text``, '' when null or empty: whether there is any."""
    return func.coalesce(func.substr(text, _ONE, _ONE), _EMPTY)


def prefix(text: Any) -> ColumnElement:
    """The first ``SORT_PREFIX`` characters of ``text``, '' when null: null sorts first, as ''."""
    return func.coalesce(func.substr(text, _ONE, literal_column(str(SORT_PREFIX))), _EMPTY)


def any_of(*values: ColumnElement) -> ColumnElement:
    """The first of ``values`` set, '' when none is: whether any is (one index for them all)."""
    return func.coalesce(*values, _EMPTY)
