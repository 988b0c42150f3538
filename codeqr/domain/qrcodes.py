"""Reading QR Codes: one by id or externalId, the oldest with a url, and filtered, sorted
lists. Writes are in ``writes`` and ``deletes``; the checks before them in ``field_checks``."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, func, or_, select

from ..analytics.queries import scans_since_column
from ..context import Context
from ..errors import NotFound
from ..persistence.extensions import db
from . import aliases, tags
from .ids import url_hash
from .models import QRCode
from .schemas import Filters, ListQuery, QRCodeOut

_SORT_COLUMNS = {"createdAt": QRCode.created_at, "scans": QRCode.scans, "lastScannedAt": QRCode.last_scanned_at}


def out_of(qr: QRCode, ctx: Context) -> QRCodeOut:
    """What the services answer of the row ``qr``."""
    return outs_of([qr], ctx)[0]


def outs_of(rows: Iterable[QRCode], ctx: Context) -> list[QRCodeOut]:
    """What the services answer of ``rows``, their aliases and tags read in one query each."""
    rows = list(rows)
    kept = aliases.of_codes(qr.id for qr in rows)
    carried = tags.of_codes(qr.id for qr in rows)
    return [ctx.schemas.out.of_row(qr, ctx.config, kept[qr.id], carried[qr.id]) for qr in rows]


def row_of(ref: str) -> QRCode | None:
    """The row of ``ref`` (an id, or ``ext_`` and an externalId), or None."""
    if ref.startswith("ext_"):
        return db.session.scalar(select(QRCode).where(QRCode.external_id == ref[4:]))
    return db.session.get(QRCode, ref)


def row_or_not_found(ref: str) -> QRCode:
    """Like ``row_of``, but a missing QR Code raises ``NotFound``."""
    qr = row_of(ref)
    if qr is None:
        raise NotFound(f"no QR Code {ref!r}")
    return qr


def find(ref: str, ctx: Context) -> QRCodeOut | None:
    """Return the QR Code with id ``ref``, or externalId ``X`` when ``ref`` is ``ext_X``."""
    qr = row_of(ref)
    return out_of(qr, ctx) if qr is not None else None


def get(ref: str, ctx: Context) -> QRCodeOut:
    """Like ``find``, but a missing QR Code raises ``NotFound``."""
    return out_of(row_or_not_found(ref), ctx)


def oldest_row_with_url(url: str, domain: str | None = None, type_name: str = "url") -> QRCode | None:
    """The oldest row of type ``type_name`` with ``url`` (in ``domain`` if given), or None."""
    lookup = select(QRCode).where(QRCode.url_hash == url_hash(url), QRCode.url == url, QRCode.type == type_name)
    if domain:
        lookup = lookup.where(QRCode.domain == domain.lower())
    return db.session.scalar(lookup.order_by(QRCode.created_at, QRCode.id).limit(1))


def oldest_with_url(url: str, ctx: Context, domain: str | None = None) -> QRCodeOut | None:
    """Return the QR Code an upsert of ``url`` would find (the oldest with that url)."""
    qr = oldest_row_with_url(url, domain)
    return out_of(qr, ctx) if qr is not None else None


def all_matching(filters: Filters, ctx: Context) -> list[QRCodeOut]:
    """Every QR Code matching ``filters`` (no paging), newest first."""
    statement = _filtered(filters, select(QRCode)).order_by(QRCode.created_at.desc(), QRCode.id)
    return outs_of(db.session.scalars(statement), ctx)


def by_ids(ids: list[str], ctx: Context) -> list[QRCodeOut]:
    statement = select(QRCode).where(QRCode.id.in_(ids)).order_by(QRCode.created_at.desc())
    return outs_of(db.session.scalars(statement), ctx)


def _filtered(filters: Filters, statement: Select) -> Select:
    if filters.domain:
        statement = statement.where(QRCode.domain == filters.domain.lower())
    if filters.use_as_template is not None:
        statement = statement.where(QRCode.use_as_template.is_(filters.use_as_template))
    if filters.search:
        pattern = "%" + filters.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(
                QRCode.url.ilike(pattern, escape="\\"),
                QRCode.title.ilike(pattern, escape="\\"),
                QRCode.key.ilike(pattern, escape="\\"),
            )
        )
    return statement


def list_page(query: ListQuery, ctx: Context, scans_since: datetime | None = None) -> list[QRCodeOut]:
    """Return one page of QR Codes, filtered and sorted. With ``scans_since``,
    ``sort=scans`` orders by the scans counted since then instead of all scans."""
    column = _SORT_COLUMNS[query.sort]
    if scans_since is not None and query.sort == "scans":
        column = scans_since_column(scans_since, ctx.state.agents)
    order = column.desc().nulls_last() if query.order == "desc" else column.asc().nulls_first()
    tiebreak = QRCode.id.desc() if query.order == "desc" else QRCode.id.asc()
    statement = _filtered(query, select(QRCode)).order_by(order, tiebreak)
    statement = statement.limit(query.page_size).offset((query.page - 1) * query.page_size)
    return outs_of(db.session.scalars(statement), ctx)


def count(filters: Filters) -> int:
    return db.session.scalar(_filtered(filters, select(func.count()).select_from(QRCode)))
