"""The core's own kinds of job (the API's bulk creates, CSV imports, exports), registered
through the hook that plugins use for theirs (``codeqr_register_job_kinds``). A runner looks
for work in this order: a bulk create, which a request may be waiting for, first."""

from ..plugin_api import hookimpl


@hookimpl
def codeqr_register_job_kinds():
    from ..domain.models import BulkJob, ExportJob, ImportJob
    from . import bulk_create, csv_import, exports  # services: imported once the app's pieces exist

    return [(BulkJob, bulk_create.run, bulk_create.remove_old), (ImportJob, csv_import.run),
            (ExportJob, exports.run, exports.remove_expired)]
