"""Bulk import of QR Codes from CSV: parse, then upsert row by row with visible progress.

Rows with an ``externalId`` are matched by it; the others by ``url`` (the API's upsert).
Each row is its own transaction, together with the job's progress, so a bad row never
leaves anything half-written, a job taken up after its process died goes on from the
next row, and a re-run of the same file creates nothing new.
"""

import csv
import functools
import io
import json
import re
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select

from ..accounts.permissions import Permission
from ..context import Context
from ..domain import qrcodes
from ..domain.messages import label_of, sentences
from ..domain.models import ImportJob, ImportRowError
from ..domain.schemas import QRCodeSchemas, ui_of, value_type
from ..errors import CodeQRError, InvalidInput, listed
from ..persistence.database import begin_write
from ..persistence.extensions import db
from .runner import Lease, owned_job, stored_job
from .spreadsheets import cell_value, csv_lines
from .statuses import JobStatus

MAX_ROWS = 10_000
_TRUE, _FALSE = {"1", "true", "yes", "y"}, {"0", "false", "no", "n"}
#: A number as a spreadsheet writes it (not "nan" nor "inf", which float() would take).
_FINITE_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _column(name: str) -> str:
    return "".join(char for char in name.lower() if char.isalnum())


@dataclass(frozen=True)
class CsvColumns:
    """The CSV columns of an app's QR Codes (its plugins' design fields included)."""

    #: CSV header (lower-case, without spaces, - or _) -> API field: every field by its API
    #: name, plus the aliases its ``UI`` gives
    by_header: dict[str, str]
    #: API field -> int, float or bool, for the fields a CSV cell must be converted for
    kinds: dict[str, type]
    #: the columns of the template, in the order of the API's fields
    template: tuple[str, ...]


@functools.cache
def csv_columns(schemas: QRCodeSchemas) -> CsvColumns:
    """The CSV columns of the QR Codes ``schemas`` describe."""
    api_names, fields = schemas.api_names, schemas.create.model_fields
    by_header = {_column(column): api_names[name]
                 for name, info in fields.items() for column in (api_names[name], *ui_of(info).csv_aliases)}
    kinds = {api_names[name]: value_type(info) for name, info in fields.items()}
    return CsvColumns(by_header, {name: kind for name, kind in kinds.items() if kind in (int, float, bool)},
                      tuple(api_names.values()))


#: The column the refused rows' file gives each row's reason in; ignored on import, so
#: that file can be fixed and imported again as it is.
REASON_COLUMN = "problem"


def parse(data: bytes, columns: CsvColumns) -> list[dict]:
    """Turn a CSV file into API bodies, one per row. Refuses a file it cannot read."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text. Save it as “CSV UTF-8” and import it again.") from None
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        if not header:
            raise InvalidInput("The file is empty.")
        keys = [_column(name) for name in header]
        fields = [columns.by_header.get(key) for key in keys]
        unknown = [name for name, key, field in zip(header, keys, fields)
                   if field is None and name.strip() and key != REASON_COLUMN]
        if unknown:
            raise InvalidInput(f"CodeQR does not know the column(s) {listed(unknown, ', ', 'column')}. "
                               f"Rename or remove them; the columns it knows are {', '.join(columns.template)}.")
        if "url" not in fields:
            raise InvalidInput("The first row must name the columns, one of them url (the destination of each QR Code).")
        rows: list[dict] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            if len(rows) == MAX_ROWS:
                raise InvalidInput(f"The file has more than {MAX_ROWS:,} rows: split it into smaller files.")
            rows.append({field: cell_value(cell.strip()) for field, cell in zip(fields, cells) if field and cell.strip()})
    except csv.Error as error:
        raise InvalidInput(f"The file is not valid CSV ({error}).") from None
    if not rows:
        raise InvalidInput("The file has a header but no rows.")
    return rows


def _typed(row: dict, kinds: dict[str, type]) -> dict:
    """Give CSV strings the API's types; leave bad values for validation to name."""
    body = dict(row)
    for name, kind in kinds.items():
        if name not in body:
            continue
        value = body[name]
        if kind is int and value.lstrip("-").isdigit():
            body[name] = int(value)
        elif kind is float and _FINITE_NUMBER.fullmatch(value):
            body[name] = float(value)
        elif kind is bool:
            body[name] = True if value.lower() in _TRUE else False if value.lower() in _FALSE else value
    return body


