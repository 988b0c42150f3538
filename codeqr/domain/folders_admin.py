"""Listing, making, changing and deleting folders (``models.Folder``) and the people given
them (``/api/folders``); who sees and changes a folder's QR Codes is ``folders``'.

A folder is changed or deleted by admins and by its people whose role changes QR Codes; one
the asker does not see does not exist for them (404). Deleting a folder keeps its QR Codes:
they leave it, in the same transaction (there is no foreign key to do it).
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel
from pydantic.alias_generators import to_camel
from sqlalchemy import delete, func, insert, select, update

from ..accounts.permissions import Permission
from ..contents.values import check_line
from ..context import Context
from ..errors import Forbidden, InvalidInput, NotFound
from ..persistence.database import begin_write
from ..persistence.extensions import db
from . import folders
from .ids import new_id
from .models import Folder, FolderUser, QRCode, User
from .paging import PageQuery, contains, page_of
from .schemas import Timestamp
from .unique_names import UniqueNames

_NAMES = UniqueNames(Folder, "folder", "choose another name")

FolderName = Annotated[str, Field(min_length=1, max_length=190), AfterValidator(check_line)]
AccessLevel: Any = Literal.__getitem__(folders.ACCESS_LEVELS)
#: Most people one request gives a folder.
MAX_PEOPLE = 1000
UserIds = Annotated[list[Annotated[int, Field(ge=1, le=2**31 - 1)]], Field(max_length=MAX_PEOPLE)]
_ACCESS = ("who else sees and changes its QR Codes: write (everyone), read (everyone sees, its people change) "
           "or null (its people and admins only)")
_PEOPLE = "ids of the people given the folder: they see its QR Codes and, as their role allows, change them"


class FolderCreate(BaseModel):
    """Body of a new folder; whoever makes it becomes one of its people."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", strict=True)

    name: FolderName = Field(description="unique in the instance whatever its case")
    access_level: AccessLevel | None = Field(None, description=_ACCESS)
    user_ids: UserIds | None = Field(None, description=_PEOPLE)


class FolderUpdate(FolderCreate):
    """Body of a folder's change: only the fields sent change; userIds replaces its people."""

    name: FolderName | None = Field(None, description="unique in the instance whatever its case")  # type: ignore[assignment]


class FolderOut(BaseModel):
    """A folder as ``/api/folders`` answers it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    id: str
    name: str
    access_level: str | None = Field(description=_ACCESS)
    user_ids: list[int] = Field(description=_PEOPLE)
    created_at: Timestamp
    updated_at: Timestamp


class FolderList(RootModel[list[FolderOut]]):
    pass


def _people_of(ids: Iterable[str]) -> dict[str, list[int]]:
    """The people of the folders ``ids``, by folder: one query."""
    found: dict[str, list[int]] = defaultdict(list)
    ids = list(ids)
    if ids:
        rows = db.session.execute(select(FolderUser.folder_id, FolderUser.user_id)
                                  .where(FolderUser.folder_id.in_(ids)).order_by(FolderUser.user_id))
        for folder_id, user_id in rows:
            found[folder_id].append(user_id)
    return found


def _outs_of(rows: Iterable[Folder]) -> list[FolderOut]:
    rows = list(rows)
    people = _people_of(folder.id for folder in rows)
    return [FolderOut(id=folder.id, name=folder.name, access_level=folder.access_level, user_ids=people[folder.id],
                      created_at=folder.created_at, updated_at=folder.updated_at) for folder in rows]


def list_page(query: PageQuery, ctx: Context) -> list[FolderOut]:
    """One page of the folders ``ctx.actor`` sees, by name."""
    statement = select(Folder)
    if (visible := folders.folder_visible(ctx.actor)) is not None:
        statement = statement.where(visible)
    if query.search:
        statement = statement.where(contains(Folder.name, query.search))
    statement = statement.order_by(func.lower(Folder.name), Folder.id)
    return _outs_of(db.session.scalars(page_of(statement, query)))


def _seen_or_not_found(folder_id: str, ctx: Context) -> Folder:
    folder = db.session.get(Folder, folder_id)
    if folder is None or not folders.may_see(folder_id, ctx.actor):
        raise NotFound(f"no folder {folder_id!r}")
    return folder


def get(folder_id: str, ctx: Context) -> FolderOut:
    """The folder ``folder_id``, if ``ctx.actor`` sees it (else ``NotFound``)."""
    return _outs_of([_seen_or_not_found(folder_id, ctx)])[0]


def _changeable(folder_id: str, ctx: Context) -> Folder:
    """The folder ``folder_id``, which ``ctx.actor`` may change: an admin, or one of its people."""
    folder = _seen_or_not_found(folder_id, ctx)
    if not folders.sees_everything(ctx.actor) and ctx.actor.user_id not in _people_of([folder.id])[folder.id]:
        raise Forbidden(f"only admins and the people given folder {folder.name!r} may change it")
    return folder


def _name_of(name: str) -> str:
    if not name.strip():
        raise InvalidInput("a folder's name must not be blank", "name", sentence="Give the folder a name.")
    return name.strip()


def _refuse_unknown(user_ids: Iterable[int]) -> None:
    wanted = set(user_ids)
    missing = wanted - set(db.session.scalars(select(User.id).where(User.id.in_(wanted)))) if wanted else set()
    if missing:
        names = ", ".join(str(user_id) for user_id in sorted(missing))
        raise InvalidInput(f"there is no user {names}", "userIds", sentence=f"These people do not exist: {names}.")


def _set_people(folder_id: str, user_ids: set[int]) -> None:
    db.session.execute(delete(FolderUser).where(FolderUser.folder_id == folder_id))
    if user_ids:
        db.session.execute(insert(FolderUser), [{"folder_id": folder_id, "user_id": user} for user in sorted(user_ids)])


def create(data: FolderCreate, ctx: Context) -> FolderOut:
    """Make a folder; whoever makes it (a person) becomes one of its people."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    name = _name_of(data.name)
    people = set(data.user_ids or ()) | ({ctx.actor.user_id} if ctx.actor.user_id is not None else set())
    with begin_write():
        _refuse_unknown(data.user_ids or ())
        _NAMES.refuse_taken(name)
        now = ctx.now()
        folder = Folder(id=new_id(), name=name, access_level=data.access_level, created_at=now, updated_at=now)
        db.session.add(folder)
        _NAMES.flush(name)
        _set_people(folder.id, people)
        return _outs_of([folder])[0]


