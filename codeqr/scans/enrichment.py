"""Enrichment: move scans from the inbox to the events with their user agents parsed,
add them to the rollups and tell plugins (``codeqr_qrcode_scanned``), one transaction
per batch.

It runs in a background thread of each process that counts scans, started by the
first scan and stopped after a minute without any; and before the analytics API
answers, so answers count every scan stored. On PostgreSQL, servers share the work
(``FOR UPDATE SKIP LOCKED``); on SQLite, write transactions take turns.
"""

import logging
import threading
import time
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import delete, insert, select

from ..analytics import rollups
from ..analytics.schemas import ScanEventOut
from ..database import begin_write, driver_time, executemany
from ..extensions import db
from ..timeutil import utcnow
from .models import PendingScan, ScanEvent

log = logging.getLogger(__name__)

#: Scans moved per transaction. Large batches share rollup rows (one per QR Code,
#: hour and value), which is most of the enrichment's cost.
BATCH = 2000
#: How long the analytics API spends catching up before it answers anyway.
CATCH_UP_EVENTS = 50_000
_IDLE_STOP_SECONDS = 60
_GATHER_SECONDS = 2.0
_PRUNE_EVERY_SECONDS = 3600


class _Taken(Exception):
    """Another process moved some of these scans first (SQLite): start again."""


_inbox, _events = PendingScan.__table__, ScanEvent.__table__
_MOVE = [_inbox.c[column.name] for column in _inbox.columns]


def enrich_pending(app, limit: int = BATCH, wait: bool = False) -> int | None:
    """Move up to ``limit`` scans from the inbox to the events, enriched; return how
    many, or None when another process took some of them first (try again).

    One transaction adds the events, removes them from the inbox and adds them to
    the rollups, so a scan is always in exactly one of the two. It is kept short: on
    SQLite it holds the one write lock that scans wait for, so scans are read and
    parsed before it begins (and the delete checks that no other process took them
    meanwhile). On PostgreSQL the batch is claimed with ``FOR UPDATE SKIP LOCKED``,
    which blocks no scan; with ``wait``, it waits for the scans another enricher holds
    instead of passing them by (so "nothing moved" means the inbox is empty).
    """
    state = app.extensions["codeqr"]
    pending = select(*_MOVE).order_by(_inbox.c.id).limit(limit)
    try:
        if db.engine.dialect.name == "postgresql":
            with begin_write():
                events = _enriched(state, db.session.execute(pending.with_for_update(skip_locked=not wait)))
                _move(events)
        else:
            events = _enriched(state, db.session.execute(pending))
            db.session.rollback()  # end the read before taking the write lock
            with begin_write():
                _move(events)
    except _Taken:
        return None
    if state.scan_hook_used:
        for event in events:
            try:
                state.pm.hook.codeqr_qrcode_scanned(
                    app=app, event=ScanEventOut.model_validate(event).model_dump(mode="json", by_alias=True))
            except Exception:  # a plugin's failure must not lose the other calls, nor fail the caller
                log.exception("a codeqr_qrcode_scanned hook failed for scan %s", event["id"])
    return len(events)


def _enriched(state, rows) -> list[dict]:
    """The scans as events: their user agents parsed."""
    anonymous = state.visits.mode == "anonymous"
    events = []
    for row in rows:
        agent = state.agents.describe(row.user_agent)
        events.append({**row._mapping, "device": agent.device, "browser": agent.browser,
                       "browser_version": agent.browser_version, "os": agent.os, "os_version": agent.os_version,
                       "bot": agent.bot, "user_agent": None if anonymous else row.user_agent})
    return events


def _move(events: list[dict]) -> None:
    """Add the events, take their scans out of the inbox, add them to the rollups."""
    if not events:
        return
    ids = [event["id"] for event in events]
    if db.session.execute(delete(_inbox).where(_inbox.c.id.in_(ids))).rowcount != len(ids):
        raise _Taken()
    time = driver_time(db.engine.dialect)
    executemany(insert(_events), [event | {"timestamp": time(event["timestamp"])} for event in events])
    rollups.add([SimpleNamespace(**event) for event in events])


def catch_up(app, most: int = CATCH_UP_EVENTS) -> None:
    """Enrich what waits (up to ``most`` events), so an answer counts every scan stored."""
    done = 0
    while done < most:
        count = enrich_pending(app, wait=True)
        if count == 0:
            return
        done += count or 0


def prune(app, days: int) -> int:
    """Delete events older than ``days``; the rollups keep their totals."""
    cutoff = utcnow() - timedelta(days=days)
    removed = 0
    while True:
        with begin_write():
            doomed = select(ScanEvent.id).where(ScanEvent.timestamp < cutoff).limit(5000)
            count = db.session.execute(delete(ScanEvent).where(ScanEvent.id.in_(doomed))).rowcount
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
                    count = enrich_pending(self.app) or 0
                    self._maybe_prune()
                    failures = 0
                except Exception:
                    failures += 1
                    pause = min(300, 5 * 2 ** (failures - 1))
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

    def _maybe_prune(self) -> None:
        if self.retention_days and time.monotonic() - self._pruned_at > _PRUNE_EVERY_SECONDS:
            self._pruned_at = time.monotonic()
            removed = prune(self.app, self.retention_days)
            if removed:
                log.info("pruned %d scan events older than %d days", removed, self.retention_days)
