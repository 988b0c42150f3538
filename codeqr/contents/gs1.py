"""GS1 Digital Link: a GTIN (and batch, serial, expiry) as a URI path on the instance's
domain, which CodeQR then answers as a resolver.

``digital_link_path`` writes the path a code holds, ``parse_path`` reads a request's path
back, ``linkset`` builds the resolver's ``?linkType=all`` answer (RFC 9264)."""

import re
import string
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, unquote

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from . import checksums
from .amounts import Date
from .values import Payload, WebAddress

#: The GS1 Web Vocabulary's namespace: ``gs1:pip`` stands for ``https://gs1.org/voc/pip``.
VOCABULARY = "https://gs1.org/voc/"

#: The link types the GS1 Web Vocabulary publishes (without ``defaultLink`` and
#: ``defaultLinkMulti``: a code's default link is its destination URL).
LINK_TYPES = frozenset({
    "activityIdeas", "allergenInfo", "appDownload", "backgroundInfo", "brandHomepageClinical",
    "brandHomepagePatient", "careersInfo", "certificationInfo", "consumerHandlingStorageInfo", "dpp", "eifu",
    "epcis", "epil", "eventsInfo", "faqs", "handledBy", "hasRetailers", "homepage", "ingredientsInfo",
    "instructions", "jws", "leaveReview", "locationInfo", "logisticsInfo", "loyaltyProgram", "masterData",
    "menuInfo", "nutritionalInfo", "openingHoursInfo", "paymentLink", "pip", "productSustainabilityInfo",
    "promotion", "purchaseSuppliesOrAccessories", "quickStartGuide", "recallStatus", "recipeInfo",
    "registerProduct", "registryEntry", "relatedImage", "relatedVideo", "reportFound", "review", "safetyInfo",
    "scheduleTime", "serviceInfo", "smartLabel", "smpc", "socialMedia", "statisticInfo", "subscribe", "support",
    "sustainabilityInfo", "traceability", "tutorial", "userAgreement", "verificationService", "whatsInTheBox",
})
DEFAULT_LINK = "defaultLink"

#: GS1 AI encodable character set 82 (General Specifications, figure 7.11-1): what a batch
#: or serial number may hold.
CSET_82 = frozenset(string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_")
_MOST_AI_CHARACTERS = 20
#: The application identifiers CodeQR writes and reads: GTIN, batch/lot, serial, expiry.
GTIN, BATCH, SERIAL, EXPIRY = "01", "10", "21", "17"


def gtin14(value: str) -> str | None:
    """A GTIN-8, -12, -13 or -14 with a right check digit, as the 14 digits a Digital Link
    URI writes (zeros in front); None otherwise."""
    if not re.fullmatch(r"[0-9]{8}|[0-9]{12,14}", value):
        return None
    if checksums.gs1_check_digit(value[:-1]) != int(value[-1]):
        return None
    return value.zfill(14)


def _ai_value(value: str) -> bool:
    return 1 <= len(value) <= _MOST_AI_CHARACTERS and all(char in CSET_82 for char in value)


def _century_year(two_digits: int, today: date) -> int:
    """The year a YYMMDD date means (GS1 General Specifications 7.12): within 49 years
    back and 50 years ahead of the current year."""
    difference = two_digits - today.year % 100
    century = today.year // 100 + (-1 if difference >= 51 else 1 if difference <= -50 else 0)
    return century * 100 + two_digits


class Gs1(Payload):
    gtin: Annotated[str, Field(min_length=1, max_length=20)]
    batch: Annotated[str, Field(min_length=1, max_length=_MOST_AI_CHARACTERS)] | None = None
    serial: Annotated[str, Field(min_length=1, max_length=_MOST_AI_CHARACTERS)] | None = None
    expiry: Date | None = None
    link_types: dict[str, WebAddress] = Field(default_factory=dict, max_length=len(LINK_TYPES))

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, gtin: str) -> str:
        if not re.fullmatch(r"[0-9]{8}|[0-9]{12,14}", gtin):
            raise PydanticCustomError("gtin", "must be a GTIN of 8, 12, 13 or 14 digits")
        full = gtin14(gtin)
        if full is None:
            raise PydanticCustomError("gtin_check_digit", "has a wrong check digit (the last digit): a digit is "
                                                          "probably mistyped")
        return full

    @field_validator("batch", "serial")
    @classmethod
    def _ai(cls, value: str | None) -> str | None:
        if value is not None and not _ai_value(value):
            raise PydanticCustomError("gs1_characters", "may hold only letters, digits and !\"%&'()*+,-./:;<=>?_ "
                                                        "(GS1 character set 82), at most 20 of them")
        return value

    @field_validator("expiry")
    @classmethod
    def _expiry(cls, expiry: date | None) -> date | None:
        # Written YYMMDD: a date the GS1 century rule would read in another century is refused.
        if expiry is not None and _century_year(expiry.year % 100, date.today()) != expiry.year:
            raise PydanticCustomError("expiry_range", "must be within 49 years before and 50 years after this year "
                                                      "(GS1 writes the year with two digits)")
        return expiry

    @field_validator("link_types")
    @classmethod
    def _link_types(cls, link_types: dict[str, str]) -> dict[str, str]:
        for name in link_types:
            term = name.removeprefix("gs1:")
            if term == DEFAULT_LINK or term == "defaultLinkMulti":
                raise PydanticCustomError("link_type_default", "must not set {name}: the default link is the "
                                                               "code's destination URL", {"name": name})
            if not name.startswith("gs1:") or term not in LINK_TYPES:
                raise PydanticCustomError("link_type", "has {name}, which is not a GS1 link type (such as gs1:pip, "
                                                       "gs1:certificationInfo)", {"name": name[:60]})
        return link_types


