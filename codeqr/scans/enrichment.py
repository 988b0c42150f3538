"""Enrichment: move scans from the inbox to the events with their user agents parsed
and their continent (of their country), add them to the rollups and tell plugins
(``codeqr_qrcode_scanned``), one transaction per batch.

It runs in a background thread of each process that counts scans, started by the
first scan and stopped after a minute without any. Reads never call it: they count
the scans still waiting where they are (``analytics.stored``). On PostgreSQL, servers share the work
(``FOR UPDATE SKIP LOCKED``); on SQLite, write transactions take turns.
"""

import logging
import threading
import time
from dataclasses import asdict, fields
from datetime import date, timedelta
from typing import cast

from sqlalchemy import BigInteger, ColumnElement, CursorResult, any_, bindparam, delete, false, func, insert, null, select
from sqlalchemy.dialects import postgresql

from ..analytics import rollups
from ..analytics.continents import continent
from ..analytics.schemas import ScanEventOut
from ..domain.timeutil import utcnow
from ..operations.outages import UNAVAILABLE, first_line
from ..persistence.database import begin_write, index_key, index_key_of, insert_on_conflict
from ..persistence.extensions import db, table_of
from .agents import Agent
from .models import ParsedAgent, PendingScan, ScanEvent

log = logging.getLogger(__name__)

#: Scans moved per transaction. Large batches share rollup rows (one per QR Code,
#: hour and value), which is most of the enrichment's cost.
BATCH = 2000
_IDLE_STOP_SECONDS = 60
_GATHER_SECONDS = 2.0
_PRUNE_EVERY_SECONDS = 3600

_inbox, _events, _agents = table_of(PendingScan), table_of(ScanEvent), table_of(ParsedAgent)
_AGENT_FIELDS = [field.name for field in fields(Agent)]


def enrich_pending(app, limit: int = BATCH, wait: bool = False) -> int:
    """Move up to ``limit`` scans from the inbox to the events, enriched; return how many.

    One transaction adds the events, removes them from the inbox and adds them to
    the rollups, so a scan is always in exactly one of the two. The database does the
    moving: Python only parses user agents it has not seen (``user_agents``), and
    mostly before the transaction, which on SQLite holds the one write lock scans
    wait for. On PostgreSQL the batch is claimed with ``FOR UPDATE SKIP LOCKED``,
    which blocks no scan; with ``wait``, it waits for the scans another enricher holds
    instead of passing them by (so "nothing moved" means the inbox is empty).
    """
    state = app.extensions["codeqr"]
    dialect = db.engine.dialect
    claim = select(_inbox.c.id, _inbox.c.timestamp).order_by(_inbox.c.id).limit(limit)
    if db.session.execute(claim.limit(1)).first() is None:
        return 0  # by a read: an empty inbox costs no write turn (SQLite's one writer)
    for agent in _unknown_agents(_inbox.c.id.in_(claim.with_only_columns(_inbox.c.id))):
        state.agents.describe(agent)  # parsed outside the write, and remembered
    with begin_write():
        rollups.hold_closing()
        if dialect.name == "postgresql":
            claim = claim.with_for_update(skip_locked=not wait)
        scans = db.session.execute(claim).all()
        late = bool(scans) and min(scan.timestamp for scan in scans) < _midnight()
        events = _move(state, [scan.id for scan in scans], late) if scans else []
    if events and state.scan_hook_used:
        _tell_plugins(app, state, events)
    return len(events)


def _in_batch(column, dialect):
    """``column`` is one of the ids bound as ``ids``."""
    if dialect.name == "postgresql":
        return column == any_(bindparam("ids", type_=postgresql.ARRAY(BigInteger)))
    return column.in_(bindparam("ids", expanding=True))


def _unknown_agents(condition, params: dict | None = None) -> list[str]:
    """The user agents of the inbox's scans matching ``condition`` not parsed yet."""
    agent = _inbox.c.user_agent
    known = _agents.c.key == index_key(agent, db.engine.dialect)
    return list(db.session.scalars(select(agent).distinct().where(
        condition, agent.is_not(None), ~select(_agents.c.key).where(known).exists()), params))


def _midnight():
    """The start of today, UTC."""
    return utcnow().replace(hour=0, minute=0, second=0, microsecond=0)


