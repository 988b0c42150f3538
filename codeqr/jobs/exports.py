"""ZIP exports of QR Codes as jobs: images in every format asked for, plus ``manifest.csv``
and, when asked, ``print-sheet.pdf`` (``print_sheet``: every code laid out on pages to print).

The job renders its QR Codes in parts of ``PART_SIZE``; each part is a small ZIP kept in
the storage backend, and its progress is committed after it is stored. A job taken up
after its process died goes on from the next part. At the end the parts are joined into
one file in the storage, which any server of the instance hands out (with its length,
so a download cut short is seen as such, and in ranges, so it can be resumed) until it
expires after ``CODEQR_EXPORT_TTL_HOURS``. A failure (the storage away) fails the job
with its reason: an export is never delivered incomplete.
"""

import functools
import io
import json
import os
import tempfile
import zipfile
from collections import Counter
from datetime import timedelta

from sqlalchemy import select, update

from ..context import Context
from ..design import geometry
from ..domain import folders
from ..domain.models import ExportJob
from ..domain.qrcodes import by_ids
from ..domain.schemas import SECRET_FIELDS, QRCodeSchemas
from ..errors import CodeQRError, InvalidInput
from ..persistence.database import begin_write
from ..persistence.extensions import db
from . import organise_columns, print_sheet
from .content_columns import SPREAD, cells_of, field_kind, flat_names, json_text
from .print_sheet import SheetCode, SheetOptions
from .runner import Lease, owned_job, stored_job
from .spreadsheets import csv_lines
from .statuses import JobStatus

#: Formats whose bytes are compressed already: deflating them again only costs time.
_COMPRESSED = {"image/png", "image/jpeg", "image/webp", "image/gif", "application/pdf"}
#: QR Codes per part: a part is rendered and stored in one go, so it is what a restart redoes.
PART_SIZE = 200
MAX_ITEMS = 100_000
#: The manifest's columns before and after the fields, which say what a QR Code is beyond
#: them (its image files among them): an import passes over them, so a manifest imports
#: back as the same QR Codes.
_BEFORE, _AFTER = ("id", "shortLink"), ("hasPassword", "scans", "files")
MANIFEST_ONLY = _BEFORE + _AFTER


def manifest_fields(schemas: QRCodeSchemas) -> list[str]:
    """The manifest's columns: every settable API field but the password (written, never
    read: ``hasPassword`` says there is one), in the schema's groups (a plugin's design
    fields included), the content spread out in the columns the import reads
    (``content_columns``), the tags and folder by name (``organise_columns``), between the id and
    short link and the scans and files."""
    names = organise_columns.with_organising(flat_names(
        schemas.api_names[name] for group in schemas.field_groups.values() for name in group if name not in SECRET_FIELDS))
    return [*_BEFORE, *names, *_AFTER]


@functools.cache
def _json_columns(schemas: QRCodeSchemas) -> tuple[str, ...]:
    """The fields written as a JSON cell, as the import reads them (``geo``, ``rules``)."""
    return tuple(schemas.api_names[name] for name, info in schemas.create.model_fields.items()
                 if schemas.api_names[name] not in SPREAD and field_kind(info) == "json")


def manifest_row(api: dict, columns: list[str], schemas: QRCodeSchemas, folder_names: dict[str, str]) -> list:
    """A QR Code's manifest row (its API form, its files added) in ``columns``: the
    content and nested design spread out, a list or object as JSON, the tags and folder
    (``folder_names``: by id) by name, as the import reads them."""
    cells = api | cells_of(api) | {name: json_text(api.get(name)) for name in _json_columns(schemas)}
    cells |= organise_columns.cells_of(api, folder_names)
    return [cells[name] for name in columns]


