"""A QR Code's link options (``expiresAt``, ``password``, ``geo``, ``rules``, ``utm_*`` …):
their value types, and how they are kept in the one JSON ``link`` column.

The column holds the options set, with their API names (what ``decide.LinkRouting.of_json``
reads), and is null when none is: the redirect reads it with the count, and a QR Code
without options costs it nothing more. The password is kept as its hash (Werkzeug's, as
account passwords are) under ``passwordHash``; it is never answered.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, ValidationError
from pydantic_core import PydanticCustomError
from werkzeug.security import check_password_hash, generate_password_hash

from ..contents.values import Url, check_line
from .decide import MAX_GEO
from .rules import country_codes, parse_rules
from .utm import MAX_UTM

#: The longest password a QR Code takes (hashing a longer one would only cost time).
MAX_PASSWORD = 128
#: The key the password's hash is kept under in the ``link`` column.
PASSWORD_HASH = "passwordHash"


def _check_geo(value: dict[str, str]) -> dict[str, str]:
    if len(value) > MAX_GEO:
        raise PydanticCustomError("geo_count", "has {count} countries; at most {most} are allowed",
                                  {"count": len(value), "most": MAX_GEO})
    known = country_codes()
    unknown = [code for code in value if code.upper() not in known]
    if unknown:
        raise PydanticCustomError("geo_country", "{codes} is not an ISO 3166-1 alpha-2 country code (such as DE or US)",
                                  {"codes": ", ".join(repr(code) for code in unknown[:5])})
    upper = {code.upper(): url for code, url in value.items()}
    if len(upper) != len(value):
        raise PydanticCustomError("geo_twice", "names a country twice (in capitals and in small letters)")
    return upper


def _few_countries(value: Any) -> Any:
    # Refused before each URL is checked: a hostile object of 100,000 keys costs nothing.
    if isinstance(value, dict) and len(value) > MAX_GEO:
        raise PydanticCustomError("geo_count", "has {count} countries; at most {most} are allowed",
                                  {"count": len(value), "most": MAX_GEO})
    return value


def _check_password(value: str) -> str:
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise PydanticCustomError("password_characters", "must not contain control characters")
    return value


def empty_is_none(value: Any) -> Any:
    """``{}`` or ``[]`` (no countries, no rules) is none: what the code holds when it has none."""
    return None if value == {} or value == [] else value


#: ``geo``: where visitors of a country go, by ISO 3166-1 alpha-2 code (kept in capitals).
Geo = Annotated[
    dict[Annotated[str, Field(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")], Url],
    BeforeValidator(_few_countries),
    AfterValidator(_check_geo),
    Field(description=f"where visitors of a country go: ISO 3166-1 alpha-2 code -> URL, at most {MAX_GEO}",
          json_schema_extra={"maxProperties": MAX_GEO}),
]
def _check_aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise PydanticCustomError("time_zone", "must say its time zone, such as 2027-01-31T18:00:00Z or "
                                               "2027-01-31T19:00:00+01:00")
    return value


#: ``expiresAt``: an instant with its offset (``Z`` or ``+02:00``), so no reader guesses the zone.
ExpiresAt = Annotated[datetime, Field(strict=False), AfterValidator(_check_aware)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD), AfterValidator(_check_password)]
UtmValue = Annotated[str, StringConstraints(min_length=1, max_length=MAX_UTM), AfterValidator(check_line)]


class StoredPassword(str):
    """A password kept as its hash: what a QR Code's ``password`` field reads once stored.
    It equals the password it is the hash of (an upsert sending it again changes nothing),
    and never shows it."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StoredPassword):
            return str.__eq__(self, other)
        return isinstance(other, str) and check_password_hash(str(self), other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = str.__hash__

    def __repr__(self) -> str:
        return "StoredPassword(…)"


def hidden(value: Any) -> str | None:
    """What an answer or a change record shows of a password: that there is one."""
    return None if value is None else "(hidden)"


def stored_instant(value: datetime) -> str:
    """How the ``link`` column keeps an instant (``expiresAt``): UTC ISO 8601 text, which sorts
    as the instants do (the list's ``expiresAfter`` compares it so)."""
    return value.astimezone(UTC).isoformat()


def stored_link(options: Mapping[str, Any], api_names: Mapping[str, str]) -> dict | None:
    """The ``link`` column of a QR Code's link option fields (by attribute name, checked):
    the options set, with their API names; a new password hashed. None when none is set."""
    stored: dict[str, Any] = {}
    for name, value in options.items():
        if value is None or value is False or value == {} or value == []:
            continue
        if name == "password":
            stored[PASSWORD_HASH] = str(value) if isinstance(value, StoredPassword) else generate_password_hash(value)
        elif isinstance(value, datetime):
            stored[api_names[name]] = stored_instant(value)
        elif isinstance(value, list):
            # Rules just checked are models; those read back from the column are JSON already.
            stored[api_names[name]] = [item if isinstance(item, dict) else
                                       item.model_dump(mode="json", by_alias=True, exclude_none=True) for item in value]
        else:
            stored[api_names[name]] = value
    return stored or None


def link_fields(stored: Mapping[str, Any] | None, api_names: Mapping[str, str], names) -> dict[str, Any]:
    """The link option fields ``names`` (attribute names) of a ``link`` column: what is not
    set reads None (``forwardQuery``: false); the password as a ``StoredPassword``."""
    stored = stored or {}
    fields: dict[str, Any] = {}
    for name in names:
        if name == "password":
            fields[name] = StoredPassword(stored[PASSWORD_HASH]) if stored.get(PASSWORD_HASH) else None
        elif name == "forward_query":
            fields[name] = bool(stored.get(api_names[name]))
        else:
            value = stored.get(api_names[name])
            fields[name] = (datetime.fromisoformat(value) if name == "expires_at" and value else
                            _rules_of(value) if name == "rules" and value else value)
    return fields


def _rules_of(stored: list) -> list:
    """Stored rules as the models a body's rules are, so an update sending them again changes
    nothing; as stored (JSON) when they no longer pass the checks."""
    try:
        return parse_rules(stored)
    except ValidationError:
        return stored


def has_password(stored: Mapping[str, Any] | None) -> bool:
    """Whether a ``link`` column holds a password."""
    return bool(stored and stored.get(PASSWORD_HASH))

