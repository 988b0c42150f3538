"""CodeQR's smart rules (``rules``): where a scan goes by who scans it.

At most 20 rules, tried in order; the first whose condition matches decides. A rule has
a condition ``{attribute, operator, value}`` (all three or none) and either a ``url`` or
a ``split`` of 2 to 4 ``{url, weight}`` (whole weights from 1 to 100 adding up to 100),
never both. A rule without a condition matches every visitor: it must be the last one,
and it must split (to send everyone to one place, change the QR Code's ``url``): that
is an A/B test. The shape and the operators are the hosted CodeQR's (its OpenAPI spec
and its MCP server's ``smart-rules.ts``).

Values are compared whole and case-insensitively (Unicode case folding): ``"ios"``
matches ``iOS``, ``"goo"`` does not match ``google.com``. What each attribute holds:

- ``device``: the visitor's operating system in CodeQR's words, one of ``DEVICES``
  (``iOS``, ``Android``, ``Windows``, ``Mac OS``, ``Linux``); never "mobile".
- ``os``: the system as the user agent parser names it (``Mac OS X``, ``Ubuntu``,
  ``Chrome OS``…), ``browser`` the browser's family (``Chrome``, ``Mobile Safari``…).
- ``country``: an ISO 3166-1 alpha-2 code (``DE``); ``continent`` one of ``CONTINENTS``;
  ``region`` the ISO 3166-2 subdivision code without its country (``BY`` for Bavaria);
  ``city`` the city's English name.
- ``language``: the first language the browser asks for, its primary subtag (``de``).
- ``referrer``: the host of the page the visitor came from (``google.com``), never a
  full URL; a leading ``www.`` is dropped on both sides.
- ``utm_source`` … ``utm_content``: those parameters of the scanned link's own query.
- ``time``: the visitor's scan falls in a weekly window of local time; its value is an
  object, ``{"days": ["mon", "tue"], "from": "09:00", "until": "17:30",
  "timeZone": "Europe/Paris"}`` (see ``TimeWindow``).

``equals`` matches when the visitor's value is the rule's; ``not_equals`` when it is
not, an unknown value included. For ``time``, ``equals`` is "inside the window".
"""

import functools
import re
import unicodedata
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, TypeAdapter, model_validator
from pydantic_core import PydanticCustomError

from ..contents.values import Url, check_line

MAX_RULES = 20
MIN_VARIANTS, MAX_VARIANTS = 2, 4
MIN_WEIGHT, MAX_WEIGHT, TOTAL_WEIGHT = 1, 100, 100
#: CodeQR's bound for a condition's value.
MAX_VALUE = 190

Attribute = Literal[
    "device", "country", "city", "region", "continent", "language", "referrer",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
    "browser", "os", "time",
]
ATTRIBUTES: tuple[str, ...] = get_args(Attribute)
Operator = Literal["equals", "not_equals"]
OPERATORS: tuple[str, ...] = get_args(Operator)

#: What ``device`` holds: the operating system, as CodeQR names it.
DEVICES = ("iOS", "Android", "Windows", "Mac OS", "Linux")
#: The continents' two-letter codes (CodeQR's ``continentCode``).
CONTINENTS = ("AF", "AN", "AS", "EU", "NA", "OC", "SA")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

# The user agent parser's names of systems CodeQR calls by another name.
_DEVICE_OF_SYSTEM = {"mac os x": "Mac OS", "ubuntu": "Linux", "fedora": "Linux", "debian": "Linux"}
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")
_REGION = re.compile(r"[A-Za-z0-9]{1,3}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}")


def device_of(system: str | None) -> str | None:
    """The ``device`` of a visitor whose user agent runs ``system`` (the parser's
    family): one of ``DEVICES``, or None for any other system."""
    if not system:
        return None
    folded = system.casefold()
    for device in DEVICES:
        if device.casefold() == folded:
            return device
    return _DEVICE_OF_SYSTEM.get(folded)


def _check_clock(value: str) -> str:
    if not _CLOCK.fullmatch(value):
        raise PydanticCustomError("clock", "must be a time of day as HH:MM, from 00:00 to 24:00")
    return value


