"""A QR Code's content as flat CSV columns, the same in the import, its template and the
export's manifest: ``<field>.<key>`` for each key of a payload model (``vcard.firstName``),
and the field's own name for a plain payload (``text``, ``phone``). The columns are read
from the payload models (``contents.PAYLOADS``): a key added there is a column here.

A list (``vcard.emails``) is one cell with an item per line: its items (e-mail addresses,
phone numbers) cannot hold a line break, and a spreadsheet shows such a cell as a list.
A map (``gs1.linkTypes``) is one cell with a ``name=url`` per line, split at the first
``=`` (a link type's name has none, a URL may): a column per GS1 link type would add forty
mostly empty columns to every file, and more with each new type of the vocabulary.

The design fields whose value is a model (``schemas.NESTED_DESIGN``) are spread the same
way: ``fgGradient.type``, ``fgGradient.colors`` (the start and end colours, one a line),
``frameTextStyles.family``. Blank cells are not given, so a row without them has no gradient.

The other fields whose value is a list or an object (the link options ``geo`` and ``rules``)
are a JSON cell each: their values nest (a rule's condition, a split's variants), which
neither columns nor lines of a cell could hold.
"""

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, get_origin

from pydantic import BaseModel
from pydantic.alias_generators import to_camel

from ..contents import PAYLOADS, TYPES
from ..domain.schemas import NESTED_DESIGN, value_type
from ..errors import CodeQRError, InvalidInput, InvalidInputs

Kind = Literal["text", "list", "map", "int", "float", "decimal", "bool", "date", "datetime", "json"]

_TRUE, _FALSE = {"1", "true", "yes", "y"}, {"0", "false", "no", "n"}
#: A number as a spreadsheet writes it (not "nan" nor "inf", which float() and Decimal() take).
_FINITE_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Column:
    """One payload (or nested design) column: ``name`` in the CSV header, the API ``field`` it fills, the
    ``key`` inside that field's model (None: the column is the whole field)."""

    name: str
    field: str
    key: str | None
    kind: Kind


def kind_of(annotation: Any) -> Kind:
    """How a cell is read for a value of the plain type ``annotation`` (``value_type``)."""
    origin = get_origin(annotation)
    if origin is list:
        return "list"
    if origin is dict:
        return "map"
    simple: dict[Any, Kind] = {bool: "bool", int: "int", float: "float", Decimal: "decimal", datetime: "datetime",
                               date: "date"}
    return simple.get(annotation, "text")


def field_kind(info) -> Kind:
    """How the cell of a field outside the spread ones is read (its ``FieldInfo``): a
    list or an object is JSON."""
    kind = kind_of(value_type(info))
    return "json" if kind in ("list", "map") else kind


#: The fields spread out in columns, by API name: each payload (its attribute name is its API
#: name, one word), then each design field whose value is a model.
SPREAD: dict[str, Any] = {**PAYLOADS, **{to_camel(name): model for name, model in NESTED_DESIGN.items()}}


def _columns() -> tuple[Column, ...]:
    found = []
    for field, payload in SPREAD.items():
        if isinstance(payload, type) and issubclass(payload, BaseModel):
            found += [Column(f"{field}.{info.alias or key}", field, info.alias or key, kind_of(value_type(info)))
                      for key, info in payload.model_fields.items()]
        else:
            found.append(Column(field, field, None, "text"))
    return tuple(found)


#: Every spread column, in the order of ``SPREAD`` and of each model's keys.
COLUMNS: tuple[Column, ...] = _columns()
BY_NAME: dict[str, Column] = {column.name: column for column in COLUMNS}


def columns_of_types() -> list[tuple[str, str, list[str]]]:
    """Each content type's name, label and columns (none for url: its destination is ``url``)."""
    return [(kind.name, kind.label, [column.name for column in COLUMNS if column.field == kind.field])
            for kind in TYPES.values()]


def flat_names(api_names: Iterable[str]) -> list[str]:
    """``api_names`` with each spread field (a payload, a nested design field) replaced by its columns, in place."""
    return [name for api_name in api_names for name in
            ([column.name for column in COLUMNS if column.field == api_name] if api_name in SPREAD else [api_name])]


def cells_of(api: Mapping[str, Any]) -> dict[str, Any]:
    """The spread columns of a QR Code (its API form, as ``QRCodeOut.api()`` or an API body
    gives it): each column's value, None where it has none."""
    cells: dict[str, Any] = {}
    for column in COLUMNS:
        value = api.get(column.field)
        if column.key is not None:
            value = value.get(column.key) if isinstance(value, Mapping) else None
        if column.kind in ("list", "map") and value is not None:
            value = _joined(column, value)
        cells[column.name] = value
    return cells


def _joined(column: Column, value: Any) -> str:
    """A list or map in one cell, an item per line."""
    lines = [str(item) for item in value] if column.kind == "list" else [f"{name}={url}" for name, url in value.items()]
    # The payload models refuse what would not read back; say so if one ever lets it in.
    if any(_LINE_BREAK.search(line) for line in lines) or (column.kind == "map" and any("=" in name for name in value)):
        raise ValueError(f"{column.name} has a value one line of a cell cannot keep")
    return "\n".join(lines)


