"""Scan events as the API lists them: pages of rows, or every match as CSV lines (the
views make the responses). Scans not enriched yet are listed too, as they will be
(``stored``), newest first."""

from collections.abc import Iterator

from sqlalchemy import false, literal_column

from ..accounts.permissions import Actor
from ..jobs.spreadsheets import csv_lines
from ..persistence.extensions import db
from ..scans.agents import AgentParser
from .limits import bounded_reads
from .queries import event_conditions, scope
from .schemas import EventsQuery, ScanEventOut
from .stored import stored_scans
from .timeframe import EPOCH, time_frame

_CSV_CHUNK = 1000


def _matching(query: EventsQuery, agents: AgentParser, actor: Actor, after=None):
    """The matching scans, newest first: the waiting ones (newer than every event), then
    the events; with ``after`` (a row), only those listed after it. One ordered union of
    the two halves, each filtered on its own."""
    frame = time_frame(query, first_event=EPOCH)  # interval=all: no lower bound
    ids = scope(query, actor)
    scans = stored_scans(agents)

    def where(half):
        conditions = event_conditions(query, ids, frame, half)
        if after is not None:
            waiting = 1 if half is scans.waiting_scans else 0
            if waiting == after.waiting:
                conditions.append(half.c.id < after.id)
            elif waiting > after.waiting:  # the waiting scans are all listed before the events
                conditions.append(false())
        return conditions

    return scans.every(where).order_by(literal_column("waiting").desc(), literal_column("id").desc())


def page(query: EventsQuery, seconds: float, agents: AgentParser, actor: Actor) -> list:
    """One page of the events ``actor`` may read (``queries.scope``), newest first; each statement stops after ``seconds``.
    ``agents`` classifies the waiting scans."""
    with bounded_reads(seconds):
        statement = _matching(query, agents, actor).limit(query.page_size).offset((query.page - 1) * query.page_size)
        return list(db.session.execute(statement))


def as_csv(query: EventsQuery, agents: AgentParser, actor: Actor) -> Iterator[str]:
    """Every matching event as CSV lines, read in chunks, each chunk one statement
    (the first line names the columns)."""
    fields = list(ScanEventOut.model_fields)
    header = [ScanEventOut.model_fields[name].alias or name for name in fields]

    # Before the first line: an unknown QR Code is a 404, not a broken download.
    statement = _matching(query, agents, actor)

    def rows():
        chunk = statement
        while events := db.session.execute(chunk.limit(_CSV_CHUNK)).all():
            for event in events:
                data = ScanEventOut.model_validate(event).model_dump(mode="json")
                yield [data[name] for name in fields]
            chunk = _matching(query, agents, actor, after=events[-1])  # newest first: on from the last

    return csv_lines(header, rows())


def csv_stream(query: EventsQuery, seconds: float, agents: AgentParser, actor: Actor) -> Iterator[str]:
    """Every matching event as CSV lines, for a view to stream; each statement (one per
    chunk) stops after ``seconds``. An unknown QR Code raises here, before the first line."""
    with bounded_reads(seconds):
        lines = as_csv(query, agents, actor)

    def bounded() -> Iterator[str]:
        with bounded_reads(seconds):
            yield from lines

    return bounded()
