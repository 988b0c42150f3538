"""The database is the queue: a job row is claimed with a lease (owner, until), and each
step of the job renews it in the same transaction as the step's own work. A process that
dies stops renewing; once its lease has run out, any process's runner claims the job and
goes on from the last step committed. A step that finds its lease taken rolls back.

Why not a queue library: the embedded default must need nothing but the database, a job
must resume where it stopped (not restart, nor be lost with a dequeued message), and its
progress must move in the same commit as its work. huey would add a consumer process and
still drop a task whose worker dies mid-run; the job's own row, leased, does all three.
"""

import atexit
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol, TypeVar, cast

from sqlalchemy import CursorResult, or_, select, update

from ..accounts.permissions import Permission
from ..context import Context, for_job, for_operator
from ..domain.timeutil import utcnow
from ..errors import NotFound
from ..operations.outages import UNAVAILABLE, first_line
from ..persistence.database import begin_write
from ..persistence.extensions import db
from .statuses import JobStatus


class _JobRow(Protocol):
    user_id: int | None


Job = TypeVar("Job", bound=_JobRow)


def stored_job(model: type[Job], job_id: str, what: str) -> Job:
    """The row of job ``job_id`` in ``model``'s table; ``what`` names the kind (an import…)."""
    job = db.session.get(model, job_id)
    if job is None:
        raise NotFound(f"no {what} {job_id!r}")
    return job


def owned_job(model: type[Job], job_id: str, ctx: Context, what: str) -> Job:
    """The job, if ``ctx.actor`` started it or manages others' work (admins); else not found."""
    job = db.session.get(model, job_id)
    if job is None or (job.user_id != ctx.actor.user_id and not ctx.actor.can(Permission.USERS)):
        raise NotFound(f"no {what} of yours with this id")
    return job

log = logging.getLogger(__name__)

#: A job that has stopped this many times (its process dying each time) is failed.
MAX_ATTEMPTS = 5


class LeaseLost(Exception):
    """Another process holds the job now: this one stops, its last step rolled back."""


class Lease:
    """This runner's hold on one job row of ``model`` (columns lease_owner, lease_until),
    its times read from ``clock``."""

    def __init__(self, model, job_id: str, owner: str, seconds: float, clock: Callable[[], datetime] = utcnow):
        self.model, self.job_id, self.owner, self.seconds, self.clock = model, job_id, owner, seconds, clock

    def advance(self, **values) -> None:
        """In the open write transaction: set ``values`` on the job and renew the lease;
        ``LeaseLost`` (rolling the transaction back) if the job is no longer ours."""
        model = self.model
        renewed = db.session.execute(
            update(model).where(model.id == self.job_id, model.lease_owner == self.owner)
            .values({"lease_until": self.clock() + timedelta(seconds=self.seconds), **values}))
        if cast(CursorResult, renewed).rowcount != 1:
            raise LeaseLost(self.job_id)

    def finish(self, status: JobStatus, **values) -> None:
        """End the job, in a transaction of its own."""
        with begin_write():
            self.advance(status=status, lease_owner=None, lease_until=None, finished_at=self.clock(), **values)


def claim(model, owner: str, seconds: float, now: datetime) -> str | None:
    """Take the oldest job of ``model`` that is queued, or running with its lease run out ``now``."""
    claimable = (model.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
                 or_(model.lease_until.is_(None), model.lease_until < now))
    oldest = select(model.id).where(*claimable).order_by(model.created_at, model.id).limit(1).scalar_subquery()
    # Looked for first by a read: an idle runner in each worker would otherwise take the
    # write turn (SQLite's one writer) every poll, and make scans wait behind it.
    if db.session.scalar(select(oldest)) is None:
        return None
    with begin_write():
        # The conditions again in the UPDATE: on PostgreSQL a runner that lost the race
        # re-checks them on the row it waited for, and takes nothing.
        return db.session.scalar(
            update(model).where(model.id == oldest, *claimable)
            .values(status=JobStatus.RUNNING, lease_owner=owner, lease_until=now + timedelta(seconds=seconds),
                    attempts=model.attempts + 1)
            .returning(model.id))


#: What the runner reads and writes on a job's row.
JOB_COLUMNS = ("id", "user_id", "status", "created_at", "finished_at", "message", "lease_owner", "lease_until",
               "attempts")


class JobKind(NamedTuple):
    """One kind of job (``codeqr_register_job_kinds``): its table, what runs one
    (``run(job_id, lease, ctx)``, the context acting as the job's owner), and what to tidy
    when the runner is idle (``tidy(ctx)``, as the operator)."""

    model: type
    run: Callable[[str, Lease, Context], None]
    tidy: Callable[[Context], None] | None = None


class Chore(NamedTuple):
    """Work the runner does when idle that belongs to no job kind (the logo sweep):
    ``run(ctx)``, as the operator, at most once every ``every`` of the runner's clock in
    each process (``jobs.kinds.chores``)."""

    run: Callable[[Context], object]
    every: timedelta


def next_pause(pause: float, first: float, most: float) -> float:
    """The pause after an idle look that followed one of ``pause``: twice as long, from
    ``first`` up to ``most``."""
    return min(most, max(first, pause * 2))


