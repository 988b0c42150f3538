"""Delivery outside the request: a queue, one worker thread per app, retries with backoff.

Events wait in memory, so a hook costs a queue append; the worker signs and POSTs
them and records every delivery. Events still queued when the process stops are lost
(at most once); the record shows what was delivered and what failed.
"""

import hashlib
import heapq
import hmac
import itertools
import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import update

from codeqr import begin_write, db

from .models import Delivery

log = logging.getLogger(__name__)
MAX_QUEUED = 10_000


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value: HMAC-SHA256 of ``timestamp.body`` with the secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    url: str = field(compare=False)
    event: dict = field(compare=False)
    attempt: int = field(default=1, compare=False)
    delivery_id: int | None = field(default=None, compare=False)


class Sender:
    """Holds the queue of one app and the thread that empties it."""

    def __init__(self, app):
        self.app = app
        config = app.config
        self.urls = list(config["CODEQR_WEBHOOKS_URLS"])
        self.secret = config["CODEQR_WEBHOOKS_SECRET"] or ""
        self.events = set(config["CODEQR_WEBHOOKS_EVENTS"])
        self.max_attempts = int(config["CODEQR_WEBHOOKS_MAX_ATTEMPTS"])
        self.backoff = float(config["CODEQR_WEBHOOKS_BACKOFF_SECONDS"])
        self.timeout = float(config["CODEQR_WEBHOOKS_TIMEOUT_SECONDS"])
        self._jobs: list[_Job] = []
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._busy = False
        self.dropped = 0

    def wants(self, event_type: str) -> bool:
        return bool(self.urls) and event_type in self.events

    def publish(self, event_type: str, data: dict) -> None:
        """Queue an event for every URL; never blocks, never raises."""
        event = {"id": str(uuid.uuid4()), "type": event_type,
                 "createdAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                 "data": data}
        with self._wake:
            if len(self._jobs) + len(self.urls) > MAX_QUEUED:
                self.dropped += 1
                log.error("webhook queue full: dropped %s %s", event_type, event["id"])
                return
            for url in self.urls:
                heapq.heappush(self._jobs, _Job(time.monotonic(), next(self._seq), url, event))
            self._start()
            self._wake.notify()

    def idle(self) -> bool:
        with self._wake:
            return not self._jobs and not self._busy

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name="codeqr-webhooks", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        with self.app.app_context():
            while True:
                with self._wake:
                    while not self._jobs or self._jobs[0].due > time.monotonic():
                        self._busy = False
                        self._wake.wait(timeout=None if not self._jobs else self._jobs[0].due - time.monotonic())
                    job = heapq.heappop(self._jobs)
                    self._busy = True
                try:
                    self._attempt(job)
                except Exception:  # the worker must outlive any single delivery
                    log.exception("webhook delivery crashed")
                finally:
                    db.session.remove()

    def _attempt(self, job: _Job) -> None:
        if job.delivery_id is None:
            job.delivery_id = self._record(event_id=job.event["id"], event_type=job.event["type"], url=job.url,
                                           status="pending", attempts=0, created_at=_now())
        status, error = self._post(job)
        done = status is not None and 200 <= status < 300
        # 4xx other than 408/429 will not get better by trying again.
        permanent = status is not None and 400 <= status < 500 and status not in (408, 429)
        final = done or permanent or job.attempt >= self.max_attempts
        self._update(job.delivery_id, attempts=job.attempt, response_status=status, error=error,
                     status="delivered" if done else ("failed" if final else "pending"),
                     finished_at=_now() if final else None)
        if not final:
            job.due = time.monotonic() + self.backoff * 2 ** (job.attempt - 1)
            job.attempt += 1
            with self._wake:
                heapq.heappush(self._jobs, job)
                self._wake.notify()

    def _post(self, job: _Job) -> tuple[int | None, str | None]:
        body = json.dumps(job.event, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(job.url, data=body, method="POST", headers={
            "Content-Type": "application/json",
            "User-Agent": "CodeQR-Webhooks/0.1",
            "X-CodeQR-Event": job.event["type"],
            "X-CodeQR-Delivery": job.event["id"],
            "X-CodeQR-Timestamp": timestamp,
            "X-CodeQR-Signature": sign(self.secret, timestamp, body),
        })
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, None
        except urllib.error.HTTPError as error:
            return error.code, f"HTTP {error.code}"
        except (urllib.error.URLError, OSError) as error:
            return None, f"{error.__class__.__name__}: {getattr(error, 'reason', error)}"

    def _record(self, **values) -> int:
        with begin_write():
            delivery = Delivery(**values)
            db.session.add(delivery)
            db.session.flush()
            return delivery.id

    def _update(self, delivery_id: int, **values) -> None:
        with begin_write():
            db.session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))
