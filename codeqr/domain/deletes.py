"""Deleting QR Codes: one, the API's bulk list, or however many the web list picked, and an
old short link of one (``aliases``). Each is one transaction; the stored images are forgotten
and the lifecycle hooks run after the commit. A QR Code's aliases go with it (the foreign
key's ``ON DELETE CASCADE``: SQLite's connections turn foreign keys on)."""

from sqlalchemy import and_, delete, or_, select

from ..accounts.permissions import Permission
from ..context import Context
from ..errors import InvalidInput, NotFound
from ..persistence.database import begin_write
from ..persistence.extensions import db
from . import aliases, folders
from .lifecycle import fire
from .models import QRCode
from .qrcodes import out_of, outs_of, row_or_not_found
from .schemas import MAX_BULK, QRCodeOut


def _forget_deleted(gone: list[QRCodeOut], ctx: Context) -> None:
    for qr in gone:
        ctx.state.images.forget(qr.picture())
        fire(ctx, "codeqr_qrcode_deleted", qrcode=qr.api())


def delete_one(ref: str, ctx: Context) -> dict:
    """Delete a QR Code and its stored images; return ``{"id": …}``."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    with begin_write():
        qr = row_or_not_found(ref)
        gone = out_of(qr, ctx)
        db.session.delete(qr)
    _forget_deleted([gone], ctx)
    return {"id": gone.id}


def remove_alias(ref: str, key: str, domain: str | None, ctx: Context) -> QRCodeOut:
    """Remove the old short link ``domain``/``key`` (``domain``: the QR Code's own when None)
    of the QR Code ``ref``: it leads nowhere from then on (at once on this server; on
    another that kept it, within its routing cache's seconds: ``scans.routes``). ``NotFound`` when it is no alias of
    that code. Return the QR Code."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    with begin_write():
        qr = row_or_not_found(ref)
        before = out_of(qr, ctx)
        domain = (domain or qr.domain).lower()
        if not aliases.drop(qr.id, domain, key):
            raise NotFound(f"{domain}/{key} is no old link of QR Code {ref!r}")
        qr.updated_at = ctx.now()
        after = out_of(qr, ctx)
    ctx.state.routes.forget(domain, key)  # other servers: within their routing cache's seconds
    fire(ctx, "codeqr_qrcode_updated", qrcode=after.api(), changes={"aliases": aliases.change(before, after)})
    return after


def bulk_delete(refs: list[str], ctx: Context) -> int:
    """Delete the QR Codes named (ids or ``ext_`` refs, at most ``MAX_BULK``: the API's);
    return how many existed. Those in a folder the actor may not change are left, as if they
    did not exist (``folders``). Their tags' pairs go with them (``ON DELETE CASCADE``)."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    if len(refs) > MAX_BULK:
        raise InvalidInput(f"at most {MAX_BULK} ids per request", "ids")
    ids = [ref for ref in refs if not ref.startswith("ext_")]
    external = [ref[4:] for ref in refs if ref.startswith("ext_")]
    named = or_(QRCode.id.in_(ids), QRCode.external_id.in_(external))
    writable = folders.writable(ctx.actor)
    return _delete_where([named if writable is None else and_(named, writable)], ctx)


#: Ids per statement of ``delete_many``: well under SQLite's limit of bound values.
_DELETE_CHUNK = 500


def delete_many(ids: list[str], ctx: Context) -> int:
    """Delete the QR Codes of ``ids``, however many (the list's "all matching"), in one
    transaction; return how many existed."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    chunks = [ids[start:start + _DELETE_CHUNK] for start in range(0, len(ids), _DELETE_CHUNK)]
    return _delete_where([QRCode.id.in_(chunk) for chunk in chunks], ctx)


def _delete_where(conditions: list, ctx: Context) -> int:
    """Delete the QR Codes each condition finds, in one transaction; their images and the
    lifecycle hooks follow the commit."""
    gone: list[QRCodeOut] = []
    with begin_write():
        for condition in conditions:
            doomed = list(db.session.scalars(select(QRCode).where(condition)))
            gone += outs_of(doomed, ctx)
            if doomed:
                db.session.execute(delete(QRCode).where(QRCode.id.in_([qr.id for qr in doomed])))
    _forget_deleted(gone, ctx)
    return len(gone)
