"""The core's own kinds of job (CSV imports, exports), registered through the hook that
plugins use for theirs (``codeqr_register_job_kinds``)."""

from ..plugin_api import hookimpl


@hookimpl
def codeqr_register_job_kinds():
    from ..domain.models import ExportJob, ImportJob
    from . import csv_import, exports  # services: imported once the app's pieces exist

    return [(ImportJob, csv_import.run), (ExportJob, exports.run, exports.remove_expired)]
