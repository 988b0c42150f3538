"""Bulk import of QR Codes from CSV: parse, then upsert row by row with visible progress.

Rows with an ``externalId`` are matched by it; the others by ``url`` or their content (the
API's upsert). A row's ``type`` says which content columns it fills (``content_columns``); its
tags and folder go by name (``organise_columns``).
Each row is its own transaction, together with the job's progress, so a bad row never
leaves anything half-written, a job taken up after its process died goes on from the
next row, and a re-run of the same file creates nothing new (nor changes anything: a
password is compared with the hash kept). Passwords are hashed row by row in the job, not in
the request; the job's rows keep them only until it is done, then they are blanked.
"""

import csv
import functools
import io
import json
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select

from ..accounts.permissions import Permission
from ..contents import PAYLOADS, TYPES
from ..contents.examples import EXAMPLES
from ..context import Context
from ..design import logos
from ..domain import qrcodes, writes
from ..domain.messages import label_of, sentences
from ..domain.models import ImportJob, ImportRowError
from ..domain.schemas import LINK_API_NAMES, QRCodeSchemas, ui_of
from ..errors import CodeQRError, InvalidInput, InvalidInputs, listed
from ..persistence.database import begin_write
from ..persistence.extensions import db
from . import content_columns, organise_columns
from .content_columns import Kind, field_kind
from .exports import MANIFEST_ONLY
from .runner import Lease, owned_job, stored_job
from .spreadsheets import cell_value, csv_lines
from .statuses import JobStatus

MAX_ROWS = 10_000


def _column(name: str) -> str:
    """A header as the import compares it: case, spaces, - and _ aside. The dot of a content
    column stays, so ``vcard.note`` is never a plugin's field ``vcardNote``."""
    return "".join(char for char in name.lower() if char.isalnum() or char == ".")


@dataclass(frozen=True)
class CsvColumns:
    """The CSV columns of an app's QR Codes (its plugins' design fields included)."""

    #: CSV header (lower-case, without spaces, - or _) -> column: every field by its API
    #: name (a payload by its ``content_columns``, the tags and folder by ``organise_columns``),
    #: plus the aliases its ``UI`` gives
    by_header: dict[str, str]
    #: API field -> how its cells are read, for the fields outside the payloads
    kinds: dict[str, Kind]
    #: the columns of the template, in the order of the API's fields
    template: tuple[str, ...]


@functools.cache
def csv_columns(schemas: QRCodeSchemas) -> CsvColumns:
    """The CSV columns of the QR Codes ``schemas`` describe."""
    api_names, fields = schemas.api_names, schemas.create.model_fields
    template = tuple(organise_columns.with_organising(content_columns.flat_names(api_names[name] for name in fields)))
    aliases = {alias: api_names[name] for name, info in fields.items() for alias in ui_of(info).csv_aliases}
    aliases |= {alias: organise_columns.TAGS for alias in organise_columns.TAGS_ALIASES}
    by_header = {_column(column): column for column in template} | {_column(alias): name for alias, name in aliases.items()}
    assert len(by_header) == len(template) + len(aliases), "two columns read the same once spaces and case go"
    kinds = {api_names[name]: field_kind(info) for name, info in fields.items()
             if api_names[name] not in content_columns.SPREAD and api_names[name] not in organise_columns.LEFT_OUT}
    return CsvColumns(by_header, kinds, template)


#: The column the refused rows' file gives each row's reason in; ignored on import, so
#: that file can be fixed and imported again as it is.
REASON_COLUMN = "problem"
#: Columns an import passes over: the reason, and what an export's manifest says of a QR
#: Code beyond its fields (so a manifest imports as it is).
_IGNORED = frozenset(_column(name) for name in (REASON_COLUMN, *MANIFEST_ONLY))


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
                   if field is None and name.strip() and key not in _IGNORED]
        if unknown:
            raise InvalidInput(f"CodeQR does not know the column(s) {listed(unknown, ', ', 'column')}. "
                               f"Rename or remove them; the columns it knows are {', '.join(columns.template)}.")
        if "url" not in fields and "type" not in fields:
            raise InvalidInput("The first row must name the columns, one of them url (the destination of each QR "
                               "Code) or type (then the columns of each type's content, such as text or vcard.firstName).")
        rows: list[dict] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            if len(rows) == MAX_ROWS:
                raise InvalidInput(f"The file has more than {MAX_ROWS:,} rows: split it into smaller files.")
            rows.append({field: _cell(field, cell) for field, cell in zip(fields, cells)
                         if field and (cell.strip() or field in organise_columns.EMPTY_MEANS_NONE)})
    except csv.Error as error:
        raise InvalidInput(f"The file is not valid CSV ({error}).") from None
    if not rows:
        raise InvalidInput("The file has a header but no rows.")
    return rows


def _cell(column: str, cell: str) -> str:
    """What a cell gives its column: a content's text and a password as written (a space may
    belong to a message or a password), the other columns' trimmed (a design's among them)."""
    spread = content_columns.BY_NAME.get(column)
    kept = column == "password" or (spread is not None and spread.field in PAYLOADS
                                    and spread.kind in ("text", "list", "map"))
    return cell_value(cell if kept else cell.strip())


def _body(row: dict, kinds: dict[str, Kind]) -> dict:
    """The API body of a row: CSV strings given the API's types (bad values are left for
    the validation to name; a JSON cell that is not JSON is refused here), the spread
    columns gathered into their fields. Refuses every cell it cannot read at once."""
    body: dict = {}
    problems: list[CodeQRError] = []
    payload_cells = {name: value for name, value in row.items() if name in content_columns.BY_NAME}
    for name, value in row.items():
        if name in payload_cells or name == organise_columns.FOLDER:  # the folder is looked up (``import_row``)
            continue
        try:
            if name == organise_columns.TAGS:
                body["tagNames"] = organise_columns.tag_names(value)
                continue
            body[name] = (content_columns.json_value(name, value) if kinds.get(name) == "json" else
                          content_columns.typed(kinds[name], value) if name in kinds else value)
        except InvalidInput as problem:
            problems.append(problem)
    try:
        body |= content_columns.payloads_of(payload_cells)
    except InvalidInput as problem:
        problems.append(problem)
    InvalidInputs.raise_any(*problems)
    return body


