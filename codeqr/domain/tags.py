"""Tags of QR Codes (``models.Tag``): a name unique in the instance whatever its case, and a
colour of ``COLORS``. A QR Code carries any number of tags (up to ``schemas.MAX_TAGS``);
deleting a tag leaves its QR Codes as they are, without it. Tags are listed, made, changed
and deleted by ``/api/tags``; none of these moves a QR Code's ``updatedAt``."""

import random
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel
from pydantic.alias_generators import to_camel
from sqlalchemy import delete, func, insert, select

from ..accounts.permissions import Permission
from ..context import Context
from ..errors import Forbidden, InvalidInput, NotFound
from ..persistence.database import begin_write, insert_on_conflict
from ..persistence.extensions import db
from . import folders
from .ids import new_id
from .models import QRCode, QRCodeTag, Tag
from .paging import PageQuery, contains, page_of
from .schemas import TagName, TagOut
from .unique_names import UniqueNames

#: CodeQR's tag colours.
COLORS = ("red", "yellow", "green", "blue", "purple", "pink", "brown")
_NAMES = UniqueNames(Tag, "tag", "use it, or choose another name")
Color: Any = Literal.__getitem__(COLORS)
#: Most ids one ``GET /api/tags?ids=`` names.
MAX_IDS = 100


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


# -- the API's tags ---------------------------------------------------------------


class TagCreate(BaseModel):
    """Body of a new tag: its ``name`` (or ``tag``, CodeQR's older name of that field) and colour."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", strict=True)

    name: TagName | None = Field(None, description="unique in the instance whatever its case (required, or tag)")
    tag: TagName | None = Field(None, description="CodeQR's older name of name: taken when name is left out")
    color: Color | None = Field(None, description=f"one of {', '.join(COLORS)} (left out: a random one)")


class TagUpdate(TagCreate):
    """Body of a tag's change: only the fields sent change."""


class TagQuery(PageQuery):
    """Which tags ``GET /api/tags`` lists, in which order."""

    ids: str | None = Field(None, max_length=MAX_IDS * 26, description=f"comma-separated tag ids (≤ {MAX_IDS}): only these")
    sort_by: Literal["name", "createdAt"] = "name"
    sort_order: Literal["asc", "desc"] = "asc"


class TagList(RootModel[list[TagOut]]):
    pass


def list_page(query: TagQuery, ctx: Context) -> list[TagOut]:
    """One page of the tags (anyone may read them), by name unless ``sortBy`` says otherwise."""
    statement = select(Tag)
    if query.search:
        statement = statement.where(contains(Tag.name, query.search))
    if query.ids is not None:
        ids = [part.strip() for part in query.ids.split(",") if part.strip()]
        if len(ids) > MAX_IDS:
            raise InvalidInput(f"at most {MAX_IDS} ids", "ids")
        statement = statement.where(Tag.id.in_(ids))
    column = func.lower(Tag.name) if query.sort_by == "name" else Tag.created_at
    ascending = query.sort_order == "asc"
    statement = statement.order_by(column.asc() if ascending else column.desc(), Tag.id.asc() if ascending else Tag.id.desc())
    return [TagOut.model_validate(tag) for tag in db.session.scalars(page_of(statement, query))]


def _name_of(data: TagCreate) -> str | None:
    """The name a body gives (``name``, else ``tag``), trimmed; None when it gives none."""
    name = data.name if data.name is not None else data.tag
    if name is None:
        return None
    if not name.strip():
        raise InvalidInput("a tag's name must not be blank", "name", sentence="Give the tag a name.")
    return name.strip()


def create(data: TagCreate, ctx: Context) -> TagOut:
    """Make a tag (a random colour of ``COLORS`` when none is given)."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    name = _name_of(data)
    if name is None:
        raise InvalidInput("a tag needs a name", "name", sentence="Give the tag a name.")
    with begin_write():
        _NAMES.refuse_taken(name)
        now = ctx.now()
        tag = Tag(id=new_id(), name=name, color=data.color or random.choice(COLORS), created_at=now, updated_at=now)
        db.session.add(tag)
        _NAMES.flush(name)
        return TagOut.model_validate(tag)


def _row_or_not_found(tag_id: str) -> Tag:
    tag = db.session.get(Tag, tag_id)
    if tag is None:
        raise NotFound(f"no tag {tag_id!r}")
    return tag


def _refuse_unless_all_changeable(tag: Tag, ctx: Context) -> None:
    """Refuse to rename, recolour or delete a tag that QR Codes ``ctx.actor`` may not change carry
    (in a folder theirs only to read, or not theirs to see): what they show is not theirs to change."""
    writable = folders.writable(ctx.actor)
    if writable is not None and db.session.scalar(
            select(QRCodeTag.qrcode_id).join(QRCode, QRCode.id == QRCodeTag.qrcode_id)
            .where(QRCodeTag.tag_id == tag.id, ~writable).limit(1)) is not None:
        raise Forbidden(f"tag {tag.id!r} is carried by QR Codes you may not change",
                        sentence="QR Codes you may not change carry this tag: ask an admin to change it.")


def update(tag_id: str, data: TagUpdate, ctx: Context) -> TagOut:
    """Rename or recolour a tag: its QR Codes carry it as it is now (their ``updatedAt`` stays)."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    name = _name_of(data)
    with begin_write():
        tag = _row_or_not_found(tag_id)
        _refuse_unless_all_changeable(tag, ctx)
        given = {"name": name, "color": data.color}
        changes: dict[str, str] = {field: value for field, value in given.items()
                                   if value is not None and value != getattr(tag, field)}
        if "name" in changes:
            _NAMES.refuse_taken(changes["name"], exclude_id=tag.id)
        if changes:
            for field, value in changes.items():
                setattr(tag, field, value)
            tag.updated_at = ctx.now()
            _NAMES.flush(tag.name)
        return TagOut.model_validate(tag)


def delete_one(tag_id: str, ctx: Context) -> dict:
    """Delete a tag; its QR Codes stay, without it. Return ``{"id": …}``."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    with begin_write():
        tag = _row_or_not_found(tag_id)
        _refuse_unless_all_changeable(tag, ctx)
        db.session.execute(delete(QRCodeTag).where(QRCodeTag.tag_id == tag.id))
        db.session.delete(tag)
    return {"id": tag_id}
