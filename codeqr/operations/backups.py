"""``codeqr backup`` and ``codeqr restore``: one archive with a consistent copy of the
SQLite database, the stored images of every QR Code and the instance's secret key.

On PostgreSQL the database is copied by ``pg_dump`` (one transaction: a consistent snapshot
while the servers go on), which must match the server's version; the archive then holds the
images and the secret key. Images are renders of the stored designs: one missing is
rendered again when first asked for.
"""

import io
import json
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from ..context import Context
from ..domain.models import QRCode
from ..domain.timeutil import isoformat
from ..errors import CodeQRError
from ..persistence.database import upgrade_schema
from ..persistence.extensions import db

#: Bumped when the archive's layout changes; restore refuses layouts it does not know.
FORMAT = 1
_DATABASE, _SECRET, _MANIFEST, _IMAGES = "codeqr.db", "secret_key", "manifest.json", "images/"
#: What a stored image is called: its design hash and its format.
_IMAGE_NAME = re.compile(r"[0-9a-f]{16,128}\.[a-z0-9]{1,16}")


class BackupError(CodeQRError):
    status, code = 400, "bad_request"


def _pg_url(url: str) -> str:
    """The database URL for libpq's tools, without its password (printed commands end up in
    logs; the tools read it from ~/.pgpass or PGPASSWORD)."""
    return make_url(url).set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def pg_dump_command(url: str) -> str:
    return f"pg_dump --format=custom --file=codeqr.pgdump '{_pg_url(url)}'"


def pg_restore_command(url: str) -> str:
    return f"pg_restore --clean --if-exists --no-owner --dbname='{_pg_url(url)}' codeqr.pgdump"


def _sqlite_path(ctx: Context) -> str | None:
    url = make_url(ctx.config["SQLALCHEMY_DATABASE_URI"])
    return url.database if url.get_backend_name() == "sqlite" else None


def backup(destination: Path, ctx: Context, images: bool = True,
           progress: Callable[[int], None] = lambda n: None) -> dict:
    """Write the archive of ``ctx``'s instance to ``destination`` (refused if it exists;
    readable by its owner only: it holds the secret key); return its manifest.
    ``progress`` hears of each QR Code."""
    if destination.exists():
        raise _exists(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    draft = Path(tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".draft")[1])
    try:
        with tarfile.open(draft, "w:gz") as archive, tempfile.TemporaryDirectory() as scratch:
            manifest: dict[str, Any] = {"format": FORMAT, "createdAt": isoformat(ctx.now()), "database": None,
                                        "images": 0, "secretKey": False}
            sqlite_path = _sqlite_path(ctx)
            if sqlite_path:
                copy = Path(scratch) / _DATABASE
                _sqlite_copy(sqlite_path, copy)
                archive.add(copy, _DATABASE, filter=_private)
                manifest["database"] = "sqlite"
            manifest |= count()
            secret = Path(ctx.instance_path) / _SECRET
            if secret.is_file():
                archive.add(secret, _SECRET, filter=_private)
                manifest["secretKey"] = True
            if images:
                for stored in _stored_images(ctx):
                    for name, data in stored:
                        _add_bytes(archive, _IMAGES + name, data)
                        manifest["images"] += 1
                    progress(1)
            _add_bytes(archive, _MANIFEST, json.dumps(manifest, indent=2).encode())
        try:
            os.link(draft, destination)  # unlike a rename, never replaces a file made meanwhile
        except FileExistsError:
            raise _exists(destination) from None
    finally:
        draft.unlink(missing_ok=True)
    return manifest


def _exists(destination: Path) -> BackupError:
    return BackupError(f"{destination} exists already; choose a new name (a backup never overwrites one)")


def _sqlite_copy(source: str, target: Path) -> None:
    """SQLite's online backup: a consistent copy while servers keep writing (WAL)."""
    reading, writing = sqlite3.connect(source), sqlite3.connect(target)
    try:
        reading.backup(writing)  # all pages in one step: one snapshot
    finally:
        reading.close()
        writing.close()


