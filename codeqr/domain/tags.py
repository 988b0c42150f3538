"""Tags of QR Codes (``models.Tag``): a name unique in the instance whatever its case, and a
colour of ``COLORS``. A QR Code carries any number of tags (up to ``schemas.MAX_TAGS``);
deleting a tag leaves its QR Codes as they are, without it."""

import random
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, func, insert, select

from ..context import Context
from ..errors import InvalidInput
from ..persistence.database import insert_on_conflict
from ..persistence.extensions import db
from .ids import new_id
from .models import QRCodeTag, Tag

#: CodeQR's tag colours.
COLORS = ("red", "yellow", "green", "blue", "purple", "pink", "brown")


def of_codes(ids: Iterable[str]) -> dict[str, list[Tag]]:
    """The tags of the QR Codes ``ids``, by name, by code: one query."""
    found: dict[str, list[Tag]] = defaultdict(list)
    ids = list(ids)
    if ids:
        rows = db.session.execute(select(QRCodeTag.qrcode_id, Tag).join(Tag, Tag.id == QRCodeTag.tag_id)
                                  .where(QRCodeTag.qrcode_id.in_(ids)).order_by(func.lower(Tag.name)))
        for qrcode_id, tag in rows:
            found[qrcode_id].append(tag)
    return found


def unknown_ids(tag_ids: Iterable[str] | None) -> InvalidInput | None:
    """The problem of ``tagIds`` naming tags that do not exist (None: every one does)."""
    wanted = set(tag_ids or ())
    if not wanted:
        return None
    missing = wanted - set(db.session.scalars(select(Tag.id).where(Tag.id.in_(wanted))))
    if not missing:
        return None
    names = ", ".join(sorted(missing))
    return InvalidInput(f"there is no tag {names}", "tagIds", sentence=f"These tags do not exist (any more): {names}.")


def named(names: Iterable[str], ctx: Context) -> list[Tag]:
    """The tags of ``names`` (any case), those that do not exist made (a random colour), in
    the open write transaction; two saves making one name make one tag."""
    wanted = {name.strip().lower(): name.strip() for name in names if name.strip()}
    if not wanted:
        return []
    found = _by_lower_name(wanted)
    for lower, name in wanted.items():
        if lower not in found:
            now = ctx.now()
            statement = insert_on_conflict(Tag, db.engine.dialect).values(
                id=new_id(), name=name, color=random.choice(COLORS), created_at=now, updated_at=now)
            db.session.execute(statement.on_conflict_do_nothing())
    return list(_by_lower_name(wanted).values())


def _by_lower_name(wanted: dict[str, str]) -> dict[str, Tag]:
    # Both sides lowered by the database, as its unique index is: SQLite lowers only A-Z, so a
    # name lowered by Python ("été") would miss the tag "Été" that the index says is there.
    rows = db.session.scalars(select(Tag).where(func.lower(Tag.name).in_([func.lower(name) for name in wanted.values()])))
    return {tag.name.lower(): tag for tag in rows}


def given(tag_ids: Iterable[str] | None, tag_names: Iterable[str] | None, ctx: Context) -> list[Tag] | None:
    """The tags a body gives (ids, names made when new), in the open write transaction; None
    when it gives neither (an update then keeps the tags). An unknown id raises ``InvalidInput``."""
    if tag_ids is None and tag_names is None:
        return None
    if (problem := unknown_ids(tag_ids)) is not None:
        raise problem
    by_id = {tag.id: tag for tag in db.session.scalars(select(Tag).where(Tag.id.in_(list(tag_ids or ()))))}
    for tag in named(tag_names or (), ctx):
        by_id[tag.id] = tag
    return sorted(by_id.values(), key=lambda tag: tag.name.lower())


def set_for(qrcode_id: str, tags: list[Tag]) -> tuple[list[str], list[str]] | None:
    """Make ``tags`` the tags of QR Code ``qrcode_id``, in the open write transaction; return
    the names before and after, or None when they are the same."""
    before = of_codes([qrcode_id])[qrcode_id]
    if {tag.id for tag in before} == {tag.id for tag in tags}:
        return None
    db.session.execute(delete(QRCodeTag).where(QRCodeTag.qrcode_id == qrcode_id))
    if tags:
        db.session.execute(insert(QRCodeTag), [{"qrcode_id": qrcode_id, "tag_id": tag.id} for tag in tags])
    return [tag.name for tag in before], [tag.name for tag in tags]
