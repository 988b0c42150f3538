"""The sweep of logos no QR Code names: an upload never saved, the logo of a code since
deleted or given another. A logo is removed once it was last kept (``logos.keep``) longer
ago than ``CODEQR_LOGO_GRACE_HOURS`` and no QR Code names it; the job runner sweeps when
idle, at most hourly in each process (``jobs.kinds.chores``).

Each logo goes in a write transaction of its own: its row is deleted on the conditions
checked again in the DELETE, then its file is deleted, then the row's deletion commits.
A ``keep`` meanwhile either waits for that commit and records and puts the logo again,
or came first and kept it too recently for the DELETE to match. The storage failing
rolls the row back: it is tried again next time, and a row never goes without its file
being deleted (the other way round, a file gone and its row still there, only happens
when the commit itself fails, and the next sweep deletes the row).

Logos stored before ``kept_logos`` existed have no row and are never swept: the
migration cannot list the image storage.
"""

import logging
from datetime import timedelta

from sqlalchemy import ColumnElement, delete, exists, select

from ..context import Context
from ..domain.models import KeptLogo, QRCode
from ..errors import StorageUnavailable
from ..persistence.database import begin_write
from ..persistence.extensions import db

log = logging.getLogger(__name__)


def _named() -> ColumnElement[str]:
    """The logo a QR Code's design names (SQLite's json_extract, PostgreSQL's ->>)."""
    return QRCode.design["logo"].as_string()


def _unused(cutoff):
    """The conditions on a ``kept_logos`` row to remove: kept before ``cutoff``, named by none."""
    return KeptLogo.kept_at < cutoff, ~exists().where(_named() == KeptLogo.name)


def sweep(ctx: Context) -> int:
    """Remove the logos no QR Code names, kept longer than the grace ago (``ctx.now()``);
    return how many were removed. A logo the storage fails to delete is logged and left."""
    cutoff = ctx.now() - timedelta(hours=ctx.config["CODEQR_LOGO_GRACE_HOURS"])
    storage = ctx.state.images.storage
    # Read once: the names in use are one pass over the QR Codes, not one per logo kept.
    in_use = set(db.session.scalars(select(_named()).where(_named().is_not(None)).distinct()))
    old = db.session.scalars(select(KeptLogo.name).where(KeptLogo.kept_at < cutoff).order_by(KeptLogo.kept_at))
    candidates = [name for name in old if name not in in_use]
    db.session.rollback()  # no read transaction stays open between the writes
    removed = 0
    for name in candidates:
        try:
            with begin_write():
                gone = db.session.scalar(delete(KeptLogo).where(KeptLogo.name == name, *_unused(cutoff))
                                         .returning(KeptLogo.name))
                if gone is not None:
                    _delete_file(storage, name)  # before the commit: see the module's docstring
        except StorageUnavailable as error:
            log.warning("logo %s not removed, tried again at the next sweep: %s", name, error)
            continue
        removed += gone is not None
    return removed


def _delete_file(storage, name: str) -> None:
    try:
        storage.delete(name)
    except StorageUnavailable:
        raise
    except Exception as error:
        raise StorageUnavailable(f"image storage {storage.name!r} failed: {error}") from error
