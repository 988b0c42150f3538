"""The core's own kinds of job (the API's bulk creates, CSV imports, exports, find and replace), registered
through the hook that plugins use for theirs (``codeqr_register_job_kinds``), and its chores
(the logo sweep, the destination checks). A runner looks for work in this order: a bulk create, which a request may be
waiting for, first."""

from datetime import timedelta

from ..plugin_api import hookimpl
from .runner import Chore


@hookimpl
def codeqr_register_job_kinds():
    from ..domain.models import BulkJob, ExportJob, ImportJob, ReplaceUrlsJob
    from . import bulk_create, csv_import, exports, replace_urls  # services: imported once the app's pieces exist

    return [(BulkJob, bulk_create.run, bulk_create.remove_old), (ImportJob, csv_import.run),
            (ExportJob, exports.run, exports.remove_expired),
            (ReplaceUrlsJob, replace_urls.run, replace_urls.remove_old)]


def chores() -> list[Chore]:
    """What the runner does when idle besides tidying for the kinds: work on no job table."""
    from ..design import logo_sweep  # services: imported once the app's pieces exist
    from ..links import health
    from ..persistence.database import refresh_statistics

    # The destination checks: each run checks what is due for at most ``health.BUDGET_SECONDS``.
    return [Chore(logo_sweep.sweep, timedelta(hours=1)), Chore(health.chore, timedelta(minutes=1)),
            Chore(refresh_statistics, timedelta(hours=1))]
