"""Tags and folders: list, make, change and delete them (``domain.tags``, ``domain.folders_admin``)."""

from apiflask import APIBlueprint

from ..accounts.permissions import Permission
from ..domain import folders_admin, tags
from ..domain.folders_admin import FolderCreate, FolderList, FolderOut, FolderUpdate
from ..domain.paging import PageQuery
from ..domain.schemas import Deleted, TagOut
from ..domain.tags import TagCreate, TagList, TagQuery, TagUpdate
from .views import _ctx, auth, errors, refused_unless

_NO_TAG = "No tag with this id"
_TAG_TAKEN = "Another tag has this name, whatever its case (field name)"
_NO_FOLDER = "No folder with this id that you see"
_FOLDER_TAKEN = "Another folder has this name, whatever its case (field name)"
_FOLDER_WRITERS = ("The key is read-only, or you are neither an admin nor one of the folder's people with a role that "
                   "changes QR Codes")
_KEEPS_CODES = "Changing or deleting a tag moves no QR Code's updatedAt."


#: A viewer or a read-only key learns it may not write first, not what the body lacks.
_writers_only = refused_unless(Permission.WRITE_QRCODES)


def add_organise_routes(bp: APIBlueprint) -> None:
    """Add the tags' and folders' operations to ``bp``."""

    @bp.get("/tags")
    @bp.auth_required(auth)
    @bp.input(TagQuery, location="query", arg_name="query")
    @bp.output(TagList, description="One page of tags, by name unless sortBy says otherwise")
    @bp.doc(summary="List tags", tags=["Tags"], responses=errors())
    def list_tags(query: TagQuery):
        return TagList(tags.list_page(query, _ctx()))

    @bp.post("/tags")
    @bp.auth_required(auth)
    @_writers_only
    @bp.input(TagCreate, arg_name="data")
    @bp.output(TagOut, status_code=201, description="The tag made")
    @bp.doc(summary="Create a tag", tags=["Tags"], responses={**errors(409, writes=True), 409: _TAG_TAKEN})
    def create_tag(data: TagCreate):
        return tags.create(data, _ctx())

    @bp.patch("/tags/<tag_id>")
    @bp.auth_required(auth)
    @_writers_only
    @bp.input(TagUpdate, arg_name="data")
    @bp.output(TagOut, description="The tag after the change")
    @bp.doc(summary="Rename or recolour a tag", tags=["Tags"], description=_KEEPS_CODES,
            responses={**errors(404, 409, writes=True), 404: _NO_TAG, 409: _TAG_TAKEN})
    def update_tag(tag_id: str, data: TagUpdate):
        return tags.update(tag_id, data, _ctx())

    @bp.delete("/tags/<tag_id>")
    @bp.auth_required(auth)
    @_writers_only
    @bp.output(Deleted, description="The id of the tag deleted; its QR Codes stay, without it")
    @bp.doc(summary="Delete a tag", tags=["Tags"], description=_KEEPS_CODES,
            responses={**errors(404, writes=True), 404: _NO_TAG})
    def delete_tag(tag_id: str):
        return tags.delete_one(tag_id, _ctx())

    @bp.get("/folders")
    @bp.auth_required(auth)
    @bp.input(PageQuery, location="query", arg_name="query")
    @bp.output(FolderList, description="One page of the folders you see, by name")
    @bp.doc(summary="List folders", tags=["Folders"], responses=errors())
    def list_folders(query: PageQuery):
        return FolderList(folders_admin.list_page(query, _ctx()))

    @bp.post("/folders")
    @bp.auth_required(auth)
    @_writers_only
    @bp.input(FolderCreate, arg_name="data")
    @bp.output(FolderOut, status_code=201, description="The folder made; whoever made it is one of its people")
    @bp.doc(summary="Create a folder", tags=["Folders"], responses={**errors(409, writes=True), 409: _FOLDER_TAKEN})
    def create_folder(data: FolderCreate):
        return folders_admin.create(data, _ctx())

    @bp.get("/folders/<folder_id>")
    @bp.auth_required(auth)
    @bp.output(FolderOut, description="The folder")
    @bp.doc(summary="Get a folder", tags=["Folders"], responses={**errors(404), 404: _NO_FOLDER})
    def get_folder(folder_id: str):
        return folders_admin.get(folder_id, _ctx())

    @bp.patch("/folders/<folder_id>")
    @bp.auth_required(auth)
    @_writers_only
    @bp.input(FolderUpdate, arg_name="data")
    @bp.output(FolderOut, description="The folder after the change")
    @bp.doc(summary="Change a folder (admins and its people)", tags=["Folders"],
            responses={**errors(404, 409, writes=True), 403: _FOLDER_WRITERS, 404: _NO_FOLDER, 409: _FOLDER_TAKEN})
    def update_folder(folder_id: str, data: FolderUpdate):
        return folders_admin.update_one(folder_id, data, _ctx())

    @bp.delete("/folders/<folder_id>")
    @bp.auth_required(auth)
    @_writers_only
    @bp.output(Deleted, description="The id of the folder deleted; its QR Codes stay, in no folder")
    @bp.doc(summary="Delete a folder (admins and its people)", tags=["Folders"],
            description="Its QR Codes stay, in no folder; their updatedAt does not move.",
            responses={**errors(404, writes=True), 403: _FOLDER_WRITERS, 404: _NO_FOLDER})
    def delete_folder(folder_id: str):
        return folders_admin.delete_one(folder_id, _ctx())
