"""Bulk import pages: upload a CSV, watch its progress, read the refused rows."""

import json

from flask import Response, jsonify, redirect, render_template, url_for

from ..accounts.permissions import Permission
from ..contents import PAYLOADS
from ..context import for_request
from ..errors import CodeQRError
from ..jobs import content_columns, csv_import
from ..state import app_state
from . import bp, requires
from .forms import ImportForm, show_error


@bp.route("/import", methods=["GET", "POST"])
@requires(Permission.WRITE_QRCODES)
def import_upload():
    form = ImportForm()
    columns = csv_import.csv_columns(app_state().schemas)
    if form.validate_on_submit():
        upload = form.file.data
        try:
            rows = csv_import.parse(upload.read(), columns)
        except CodeQRError as error:
            show_error(form, error, "file")
        else:
            job = csv_import.start(rows, upload.filename or "upload.csv", for_request())
            app_state().jobs.wake()
            return redirect(url_for("web.import_progress", job_id=job.id))
    contents = content_columns.columns_of_types()
    content = {name for _, _, names in contents for name in names}
    return render_template("import.html", form=form, columns=[name for name in columns.template if name not in content],
                           contents=contents)


def _csv_file(text: str, name: str) -> Response:
    # With a byte-order mark, Excel opens the file as UTF-8 (and the import reads it too).
    return Response("\ufeff" + text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/import/template.csv")
def import_template():
    return _csv_file(csv_import.template(csv_import.csv_columns(app_state().schemas)), "codeqr-import-template.csv")


@bp.get("/import/<job_id>/refused.csv")
def import_refused(job_id: str):
    job = csv_import.get(job_id, for_request())
    columns = csv_import.csv_columns(app_state().schemas)
    return _csv_file(csv_import.refused_rows(job, columns), f"refused-rows-{job_id}.csv")


@bp.get("/import/<job_id>")
def import_progress(job_id: str):
    job = csv_import.get(job_id, for_request())
    errors = csv_import.errors(job_id)
    return render_template("import_progress.html", job=csv_import.progress(job), errors=errors,
                           rows_kept=job.source is not None, names=_names_of_rows(job.source, errors))


def _names_of_rows(source: str | None, errors) -> dict[int, str]:
    """What each refused row is, by its line number: its title, else its URL, else the first
    cell of its content (none when the import kept no rows, as before version 0006)."""
    rows = json.loads(source or "[]")
    given = (rows[error.row - 2] if 0 <= error.row - 2 < len(rows) else {} for error in errors)  # row 1: the header
    return {error.row: str(row.get("title") or row.get("url") or _first_content(row))[:80]
            for error, row in zip(errors, given)}


def _first_content(row: dict) -> str:
    return next((str(value) for name, value in row.items()
                 if name in content_columns.BY_NAME and content_columns.BY_NAME[name].field in PAYLOADS), "")


@bp.get("/import/<job_id>.json")
def import_status(job_id: str):
    return jsonify(csv_import.progress(csv_import.get(job_id, for_request())))
