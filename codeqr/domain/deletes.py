"""Deleting QR Codes: one, the API's bulk list, or however many the web list picked, and an
old short link of one (``aliases``). A QR Code the actor does not see is not there for them
(``folders``); one they see in a folder theirs only to read refuses the whole operation
(``Forbidden``). Each is one transaction; the stored images are forgotten
and the lifecycle hooks run after the commit. A QR Code's aliases go with it (the foreign
key's ``ON DELETE CASCADE``: SQLite's connections turn foreign keys on)."""

from sqlalchemy import delete, or_, select

from ..accounts.permissions import Permission
from ..context import Context
from ..errors import InvalidInput, NotFound
from ..persistence.database import begin_write
from ..persistence.extensions import db
from . import aliases
from .lifecycle import fire
from .models import QRCode
from .qrcodes import out_of, outs_of, refuse_unless_changeable, row_to_change, seen_by
from .schemas import MAX_BULK, QRCodeOut


def _forget_deleted(gone: list[QRCodeOut], ctx: Context) -> None:
    for qr in gone:
        ctx.state.images.forget(qr.picture())
        fire(ctx, "codeqr_qrcode_deleted", qrcode=qr.api())


def delete_one(ref: str, ctx: Context) -> dict:
    """Delete a QR Code and its stored images; return ``{"id": …}``."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    with begin_write():
        qr = row_to_change(ref, ctx.actor)
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
        qr = row_to_change(ref, ctx.actor)
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
    return how many existed (for ``ctx.actor``: those they do not see are not counted). Their tags'
    pairs go with them (``ON DELETE CASCADE``)."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    if len(refs) > MAX_BULK:
        raise InvalidInput(f"at most {MAX_BULK} ids per request", "ids")
    ids = [ref for ref in refs if not ref.startswith("ext_")]
    external = [ref[4:] for ref in refs if ref.startswith("ext_")]
    return _delete_where([or_(QRCode.id.in_(ids), QRCode.external_id.in_(external))], ctx)


#: Ids per statement of ``delete_many``: well under SQLite's limit of bound values.
_DELETE_CHUNK = 500


def delete_many(ids: list[str], ctx: Context) -> int:
    """Delete the QR Codes of ``ids``, however many (the list's "all matching"), in one
    transaction; return how many existed."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    chunks = [ids[start:start + _DELETE_CHUNK] for start in range(0, len(ids), _DELETE_CHUNK)]
    return _delete_where([QRCode.id.in_(chunk) for chunk in chunks], ctx)


def _delete_where(conditions: list, ctx: Context) -> int:
    """Delete the QR Codes each condition finds among those ``ctx.actor`` sees, in one
    transaction (none if any is theirs only to read); their images and the lifecycle hooks
    follow the commit."""
    gone: list[QRCodeOut] = []
    with begin_write():
        for condition in conditions:
            doomed = list(db.session.scalars(select(QRCode).where(condition, *seen_by(ctx.actor))))
            for qr in doomed:
                refuse_unless_changeable(qr, ctx.actor)
            gone += outs_of(doomed, ctx)
            if doomed:
                db.session.execute(delete(QRCode).where(QRCode.id.in_([qr.id for qr in doomed])))
    _forget_deleted(gone, ctx)
    return len(gone)