def update_one(folder_id: str, data: FolderUpdate, ctx: Context) -> FolderOut:
    """Change the fields sent of a folder; its ``updatedAt`` moves only when one changed."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    name = _name_of(data.name) if data.name is not None else None
    with begin_write():
        folder = _changeable(folder_id, ctx)
        changed = _changed_fields(folder, name, data)
        if data.user_ids is not None:
            _refuse_unknown(data.user_ids)
            if set(data.user_ids) != set(_people_of([folder.id])[folder.id]):
                _set_people(folder.id, set(data.user_ids))
                changed = True
        if changed:
            folder.updated_at = ctx.now()
            _NAMES.flush(folder.name)
        return _outs_of([folder])[0]


def _changed_fields(folder: Folder, name: str | None, data: FolderUpdate) -> bool:
    """Set the name and access level ``data`` changes on ``folder``; whether any changed."""
    changed = False
    if name is not None and name != folder.name:
        _NAMES.refuse_taken(name, exclude_id=folder.id)
        folder.name, changed = name, True
    if "access_level" in data.model_fields_set and data.access_level != folder.access_level:
        folder.access_level, changed = data.access_level, True
    return changed


def delete_one(folder_id: str, ctx: Context) -> dict:
    """Delete a folder; its QR Codes stay, in no folder (their ``updatedAt`` stays). Only an admin
    deletes a folder not open for ``write`` that still holds codes (they would become everyone's).
    Return ``{"id": …}``."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    with begin_write():
        folder = _changeable(folder_id, ctx)
        # Locked before its codes leave it: a save filing a code here meanwhile waits or is refused.
        db.session.execute(select(Folder.id).where(Folder.id == folder.id).with_for_update())
        if folder.access_level != "write" and not folders.sees_everything(ctx.actor) and db.session.scalar(
                select(QRCode.id).where(QRCode.folder_id == folder.id).limit(1)) is not None:
            # Its codes would leave it for no folder, where everyone sees and changes them.
            raise Forbidden(f"folder {folder.id!r} holds QR Codes that only some people may reach",
                            sentence="This folder still holds QR Codes that only some people may see: move "
                                     "them first, or ask an admin to delete it.")
        db.session.execute(update(QRCode).where(QRCode.folder_id == folder.id).values(folder_id=None))
        db.session.execute(delete(FolderUser).where(FolderUser.folder_id == folder.id))
        db.session.delete(folder)
    return {"id": folder_id}
