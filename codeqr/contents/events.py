"""A calendar event: an iCalendar VEVENT (RFC 5545), its times written in UTC.

Why UTC (``…Z``) and not TZID with a VTIMEZONE: the payload carries an offset, not a time
zone's name (Europe/Paris), so there is no rule set to describe; the instant in UTC is
exact, every reader shows it in its own zone, and the code stays short.
"""

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from .amounts import DateTime
from .contentlines import content, escape_text
from .values import Line, Payload, Text

PRODID = "-//CodeQR//Content types//EN"


def check_moment(value: datetime) -> datetime:
    """A moment that names its offset, to the second (iCalendar has no fractions of a second)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError("timezone_required", "must carry a time zone offset, such as 2026-12-07T09:00:00+01:00 "
                                                       "or 2026-12-07T08:00:00Z")
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("moment_range", "must be between the years 1 and 9999 in UTC") from None
    return value.replace(microsecond=0)


Moment = Annotated[DateTime, AfterValidator(check_moment)]


class Event(Payload):
    summary: Line
    start: Moment
    end: Moment
    location: Line | None = None
    description: Text | None = None

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")  # absent when the start was refused
        if start is not None and end <= start:
            raise PydanticCustomError("end_before_start", "must be after the start")
        return end


def utc(moment: datetime) -> str:
    """A DATE-TIME in UTC form: 20261207T080000Z (always four digits of year, which strftime's
    %Y does not promise before the year 1000)."""
    moment = moment.astimezone(UTC)
    return f"{moment.year:04}{moment.month:02}{moment.day:02}T{moment.hour:02}{moment.minute:02}{moment.second:02}Z"


def uid(event: Event) -> str:
    """The event's UID, from what the code says: one event, one UID, however often encoded
    (a reader that imports it twice updates it rather than adding it again)."""
    facts = [event.summary, utc(event.start), utc(event.end), event.location, event.description]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:32] + "@codeqr"


def encode_event(event: Event) -> str:
    """The event as an iCalendar object. DTSTAMP is required; a pure encoding has no
    "now", so it is the start: the same payload always gives the same text."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "BEGIN:VEVENT",
        f"UID:{uid(event)}",
        f"DTSTAMP:{utc(event.start)}",
        f"DTSTART:{utc(event.start)}",
        f"DTEND:{utc(event.end)}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return content(lines)
