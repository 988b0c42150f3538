"""The API's bulk update: one change (``data``) for up to ``MAX_BULK`` QR Codes.

``data`` takes the fields of an update that mean the same for many codes: the design (every
``DESIGN`` field, a plugin's too, and ``templateId`` to take a template's), the link options
but the password (``LINK``: expiry, UTM, device and country destinations, rules), the folder,
archived, comments, and the tags — set (``tagIds``/``tagNames``, as an update does) or changed
(``addTagIds``, ``addTagNames``, ``removeTagIds``, ``removeTagNames``). The fields that are each
code's own (what it holds, its short link, externalId, title, password) are refused with why.

``data`` is checked once: a problem of it (the schema's, an unknown tag id, a folder the asker
may not fill, an unknown template) refuses the whole request (422). Then each code is changed as
``writes.update`` changes one, with its own checks (a design that would not scan with its link),
and answered in its place: the QR Code, or ``{"error": …, "qrcodeId": …}`` — an unknown id, or a
code in a folder the asker may not change, is a 404 as if it did not exist.

All the valid codes are changed in one transaction, each in a savepoint (a code refused leaves
nothing of itself); their images are decoded before it, as ``writes.update`` does, so writers do
not wait for the decodes. The ``codeqr_qrcode_updated`` hooks run once per changed code, after
the commit.
"""

import functools
from copy import copy
from dataclasses import dataclass
from types import GenericAlias
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, create_model
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError
from sqlalchemy.exc import IntegrityError

from ..accounts.permissions import Actor, Permission
from ..context import Context
from ..design import logos, templates
from ..errors import CodeQRError, Conflict, InvalidInput, InvalidInputs, NotFound
from ..persistence.database import begin_write
from ..persistence.extensions import db
from . import folders, tags, writes
from .field_checks import Scanned
from .models import QRCode
from .qrcodes import out_of, row_of
from .schemas import (
    AUTOMATIC,
    CONTENT_FIELDS,
    LINK,
    MAX_BULK,
    MAX_TAGS,
    SECRET,
    ErrorBody,
    QRCodeOut,
    QRCodeSchemas,
    QRCodeUpdate,
    _UpdateInput,
)

#: Fields of an update that organise QR Codes (no marker says so): one value fits many.
ORGANISING = ("archived", "comments", "folder_id", "tag_ids", "tag_names", "template_id")
#: Why a field that is each QR Code's own is refused, by the marker it carries.
_OWN_BY_MARKER = (
    (SECRET, "a password protects one QR Code: set it with that QR Code's update"),
    (AUTOMATIC, "the short link is each QR Code's own: change it with that QR Code's update"),
)
#: Why the other fields each QR Code has its own of are refused, by attribute name.
_OWN_BY_NAME = {
    "external_id": "an externalId is unique to one QR Code",
    "title": "a title names one QR Code: change it with that QR Code's update",
    "use_as_template": "a template is one QR Code marked as such: change it with that QR Code's update",
    "keep_old_link": "a bulk update changes no key nor domain, so there is no old link to keep",
}
_CONTENT = "what a QR Code holds is its own: change it with that QR Code's update"
#: The fields changing tags rather than setting them, and the API name of each.
TAG_CHANGES = {"add_tag_ids": "addTagIds", "add_tag_names": "addTagNames",
               "remove_tag_ids": "removeTagIds", "remove_tag_names": "removeTagNames"}
#: Most ids one request may list, repeats included (each counts once toward ``MAX_BULK``):
#: a bound keeps a hostile list cheap.
MAX_SENT = 10 * MAX_BULK
#: An id, or ``ext_`` and an externalId (``qrcodes.row_of``): neither holds / nor control
#: characters (``schemas.ExternalId``; PostgreSQL stores no NUL, so none may reach a query).
Ref = Annotated[str, Field(min_length=1, max_length=4 + 255, pattern=r"^[^/\x00-\x1f\x7f]+$")]


def allowed_fields(schemas: QRCodeSchemas) -> tuple[str, ...]:
    """The fields of an update ``data`` takes (attribute names), in the update's order."""
    return tuple(name for name, info in schemas.update.model_fields.items()
                 if name in ORGANISING or name in schemas.design_fields
                 or (LINK in info.metadata and SECRET not in info.metadata))


def why_refused(name: str, schemas: QRCodeSchemas) -> str:
    """Why ``data`` refuses the update's field ``name`` (one ``allowed_fields`` leaves out)."""
    if name in CONTENT_FIELDS:
        return _CONTENT
    metadata = schemas.update.model_fields[name].metadata
    by_marker = next((why for marker, why in _OWN_BY_MARKER if marker in metadata), None)
    return by_marker or _OWN_BY_NAME.get(name, "each QR Code has its own: change it with that QR Code's update")


def _refusing(why: str):
    """A validator refusing any value of a field, saying ``why``."""

    def refuse(value):
        raise PydanticCustomError("per_qrcode", "{why}", {"why": why})
    return refuse


def _tag_list(like: str, description: str) -> tuple[Any, Any]:
    """A list of tags ``like`` the update's ``tag_ids`` or ``tag_names`` (one or a list)."""
    info = copy(QRCodeUpdate.model_fields[like])
    info.description = description
    return info.annotation, info


