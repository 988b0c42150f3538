"""Old short links that keep working (``models.Alias``): when an update changes the key or
domain of a dynamic QR Code with ``keepOldLink``, its old link becomes an alias, which the
redirect follows to the code and counts as the code's own (``scans.counter.resolve``).

No QR Code may take another's alias as its key (``field_checks``); a code taking back one
of its own drops it. Aliases are read a page of QR Codes at a time (``of_codes``); one is
removed by ``deletes.remove_alias``.
"""

from collections import defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, Field
from sqlalchemy import delete, select

from ..context import Context
from ..persistence.extensions import db
from .models import Alias, QRCode
from .schemas import Domain, QRCodeOut


class AliasQuery(BaseModel):
    """Which old link of a QR Code: its key is in the path, its domain here."""

    domain: Domain | None = Field(None, description="the old link's domain (left out: the QR Code's own)")


def of_codes(ids: Iterable[str]) -> dict[str, list[Alias]]:
    """The aliases of the QR Codes ``ids``, oldest first, by code: one query."""
    found: dict[str, list[Alias]] = defaultdict(list)
    ids = list(ids)
    if ids:
        for alias in db.session.scalars(select(Alias).where(Alias.qrcode_id.in_(ids))
                                        .order_by(Alias.created_at, Alias.id)):
            found[alias.qrcode_id].append(alias)
    return found


def owner_of(domain: str, key: str) -> str | None:
    """The id of the QR Code whose alias ``domain``/``key`` is, or None."""
    return db.session.scalar(select(Alias.qrcode_id).where(Alias.domain == domain, Alias.key == key))


def follow_link_change(qr: QRCode, before: QRCodeOut, keep_old_link: bool, ctx: Context) -> bool:
    """In the open write transaction, after ``qr`` changed from ``before``: with
    ``keep_old_link``, its old short link becomes an alias (when it had one of its domain and
    key, and they moved); and a link it takes back from its own aliases is one no more.
    Whether its aliases changed."""
    if (before.domain, before.key) == (qr.domain, qr.key):
        return False
    changed = drop(qr.id, qr.domain, qr.key)
    # A static code's image holds no short link; a gs1 code's is its Digital Link, not its key.
    if keep_old_link and not before.static and before.type != "gs1":
        db.session.add(Alias(qrcode_id=qr.id, domain=before.domain, key=before.key, created_at=ctx.now()))
        changed = True
    return changed


def change(before: QRCodeOut, after: QRCodeOut) -> list:
    """``[old, new]`` of the ``aliases`` of a QR Code, as the lifecycle hooks' ``changes`` say."""
    return [[alias.model_dump(mode="json", by_alias=True) for alias in answer.aliases] for answer in (before, after)]


def drop(qrcode_id: str, domain: str, key: str) -> bool:
    """In the open write transaction, remove the alias ``domain``/``key`` of the QR Code
    ``qrcode_id``; whether it was one."""
    removed = db.session.execute(delete(Alias).where(Alias.qrcode_id == qrcode_id, Alias.domain == domain,
                                                     Alias.key == key))
    return bool(removed.rowcount)  # type: ignore[attr-defined]
