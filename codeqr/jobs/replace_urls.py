"""A find and replace applied (``domain.replace_urls``), as a job: the matching QR Codes are
rewritten ``CHUNK`` at a time by id, each chunk in one transaction with the job's progress
(``done``, ``changed``, the codes ``refused`` and why, the chunk's last id); the
``codeqr_qrcode_updated`` hooks of a chunk's changed codes run once it is committed. A job
taken up after its process died goes on after the last chunk committed.
"""

import json
import logging
from datetime import timedelta

from sqlalchemy import delete

from ..accounts.permissions import Permission
from ..context import Context
from ..domain import qrcodes, replace_urls, writes
from ..domain.models import ReplaceUrlsJob
from ..errors import CodeQRError
from ..operations.outages import UNAVAILABLE
from ..persistence.database import begin_write
from ..persistence.extensions import db
from .runner import Lease, LeaseLost, owned_job, stored_job
from .statuses import JobStatus

log = logging.getLogger(__name__)

#: How long an ended job's progress can be read.
RESULTS_KEPT = timedelta(hours=24)
#: Why a job whose owner lost the right to change QR Codes since it was sent failed.
LOST_RIGHTS = "the account that sent it may no longer change QR Codes"
_WHAT = "find and replace"
_ENDED = (JobStatus.DONE, JobStatus.FAILED)


def start(body: replace_urls.ReplaceUrls, ctx: Context) -> ReplaceUrlsJob:
    """Record a job applying ``body`` (its ``total`` the codes matching now), wake this
    process's runner, and return the job."""
    total = replace_urls.preview(body, ctx).matches  # refuses whoever may not change QR Codes
    with begin_write():
        job = ReplaceUrlsJob(user_id=ctx.actor.user_id, status=JobStatus.QUEUED, find=body.find, replace=body.replace,
                             filters=body.filters.model_dump_json(by_alias=True, exclude_unset=True), total=total,
                             done=0, changed=0, refused="[]")
        db.session.add(job)
    ctx.state.jobs.wake()
    return job


def run(job_id: str, lease: Lease, ctx: Context) -> None:
    """Rewrite the job's QR Codes as ``ctx.actor`` (its owner as they are now), chunk after chunk."""
    job = stored_job(ReplaceUrlsJob, job_id, _WHAT)
    find, replace, after = job.find, job.replace, job.last_id
    done, changed, refused = job.done, job.changed, json.loads(job.refused)
    filters = replace_urls.ReplaceFilters.model_validate_json(job.filters)
    db.session.rollback()
    if not ctx.actor.can(Permission.WRITE_QRCODES):
        lease.finish(JobStatus.FAILED, message=LOST_RIGHTS)
        return
    try:
        while True:
            updated = []
            with begin_write():
                rows = replace_urls.chunk(filters, ctx.actor, after, to_change=True)
                if not rows:
                    break
                for row in rows:
                    outcome = replace_urls.rewrite(row, find, replace, ctx)
                    if outcome is None:
                        continue
                    done += 1
                    if isinstance(outcome, dict):
                        refused.append(outcome)
                    elif outcome[1]:
                        changed += 1
                        updated.append((*outcome, row))
                after = rows[-1].id
                answered = [(before, qrcodes.out_of(row, ctx), changes) for before, changes, row in updated]
                lease.advance(done=done, changed=changed, refused=json.dumps(refused), last_id=after)
            for before, result, changes in answered:  # committed: images forgotten, hooks told
                writes._after_update(before, result, changes, ctx)
    except Exception as error:
        if isinstance(error, (LeaseLost, *UNAVAILABLE)):
            raise  # another process has it, or the database is away: taken up again
        log.exception("find and replace %s failed", job_id)
        reason = error.message if isinstance(error, CodeQRError) else type(error).__name__
        lease.finish(JobStatus.FAILED, message=f"the find and replace stopped ({reason}); the QR Codes counted "
                                               "as done were rewritten, the others were not")
        return
    lease.finish(JobStatus.DONE)


def get(job_id: str, ctx: Context) -> ReplaceUrlsJob:
    """The job, if ``ctx.actor`` started it or manages others' work (admins)."""
    return owned_job(ReplaceUrlsJob, job_id, ctx, _WHAT)


def remove_old(ctx: Context) -> int:
    """Delete the jobs that ended more than ``RESULTS_KEPT`` ago; return how many."""
    with begin_write():
        gone = db.session.execute(delete(ReplaceUrlsJob).where(ReplaceUrlsJob.status.in_(_ENDED),
                                                               ReplaceUrlsJob.finished_at < ctx.now() - RESULTS_KEPT)
                                  .returning(ReplaceUrlsJob.id))
        return len(gone.all())


def progress(job: ReplaceUrlsJob) -> dict:
    """The job as the API answers it."""
    return {"id": job.id, "status": job.status, "find": job.find, "replace": job.replace, "total": job.total,
            "done": job.done, "changed": job.changed, "refused": json.loads(job.refused),
            "createdAt": job.created_at, "finishedAt": job.finished_at, "message": job.message}
