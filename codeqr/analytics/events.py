"""Scan events as the API lists them: pages of rows, or every match as CSV lines (the
views make the responses)."""

from collections.abc import Iterator

from sqlalchemy import select

from ..extensions import db
from ..scans.models import ScanEvent
from ..spreadsheets import csv_lines
from .limits import bounded_reads
from .queries import event_conditions, scope
from .schemas import EventsQuery, ScanEventOut
from .timeframe import EPOCH, time_frame

_CSV_CHUNK = 1000


def _matching(query: EventsQuery):
    frame = time_frame(query, first_event=EPOCH)  # interval=all: no lower bound
    return select(ScanEvent).where(*event_conditions(query, scope(query), frame)).order_by(ScanEvent.id.desc())


def page(query: EventsQuery, seconds: float) -> list[ScanEvent]:
    """One page of matching events, newest first; each statement stops after ``seconds``."""
    with bounded_reads(seconds):
        statement = _matching(query).limit(query.page_size).offset((query.page - 1) * query.page_size)
        return list(db.session.scalars(statement))


def as_csv(query: EventsQuery) -> Iterator[str]:
    """Every matching event as CSV lines, read in chunks, each chunk one statement
    (the first line names the columns)."""
    fields = list(ScanEventOut.model_fields)
    header = [ScanEventOut.model_fields[name].alias for name in fields]

    # Before the first line: an unknown QR Code is a 404, not a broken download.
    statement = _matching(query)

    def rows():
        chunk = statement
        while events := db.session.scalars(chunk.limit(_CSV_CHUNK)).all():
            for event in events:
                data = ScanEventOut.model_validate(event).model_dump(mode="json")
                yield [data[name] for name in fields]
            chunk = statement.where(ScanEvent.id < events[-1].id)  # newest first: on from the last
            for event in events:
                db.session.expunge(event)  # the session holds one chunk at a time

    return csv_lines(header, rows())


def csv_stream(query: EventsQuery, seconds: float) -> Iterator[str]:
    """Every matching event as CSV lines, for a view to stream; each statement (one per
    chunk) stops after ``seconds``. An unknown QR Code raises here, before the first line."""
    with bounded_reads(seconds):
        lines = as_csv(query)

    def bounded() -> Iterator[str]:
        with bounded_reads(seconds):
            yield from lines

    return bounded()
