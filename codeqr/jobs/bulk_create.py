"""The API's bulk create as a job: each item is checked (its logo taken in, its image decoded
at its size and printed small) in the job runner, never in the request, then the valid
ones are inserted in one transaction together with the answer.

The request waits for the job a little (``CODEQR_BULK_WAIT_SECONDS``, less when the client
asks with ``Prefer: wait=N`` or ``respond-async``): a job done by then is answered as the
bulk create always was; one still running is answered 202 with where to poll. A job taken
up after its process died checks its items again: no QR Code is created before the insert.
"""

import json
import logging
import time
from datetime import timedelta

from pydantic import RootModel, ValidationError
from sqlalchemy import delete, select

from ..accounts.permissions import Permission
from ..context import Context
from ..domain import qrcodes, writes
from ..domain.lifecycle import fire
from ..domain.messages import schema_problems
from ..domain.models import BulkJob
from ..domain.schemas import MAX_BULK
from ..errors import CodeQRError, InvalidInput, InvalidInputs
from ..links.options import hidden
from ..operations.outages import UNAVAILABLE
from ..persistence.database import begin_write
from ..persistence.extensions import db
from .runner import Lease, LeaseLost, owned_job, stored_job
from .statuses import JobStatus

log = logging.getLogger(__name__)

#: How long a finished job's answer can be fetched again.
RESULTS_KEPT = timedelta(hours=24)
#: Why a job whose owner lost the right to change QR Codes since it was sent failed.
LOST_RIGHTS = "the account that sent it may no longer change QR Codes"
#: How often a waiting request looks at the job's row.
_POLL_SECONDS = 0.05
_ENDED = (JobStatus.DONE, JobStatus.FAILED)


def start(items: list, ctx: Context) -> str:
    """Record a job for ``items`` (up to ``MAX_BULK`` API bodies, each checked in the job), wake
    this process's runner, and return the job's id. The items, passwords included, are kept
    only until the job ends (hashing each password is the job's work, not the request's)."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    if len(items) > MAX_BULK:
        raise InvalidInput(f"at most {MAX_BULK} QR Codes per request")
    source = json.dumps(items, ensure_ascii=False)
    try:
        source.encode()
    except UnicodeEncodeError:
        # The answer echoes refused items, and could not be written: refused here, not in the job.
        raise InvalidInput("The body holds text that is not valid Unicode (a lone surrogate such as \\ud800): "
                           "send it as UTF-8 text.") from None
    with begin_write():
        job = BulkJob(user_id=ctx.actor.user_id, status=JobStatus.QUEUED, total=len(items), items=source)
        db.session.add(job)
        db.session.flush()
        job_id = job.id
    ctx.state.jobs.wake()
    return job_id


def wait(job_id: str, seconds: float) -> BulkJob:
    """The job once it has ended, or as it is after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        status = db.session.scalar(select(BulkJob.status).where(BulkJob.id == job_id))
        db.session.rollback()  # no read transaction held while sleeping; the next look reads afresh
        if status in _ENDED or time.monotonic() >= deadline:
            return stored_job(BulkJob, job_id, "bulk create")
        time.sleep(_POLL_SECONDS)


def run(job_id: str, lease: Lease, ctx: Context) -> None:
    """Check each item as ``ctx.actor`` (the job's owner as they are now), then insert the
    valid ones and record the answer in one transaction; the job is done once their hooks
    have run. A job that stopped after that transaction is only marked done."""
    job = stored_job(BulkJob, job_id, "bulk create")
    items, answered = json.loads(job.items or "[]"), job.results is not None
    db.session.rollback()
    if not answered:
        if not ctx.actor.can(Permission.WRITE_QRCODES):
            lease.finish(JobStatus.FAILED, items=None, message=LOST_RIGHTS)
            return
        try:
            _check_and_insert(items, lease, ctx)
        except Exception as error:
            if isinstance(error, (LeaseLost, *UNAVAILABLE)):
                raise  # another process has it, or the database is away: taken up again
            # Would fail the same way each time it is taken up: ended once, with what was sent dropped.
            log.exception("bulk create %s failed", job_id)
            lease.finish(JobStatus.FAILED, items=None,
                         message=f"the bulk create could not be completed ({type(error).__name__}); nothing was created")
            return
    lease.finish(JobStatus.DONE)


def _check_and_insert(items: list, lease: Lease, ctx: Context) -> None:
    checked = []
    for index, item in enumerate(items):
        checked.append(_checked(item, ctx))
        with begin_write():
            lease.advance(checked=index + 1)
    with begin_write():
        # Written out inside the transaction: an answer that cannot be written stores nothing.
        lease.advance(items=None, results=_inserted(items, checked, ctx).model_dump_json(by_alias=True))


class _Refused(dict):
    """The answer's entry for an item refused by its checks."""


def _as_sent(item):
    """An item as the answer echoes it: its password hidden (``links.options.hidden``)."""
    if isinstance(item, dict) and item.get("password") is not None:
        return item | {"password": hidden(item["password"])}
    return item


def _checked(item, ctx: Context) -> dict:
    """The fields to insert for ``item`` (its logo taken in and stored, its image decoded),
    or its ``_Refused`` entry."""
    try:
        return writes.checked_new(item, ctx)
    except ValidationError as error:
        return _Refused({"error": InvalidInputs.of(list(schema_problems(error))).body(), "qrcode": _as_sent(item)})
    except CodeQRError as error:
        return _Refused({"error": error.body(), "qrcode": _as_sent(item)})


def _inserted(items: list, checked: list[dict], ctx: Context) -> RootModel:
    """In the open write transaction: insert each item's checked fields; the answer, item by
    item (a QR Code, or its error and the item as sent)."""
    results: list = []
    for item, fields in zip(items, checked):
        if isinstance(fields, _Refused):
            results.append(fields)
            continue
        try:
            created = qrcodes.out_of(writes.inserted(fields, ctx), ctx)
        except CodeQRError as error:  # a key taken since the check
            results.append({"error": error.body(), "qrcode": _as_sent(item)})
        else:
            results.append(created)
            fire(ctx, "codeqr_qrcode_created", qrcode=created.api())
    return ctx.schemas.bulk_result.model_validate(results)


def get(job_id: str, ctx: Context) -> BulkJob:
    """The job, if ``ctx.actor`` started it or manages others' work (admins)."""
    return owned_job(BulkJob, job_id, ctx, "bulk create")


def remove_old(ctx: Context) -> int:
    """Delete the jobs that ended more than ``RESULTS_KEPT`` ago; return how many."""
    with begin_write():
        gone = db.session.execute(delete(BulkJob).where(BulkJob.status.in_(_ENDED),
                                                        BulkJob.finished_at < ctx.now() - RESULTS_KEPT)
                                  .returning(BulkJob.id))
        return len(gone.all())


def progress(job: BulkJob) -> dict:
    """The job as the API answers it; ``results`` (the bulk create's answer) once done."""
    return {
        "id": job.id,
        "status": job.status,
        "total": job.total,
        "checked": job.checked,
        "createdAt": job.created_at,
        "finishedAt": job.finished_at,
        "message": job.message,
        "results": json.loads(job.results) if job.results else None,
    }

