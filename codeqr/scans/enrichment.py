"""Enrichment: parse the user agents of new scan events, add the events to the rollups
and tell plugins (``codeqr_qrcode_scanned``), one transaction per batch.

It runs in a background thread of each process that counts scans, started by the
first scan and stopped after a minute without any; and before the analytics API
answers, so answers count every scan stored. On PostgreSQL, servers share the work
(``FOR UPDATE SKIP LOCKED``); on SQLite, write transactions take turns.
"""

import logging
import threading
import time
from datetime import timedelta

from sqlalchemy import delete, select

from ..analytics import rollups
from ..analytics.schemas import ScanEventOut
from ..database import begin_write
from ..extensions import db
from ..timeutil import utcnow
from .models import ScanEvent

log = logging.getLogger(__name__)

BATCH = 500
#: How long the analytics API spends catching up before it answers anyway.
CATCH_UP_EVENTS = 50_000
_IDLE_STOP_SECONDS = 60
_PRUNE_EVERY_SECONDS = 3600


def enrich_pending(app, limit: int = BATCH) -> int:
    """Enrich up to ``limit`` waiting events; return how many."""
    state = app.extensions["codeqr"]
    with begin_write():
        pending = select(ScanEvent).where(ScanEvent.enriched.is_(False)).order_by(ScanEvent.id).limit(limit)
        if db.engine.dialect.name == "postgresql":
            pending = pending.with_for_update(skip_locked=True)
        events = list(db.session.scalars(pending))
        for event in events:
            agent = state.agents.describe(event.user_agent)
            event.device, event.bot = agent.device, agent.bot
            event.browser, event.browser_version = agent.browser, agent.browser_version
            event.os, event.os_version = agent.os, agent.os_version
            event.enriched = True
            if state.visits.mode == "anonymous":
                event.user_agent = None
        db.session.flush()
        rollups.add(events)
        told = [ScanEventOut.model_validate(event).model_dump(mode="json", by_alias=True)
                for event in events] if state.scan_hook_used else []
    for event in told:
        state.pm.hook.codeqr_qrcode_scanned(app=app, event=event)
    return len(events)


def catch_up(app, most: int = CATCH_UP_EVENTS) -> None:
    """Enrich what waits (up to ``most`` events), so an answer counts every scan stored."""
    done = 0
    while done < most:
        count = enrich_pending(app)
        if not count:
            return
        done += count


def prune(app, days: int) -> int:
    """Delete enriched events older than ``days``; the rollups keep their totals."""
    cutoff = utcnow() - timedelta(days=days)
    removed = 0
    while True:
        with begin_write():
            doomed = select(ScanEvent.id).where(ScanEvent.enriched.is_(True), ScanEvent.timestamp < cutoff).limit(5000)
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
        """Finish the batch under way and end the thread (for a clean shutdown)."""
        self._stopping = True
        self._signal.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        idle_since = time.monotonic()
        with self.app.app_context():
            while not self._stopping:
                self._signal.clear()
                try:
                    count = enrich_pending(self.app)
                    self._maybe_prune()
                except Exception:
                    log.exception("scan enrichment failed; trying again in 5 s")
                    count = 0
                    self._signal.wait(timeout=5)
                finally:
                    db.session.remove()
                if count:
                    idle_since = time.monotonic()
                    continue
                if time.monotonic() - idle_since > _IDLE_STOP_SECONDS:
                    with self._lock:
                        if not self._signal.is_set():  # a scan that came meanwhile keeps it going
                            self._thread = None
                            return
                self._signal.wait(timeout=1.0)

    def _maybe_prune(self) -> None:
        if self.retention_days and time.monotonic() - self._pruned_at > _PRUNE_EVERY_SECONDS:
            self._pruned_at = time.monotonic()
            removed = prune(self.app, self.retention_days)
            if removed:
                log.info("pruned %d scan events older than %d days", removed, self.retention_days)