def _check_zone(value: str) -> str:
    # ZoneInfo itself refuses paths out of the time zone database (../, /etc/…) and NUL.
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise PydanticCustomError("time_zone", "must be an IANA time zone such as Europe/Paris") from None
    return value


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class TimeWindow(BaseModel):
    """The value of a ``time`` condition: a weekly window of local time. ``from`` is
    included, ``until`` excluded (``24:00`` is the end of the day). A window whose
    ``until`` is before its ``from`` runs overnight, and belongs to the day it starts
    on: ``fri 22:00–06:00`` includes Saturday 05:59."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, populate_by_name=True)

    days: list[Weekday] = Field(min_length=1, max_length=7)
    start: Annotated[str, AfterValidator(_check_clock)] = Field(alias="from")
    until: Annotated[str, AfterValidator(_check_clock)]
    time_zone: Annotated[str, AfterValidator(_check_zone)] = Field(alias="timeZone")

    @model_validator(mode="after")
    def _not_empty(self) -> "TimeWindow":
        if self.start == "24:00":
            raise PydanticCustomError("window", "from must be before 24:00 (00:00 is the start of a day)")
        if self.start == self.until:
            raise PydanticCustomError("window", "from and until are the same time; a whole day is 00:00 to 24:00")
        return self

    def contains(self, instant: datetime) -> bool:
        """Whether ``instant`` (aware) falls in the window, in its time zone (an instant no
        clock of that zone can show, at the edge of the calendar, falls in none)."""
        try:
            local = instant.astimezone(ZoneInfo(self.time_zone))
        except OverflowError:
            return False
        minute = local.hour * 60 + local.minute
        start, until = _minutes(self.start), _minutes(self.until)
        today = WEEKDAYS[local.weekday()]
        if start < until:
            return today in self.days and start <= minute < until
        yesterday = WEEKDAYS[(local - timedelta(days=1)).weekday()]
        return (today in self.days and minute >= start) or (yesterday in self.days and minute < until)


ConditionValue = Annotated[str, Field(min_length=1, max_length=MAX_VALUE), AfterValidator(check_line)]


class Variant(BaseModel):
    """One destination of a split, and its share of the visitors (of 100)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    url: Url
    # The bounds are checked with the rule's position (``_bounded``); here for the spec.
    weight: StrictInt = Field(json_schema_extra={"minimum": MIN_WEIGHT, "maximum": MAX_WEIGHT})


