"""Amounts of money and dates as JSON carries them. The payload models are strict, and a
strict ``Decimal`` or ``date`` field takes only Python objects: the API validates a body
already read from JSON, where an amount is a number or a string and a date a string. These
types read exactly those, and nothing looser (no booleans, no ``1_000``, no week dates)."""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _amount(value: object) -> object:
    """A JSON number or a decimal string -> Decimal; a Decimal passes as it is."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        value = repr(value)  # the shortest text that reads back as this float: 0.1 -> "0.1"
    elif isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _NUMBER.fullmatch(value):
        raise PydanticCustomError("amount_number", "must be a number, such as 12.50")
    return Decimal(value)


def _date(value: object) -> object:
    """An ISO 8601 calendar date string (2027-03-31) -> date; a date passes as it is."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("date", "must be a date written YYYY-MM-DD, such as 2027-03-31")


def _moment(value: object) -> object:
    """An ISO 8601 date and time string (2027-03-19T18:00:00+01:00) -> datetime; a datetime
    passes as it is. (A number is refused: it would be read as seconds since 1970.)"""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE.match(value) and len(value) > 10:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("datetime", "must be a date and time written as ISO 8601, such as "
                                          "2027-03-19T18:00:00+01:00")


Amount = Annotated[Decimal, BeforeValidator(_amount)]
Date = Annotated[date, BeforeValidator(_date)]
DateTime = Annotated[datetime, BeforeValidator(_moment)]