def _path(gtin: str, batch: str | None, serial: str | None) -> str:
    """The identity part of the URI: /01/<gtin>[/10/<batch>][/21/<serial>], each value
    percent-encoded but for the unreserved characters (GS1 Digital Link 1.2 onward)."""
    path = f"/{GTIN}/{gtin}"
    for ai, value in ((BATCH, batch), (SERIAL, serial)):
        if value is not None:
            path += f"/{ai}/{quote(value, safe='')}"
    return path


def digital_link_path(gs1: Gs1) -> str:
    """The path of the code's Digital Link URI, data attributes in the query:
    ``/01/09506000134352/10/ABC123?17=261231``."""
    path = _path(gs1.gtin, gs1.batch, gs1.serial)
    return path + (f"?{EXPIRY}={gs1.expiry:%y%m%d}" if gs1.expiry is not None else "")


def _decoded(segment: str) -> str | None:
    """A path segment percent-decoded strictly: every % followed by two hex digits, UTF-8."""
    if re.search(r"%(?![0-9A-Fa-f]{2})", segment):
        return None
    try:
        return unquote(segment, errors="strict")
    except UnicodeDecodeError:
        return None


def parse_path(path: str) -> tuple[str, str | None, str | None] | None:
    """A request path read as a resolver does: ``/01/<GTIN-8/12/13/14>[/10/<batch>][/21/<serial>]``
    -> (the 14-digit GTIN, batch, serial); None for anything else (another or repeated AI, a
    wrong check digit, characters outside GS1's set, qualifiers out of order)."""
    if not path.startswith("/"):
        return None
    segments = path[1:].split("/")
    if len(segments) % 2 or len(segments) > 6 or segments[0] != GTIN:
        return None
    gtin = gtin14(segments[1])
    if gtin is None:
        return None
    values: dict[str, str] = {}
    order = [BATCH, SERIAL]
    for ai, raw in zip(segments[2::2], segments[3::2]):
        if ai not in order:  # unknown, repeated or out of order
            return None
        order = order[order.index(ai) + 1:]
        value = _decoded(raw)
        if value is None or not _ai_value(value):
            return None
        values[ai] = value
    return gtin, values.get(BATCH), values.get(SERIAL)


def linkset(gs1: Gs1, origin: str, default_link: str) -> dict[str, Any]:
    """The ``application/linkset+json`` document (RFC 9264) of ``?linkType=all``: the
    Digital Link URI on ``origin`` (``https://example.com``) as the anchor, the default link
    and each link type as a relation. Relation types are URIs in a linkset, so ``gs1:pip``
    is written ``https://gs1.org/voc/pip``. The anchor leaves out the expiry: a data
    attribute, not part of what the URI identifies."""
    links: dict[str, Any] = {"anchor": origin.rstrip("/") + _path(gs1.gtin, gs1.batch, gs1.serial)}
    links[VOCABULARY + DEFAULT_LINK] = [{"href": default_link}]
    for name, url in gs1.link_types.items():
        links[VOCABULARY + name.removeprefix("gs1:")] = [{"href": url}]
    return {"linkset": [links]}
