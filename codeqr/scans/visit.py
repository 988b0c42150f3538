"""What a scan request tells of its visitor, read on the redirect without keeping
the address: country (and city, region with a GeoIP database), language, referer
and a visitor hash whose salt changes every day; and the ``Visit`` a redirect
plugin decides on."""

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

import iptocc
from pycountry_convert import country_alpha2_to_continent_code as _continent_code

from ..domain.timeutil import utcnow
from ..errors import ConfigurationError
from ..links.decide import Visitor
from ..links.rules import device_of
from ..links.utm import UTM_FIELDS, utm_of_query
from .agents import AgentParser

ANALYTICS_MODES = ("full", "anonymous", "off")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_MAX_REFERER = 2048
#: The longest user agent kept (and read): longer ones are cut.
MAX_AGENT = 1024
_NO_UTM = dict.fromkeys(UTM_FIELDS)
#: The cookie that keeps a visitor on the variant a split test gave them beyond the day the
#: visitor hash lasts, for ``VISITOR_COOKIE_DAYS``: it keeps the identity that chose it.
VISITOR_COOKIE = "codeqr_visitor"
VISITOR_COOKIE_DAYS = 365
_VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{22,64}")


def is_visitor_id(value: str | None) -> bool:
    """Whether ``value`` may be a visitor's id (a visitor hash, or what their cookie kept)."""
    return value is not None and _VISITOR_ID.fullmatch(value) is not None


@dataclass(frozen=True)
class Visit:
    """Who scans, as far as the redirect can tell before it answers: what
    ``codeqr_redirect`` decides on. ``device`` is one of ``agents.DEVICES``, ``os`` the
    user agent's system family (``iOS``, ``Android``, …), ``country`` an ISO 3166-1
    alpha-2 code and ``language`` a primary subtag (``de``); None when unknown."""

    device: str
    os: str | None
    country: str | None
    language: str | None


def visit_of(request, agents: AgentParser) -> Visit:
    """The ``Visit`` a request makes: its trusted address's country, Accept-Language, and
    its user agent as ``agents`` classifies it (remembered: most scans repeat one)."""
    agent = agents.describe(_agent(request))
    return Visit(device=agent.device, os=agent.os, country=_country(request.remote_addr or ""),
                 language=_language(request.headers.get("Accept-Language")))


class VisitReader:
    """Turns a request into the columns of its scan event (``CODEQR_ANALYTICS``)."""

    def __init__(self, config, clock: Callable[[], datetime] = utcnow):
        self.mode = config["CODEQR_ANALYTICS"]
        self._clock = clock  # the app's (tests give another)
        if self.mode not in ANALYTICS_MODES:
            raise ConfigurationError(f"CODEQR_ANALYTICS={self.mode!r}: expected one of {', '.join(ANALYTICS_MODES)}")
        self._secret = config["SECRET_KEY"].encode()
        self._salt: tuple[date | None, bytes] = (None, b"")  # one tuple: threads swap it whole
        # Open in every mode: link rules decide on the city and region, which only ``full`` records.
        self._geoip = _open_geoip(config["CODEQR_GEOIP_DATABASE"])

    @property
    def records_events(self) -> bool:
        return self.mode != "off"

    def read(self, request) -> dict:
        """Return the event columns a request gives (none of them its address)."""
        now = self._clock()
        address = request.remote_addr or ""
        agent = _agent(request)
        referer = scan_referer(request)
        host = _host(referer)
        visit = {
            "timestamp": now,
            "user_agent": agent,
            "referer": referer if self.mode == "full" else (f"https://{host}/" if host else None),
            "referer_host": host,
            "language": _language(request.headers.get("Accept-Language")),
            "country": _country(address),
            "region": None,
            "city": None,
            "visitor": self._visitor(now.date(), address, agent or "") if self.mode == "full" else None,
        } | _NO_UTM
        if request.query_string:
            visit |= utm_of_query(scanned_query(request))
        if self._geoip is not None and address and self.mode == "full":
            visit.update(_names(_place(self._geoip, address)))
        return visit

    def visitor(self, request, visit: dict | None, agents: AgentParser, unlocked: bool = False) -> Visitor:
        """Who scans, for ``links.decide``: ``visit`` (the event's columns ``read`` gave,
        None when no event is stored) and what no event keeps (the region's code, the
        continent, the browser and system, the query; for split tests, the id of the visitor's
        ``VISITOR_COOKIE``, else the day's visitor hash)."""
        address = request.remote_addr or ""
        agent_text = _agent(request)
        agent = agents.describe(agent_text)
        query = scanned_query(request)
        if visit is None:
            visit = {"referer_host": _host(scan_referer(request)), "country": _country(address),
                     "language": _language(request.headers.get("Accept-Language"))} | utm_of_query(query)
        place = _place(self._geoip, address) if self._geoip is not None and address else {}
        country = visit["country"]
        kept = request.cookies.get(VISITOR_COOKIE)
        identity = kept if is_visitor_id(kept) else self._split_identity(
            visit.get("visitor") or self._visitor(self._clock().date(), address, agent_text or ""))
        return Visitor(
            device=device_of(agent.os), os=agent.os, browser=agent.browser, country=country,
            city=place.get("city"), region=place.get("region_code"),
            continent=place.get("continent") or continent_of(country), language=visit["language"],
            referrer=visit["referer_host"], identity=identity,
            query=query, unlocked=unlocked, **{name: visit.get(name) for name in UTM_FIELDS})

    def _split_identity(self, visitor: str) -> str:
        """What decides a split for a visitor with no cookie yet, and their cookie then keeps:
        of the day's visitor hash, but not it (events show that one)."""
        return hmac.new(self._secret, f"split visitor {visitor}".encode(), hashlib.sha256).hexdigest()[:32]

    def _visitor(self, day: date, address: str, agent: str) -> str:
        salt_day, salt = self._salt
        if day != salt_day:  # derived from the secret key: every server agrees, nothing stored
            salt = hmac.new(self._secret, f"visitor salt {day.isoformat()}".encode(), hashlib.sha256).digest()
            self._salt = (day, salt)
        return hmac.new(salt, f"{address}\n{agent}".encode(), hashlib.sha256).hexdigest()[:32]


