"""What a QR Code's detail page adds to the QR Code itself: the sizes it prints at, how
many of its scans bots made (its counter counts them, its analytics do not) and what it
holds in people's words."""

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from ..analytics import queries
from ..analytics.limits import ReadLimits
from ..analytics.schemas import AnalyticsQuery
from ..contents import TYPES
from ..context import the_app
from ..errors import CodeQRError
from ..state import app_state
from . import content_fields, current_actor

#: Physical sizes the detail page prints a QR Code at, in centimetres; the first is the default.
PRINT_SIZES_CM = (5, 3, 4, 8, 10, 15)


def destination_health(qr) -> list:
    """What the background checks found of each destination of ``qr`` (``links.health``);
    empty when the checks are off or it has none (a static code)."""
    from ..context import for_request
    from ..links import health

    found = health.of_qrcode(qr.id, for_request())
    return found.destinations if found.checks_enabled else []


def bot_scans(qr) -> int | None:
    """How many of a QR Code's scans bots and scripts made, all time: counted by its
    scan counter, left out of its analytics. None when the analytics cannot say in time."""
    if not qr.scans:
        return 0
    limits = ReadLimits.from_config(the_app().config)

    def counted(bots: str) -> int:
        query = AnalyticsQuery.model_validate({"interval": "all", "qrcodeId": qr.id, "bots": bots})
        return queries.analytics(query, limits, app_state().agents, current_actor())["scans"]

    try:
        return max(counted("include") - counted("exclude"), 0)
    except CodeQRError:
        return None


@dataclass(frozen=True)
class ContentLine:
    """One line of what a QR Code holds, in people's words; a ``secret`` one is shown on demand."""

    label: str
    value: str
    secret: bool = False


#: Payload keys whose value the detail page hides until asked (someone may look over a shoulder).
SECRETS = frozenset({("wifi", "password")})


def content_lines(qr, zone: str) -> list[ContentLine]:
    """What ``qr`` holds, key by key, in people's words (moments in the reader's ``zone``);
    empty for a website, whose destination the page shows as a link."""
    kind = TYPES[qr.type]
    payload = qr.payload()
    if kind.field == "url" or payload is None:
        return []
    if not isinstance(payload, BaseModel):
        return [ContentLine(_short(content_fields.form_label(kind.field, "")), _words(payload, zone))]
    lines = []
    for key in content_fields.keys_of(kind.field).values():
        value = getattr(payload, key)
        if value in (None, "", [], {}):
            continue
        label = _short(content_fields.form_label(kind.field, key))
        lines.append(ContentLine(label, _words(value, zone), (kind.field, key) in SECRETS))
    return lines


def _short(label: str) -> str:
    """A form label without its typing hint: "Phone numbers, one a line" -> "Phone numbers"."""
    return label.split(" (")[0].split(", one ")[0]


def _words(value: Any, zone: str) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        local = value.astimezone(ZoneInfo(zone))
        return f"{local:%A %-d %B %Y, %H:%M} ({zone})"
    if isinstance(value, dt.date):
        return f"{value:%-d %B %Y}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{name} {address}" for name, address in value.items())
    return content_fields.CHOICE_WORDS.get(str(value), str(value))