def start(qrs: list, formats: list[str], ctx: Context, sheet: SheetOptions | None = None) -> ExportJob:
    """Record an export of ``qrs`` (QRCodeOut, in order) in ``formats``, and on a print
    sheet laid out as ``sheet`` says (its options kept beside the formats, as one word)."""
    if not qrs:
        raise InvalidInput("there is no QR Code to export")
    if len(qrs) > MAX_ITEMS:
        raise InvalidInput(f"at most {MAX_ITEMS:,} QR Codes per export")
    if sheet is not None and len(qrs) > print_sheet.MAX_CODES:
        raise InvalidInput(f"at most {print_sheet.MAX_CODES:,} QR Codes on a print sheet, not {len(qrs):,}", "printSheet",
                           sentence=f"A print sheet holds at most {print_sheet.MAX_CODES:,} QR Codes: select fewer, "
                                    f"or export the images alone.")
    if not formats and sheet is None:
        raise InvalidInput("choose at least one format or the print sheet", "formats")
    kept = ",".join([*formats, *([sheet.token()] if sheet else [])])
    if len(kept) > ExportJob.formats.type.length:
        raise InvalidInput("too many formats for one export", "formats")
    uses = Counter(qr.key for qr in qrs)  # the same key on two domains: name both files by id too
    repeated = {key for key, count in uses.items() if count > 1}
    items = [[qr.id, f"{qr.key}-{qr.id}" if qr.key in repeated else qr.key] for qr in qrs]
    with begin_write():
        job = ExportJob(user_id=ctx.actor.user_id, status=JobStatus.QUEUED, items=json.dumps(items), formats=kept,
                        total=len(items))
        db.session.add(job)
    return job


def _part_name(job_id: str, number: int) -> str:
    return f"export-{job_id}-part-{number:05d}.zip"


def file_name(job_id: str) -> str:
    return f"export-{job_id}.zip"


def _entry(name: str, moment, media_type: str) -> zipfile.ZipInfo:
    """A member stamped with the job's start: a part rebuilt after a restart is the same bytes."""
    info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED if media_type in _COMPRESSED else zipfile.ZIP_DEFLATED
    return info


def _build_part(items: list, formats: list[str], moment, ctx: Context) -> bytes:
    """Render one part: each QR Code still there in each format, and its manifest rows."""
    images = ctx.state.images
    found = {qr.id: qr for qr in by_ids([qrcode_id for qrcode_id, _ in items], ctx)}
    folder_names = folders.names_of(qr.folder_id for qr in found.values())
    manifest: list[list] = []
    columns = manifest_fields(ctx.schemas)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as part:
        for qrcode_id, stem in items:
            qr = found.get(qrcode_id)
            if qr is None:
                continue  # deleted since the export started
            picture, files = qr.picture(), []
            for fmt in formats:
                renderer = images.renderers[fmt]
                part.writestr(_entry(stem + renderer.file_suffix, moment, renderer.media_type),
                              images.get(picture, fmt, images.etag(picture, fmt)))
                files.append(stem + renderer.file_suffix)
            manifest.append(manifest_row(qr.api() | {"files": " ".join(files)}, columns, ctx.schemas, folder_names))
        part.writestr(_entry("manifest.json", moment, "application/json"), json.dumps(manifest))
    return buffer.getvalue()


def run(job_id: str, lease: Lease, ctx: Context) -> None:
    """Build the export's parts from the first one not stored yet, then join them. Every
    role may read every QR Code, so ``ctx.actor`` (the owner) is not asked for a permission;
    a deactivated owner's export stops."""
    job = stored_job(ExportJob, job_id, "export")
    items, moment = json.loads(job.items), job.created_at
    formats, sheet = _formats_of(job.formats)
    done, parts = job.processed, job.parts
    db.session.rollback()
    storage = ctx.state.images.storage
    if ctx.actor.deactivated:  # its owner was deactivated since it started: it may do nothing more
        lease.finish(JobStatus.FAILED, message="the export stopped: the account that asked for it is deactivated")
        _remove_parts(job_id, parts, storage)
        return
    try:
        for start_at in range(done, len(items), PART_SIZE):
            chunk = items[start_at:start_at + PART_SIZE]
            storage.put(_part_name(job_id, parts), _build_part(chunk, formats, moment, ctx))
            db.session.rollback()  # the reads of the part end here
            parts += 1
            with begin_write():
                lease.advance(processed=start_at + len(chunk), parts=parts)
        sheet_pdf = _print_sheet(items, sheet, ctx) if sheet else None
        size = _join(job_id, parts, moment, storage, ctx, sheet_pdf)
    except CodeQRError as error:  # the storage away, an image that cannot be rendered
        db.session.rollback()
        lease.finish(JobStatus.FAILED, message=f"the export stopped: {error.message}")
        _remove_parts(job_id, parts, storage)
        return
    hours = ctx.config["CODEQR_EXPORT_TTL_HOURS"]
    lease.finish(JobStatus.DONE, size_bytes=size, expires_at=ctx.now() + timedelta(hours=hours))
    _remove_parts(job_id, parts, storage)