def _move(state, scans: list[int], late: bool) -> list[int]:
    """Parse the new user agents of ``scans`` (inbox ids), add their events (joined to
    their parsed user agents), take them out of the inbox, add the events to the
    rollups (``late``: some are of days before today). Return the events' ids."""
    dialect = db.engine.dialect
    batch, ids = _in_batch(_inbox.c.id, dialect), {"ids": scans}
    new = [{"key": index_key_of(agent, dialect), "agent": agent, **asdict(state.agents.describe(agent))}
           for agent in _unknown_agents(batch, ids)]
    if new:  # another enricher may be adding the same ones
        db.session.execute(insert_on_conflict(_agents, dialect).on_conflict_do_nothing(), new)
    agent = _agents.alias("agent")
    columns: dict[str, ColumnElement] = {column.name: column for column in _inbox.columns if column.name != "id"}
    columns["user_agent"] = null() if state.visits.mode == "anonymous" else _inbox.c.user_agent
    columns.update({name: agent.c[name] for name in _AGENT_FIELDS})
    # A scan without a user agent: what AgentParser says of none.
    columns.update(device=func.coalesce(agent.c.device, "other"), bot=func.coalesce(agent.c.bot, false()),
                   continent=continent(_inbox.c.country))
    joined = _inbox.outerjoin(agent, agent.c.key == index_key(_inbox.c.user_agent, dialect))
    moved = select(*columns.values()).select_from(joined).where(batch).order_by(_inbox.c.id)  # numbered in order
    events = list(db.session.scalars(insert(_events).from_select(list(columns), moved).returning(_events.c.id), ids))
    db.session.execute(delete(_inbox).where(batch), ids)
    rollups.add(_in_batch(ScanEvent.id, dialect), {"ids": events}, late)
    return events


def _tell_plugins(app, state, ids: list[int]) -> None:
    """Give ``codeqr_qrcode_scanned`` each stored event; a plugin's failure is logged,
    and loses neither the other calls nor the caller's work."""
    events = [(event.id, ScanEventOut.model_validate(event).model_dump(mode="json", by_alias=True))
              for event in db.session.scalars(select(ScanEvent).where(_in_batch(ScanEvent.id, db.engine.dialect))
                                              .order_by(ScanEvent.id), {"ids": ids})]
    db.session.rollback()  # the hooks run after the read, in no transaction of ours
    for scan_id, event in events:
        try:
            state.pm.hook.codeqr_qrcode_scanned(app=app, event=event)
        except Exception:
            log.exception("a codeqr_qrcode_scanned hook failed for scan %s", scan_id)


def prune(app, days: int) -> int:
    """Delete events older than ``days``; the rollups keep their totals."""
    cutoff = utcnow() - timedelta(days=days)
    removed = 0
    while True:
        with begin_write():
            doomed = select(ScanEvent.id).where(ScanEvent.timestamp < cutoff).limit(5000)
            count = cast(CursorResult, db.session.execute(delete(ScanEvent).where(ScanEvent.id.in_(doomed)))).rowcount
        removed += count
        if count < 5000:
            return removed


class EnrichmentWorker:
    """The background thread of one process; ``wake()`` is cheap enough for every scan."""

    def __init__(self, app, enabled: bool, retention_days: int | None):
        self.app = app
        self.enabled = enabled
        self.retention_days = retention_days
        self._signal = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._pruned_at = 0.0
        self._closed_before: date | None = None

    def wake(self) -> None:
        if not self.enabled or self._stopping:
            return
        self._signal.set()
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="codeqr-enrichment", daemon=True)
                    self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Finish the batch under way and end the thread (tests and embedding programs;
        a process that just exits loses nothing: an unfinished batch rolls back)."""
        self._stopping = True
        self._signal.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        idle_since, failures = time.monotonic(), 0
        with self.app.app_context():
            while not self._stopping:
                self._signal.clear()
                try:
                    count = enrich_pending(self.app)
                    self._maybe_close_days()
                    self._maybe_prune()
                    failures = 0
                except Exception as error:
                    failures += 1
                    pause = min(300, 5 * 2 ** (failures - 1))
                    if isinstance(error, UNAVAILABLE):  # said in one line: the log of an outage stays readable
                        log.warning("scan enrichment waits for the database (%s); trying again in %d s",
                                    first_line(error), pause)
                    else:
                        log.exception("scan enrichment failed; trying again in %d s", pause)
                    count = 0
                    time.sleep(pause)
                finally:
                    db.session.remove()
                if count >= BATCH:
                    continue  # a backlog: no pause
                if count:
                    idle_since = time.monotonic()
                elif time.monotonic() - idle_since > _IDLE_STOP_SECONDS:
                    with self._lock:
                        if not self._signal.is_set():  # a scan that came meanwhile keeps it going
                            self._thread = None
                            return
                # Let events gather: a batch (one short write) per pause, not one per scan.
                time.sleep(_GATHER_SECONDS)
                if not count:
                    self._signal.wait(timeout=1.0)

    def _maybe_close_days(self) -> None:
        """Close the days before today (``rollups.close_days``), one a turn, until none
        is left; then again tomorrow."""
        today = utcnow().date()
        if self._closed_before != today:
            with begin_write():
                closed = rollups.close_days(today)
            if closed:
                log.info("rollups per popular QR Code made for %s", closed[0])
            else:
                self._closed_before = today

    def _maybe_prune(self) -> None:
        if self.retention_days and time.monotonic() - self._pruned_at > _PRUNE_EVERY_SECONDS:
            self._pruned_at = time.monotonic()
            removed = prune(self.app, self.retention_days)
            if removed:
                log.info("pruned %d scan events older than %d days", removed, self.retention_days)