class Rule(BaseModel):
    """One smart rule: an optional condition, and a ``url`` or a ``split``."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    attribute: Attribute | None = None
    operator: Operator | None = None
    value: ConditionValue | TimeWindow | None = None
    url: Url | None = None
    split: Annotated[list[Variant], Field(json_schema_extra={"minItems": MIN_VARIANTS, "maxItems": MAX_VARIANTS})] | None = None

    @property
    def unconditional(self) -> bool:
        return self.attribute is None and self.operator is None and self.value is None


def _position(index: int) -> str:
    return f"Rule {index + 1}"


def _bounded(data: Any) -> Any:
    """Refuse what is too many before anything is parsed (a hostile list costs nothing),
    and weights that are not whole numbers from 1 to 100, naming the rule."""
    if not isinstance(data, list):
        return data
    if len(data) > MAX_RULES:
        raise PydanticCustomError("rules_count", "There are {count} rules; at most {most} are allowed.",
                                  {"count": len(data), "most": MAX_RULES})
    problems = []
    for index, rule in enumerate(data):
        split = rule.get("split") if isinstance(rule, dict) else None
        if not isinstance(split, list):
            continue
        if not MIN_VARIANTS <= len(split) <= MAX_VARIANTS:
            problems.append(f"{_position(index)}: its split has {len(split)} variant{'s' * (len(split) != 1)}; "
                            f"a split has {MIN_VARIANTS} to {MAX_VARIANTS}.")
            continue
        for number, variant in enumerate(split, 1):
            weight = variant.get("weight") if isinstance(variant, dict) else None
            if isinstance(weight, int | float) and not isinstance(weight, bool) and not (
                    isinstance(weight, int) and MIN_WEIGHT <= weight <= MAX_WEIGHT):
                problems.append(f"{_position(index)}: the weight of variant {number} is {weight!r}; a weight is a "
                                f"whole number from {MIN_WEIGHT} to {MAX_WEIGHT}.")
    _refuse(problems)
    return data


def _refuse(problems: list[str]) -> None:
    if problems:
        raise PydanticCustomError("rules", "{sentences}", {"sentences": " ".join(problems)})


def _consistent(rules: list[Rule]) -> list[Rule]:
    """Refuse rules that cannot be meant, each problem a sentence naming its rule."""
    problems: list[str] = []
    for index, rule in enumerate(rules):
        problems.extend(f"{_position(index)}: {problem}" for problem in _problems_of(rule, index, len(rules)))
    _refuse(problems)
    return rules


def _problems_of(rule: Rule, index: int, count: int) -> list[str]:
    problems = []
    condition = {"attribute": rule.attribute, "operator": rule.operator, "value": rule.value}
    given = [name for name, part in condition.items() if part is not None]
    if given and len(given) < len(condition):
        problems.append(f"its condition has only {' and '.join(given)}; give an attribute, an operator and a value, "
                        "or none of them.")
    if rule.url is not None and rule.split is not None:
        problems.append("it has both a url and a split; give one of them.")
    elif rule.url is None and rule.split is None:
        problems.append("it has neither a url nor a split; give one of them.")
    if rule.split is not None:
        total = sum(variant.weight for variant in rule.split)
        if total != TOTAL_WEIGHT:
            problems.append(f"the weights of its split add up to {total}; they must add up to {TOTAL_WEIGHT}.")
    if rule.unconditional:
        if index != count - 1:
            problems.append(f"it has no condition, so it matches every visitor and must be the last rule; "
                            f"{count - 1 - index} rule{'s' * (count - 1 - index != 1)} after it would never be tried.")
        if rule.split is None and rule.url is not None:
            problems.append("it has no condition and no split; a rule for every visitor must split them "
                            "(to send everyone to one place, change the QR Code's url).")
    if rule.attribute == "time" and isinstance(rule.value, str):
        problems.append('a time condition takes a window, {"days": [...], "from": "HH:MM", "until": "HH:MM", '
                        '"timeZone": "…"}, not text.')
    if rule.attribute not in (None, "time") and isinstance(rule.value, TimeWindow):
        problems.append(f"a {rule.attribute} condition takes text, not a time window.")
    return problems


#: The ``rules`` field: at most 20 rules, each consistent (an API field and a form's).
Rules = Annotated[
    list[Rule],
    BeforeValidator(_bounded),
    AfterValidator(_consistent),
    Field(description="smart rules, tried in order, the first matching one decides; values compared whole and "
                      "case-insensitively", json_schema_extra={"maxItems": MAX_RULES}),
]
_RULES: TypeAdapter[list[Rule]] = TypeAdapter(Rules)


def parse_rules(data: Any) -> list[Rule]:
    """The rules ``data`` (JSON values) holds; a pydantic ``ValidationError`` when they
    are not right."""
    return _RULES.validate_python(data)


def never_matching(rules: list[Rule]) -> list[str]:
    """Warnings for conditions whose value no visitor can have (they are kept: CodeQR
    keeps them too, but says nothing), each naming its rule."""
    warnings = []
    for index, rule in enumerate(rules):
        if isinstance(rule.value, str) and rule.attribute is not None:
            problem = _never_matches(rule.attribute, rule.value)
            if problem:
                warnings.append(f'{_position(index)}: {rule.attribute} "{rule.value}" never matches: {problem}.')
    return warnings


def _never_matches(attribute: str, value: str) -> str | None:
    if value != value.strip():
        return "no visitor's value starts or ends with a space"
    if any(unicodedata.category(char) == "Cf" for char in value):
        return "no visitor's value holds invisible characters"
    if attribute == "device" and _known(value, DEVICES) is None:
        return f"devices are {', '.join(DEVICES)}"
    if attribute == "country" and value.upper() not in country_codes():
        return "it is not an ISO 3166-1 alpha-2 country code (such as DE or US)"
    if attribute == "continent" and value.upper() not in CONTINENTS:
        return f"continents are {', '.join(CONTINENTS)}"
    if attribute == "region" and not _REGION.fullmatch(value):
        return "a region is an ISO 3166-2 subdivision code without its country (such as BY or CA)"
    if attribute == "language" and not _LANGUAGE.fullmatch(value):
        return "a language is the two- or three-letter code a browser asks for first (such as de or en)"
    if attribute == "referrer" and not _host_like(value):
        return "a referrer is the host of the page the visitor came from (such as google.com), never a full URL"
    return None


#: Countries the world map draws no shape for, which visitors may still come from.
_UNMAPPED_COUNTRIES = ("AQ", "UM", "XK")


@functools.cache
def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code CodeQR knows, in capitals."""
    # Imported here: the web package brings Flask, which the redirect's decision needs not.
    from ..web.countries import names

    return frozenset(names()) | frozenset(_UNMAPPED_COUNTRIES)


def _known(value: str, known: tuple[str, ...]) -> str | None:
    return next((name for name in known if name.casefold() == value.casefold()), None)


def _host_like(value: str) -> bool:
    return all(char not in value for char in "/:?#@\\")