def _formats_of(kept: str) -> tuple[list[str], SheetOptions | None]:
    """The image formats and the print sheet's options of a job, from its ``formats``."""
    words = [word for word in kept.split(",") if word]
    sheets = [SheetOptions.from_token(word) for word in words if word.startswith("sheet:")]
    return [word for word in words if not word.startswith("sheet:")], (sheets[0] if sheets else None)


def _print_sheet(items: list, sheet: SheetOptions, ctx: Context) -> bytes:
    """The print sheet of the QR Codes still there, in the export's order."""
    images = ctx.state.images

    def codes():
        for start_at in range(0, len(items), PART_SIZE):
            ids = [qrcode_id for qrcode_id, _ in items[start_at:start_at + PART_SIZE]]
            found = {qr.id: qr for qr in by_ids(ids, ctx)}
            db.session.rollback()
            for qrcode_id in ids:
                qr = found.get(qrcode_id)
                if qr is not None:
                    caption = [qr.title] if qr.title else []
                    caption += [] if qr.static or not qr.short_link else [qr.short_link]
                    yield SheetCode(geometry.draw(images.spec(qr.picture())), caption)

    return print_sheet.build(codes(), sheet)


def _join(job_id: str, parts: int, moment, storage, ctx: Context, sheet_pdf: bytes | None = None) -> int:
    """Join the parts (and the print sheet) into the export's one file in the storage
    (drafted in the instance folder's ``tmp``); return its size."""
    manifest = []
    folder = os.path.join(ctx.instance_path, "tmp")
    os.makedirs(folder, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".zip") as draft:
        with zipfile.ZipFile(draft, "w") as archive:
            for number in range(parts):
                with storage.open(_part_name(job_id, number)) as handle, zipfile.ZipFile(handle) as part:
                    for info in part.infolist():
                        if info.filename == "manifest.json":
                            manifest.extend(json.loads(part.read(info)))
                        else:
                            archive.writestr(info, part.read(info))
            if sheet_pdf is not None:
                archive.writestr(_entry(print_sheet.FILE_NAME, moment, "application/pdf"), sheet_pdf)
            archive.writestr(_entry("manifest.csv", moment, "text/csv"),
                             "".join(csv_lines(manifest_fields(ctx.schemas), manifest)))
        draft.flush()
        storage.put_file(file_name(job_id), draft.name)
        return os.path.getsize(draft.name)


def _remove_parts(job_id: str, parts: int, storage) -> None:
    for number in range(parts + 1):  # and one more: a part stored before its progress was
        try:
            storage.delete(_part_name(job_id, number))
        except CodeQRError:
            pass  # an orphan part; the export itself is settled


def get(job_id: str, ctx: Context) -> ExportJob:
    """The export, if ``ctx.actor`` started it or manages others' work (admins)."""
    return owned_job(ExportJob, job_id, ctx, "export")


def progress(job: ExportJob) -> dict:
    return {"id": job.id, "status": job.status, "statusText": JobStatus(job.status).label, "total": job.total,
            "processed": job.processed, "sizeBytes": job.size_bytes, "message": job.message,
            "expiresAt": job.expires_at.isoformat() if job.expires_at else None}


def remove_expired(ctx: Context) -> int:
    """Delete the files of exports past their time (``ctx.now()``); return how many."""
    storage = ctx.state.images.storage
    expired = list(db.session.scalars(select(ExportJob.id).where(
        ExportJob.status == JobStatus.DONE, ExportJob.expires_at < ctx.now())))
    db.session.rollback()
    for job_id in expired:
        storage.delete(file_name(job_id))
        with begin_write():
            db.session.execute(update(ExportJob).where(ExportJob.id == job_id)
                               .values(status=JobStatus.EXPIRED, message="the file was removed after its time"))
    return len(expired)
