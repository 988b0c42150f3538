"""The list's organising tools (issue 24): its filters read from the address (or posted with
an action on "all matching"), the folder sidebar with each folder's count, and the bulk
actions on the selection (add or remove a tag, move to a folder, archive, unarchive, change
the design from a template), each asked once on a confirmation page and applied through
``bulk_update.update_many``, 100 codes a call.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from pydantic import ValidationError
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from ..accounts.permissions import Permission
from ..context import for_request
from ..design import templates
from ..domain import folders, qrcodes
from ..domain.bulk_update import BulkUpdateError, body_of, update_many
from ..domain.filters import UNFILED, Filters, Query
from ..domain.models import Folder, Tag
from ..domain.schemas import MAX_BULK
from ..errors import CodeQRError
from ..persistence.extensions import db
from . import bp, name_of, requires
from .forms import ConfirmForm
from .timezone import reader_zone

#: The filters the address may carry, by their API names: all of the list API's but ``format``
#: (the export's formats are posted as ``format``; ``static`` says the same) and ``withTags``.
FILTER_NAMES = tuple(info.alias or name for name, info in Filters.model_fields.items()
                     if name not in ("format", "with_tags"))
#: The filters given as instants: the panel's date fields send a day, taken at midnight where the reader is.
_INSTANTS = ("createdAfter", "createdBefore", "expiresAfter", "expiresBefore", "lastScannedBefore")
_LISTS = ("tagIds", "tagNames")
#: Why a code seen was refused as "not found" by the bulk update (``bulk_update._may_change``).
NOT_YOURS = "its folder's QR Codes are not yours to change"
#: How many refused QR Codes the message after an action names; the rest are counted.
NAMED_REFUSED = 5


def _day_or_instant(value: str) -> str:
    """A day (``2027-01-31``, what a date field sends) as its first instant in the reader's zone."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return datetime.combine(date.fromisoformat(value), time(), ZoneInfo(reader_zone())).isoformat()
        except ValueError:
            return value
    return value


def given_filters(source: MultiDict, posted: bool = False) -> dict[str, Any]:
    """The filters ``source`` (the address, or a posted form) gives, by API name, as it spells
    them: empty fields left out, and bad values (a list to share should not fail on one) —
    except in an action's form (``posted``): a filter dropped there would widen "all matching",
    so a bad one is a 400."""
    given: dict[str, Any] = {}
    for name in FILTER_NAMES:
        values = [value.strip() for value in source.getlist(name) if value.strip()]
        if values:
            given[name] = values if name in _LISTS else values[0]
    while given:
        try:
            filters_of(given, Filters)
            return given
        except ValidationError as error:
            bad = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
            if posted:
                abort(400, f"the list's filter {', '.join(sorted(bad)) or 'given'} is not valid; reload the list")
            given = {name: value for name, value in given.items() if name not in bad} if bad else {}
    return given


def filters_of(given: dict[str, Any], model: type[Query], **more) -> Query:
    """``model`` (``Filters``, ``ListQuery``) of the filters ``given_filters`` kept, and ``more``."""
    data = {name: _day_or_instant(value) if name in _INSTANTS else value for name, value in given.items()}
    return model.model_validate({**data, **more})


# -- the filter panel and the sidebar -------------------------------------------------


@dataclass(frozen=True)
class FolderEntry:
    """A line of the folder sidebar: its ``folderId`` filter (None: all), name and count."""

    folder_id: str | None
    name: str
    count: int


def visible_folders() -> list[tuple[str, str]]:
    """The folders the reader sees, ``(id, name)`` by name."""
    condition = folders.folder_visible(for_request().actor)
    query = select(Folder.id, Folder.name).order_by(func.lower(Folder.name), Folder.id)
    return [(id_, name) for id_, name in db.session.execute(query if condition is None else query.where(condition))]


def sidebar(given: dict[str, Any]) -> list[FolderEntry]:
    """"All", "No folder" and each folder seen, each counting the codes of the other filters
    (one grouped count)."""
    others = filters_of({name: value for name, value in given.items() if name != "folderId"}, Filters)
    counts = {row["folderId"]: row["count"] for row in qrcodes.count_by(others, "folderId", for_request())}
    return [FolderEntry(None, "All", sum(counts.values())), FolderEntry(UNFILED, "No folder", counts.get(None, 0)),
            *(FolderEntry(id_, name, counts.get(id_, 0)) for id_, name in visible_folders())]


def all_tags() -> list[tuple[str, str]]:
    """Every tag, ``(id, name)`` by name: what the filter and the tag actions offer."""
    return [(id_, name) for id_, name in db.session.execute(select(Tag.id, Tag.name).order_by(func.lower(Tag.name)))]


def day_of(value: str | None) -> str:
    """What a date field shows of an instant filter (its day), or nothing."""
    return value[:10] if value else ""