def import_row(row: dict, ctx: Context, within: writes.Within | None = None) -> str:
    """Create or update one QR Code from a row as ``ctx.actor``; return "created", "updated"
    or "unchanged". ``within``: work joined to the row's write transaction (the job's
    progress); the checks, the image's decode included, run before it."""
    schemas = ctx.schemas
    problems: list[CodeQRError] = []
    body: dict = {}
    for part in (functools.partial(_body, row, csv_columns(schemas).kinds),
                 functools.partial(organise_columns.folder_field, row, ctx.actor)):
        try:
            body |= part()
        except CodeQRError as problem:
            problems.append(problem)
    InvalidInputs.raise_any(*problems)

    def checked(model):
        return model.model_validate(body)

    if body.get("externalId"):
        existing = qrcodes.find("ext_" + body["externalId"], ctx)
        if existing is not None:
            after = writes.update(existing.id, checked(schemas.update), ctx, within)
            return "unchanged" if after.updated_at == existing.updated_at else "updated"
        writes.create(checked(schemas.create), ctx, within)
        return "created"
    _, outcome = writes.upsert(checked(schemas.create), ctx, within)
    return outcome


def _logo_kept(row: dict, ctx: Context) -> dict:
    """``row`` with its logo taken in and stored before the row's transaction: a fetch may
    take seconds, and the write lock must not wait on it. A row refused later leaves the
    logo stored unused, until the sweep (``design.logo_sweep``) removes it."""
    if not isinstance(row.get("logo"), str):
        return row
    ctx.actor.require(Permission.WRITE_QRCODES)  # no fetch for someone who may not write
    storage = ctx.state.images.storage
    return row | {"logo": logos.keep(logos.intake(row["logo"], ctx, storage), storage, ctx.now())}


_LINK_COLUMNS = frozenset(LINK_API_NAMES.values())


def _reason(error: Exception, schemas: QRCodeSchemas, row: dict) -> str:
    """Why ``row`` was refused, for people: each sentence once, after the fields it concerns
    (named as the form labels them: "Foreground colour", not "fgColor"; a content's and a
    link option's by its column: "vcard.emails (line 2)", "geo")."""
    columns: dict[str, list[str]] = {}
    for field, sentence in sentences(error):
        # A link option by its column: its label is a phrase ("iPhones and iPads go to").
        name = field and (content_columns.column_of(field, row) or organise_columns.column_of(field, row)
                          or (field if field in _LINK_COLUMNS else label_of(field, schemas.create)))
        columns.setdefault(sentence, []).append(name or "")
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
    with the job's progress, so progress always equals the rows committed; the row's checks
    (its image decoded) run before it, so other writers never wait for them."""
    job = stored_job(ImportJob, job_id, "import")
    rows, done = json.loads(job.source or "[]"), job.processed
    db.session.rollback()  # nothing of ours stays open between rows
    for index in range(done, len(rows)):
        number = index + 2  # row 1 is the header
        try:
            row = _logo_kept(rows[index], ctx)

            def advance(outcome: str, done: int = index + 1) -> None:
                lease.advance(processed=done, **{outcome: getattr(ImportJob, outcome) + 1})

            import_row(row, ctx, within=advance)
        except (ValidationError, CodeQRError) as error:
            message = _reason(error, ctx.schemas, rows[index])
            with begin_write():
                db.session.add(ImportRowError(job_id=job_id, row=number, message=message))
                lease.advance(processed=index + 1, failed=ImportJob.failed + 1)
    lease.finish(JobStatus.DONE, source=json.dumps([_without_password(row) for row in rows]))


#: What a done job's rows keep of a password: that there was one (never the password).
PASSWORD_LEFT_OUT = ""


def _without_password(row: dict) -> dict:
    return row | {"password": PASSWORD_LEFT_OUT} if row.get("password") else row


def get(job_id: str, ctx: Context) -> ImportJob:
    """The import, if ``ctx.actor`` started it or manages others' work (admins)."""
    return owned_job(ImportJob, job_id, ctx, "import")


def errors(job_id: str, limit: int = 1000) -> list[ImportRowError]:
    return list(db.session.scalars(
        select(ImportRowError).where(ImportRowError.job_id == job_id).order_by(ImportRowError.row).limit(limit)))


def template(columns: CsvColumns) -> str:
    """A CSV to fill in: every column, and an example row of each content type."""
    examples = [{"type": name, "title": f"Example: {TYPES[name].label} ({name})", **body, **content_columns.cells_of(body)}
                for name, body in EXAMPLES.items()]
    return _csv(columns.template, examples)


def refused_rows(job: ImportJob, columns: CsvColumns) -> str:
    """The rows of ``job`` that were refused, as given, each with its reason in the
    ``problem`` column: fix them and import this file again."""
    rows = json.loads(job.source or "[]")  # imports from before version 0006 kept no rows
    refused = []
    for error in errors(job.id, limit=MAX_ROWS):
        given = rows[error.row - 2] if 0 <= error.row - 2 < len(rows) else {}  # row 1 is the header
        reason = f"Row {error.row}: {error.message}"
        if given.get("password") == PASSWORD_LEFT_OUT:
            reason += " Its password is not kept in this file: type it again."
        refused.append({**given, REASON_COLUMN: reason})
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