@functools.cache
def body_of(schemas: QRCodeSchemas) -> type[BaseModel]:
    """The body of the bulk update in an app whose QR Codes are ``schemas``."""
    allowed = allowed_fields(schemas)
    fields: dict[str, Any] = {name: (info.annotation, copy(info)) for name, info in schemas.update.model_fields.items()
                              if name in allowed}
    fields |= {
        "add_tag_ids": _tag_list("tag_ids", "ids of tags each QR Code gets, keeping its others"),
        "add_tag_names": _tag_list("tag_names", "names of tags each QR Code gets, keeping its others (a name no tag "
                                                "has makes a new tag)"),
        "remove_tag_ids": _tag_list("tag_ids", "ids of tags each QR Code loses (one it does not carry: nothing)"),
        "remove_tag_names": _tag_list("tag_names", "names of tags each QR Code loses, any case (a name no tag has: "
                                                   "nothing)"),
    }
    # Each code's own fields are kept out of the spec, and refused with why (not as unknown).
    fields |= {name: (Annotated[Any, AfterValidator(_refusing(why_refused(name, schemas))), SkipJsonSchema()],
                      Field(None, alias=schemas.api_names[name]))
               for name in schemas.update.model_fields if name not in allowed}
    data = create_model("QRCodeBulkChange", __base__=_UpdateInput, __doc__=(
        "What a bulk update changes in each QR Code: only the fields sent. tagIds/tagNames set the tags, "
        "addTag…/removeTag… change them; the two ways do not mix."), **fields)
    return create_model(
        "QRCodeBulkUpdate", __base__=_Body, __doc__="Body of the bulk update: which QR Codes, and what changes.",
        data=(data, Field(description="the change, the same for each QR Code (only the fields sent change)")))


class _Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", strict=True)

    qrcode_ids: list[Ref] = Field(min_length=1, max_length=MAX_SENT, description=(
        f"the QR Codes to change, up to {MAX_BULK}: ids, or ext_ followed by an externalId; one sent twice counts "
        "and is answered once"))


