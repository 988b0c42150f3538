"""A ``decide.Visitor`` of values typed by hand, for questions such as "where would an
iPhone in Germany go?" (the detail page's "Test a scan" box): a user agent, a country,
a language, a referrer, the scanned link's ``utm_*`` and the moment of the scan. Each
value is checked; a problem is a sentence naming its field (the API's names)."""

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from ..contents.values import MAX_URL_LENGTH
from ..errors import InvalidInput, InvalidInputs
from ..scans.agents import AgentParser
from ..scans.visit import MAX_AGENT, continent_of
from .decide import Visitor
from .rules import MAX_VALUE, country_codes, device_of
from .utm import UTM_FIELDS

#: The question's fields, by the API's names.
FIELDS = ("userAgent", "country", "language", "referrer", *UTM_FIELDS, "at")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}")


def visitor_of(values: Mapping[str, str], agents: AgentParser) -> Visitor:
    """The visitor ``values`` describe (blank ones unknown). Its identity is made of
    them, so one question always lands on the same variant of a split."""
    problems: list[InvalidInput] = []

    def given(name: str, longest: int = MAX_VALUE) -> str | None:
        value = (values.get(name) or "").strip()
        if len(value) > longest:
            problems.append(InvalidInput(f"is {len(value):,} characters long; at most {longest:,} are allowed", name))
            return None
        if any(ord(char) < 32 or ord(char) == 127 for char in value):
            problems.append(InvalidInput("must be one line, without control characters", name))
            return None
        return value or None

    agent_text = given("userAgent", MAX_AGENT)
    country = given("country")
    if country is not None:
        country = country.upper()
        if country not in country_codes():
            problems.append(InvalidInput(f"{country!r} is not an ISO 3166-1 alpha-2 country code (such as DE or US)",
                                         "country"))
    language = given("language")
    if language is not None:
        language = language.split(",")[0].split(";")[0].split("-")[0].strip().lower()
        if not _LANGUAGE.fullmatch(language):
            problems.append(InvalidInput("must be a language code a browser asks for, such as de or en-GB",
                                         "language"))
    referrer = given("referrer", MAX_URL_LENGTH)
    if referrer is not None:
        referrer = _host(referrer)
        if referrer is None:
            problems.append(InvalidInput("must be the host or address of a page, such as google.com", "referrer"))
    utm: dict[str, Any] = {name: given(name) for name in UTM_FIELDS}  # Visitor's utm_* by name
    InvalidInputs.raise_any(*problems)
    return described(agent_text, agents, country=country, language=language, referrer=referrer, **utm)


def described(agent_text: str | None, agents: AgentParser, **known: Any) -> Visitor:
    """The visitor of a description checked already: the user agent ``agent_text`` (its
    system gives ``device`` and ``os``, its family ``browser``), and ``known``, the
    ``Visitor``'s other fields (a continent left out is the country's). Its identity is made
    of the description, so one question always lands on the same variant of a split."""
    agent = agents.describe(agent_text)
    known["continent"] = known.get("continent") or continent_of(known.get("country"))
    described_by = {name: value for name, value in known.items() if name not in ("unlocked", "query")}
    return Visitor(device=device_of(agent.os), os=agent.os, browser=agent.browser,
                   identity="question " + repr(sorted(({"agent": agent_text} | described_by).items())), **known)


def moment_of(text: str | None, zone: str, now: datetime) -> datetime:
    """The moment of a question: ISO text with its offset, or a local date and time
    (``2026-12-31T18:00``, as a browser's date-time field gives it) in ``zone``; blank: ``now``."""
    text = (text or "").strip()
    if not text:
        return now
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("must be a date and time such as 2026-12-31T18:00", "at") from None
    return moment.replace(tzinfo=ZoneInfo(zone)) if moment.tzinfo is None else moment


def _host(referrer: str) -> str | None:
    """The host of a referrer given as a host (``google.com``) or an address."""
    try:
        host = urlsplit(referrer if "//" in referrer else f"//{referrer}").hostname
    except ValueError:
        return None
    return host if host and " " not in host else None
