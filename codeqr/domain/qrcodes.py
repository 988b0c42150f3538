"""Reading QR Codes: one by id or externalId, the oldest with a url, and filtered, sorted
lists. Writes are in ``writes`` and ``deletes``; the checks before them in ``field_checks``.

Each read is someone's (an ``Actor``): a QR Code in a folder they do not see is not there
for them (``folders``): None, ``NotFound``, left out. ``row_to_change`` adds the folder's
right to change: a QR Code they see but may not change raises ``Forbidden``."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, select

from ..accounts.permissions import Actor
from ..analytics.queries import scans_since_column
from ..context import Context
from ..errors import Forbidden, NotFound
from ..persistence.extensions import db
from . import aliases, folders, tags
from .filters import GROUPS, Filters, GroupBy, ListQuery, conditions, order_of
from .ids import url_hash
from .models import QRCode, QRCodeTag
from .schemas import QRCodeOut


def out_of(qr: QRCode, ctx: Context) -> QRCodeOut:
    """What the services answer of the row ``qr``."""
    return outs_of([qr], ctx)[0]


def outs_of(rows: Iterable[QRCode], ctx: Context) -> list[QRCodeOut]:
    """What the services answer of ``rows``, their aliases and tags read in one query each."""
    rows = list(rows)
    kept = aliases.of_codes(qr.id for qr in rows)
    carried = tags.of_codes(qr.id for qr in rows)
    return [ctx.schemas.out.of_row(qr, ctx.config, kept[qr.id], carried[qr.id]) for qr in rows]


def _named(ref: str) -> ColumnElement[bool]:
    """The condition on the row ``ref`` names (an id, or ``ext_`` and an externalId)."""
    return QRCode.external_id == ref[4:] if ref.startswith("ext_") else QRCode.id == ref


def seen_by(actor: Actor) -> list[ColumnElement[bool]]:
    """The conditions (none or one) on the ``QRCode`` rows ``actor`` sees."""
    condition = folders.visible(actor)
    return [] if condition is None else [condition]


def row_of(ref: str, actor: Actor) -> QRCode | None:
    """The row of ``ref`` (an id, or ``ext_`` and an externalId) that ``actor`` sees, or None."""
    return db.session.scalar(select(QRCode).where(_named(ref), *seen_by(actor)))


def public_row_of(qr_id: str) -> QRCode | None:
    """The row of id ``qr_id`` whoever asks: for what is public by design (its image)."""
    return db.session.get(QRCode, qr_id)


def row_or_not_found(ref: str, actor: Actor) -> QRCode:
    """Like ``row_of``, but a QR Code missing (or unseen: the same to ``actor``) raises ``NotFound``."""
    qr = row_of(ref, actor)
    if qr is None:
        raise NotFound(f"no QR Code {ref!r}")
    return qr


def refuse_unless_changeable(qr: QRCode, actor: Actor) -> None:
    """Raise ``Forbidden`` when ``actor`` sees ``qr`` but its folder is theirs only to read.
    (Seen, so saying why reveals nothing; the role is checked by the service.)"""
    if not folders.may_write(qr.folder_id, actor):
        raise Forbidden(f"QR Code {qr.id!r} is in a folder you may only read",
                        sentence="This QR Code is in a folder you may see but not change: ask an admin.")


def row_to_change(ref: str, actor: Actor) -> QRCode:
    """The row of ``ref`` for ``actor`` to change: ``NotFound`` when they do not see it,
    ``Forbidden`` when its folder is theirs only to read."""
    qr = row_or_not_found(ref, actor)
    refuse_unless_changeable(qr, actor)
    return qr


def find(ref: str, ctx: Context) -> QRCodeOut | None:
    """Return the QR Code with id ``ref``, or externalId ``X`` when ``ref`` is ``ext_X``, if
    ``ctx.actor`` sees it."""
    qr = row_of(ref, ctx.actor)
    return out_of(qr, ctx) if qr is not None else None


def get(ref: str, ctx: Context) -> QRCodeOut:
    """Like ``find``, but a QR Code missing or unseen raises ``NotFound``."""
    return out_of(row_or_not_found(ref, ctx.actor), ctx)


def oldest_row_with_url(url: str, actor: Actor, domain: str | None = None, type_name: str = "url") -> QRCode | None:
    """The oldest row ``actor`` sees of type ``type_name`` with ``url`` (in ``domain`` if given), or None."""
    lookup = select(QRCode).where(QRCode.url_hash == url_hash(url), QRCode.url == url, QRCode.type == type_name,
                                  *seen_by(actor))
    if domain:
        lookup = lookup.where(QRCode.domain == domain.lower())
    return db.session.scalar(lookup.order_by(QRCode.created_at, QRCode.id).limit(1))


def oldest_with_url(url: str, ctx: Context, domain: str | None = None) -> QRCodeOut | None:
    """Return the QR Code an upsert of ``url`` by ``ctx.actor`` would find (the oldest they see with that url)."""
    qr = oldest_row_with_url(url, ctx.actor, domain)
    return out_of(qr, ctx) if qr is not None else None


def all_matching(filters: Filters, ctx: Context) -> list[QRCodeOut]:
    """Every QR Code matching ``filters`` that ``ctx.actor`` sees (no paging), newest first."""
    statement = _filtered(filters, select(QRCode), ctx).order_by(QRCode.created_at.desc(), QRCode.id)
    return outs_of(db.session.scalars(statement), ctx)


def by_ids(ids: list[str], ctx: Context) -> list[QRCodeOut]:
    """The QR Codes of ``ids`` that ``ctx.actor`` sees, newest first (the others left out)."""
    statement = select(QRCode).where(QRCode.id.in_(ids), *seen_by(ctx.actor)).order_by(QRCode.created_at.desc())
    return outs_of(db.session.scalars(statement), ctx)


def _filtered(filters: Filters, statement: Select, ctx: Context) -> Select:
    return statement.where(*conditions(filters, ctx.actor))


def list_page(query: ListQuery, ctx: Context, scans_since: datetime | None = None) -> list[QRCodeOut]:
    """Return one page of the QR Codes ``ctx.actor`` sees, filtered and sorted. With ``scans_since``,
    ``sort=scans`` orders by the scans counted since then instead of all scans."""
    order = order_of(query)
    if scans_since is not None and query.sort == "scans":
        column = scans_since_column(scans_since, ctx.state.agents)
        order = [column.desc() if query.order == "desc" else column.asc(), order[-1]]  # then the id
    statement = _filtered(query, select(QRCode), ctx).order_by(*order)
    statement = statement.limit(query.page_size).offset((query.page - 1) * query.page_size)
    return outs_of(db.session.scalars(statement), ctx)


def count(filters: Filters, ctx: Context) -> int:
    """How many QR Codes ``ctx.actor`` sees match ``filters``."""
    return db.session.scalar(_filtered(filters, select(func.count()).select_from(QRCode), ctx))


def count_by(filters: Filters, group_by: GroupBy, ctx: Context) -> list[dict]:
    """How many QR Codes match ``filters`` by ``group_by``: ``[{group_by: value, "count": n}, …]``, the
    largest first. By ``tagId`` a code counts under each tag it carries, those with none under null."""
    column = GROUPS[group_by]
    statement = select(column, func.count()).select_from(QRCode)
    if group_by == "tagId":
        statement = statement.outerjoin(QRCodeTag, QRCodeTag.qrcode_id == QRCode.id)
    statement = _filtered(filters, statement, ctx).group_by(column).order_by(func.count().desc(), column)
    return [{group_by: value, "count": number} for value, number in db.session.execute(statement)]