def count() -> dict:
    """QR Codes and scans in this instance."""
    qrcodes, scans = db.session.execute(select(func.count(), func.coalesce(func.sum(QRCode.scans), 0))).one()
    db.session.remove()
    return {"qrcodes": qrcodes, "scans": int(scans)}


def _stored_images(ctx: Context) -> Iterator[list[tuple[str, bytes]]]:
    """For each QR Code, its stored images (name, bytes) in the formats the instance renders."""
    images = ctx.state.images
    for qr in db.session.scalars(select(QRCode).execution_options(yield_per=500)):
        picture = ctx.schemas.out.of_row(qr, ctx.config).picture()
        names = [f"{images.etag(picture, fmt)}.{fmt}" for fmt in images.renderers]
        yield [(name, data) for name in names if (data := images.storage.get(name)) is not None]
    db.session.remove()


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(_private(info), io.BytesIO(data))


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Every member is its owner's alone, whatever its file's mode: whoever unpacks the
    archive gets the database, keys' hashes and the secret key readable by them only."""
    info.mode = 0o600
    return info


def read_manifest(source: Path) -> dict:
    try:
        with tarfile.open(source, "r:gz") as archive:
            manifest = json.load(_member(archive, _MANIFEST))
    except (OSError, tarfile.TarError, KeyError, ValueError) as error:
        raise BackupError(f"{source} is not a CodeQR backup ({error})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} has backup format {manifest.get('format')!r}; this CodeQR reads {FORMAT}")
    return manifest


def restore(source: Path, ctx: Context, force: bool = False, progress: Callable[[int], None] = lambda n: None) -> dict:
    """Put the archive's database, secret key and images into ``ctx``'s instance; return its manifest.

    An instance that holds QR Codes is only replaced with ``force``. Stop the servers of the
    instance first: they would keep the replaced database open.
    """
    manifest = read_manifest(source)
    sqlite_path = _sqlite_path(ctx)
    if manifest["database"] == "sqlite" and not sqlite_path:
        raise BackupError("this backup holds a SQLite database, and this instance uses PostgreSQL; "
                          "restore it into an instance on SQLite")
    if not force and count()["qrcodes"]:
        raise BackupError("this instance has QR Codes already; restore into a new instance, or use --force "
                          "to replace them")
    with tarfile.open(source, "r:gz") as archive:
        images = [member for member in archive if member.name.startswith(_IMAGES)]
        if not all(member.isfile() and _IMAGE_NAME.fullmatch(member.name[len(_IMAGES):]) for member in images):
            raise BackupError(f"{source} is not a CodeQR backup (an image has a name CodeQR never gives one)")
        if manifest["database"] == "sqlite" and sqlite_path:  # refused above without it
            _replace_sqlite(archive, Path(sqlite_path), ctx.instance_path)
        if manifest["secretKey"]:
            _replace_secret(_member(archive, _SECRET).read(), Path(ctx.instance_path) / _SECRET)
        storage = ctx.state.images.storage
        for member in images:
            storage.put(member.name[len(_IMAGES):], _member(archive, member).read())
            progress(1)
    return manifest


def _member(archive: tarfile.TarFile, member: str | tarfile.TarInfo) -> IO[bytes]:
    """The contents of the archive's file ``member``; KeyError when the archive has none."""
    contents = archive.extractfile(member)
    if contents is None:  # a folder or a link by that name: not an archive CodeQR made
        raise KeyError(f"{getattr(member, 'name', member)} is not a file")
    return contents


def _replace_sqlite(archive: tarfile.TarFile, path: Path, instance_path: str) -> None:
    db.session.remove()
    db.engine.dispose()  # no connection may keep the old file open
    draft = path.with_name(f".{path.name}.restoring")
    draft.unlink(missing_ok=True)
    with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:  # as CodeQR creates it
        shutil.copyfileobj(_member(archive, _DATABASE), handle)
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)  # the old database's log would be applied to the new one
    os.replace(draft, path)
    upgrade_schema(instance_path)  # a backup made by an older CodeQR


def _replace_secret(secret: bytes, path: Path) -> None:
    draft = path.with_name(".secret_key.restoring")
    draft.unlink(missing_ok=True)
    with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        handle.write(secret)
    os.replace(draft, path)