def import_row(row: dict, ctx: Context) -> str:
    """Create or update one QR Code from a row as ``ctx.actor``; return "created", "updated"
    or "unchanged"."""
    schemas = ctx.schemas
    body = _typed(row, csv_columns(schemas).kinds)
    if body.get("externalId"):
        existing = qrcodes.find("ext_" + body["externalId"], ctx)
        if existing is not None:
            after = qrcodes.update(existing.id, schemas.update.model_validate(body), ctx)
            return "unchanged" if after.updated_at == existing.updated_at else "updated"
        qrcodes.create(schemas.create.model_validate(body), ctx)
        return "created"
    _, outcome = qrcodes.upsert(schemas.create.model_validate(body), ctx)
    return outcome


def _reason(error: Exception, schemas: QRCodeSchemas) -> str:
    """Why a row was refused, for people: each sentence once, after the fields it concerns
    (named as the form labels them: "Foreground colour", not "fgColor")."""
    columns: dict[str, list[str]] = {}
    for field, sentence in sentences(error):
        columns.setdefault(sentence, []).append(label_of(field, schemas.create) if field else "")
    return " ".join(f"{', '.join(filter(None, fields))}: {sentence}" if any(fields) else sentence
                    for sentence, fields in columns.items())


def start(rows: list[dict], filename: str, ctx: Context) -> ImportJob:
    """Record a job for ``rows`` (``ctx.actor`` must be allowed to change QR Codes); a job
    runner of the instance takes it up (``jobs.runner``)."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    with begin_write():
        job = ImportJob(filename=filename[:255], user_id=ctx.actor.user_id, total=len(rows), status=JobStatus.QUEUED,
                        source=json.dumps(rows))
        db.session.add(job)
    return job


def run(job_id: str, lease: Lease, ctx: Context) -> None:
    """Import the job's rows from the first one not yet committed, as ``ctx.actor`` (its owner
    now: a right lost since the start refuses each row). Each row is one transaction
    with the job's progress, so progress always equals the rows committed."""
    job = stored_job(ImportJob, job_id, "import")
    rows, done = json.loads(job.source or "[]"), job.processed
    db.session.rollback()  # nothing of ours stays open between rows
    for index in range(done, len(rows)):
        number = index + 2  # row 1 is the header
        try:
            with begin_write():
                outcome = import_row(rows[index], ctx)
                lease.advance(processed=index + 1, **{outcome: getattr(ImportJob, outcome) + 1})
        except (ValidationError, CodeQRError) as error:
            message = _reason(error, ctx.schemas)
            with begin_write():
                db.session.add(ImportRowError(job_id=job_id, row=number, message=message))
                lease.advance(processed=index + 1, failed=ImportJob.failed + 1)
    lease.finish(JobStatus.DONE)


def get(job_id: str, ctx: Context) -> ImportJob:
    """The import, if ``ctx.actor`` started it or manages others' work (admins)."""
    return owned_job(ImportJob, job_id, ctx, "import")


def errors(job_id: str, limit: int = 1000) -> list[ImportRowError]:
    return list(db.session.scalars(
        select(ImportRowError).where(ImportRowError.job_id == job_id).order_by(ImportRowError.row).limit(limit)))


def template(columns: CsvColumns) -> str:
    """A CSV to fill in: every column, and one example row."""
    example = {"url": "https://example.com/spring-menu", "title": "Spring menu", "externalId": "menu-2026-spring"}
    return _csv(columns.template, [example])


def refused_rows(job: ImportJob, columns: CsvColumns) -> str:
    """The rows of ``job`` that were refused, as given, each with its reason in the
    ``problem`` column: fix them and import this file again."""
    rows = json.loads(job.source or "[]")  # imports from before version 0006 kept no rows
    refused = []
    for error in errors(job.id, limit=MAX_ROWS):
        given = rows[error.row - 2] if 0 <= error.row - 2 < len(rows) else {}  # row 1 is the header
        refused.append({**given, REASON_COLUMN: f"Row {error.row}: {error.message}"})
    present = {name for row in refused for name in row}
    return _csv([name for name in columns.template if name in present] + [REASON_COLUMN], refused)


def _csv(columns, rows: list[dict]) -> str:
    """A CSV file of ``rows`` (safe to open in a spreadsheet; imports read its cells back as they were)."""
    return "".join(csv_lines(list(columns), ([row.get(column) for column in columns] for row in rows)))


def progress(job: ImportJob) -> dict:
    """The job as JSON for the progress page."""
    return {
        "id": job.id,
        "status": job.status,
        "statusText": JobStatus(job.status).label,
        "total": job.total,
        "processed": job.processed,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "failed": job.failed,
        "message": job.message,
    }