def typed(kind: Kind, text: str) -> Any:
    """A cell's text as a value of ``kind``; text that is not one is left as it is, for the
    validation to name. Amounts and dates stay text (trimmed): the payload models read them
    as they read JSON (``contents.amounts``)."""
    value = text.strip()
    if kind == "int" and _FINITE_NUMBER.fullmatch(value) and "." not in value:
        return int(value)
    if kind == "float" and _FINITE_NUMBER.fullmatch(value):
        return float(value)
    if kind == "bool" and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    return value if kind in ("float", "bool", "decimal", "date", "datetime") else text


def _items(column: Column, text: str) -> Any:
    lines = [line.strip() for line in _LINE_BREAK.split(text) if line.strip()]
    if column.kind == "list":
        return lines
    pairs: dict[str, str] = {}
    for line in lines:
        name, equals, url = line.partition("=")
        if not equals or not name.strip() or not url.strip():
            raise InvalidInput(f"has the line {line[:60]!r}, not name=url", column.name,
                               sentence="Write one link per line as type=URL, like gs1:pip=https://example.com/p.")
        if name.strip() in pairs:
            raise InvalidInput(f"has {name.strip()[:60]} twice", column.name,
                               sentence=f"Give each link type once ({name.strip()[:60]} is there twice).")
        pairs[name.strip()] = url.strip()
    return pairs


#: A JSON cell's example, by column, for the sentence of a cell that is not JSON.
_JSON_EXAMPLES = {
    "geo": '{"DE": "https://example.com/de", "FR": "https://example.com/fr"}',
    "rules": '[{"attribute": "device", "operator": "equals", "value": "iOS", "url": "https://example.com/ios"}]',
}


def json_text(value: Any) -> str | None:
    """A JSON cell's text for ``value`` (None stays an empty cell)."""
    return None if value is None else json.dumps(value, ensure_ascii=False)


def json_value(column: str, text: str) -> Any:
    """The value a JSON cell of ``column`` holds; refuses text that is not JSON, or names a key twice."""
    def pairs(items: list[tuple[str, Any]]) -> dict:
        found: dict[str, Any] = {}
        for name, value in items:
            if name in found:  # JSON would keep the last one silently
                raise InvalidInput(f"names {name[:60]!r} twice", column,
                                   sentence=f"Give each key once ({name[:60]} is there twice).")
            found[name] = value
        return found

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python reads
        example = _JSON_EXAMPLES.get(column)
        raise InvalidInput("is not JSON", column, sentence="Write it as JSON" + (f", like {example}." if example
                                                                                 else ".")) from None


#: How a cell of a kind is written, said when it is not: the validation would only say "not
#: a number", and a CSV needs the form too (a comma for decimals is common). Amounts and
#: dates are read, and their forms said, by the payload models.
_FORMS: dict[Kind, str] = {"float": "Enter a number with a dot for decimals, like 48.8584."}


def payloads_of(cells: Mapping[str, str]) -> dict[str, Any]:
    """The spread fields of an API body from a row's spread ``cells`` (column -> text,
    the columns given): ``{"vcard.emails": "a@x.test"}`` -> ``{"vcard": {"emails": ["a@x.test"]}}``.
    Refuses cells not written in their column's form, all at once."""
    body: dict[str, Any] = {}
    problems: list[CodeQRError] = []
    for name, text in cells.items():
        column = BY_NAME[name]
        value = _items(column, text) if column.kind in ("list", "map") else typed(column.kind, text)
        if column.kind in _FORMS and isinstance(value, str):
            problems.append(InvalidInput(f"cannot be read as a {column.kind}", name, sentence=_FORMS[column.kind]))
        if column.key is None:
            body[column.field] = value
        else:
            body.setdefault(column.field, {})[column.key] = value
    InvalidInputs.raise_any(*problems)
    return body


def column_of(path: str, given: Iterable[str]) -> str | None:
    """The column(s) an error at the API ``path`` (``vcard.emails[1]``) is about, for a row
    that filled the columns ``given``; None when ``path`` is not inside a spread field."""
    field, _, rest = path.partition(".")
    field = field.split("[")[0]
    if field not in SPREAD:
        return None
    key = re.split(r"[.\[]", rest)[0] if rest else None
    name = f"{field}.{key}" if key and f"{field}.{key}" in BY_NAME else field
    if name in BY_NAME:
        index = re.match(r"\[([0-9]+)\]", rest[len(key or ""):]) if rest else None
        return f"{name} (line {int(index.group(1)) + 1})" if index else name
    # The whole payload: the columns of it the row filled, or all of them.
    filled = [column.name for column in COLUMNS if column.field == field and column.name in given]
    return ", ".join(filled) if filled else f"{field}.*"