class BulkUpdateError(BaseModel):
    """The answer's entry for a QR Code a bulk update did not change."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    error: ErrorBody
    qrcode_id: str = Field(description="the id as sent")


@functools.cache
def results_of(out: type[QRCodeOut]) -> type[RootModel]:
    """The bulk update's answer made of ``out`` (the app's QR Code class)."""
    results: Any = GenericAlias(list, (out | BulkUpdateError,))
    return create_model("BulkUpdateResult", __base__=RootModel, root=(results, ...))


# -- the tags: set, or changed --------------------------------------------------------


@dataclass(frozen=True)
class TagChange:
    """The tags added and removed (``addTag…``, ``removeTag…``): by id, and the names of tags
    to add that did not exist when checked (made for the first code that takes them)."""

    add_ids: frozenset[str]
    add_names: tuple[str, ...]
    remove_ids: frozenset[str]
    #: the field a code carrying too many tags is told of
    field: str

    def tags_of(self, carried: set[str]) -> dict:
        """What an update of a code carrying the tags ``carried`` is given: ``tag_ids`` and
        ``tag_names`` (``writes._tag``), or nothing when they stay the same. Raises
        ``InvalidInput`` when the code would carry more than ``MAX_TAGS``."""
        kept = (carried | self.add_ids) - self.remove_ids
        if kept == carried and not self.add_names:
            return {}
        if len(kept) + len(self.add_names) > MAX_TAGS:
            raise InvalidInput(f"this QR Code would carry {len(kept) + len(self.add_names)} tags, at most {MAX_TAGS}",
                               self.field)
        return {"tag_ids": sorted(kept), "tag_names": list(self.add_names)}


def _tag_change(given: dict) -> tuple[TagChange | None, list[CodeQRError]]:
    """The tags ``given`` adds and removes (None: it changes none), and every problem of it:
    an unknown id, a tag both added and removed, a change mixed with a set."""
    sent = {name: given[name] for name in TAG_CHANGES if given.get(name) is not None}
    if not sent:
        return None, []
    problems: list[CodeQRError] = []
    if {"tag_ids", "tag_names"} & given.keys():
        problems.append(InvalidInput("set the tags (tagIds, tagNames) or change them (addTag…, removeTag…), not both",
                                     TAG_CHANGES[next(iter(sent))]))
    for name in ("add_tag_ids", "remove_tag_ids"):
        if (problem := tags.unknown_ids(sent.get(name))) is not None:
            problems.append(InvalidInput(problem.detail, TAG_CHANGES[name], sentence=problem.sentence))
    added_names = {name.strip().lower(): name.strip() for name in sent.get("add_tag_names", ()) if name.strip()}
    removed_names = {name.strip().lower(): name.strip() for name in sent.get("remove_tag_names", ()) if name.strip()}
    # Found as a tag's update finds them (``tags``: any case, as the database's unique index says).
    existing = {lower: tag.id for lower, tag in tags._by_lower_name(added_names | removed_names).items()}
    add_ids = set(sent.get("add_tag_ids", ())) | {existing[lower] for lower in added_names if lower in existing}
    remove_ids = set(sent.get("remove_tag_ids", ())) | {existing[lower] for lower in removed_names if lower in existing}
    if both := (add_ids & remove_ids) | (added_names.keys() & removed_names.keys()):
        problems.append(InvalidInput(f"{len(both)} tag(s) both added and removed: say which one you mean",
                                     "removeTagIds" if "remove_tag_ids" in sent else "removeTagNames"))
    new_names = tuple(name for lower, name in added_names.items() if lower not in existing)
    return TagChange(frozenset(add_ids), new_names, frozenset(remove_ids),
                     "addTagIds" if "add_tag_ids" in sent else "addTagNames"), problems


# -- the update -----------------------------------------------------------------------


def _checked(data: _UpdateInput, ctx: Context) -> tuple[dict, TagChange | None, logos.Logo | None]:
    """What ``data`` changes in each code (``writes``' given fields), the tags it adds and
    removes, and the logo it sends taken in; every problem of it at once, the same for every
    code, raised (``InvalidInputs``): checked once, not once per code."""
    given = data.given()
    if not any(value is not None or name not in TAG_CHANGES for name, value in given.items()):
        raise InvalidInput("send at least one field to change", "data")
    change, problems = _tag_change(given)
    problems += templates.problems(given.get("template_id"), ctx)
    if "folder_id" in given and (problem := folders.folder_problem(given["folder_id"], ctx.actor)):
        problems.append(problem)
    if problem := tags.unknown_ids(given.get("tag_ids")):
        problems.append(problem)
    InvalidInputs.raise_any(*problems)
    data, logo = writes._with_logo(data, ctx)  # a logo refused: 422, nothing stored
    return {name: value for name, value in data.given().items() if name not in TAG_CHANGES}, change, logo


def _may_change(qr: QRCode | None, actor: Actor) -> bool:
    """Whether ``actor`` may change ``qr`` (None: no QR Code), by its folder's access
    (whoever may change a folder's QR Codes sees them)."""
    return qr is not None and folders.may_write(qr.folder_id, actor)


def _refused(ref: str, error: CodeQRError) -> BulkUpdateError:
    return BulkUpdateError(error=ErrorBody.model_validate(error.body()), qrcode_id=ref)


def _updated(qr: QRCode, given: dict, ctx: Context, scanned: Scanned | None,
             logo: logos.Logo | None) -> tuple[QRCodeOut, dict]:
    """In the open write transaction: change ``qr`` as ``writes.update`` does, in a savepoint
    (refused, it leaves nothing of itself); return ``(before, changes)``."""
    try:
        with db.session.begin_nested():
            return writes._save_changes(qr, given, ctx, scanned, logo)
    except IntegrityError:  # one of its tags deleted since the check
        raise Conflict("a tag of this change was deleted meanwhile; try again") from None


def update_many(refs: list[str], data: _UpdateInput, ctx: Context) -> RootModel:
    """Apply ``data`` (a validated ``body_of`` change) to each QR Code of ``refs`` (ids or
    ``ext_`` refs; a code named twice, by one ref or by its id and externalId, counts once);
    answer each in the order given (its first time)."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    refs = list(dict.fromkeys(refs))
    if len(refs) > MAX_BULK:
        raise InvalidInput(f"at most {MAX_BULK} QR Codes per request ({len(refs)} sent)", "qrcodeIds")
    given, change, logo = _checked(data, ctx)
    # Decoded before the write transaction (as ``writes.update``): writers do not wait for 100 decodes.
    scanned = {ref: writes._scan_ahead(ref, given, ctx, logo) for ref in refs if _may_change(row_of(ref, ctx.actor), ctx.actor)}
    if logo is not None:
        writes._keep(logo, ctx)  # as ``writes.update``: a logo no code took is swept after the grace
    results: list = []
    changed: list[tuple[QRCodeOut, QRCodeOut, dict]] = []
    with begin_write():
        rows = {ref: row_of(ref, ctx.actor) for ref in refs}
        named = {qr.id: ref for ref, qr in reversed(rows.items()) if qr is not None}  # a code's first ref
        rows = {ref: qr for ref, qr in rows.items() if qr is None or named[qr.id] == ref}
        carried = tags.of_codes(qr.id for qr in rows.values() if qr is not None) if change else {}
        for ref, qr in rows.items():
            if qr is None or not _may_change(qr, ctx.actor):
                results.append(_refused(ref, NotFound(f"no QR Code {ref!r}")))
                continue
            try:
                own = change.tags_of({tag.id for tag in carried[qr.id]}) if change else {}
                before, changes = _updated(qr, given | own, ctx, scanned.get(ref), logo)
            except CodeQRError as error:
                results.append(_refused(ref, error))
                continue
            results.append(after := out_of(qr, ctx))
            if changes:
                changed.append((before, after, changes))
    for before, after, changes in changed:  # committed: images forgotten, hooks told
        writes._after_update(before, after, changes, ctx)
    return results_of(ctx.schemas.out).model_validate(results)
