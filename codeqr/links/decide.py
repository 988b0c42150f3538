"""Where one scan goes, decided in memory from the QR Code's routing and its visitor.

The steps, in order; the first that applies decides:

1. ``password``: the code has one and the visitor has not given it: the password page.
2. ``expired``: ``expiresAt`` has come (the scan at that very instant is expired): to
   ``expiredUrl``, or a 410 page when there is none.
3. ``rule``: the first smart rule whose condition matches (a split picks a variant).
4. ``geo``: the visitor's country has a URL of its own.
5. ``ios`` / ``android``: the visitor's system has a URL of its own.
6. ``url``: the QR Code's own destination.

Then the code's UTM parameters, and with ``forwardQuery`` the scan's own query, are
added to the destination (``utm.with_parameters``), whichever step chose it.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal

from .rules import TOTAL_WEIGHT, Rule, TimeWindow, Variant, device_of, parse_rules
from .utm import UTM_FIELDS, with_parameters

Step = Literal["password", "expired", "rule", "geo", "ios", "android", "url"]
#: CodeQR's bound for ``geo``.
MAX_GEO = 250


@dataclass(frozen=True)
class Visitor:
    """What the redirect knows of who scans (None: unknown). ``device`` is one of
    ``rules.DEVICES`` (``rules.device_of(os)`` gives it), ``os`` and ``browser`` the user
    agent parser's families, ``country`` ISO 3166-1 alpha-2, ``continent`` one of
    ``rules.CONTINENTS``, ``region`` ISO 3166-2 without its country, ``language`` a
    primary subtag, ``referrer`` the referring page's host, ``utm_*`` the scanned
    link's own (``utm.utm_of_query``). ``identity`` keeps a visitor on their split
    variant (the daily visitor hash, or a cookie's value); ``query`` is the scan's raw
    query string; ``unlocked`` says the visitor gave the code's password."""

    device: str | None = None
    os: str | None = None
    browser: str | None = None
    country: str | None = None
    city: str | None = None
    region: str | None = None
    continent: str | None = None
    language: str | None = None
    referrer: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    identity: str | None = None
    query: str = ""
    unlocked: bool = False

    @property
    def system_device(self) -> str | None:
        """``device``, or the one its ``os`` implies."""
        return self.device or device_of(self.os)


@dataclass(frozen=True)
class LinkRouting:
    """A QR Code's routing: everything ``decide`` reads, with CodeQR's names in
    ``of_json``. ``key`` tells codes apart in the split hash (the id or the key)."""

    url: str
    key: str = ""
    has_password: bool = False
    expires_at: datetime | None = None
    expired_url: str | None = None
    rules: tuple[Rule, ...] = ()
    geo: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    ios: str | None = None
    android: str | None = None
    utm: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    forward_query: bool = False

    @classmethod
    def of_json(cls, data: Mapping[str, Any], key: str = "") -> "LinkRouting":
        """The routing of a QR Code's fields as the API names them (``url``,
        ``hasPassword`` or the stored ``passwordHash``, ``expiresAt`` as ISO text or a datetime, ``expiredUrl``,
        ``rules``, ``geo``, ``ios``, ``android``, ``utm_*``, ``forwardQuery``); absent
        or null fields are unset. Rules are checked (``rules.parse_rules``)."""
        geo = data.get("geo") or {}
        if len(geo) > MAX_GEO:
            raise ValueError(f"geo has {len(geo)} countries; at most {MAX_GEO} are allowed.")
        return cls(
            url=data["url"],
            key=key,
            has_password=bool(data.get("hasPassword") or data.get("passwordHash")),
            expires_at=_instant(data.get("expiresAt")),
            expired_url=data.get("expiredUrl") or None,
            rules=tuple(parse_rules(data.get("rules") or [])),
            geo=MappingProxyType({code.upper(): url for code, url in geo.items()}),
            ios=data.get("ios") or None,
            android=data.get("android") or None,
            utm=MappingProxyType({name: data[name] for name in UTM_FIELDS if data.get(name)}),
            forward_query=bool(data.get("forwardQuery")),
        )


@dataclass(frozen=True)
class Decision:
    """What a scan gets: the ``step`` that decided, the ``destination`` with its UTM
    parameters (None for the password page and for an expired code without
    ``expiredUrl``: a 410), and the ``rule`` and split ``variant`` that decided, by
    position from 1 (None when no rule did)."""

    step: Step
    destination: str | None
    rule: int | None = None
    variant: int | None = None

    #: An expired code with nowhere to go: the 410 page.
    gone: bool = False


def decide(link: LinkRouting, visitor: Visitor, now: datetime) -> Decision:
    """Where ``visitor``'s scan of ``link`` at ``now`` (aware) goes, and why."""
    if link.has_password and not visitor.unlocked:
        return Decision("password", None)
    if link.expires_at is not None and now >= link.expires_at:
        if not link.expired_url:
            return Decision("expired", None, gone=True)
        return Decision("expired", _finished(link, visitor, link.expired_url))
    for position, rule in enumerate(link.rules, 1):
        if not _matches(rule, visitor, now):
            continue
        if rule.split is None:
            return Decision("rule", _finished(link, visitor, rule.url or link.url), rule=position)
        number, variant = pick_variant(rule.split, _seed(link, visitor, position, now))
        return Decision("rule", _finished(link, visitor, variant.url), rule=position, variant=number)
    if visitor.country and (by_country := link.geo.get(visitor.country.upper())):
        return Decision("geo", _finished(link, visitor, by_country))
    device = visitor.system_device
    if link.ios and device == "iOS":
        return Decision("ios", _finished(link, visitor, link.ios))
    if link.android and device == "Android":
        return Decision("android", _finished(link, visitor, link.android))
    return Decision("url", _finished(link, visitor, link.url))


def pick_variant(split: list[Variant], seed: str) -> tuple[int, Variant]:
    """The variant (numbered from 1) a visitor whose ``seed`` is given lands on: the
    seed's hash, a number from 0 to 99, falls in one variant's share of the weights."""
    bucket = int.from_bytes(hashlib.sha256(seed.encode("utf-8", "surrogatepass")).digest()[:8], "big") % TOTAL_WEIGHT
    reached = 0
    for number, variant in enumerate(split, 1):
        reached += variant.weight
        if bucket < reached:
            return number, variant
    return len(split), split[-1]  # weights are checked to add up to 100: not reached


def _seed(link: LinkRouting, visitor: Visitor, position: int, now: datetime) -> str:
    # The code and the rule are in it so one visitor's variants of different tests are
    # independent. Without an identity the instant draws the variant: spread, not sticky.
    who = visitor.identity if visitor.identity else f"no identity {now.isoformat()}"
    return f"{link.key}\n{position}\n{who}"


def _matches(rule: Rule, visitor: Visitor, now: datetime) -> bool:
    if rule.attribute is None or rule.value is None:
        return True
    if isinstance(rule.value, TimeWindow):
        inside = rule.value.contains(now)
        return inside if rule.operator == "equals" else not inside
    same = _same(rule.attribute, _value_of(rule.attribute, visitor), rule.value)
    return same if rule.operator == "equals" else not same


def _value_of(attribute: str, visitor: Visitor) -> str | None:
    if attribute == "device":
        return visitor.system_device
    value = getattr(visitor, attribute)
    return value if isinstance(value, str) else None


def _same(attribute: str, known: str | None, wanted: str) -> bool:
    if known is None:
        return False
    if attribute == "referrer":
        known, wanted = _bare_host(known), _bare_host(wanted)
    return known.casefold() == wanted.casefold()


def _bare_host(host: str) -> str:
    return host[4:] if host[:4].casefold() == "www." else host


def _finished(link: LinkRouting, visitor: Visitor, url: str) -> str:
    return with_parameters(url, link.utm, visitor.query if link.forward_query else "")


def _instant(value: Any) -> datetime | None:
    """A UTC instant of ISO text or a datetime (naive: UTC, as the database keeps it)."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