# -- the bulk actions -----------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """A bulk action: its question's verb, and what it asks for (``tag``, ``tag_id``,
    ``folder``, ``template``, or nothing)."""

    label: str
    asks: str | None = None


ACTIONS = {"addTag": Action("Add a tag", "tag"), "removeTag": Action("Remove a tag", "tag_id"),
           "move": Action("Move to a folder", "folder"), "archive": Action("Archive"),
           "unarchive": Action("Unarchive"), "design": Action("Change the design", "template")}


def _change(action: str, form: MultiDict) -> tuple[dict, Callable[[str], str]] | None:
    """The bulk update's ``data`` of ``action`` with what ``form`` chose, and the message after
    it (given "37 QR Codes"); None when a choice is missing or unknown."""
    if action in ("archive", "unarchive"):
        return {"archived": action == "archive"}, lambda codes: f"{codes} {action}d."
    if action == "addTag" and (tag := form.get("tag", "").strip()):
        return {"addTagNames": [tag]}, lambda codes: f"Tag “{tag}” added to {codes}."
    if action == "removeTag" and (name := dict(all_tags()).get(form.get("tag_id", ""))):
        return {"removeTagIds": [form["tag_id"]]}, lambda codes: f"Tag “{name}” removed from {codes}."
    if action == "move" and "folder" in form:
        folder_id = form["folder"] or None
        folder = dict(_writable_folders()).get(folder_id or "")
        if folder_id and folder is None:
            return None
        return {"folderId": folder_id}, (lambda codes: f"{codes} moved to “{folder}”." if folder
                                         else f"{codes} taken out of their folder.")
    if action == "design" and (title := {c.id: c.title for c in _templates()}.get(form.get("template", ""))):
        return {"templateId": form["template"]}, lambda codes: f"Design of “{title}” applied to {codes}."
    return None


def _templates():
    return templates.for_picker(for_request())[0]


def _codes(n: int) -> str:
    return f"{n} QR Code{'s' if n != 1 else ''}"


def _apply(ids: list[str], data: dict) -> tuple[int, list[tuple[str, str]]]:
    """Apply ``data`` to ``ids``, 100 a call: how many changed, and each refused ``(id, why)``."""
    ctx = for_request()
    change = body_of(ctx.schemas).model_validate({"qrcodeIds": ids[:1], "data": data}).data  # type: ignore[attr-defined]
    changed, refused = 0, []
    for start in range(0, len(ids), MAX_BULK):
        for entry in update_many(ids[start:start + MAX_BULK], change, ctx).root:
            if isinstance(entry, BulkUpdateError):
                # The codes asked about are seen: "not found" means their folder is not the asker's to change.
                why = NOT_YOURS if entry.error.code == "not_found" else entry.error.message
                refused.append((entry.qrcode_id, why))
            else:
                changed += 1
    return changed, refused


def _refused_words(refused: list[tuple[str, str]], names: dict[str, str]) -> str:
    said = "; ".join(f"{names.get(id_, id_)} ({why})" for id_, why in refused[:NAMED_REFUSED])
    more = f"; and {len(refused) - NAMED_REFUSED} more" if len(refused) > NAMED_REFUSED else ""
    return f"{len(refused)} {'were' if len(refused) != 1 else 'was'} not changed: {said}{more}."


@bp.post("/qrcodes/organise")
@requires(Permission.WRITE_QRCODES)
def qrcode_bulk_organise():
    """A bulk action (``action``) on the QR Codes ticked (``ids``) or on every one matching the
    list's filters (``all``): the first post asks, naming how many and what will happen; the
    second (``confirmed``: the count asked about) applies it and goes back to the same list."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400, "the form expired; reload the page")
    action = request.form.get("action", "")
    if action not in ACTIONS:
        abort(400, "no such action")
    given = given_filters(request.form, posted=True)
    matching = bool(request.form.get("all"))
    ctx = for_request()
    codes = qrcodes.all_matching(filters_of(given, Filters), ctx) if matching else qrcodes.by_ids(request.form.getlist("ids"), ctx)
    back = url_for("web.qrcode_list", **given)
    if not codes:
        flash("Select at least one QR Code first.", "error")
        return redirect(back)
    asked = request.form.get("confirmed", type=int)
    chosen = _change(action, request.form)
    if asked is not None and asked == len(codes) and chosen is not None:
        data, message = chosen
        try:
            changed, refused = _apply([qr.id for qr in codes], data)
        except CodeQRError as error:
            flash(error.sentence, "error")
            return redirect(back)
        if changed:
            flash(message(_codes(changed)), "success")
        if refused:
            flash(_refused_words(refused, {qr.id: name_of(qr) for qr in codes}), "warning")
        return redirect(back)
    return render_template("qrcodes/bulk_organise.html", form=form, action=action, what=ACTIONS[action],
                           count=len(codes), named=codes[:10], matching=matching, given=given, back=back,
                           changed=asked is not None and asked != len(codes),
                           missing=asked is not None and chosen is None,
                           ids=[] if matching else [qr.id for qr in codes], tags=all_tags(),
                           writable_folders=_writable_folders(), template_choices=_templates(),
                           chosen=request.form)


def _writable_folders() -> list[tuple[str, str]]:
    """The folders the reader may move QR Codes into, ``(id, name)`` by name."""
    condition = folders.folder_writable(for_request().actor)
    query = select(Folder.id, Folder.name).order_by(func.lower(Folder.name), Folder.id)
    return [(id_, name) for id_, name in db.session.execute(query if condition is None else query.where(condition))]