class JobRunner:
    """A thread of one process that runs the jobs of every kind it is given
    (``JobKind``s), and tidies for each of them when idle, doing its ``chores`` then too.

    Idle, it looks for jobs after ``poll_seconds``, then twice as long each time up to
    ``idle_max_seconds``: a job queued by another process waits at most that long, one
    queued by this process (``wake``) not at all."""

    def __init__(self, app, kinds: list[JobKind], *, enabled: bool, lease_seconds: float,
                 poll_seconds: float = 2.0, idle_max_seconds: float = 30.0, tidy_seconds: float = 60.0,
                 clock: Callable[[], datetime] = utcnow, chores: list[Chore] | None = None):
        self.app, self.kinds, self.enabled, self.clock = app, kinds, enabled, clock
        self.chores = list(chores or [])
        self._chores_done: dict[int, datetime] = {}  # by the chore's place in ``chores``
        #: the kinds' tidying (expired exports) runs when idle, at most every ``tidy_seconds``
        self.tidy_seconds, self._tidied_at = tidy_seconds, 0.0
        self.lease_seconds, self.poll_seconds, self.idle_max_seconds = lease_seconds, poll_seconds, idle_max_seconds
        self.owner: str | None = None  # who holds leases: set when this process's thread starts
        self._signal = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._stopping = False
        self._holding: tuple | None = None

    def wake(self) -> None:
        """Start the thread in this process if it is not running, and look for work now."""
        if not self.enabled or self._stopping:
            return
        self._signal.set()
        if self._pid != os.getpid():  # none yet, or a forked child: each process runs its own
            with self._lock:
                if self._pid != os.getpid():
                    self._pid = os.getpid()
                    self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
                    self._thread = threading.Thread(target=self._run, name="codeqr-jobs", daemon=True)
                    self._thread.start()
                    atexit.register(self._let_go)

    def wanted(self) -> bool:
        """Whether a job was queued in this process since the runner last looked: a long
        chore (the destination checks) hands the thread back then."""
        return self._signal.is_set()

    def ensure_started(self) -> None:
        """Cheap enough for every request: start this process's thread once."""
        if self._pid != os.getpid():
            self.wake()

    def stop(self, timeout: float = 10) -> None:
        self._stopping = True
        self._signal.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _wait(self, seconds: float) -> bool:
        """Wait for ``wake`` at most ``seconds``; whether it came (tests count the waits)."""
        return self._signal.wait(seconds)

    def _run(self) -> None:
        pause = 0.0
        with self.app.app_context():
            while not self._stopping:
                self._signal.clear()
                try:
                    worked = any(self._run_one(kind.model, kind.run) for kind in self.kinds)
                    if not worked and time.monotonic() - self._tidied_at > self.tidy_seconds:
                        self._tidied_at = time.monotonic()
                        self._tidy()
                except Exception as error:
                    worked = False
                    if isinstance(error, UNAVAILABLE):
                        log.warning("jobs wait for the database (%s)", first_line(error))
                    else:
                        log.exception("the job runner failed; trying again")
                finally:
                    db.session.remove()
                if worked:
                    pause = 0.0
                    continue
                pause = next_pause(pause, self.poll_seconds, self.idle_max_seconds)
                if self._wait(pause):
                    pause = 0.0  # a job queued here: back to looking often

    def _tidy(self) -> None:
        for kind in self.kinds:
            if kind.tidy is not None:
                kind.tidy(for_operator(self.app))
        for index, chore in enumerate(self.chores):
            now, done = self.clock(), self._chores_done.get(index)
            if done is None or now - done >= chore.every:
                self._chores_done[index] = now  # before it runs: one that fails waits its turn too
                chore.run(for_operator(self.app))

    def _run_one(self, model, run) -> bool:
        assert self.owner is not None, "set when the thread starts"
        job_id = claim(model, self.owner, self.lease_seconds, self.clock())
        if job_id is None:
            return False
        lease = Lease(model, job_id, self.owner, self.lease_seconds, self.clock)
        attempts, owner_id = db.session.execute(select(model.attempts, model.user_id).where(model.id == job_id)).one()
        self._holding = (model, job_id)
        try:
            if attempts > MAX_ATTEMPTS:
                lease.finish(JobStatus.FAILED, message=f"the job stopped {MAX_ATTEMPTS} times before it could finish")
            else:
                run(job_id, lease, for_job(owner_id, self.app))
        except LeaseLost:
            log.warning("job %s was taken over by another process", job_id)
        finally:
            self._holding = None
        return True

    def _let_go(self) -> None:
        """At a clean exit (a reload, a stop): hand the job under way back at once, rather
        than after its lease runs out. Its last committed step stays."""
        holding = self._holding
        if holding is None:
            return
        model, job_id = holding
        try:
            with self.app.app_context():
                with begin_write():
                    # Without its owner, a step still under way here cannot renew the lease.
                    db.session.execute(update(model).where(model.id == job_id, model.lease_owner == self.owner)
                                       .values(lease_owner=None, lease_until=None))
        except Exception:
            log.exception("could not hand back job %s; it is taken up when its lease runs out", job_id)