def scan_referer(request) -> str | None:
    """The page the visitor came from: the Referer, or on the password page's form (a POST,
    whose Referer is that page) the one the page kept for it."""
    given = request.form.get("referer") if request.method == "POST" else request.headers.get("Referer")
    return (given or "").replace("\x00", "")[:_MAX_REFERER] or None


def scanned_query(request) -> str:
    """The scanned link's own query string as the text it means: UTF-8 (``café`` sent raw or
    percent-encoded alike), bytes that are not replaced."""
    return request.query_string.decode("utf-8", "replace")


def _agent(request) -> str | None:
    # No database keeps NUL in text (PostgreSQL refuses it): a header may carry one.
    return (request.headers.get("User-Agent") or "").replace("\x00", "")[:MAX_AGENT] or None


def _country(address: str) -> str | None:
    return iptocc.country_code(address) if address else None


def _host(referer: str | None) -> str | None:
    if not referer:
        return None
    try:
        host = urlsplit(referer).hostname
    except ValueError:
        return None
    return host[:253] if host else None


def _language(header: str | None) -> str | None:
    """The primary subtag of the first language named: ``de-DE,de;q=0.9`` -> ``de``."""
    if not header:
        return None
    first = header.split(",", 1)[0].split(";", 1)[0].strip().split("-", 1)[0].lower()
    return first if _LANGUAGE.fullmatch(first) else None


def _open_geoip(path: str | None):
    if not path:
        return None
    import maxminddb

    try:
        return maxminddb.open_database(path)
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as error:
        raise ConfigurationError(f"CODEQR_GEOIP_DATABASE={path!r}: not a MaxMind database that can be read ({error})") from None


def _place(reader, address: str) -> dict:
    """What a GeoIP database says of ``address``: city and region names, region code, continent."""
    try:
        record = reader.get(address) or {}
    except ValueError:  # not an IP address
        return {}
    city = (record.get("city") or {}).get("names", {}).get("en")
    subdivision = (record.get("subdivisions") or [{}])[0]
    region = subdivision.get("names", {}).get("en")
    return {"city": city[:100] if city else None, "region": region[:100] if region else None,
            "region_code": subdivision.get("iso_code"), "continent": (record.get("continent") or {}).get("code")}


def _names(place: dict) -> dict:
    """The event's columns of a ``_place``."""
    return {"city": place.get("city"), "region": place.get("region")}


#: Continents of countries the converter does not know.
_CONTINENTS = {"AQ": "AN", "UM": "OC", "SX": "NA"}


def continent_of(country: str | None) -> str | None:
    """The continent code (``links.rules.CONTINENTS``) of an ISO 3166-1 alpha-2 country."""
    if not country:
        return None
    try:
        return _continent_code(country)
    except KeyError:
        return _CONTINENTS.get(country)
