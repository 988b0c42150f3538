"""A calendar event: an iCalendar VEVENT (RFC 5545) with its time zone."""

from datetime import datetime

from .values import Line, Payload, Text


class Event(Payload):
    summary: Line
    start: datetime
    end: datetime
    location: Line | None = None
    description: Text | None = None


def encode_event(event: Event) -> str:
    raise NotImplementedError
