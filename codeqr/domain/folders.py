"""Folders and who may see and change the QR Codes in them (``models.Folder``).

Admins (the operator and keys made at the machine among them) see and change every QR Code.
Anyone else sees the QR Codes in no folder, those of the folders open to everyone
(``accessLevel`` ``read`` or ``write``) and those of the folders they were given
(``folder_users``); they change, as their role allows, the QR Codes in no folder, those of
folders open for ``write`` and those of the folders they were given. A QR Code someone may not
see does not exist for them: reads and writes answer 404, lists and counts leave it out.
"""

from collections.abc import Iterable

from sqlalchemy import ColumnElement, or_, select

from ..accounts.permissions import Actor, Role
from ..errors import InvalidInput
from ..persistence.extensions import db
from .models import Folder, FolderUser, QRCode

#: What ``accessLevel`` may be: everyone sees and changes, everyone sees, or (None) only the
#: folder's people and admins.
ACCESS_LEVELS = ("write", "read")


def sees_everything(actor: Actor) -> bool:
    return actor.role == Role.ADMIN


def _given_to(actor: Actor):
    return select(FolderUser.folder_id).where(FolderUser.user_id == actor.user_id)


def folder_visible(actor: Actor) -> ColumnElement[bool] | None:
    """The condition on ``Folder`` rows ``actor`` sees (None: every folder)."""
    if sees_everything(actor):
        return None
    return or_(Folder.access_level.is_not(None), Folder.id.in_(_given_to(actor)))


def folder_writable(actor: Actor) -> ColumnElement[bool] | None:
    """The condition on ``Folder`` rows whose QR Codes ``actor`` may change (None: every folder),
    role aside."""
    if sees_everything(actor):
        return None
    return or_(Folder.access_level == "write", Folder.id.in_(_given_to(actor)))


def _codes_in(condition: ColumnElement[bool] | None) -> ColumnElement[bool] | None:
    if condition is None:
        return None
    return or_(QRCode.folder_id.is_(None), QRCode.folder_id.in_(select(Folder.id).where(condition)))


def visible(actor: Actor) -> ColumnElement[bool] | None:
    """The condition on ``QRCode`` rows ``actor`` sees (None: all of them)."""
    return _codes_in(folder_visible(actor))


def writable(actor: Actor) -> ColumnElement[bool] | None:
    """The condition on ``QRCode`` rows ``actor`` may change, role aside (None: all of them)."""
    return _codes_in(folder_writable(actor))


def may_see(folder_id: str | None, actor: Actor) -> bool:
    """Whether ``actor`` sees the QR Codes of folder ``folder_id`` (None: no folder)."""
    return _allowed(folder_id, folder_visible(actor))


def may_write(folder_id: str | None, actor: Actor) -> bool:
    """Whether ``actor`` may change the QR Codes of folder ``folder_id``, role aside."""
    return _allowed(folder_id, folder_writable(actor))


def _allowed(folder_id: str | None, condition: ColumnElement[bool] | None) -> bool:
    if folder_id is None or condition is None:
        return True
    return db.session.scalar(select(Folder.id).where(Folder.id == folder_id, condition)) is not None


def folder_problem(folder_id: str | None, actor: Actor) -> InvalidInput | None:
    """Why a QR Code cannot be put in folder ``folder_id`` by ``actor`` (None: it can). A folder
    the actor does not see reads as one that does not exist."""
    if folder_id is None:
        return None
    # Read for share: a folder being deleted waits for this save (and empties the code), or this
    # save waits for the delete and finds no folder (``folders_admin.delete_one`` locks it first).
    held = db.session.scalar(select(Folder.id).where(Folder.id == folder_id).with_for_update(read=True))
    if held is None or not may_see(folder_id, actor):
        return InvalidInput(f"there is no folder {folder_id!r}", "folderId",
                            sentence="That folder does not exist (any more): choose another one.")
    if not may_write(folder_id, actor):
        return InvalidInput(f"you may not change the QR Codes of folder {folder_id!r}", "folderId",
                            sentence="You can see this folder but not add QR Codes to it: ask an admin.")
    return None


def names_of(ids: Iterable[str | None]) -> dict[str, str]:
    """The names of the folders ``ids`` (None: no folder, left out), by id: one query."""
    wanted = {folder_id for folder_id in ids if folder_id}
    if not wanted:
        return {}
    return {folder_id: name for folder_id, name in db.session.execute(
        select(Folder.id, Folder.name).where(Folder.id.in_(wanted)))}
