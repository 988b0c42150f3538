"""Every problem of a QR Code's future fields past the schema, found before a write (a
domain not served, a design that would not scan, a key taken…), and the form's preview,
which shows them beside the picture a save would store."""

import re
from collections.abc import Collection

from pydantic import BaseModel
from sqlalchemy import select

from ..contents import TYPES
from ..contents.rules import content_problems
from ..context import Context
from ..design import logos, templates
from ..design.verify import verify
from ..design_rules import design_problems
from ..errors import CodeQRError, Conflict, InvalidInput
from ..links.checks import link_problems
from ..persistence.extensions import db
from . import aliases, domains, folders, tags
from .fields import PREVIEW_KEY, RandomKey, fields_of, picture_of
from .models import QRCode
from .rendering import Picture, short_link
from .schemas import INPUT_FIELDS, LINK_FIELDS, SECRET_FIELDS, QRCodeCreate, encoded_text

#: A picture and what its decode found (nothing, or why it does not scan).
Scanned = tuple[Picture, list[CodeQRError]]


def _check_domain(domain: str, ctx: Context) -> str:
    if (problem := domains.domain_problem(domain, ctx)) is not None:
        raise problem
    return domain


def _check_key(key: str, ctx: Context) -> str:
    if key.lower() in ctx.state.reserved_keys:
        raise InvalidInput(f"{key!r} is reserved for an app route", "key",
                           sentence=f"The key “{key}” is the name of a page of CodeQR: choose another one.")
    return key


def field_problems(fields: dict, ctx: Context, *, taken: bool = True, exclude_id: str | None = None,
                   refused: Collection[str] = (), unchanged: Collection[str] = (),
                   stored: dict | None = None, scanned: Scanned | None = None,
                   logo: logos.Logo | None = None) -> list[CodeQRError]:
    """Every problem of a QR Code's future ``fields`` past the schema, at once: a domain not
    served, a key of an app route, a design that would not scan, the plugins' checks and
    (with ``taken``) a key or externalId another QR Code than ``exclude_id`` has. Checks of
    fields in ``refused`` (API names the schema refused already) are left out, and the domain
    and key are not checked again when ``unchanged`` (an update that keeps them). When every
    other check passes, the image is decoded (``design.verify``), unless it is the image of
    the fields ``stored`` before (an update of the title alone decodes nothing) or the picture
    ``scanned`` already says of; ``logo``: the logo taken in, not stored yet, it draws."""
    found: list[CodeQRError] = []
    checks = [(_check_domain, "domain")] + ([(_check_key, "key")] if fields.get("key") is not None else [])
    for check, name in checks:
        if name not in refused and name not in unchanged:
            try:
                check(fields[name], ctx)
            except InvalidInput as error:
                found.append(error)
    # A type whose standard fixes the level (epc) says itself why the logo cannot be.
    fixed_level = {"level"} if fields.get("type") and TYPES[fields["type"]].level else set()
    found += design_problems(fields, set(refused) | fixed_level)
    found += content_problems(fields, ctx.schemas.api_names, refused)
    found += link_problems(fields, ctx.schemas.api_names, LINK_FIELDS, refused)
    if "templateId" not in refused:
        found += templates.problems(fields.get("template_id"), ctx)
    if not {"folderId"} & {*refused, *unchanged} and (problem := folders.folder_problem(fields.get("folder_id"), ctx.actor)):
        found.append(problem)
    if "tagIds" not in refused and (problem := tags.unknown_ids(fields.get("tag_ids"))):
        found.append(problem)
    if not refused:
        api_names = ctx.schemas.api_names
        preview = {api_names[name]: value.model_dump(mode="json", by_alias=True) if isinstance(value, BaseModel)
                   else value for name, value in fields.items() if name in api_names and name not in INPUT_FIELDS
                   and name not in SECRET_FIELDS}
        try:
            ctx.state.pm.hook.codeqr_validate_qrcode(app=ctx.app, qrcode=preview)
        except CodeQRError as error:
            found.append(error)
    if not found and not refused:
        found += _scan_problems(fields, ctx, stored, scanned, logo)
    conflict = _taken(fields, exclude_id) if taken and not {"domain", "key", "externalId"} & set(refused) else None
    return found + ([conflict] if conflict is not None else [])


def _scan_problems(fields: dict, ctx: Context, stored: dict | None, scanned: Scanned | None = None,
                   logo: logos.Logo | None = None) -> list[CodeQRError]:
    """Why the image of ``fields`` does not scan (none or one), unless it is that of ``stored``
    or ``scanned`` says already."""
    picture = picture_of(fields, ctx)
    if stored is not None and picture == picture_of(stored, ctx):
        return []
    if scanned is not None and scanned[0] == picture:
        return scanned[1]
    images = ctx.state.images
    problem = verify(images.spec(picture, logo.png if logo is not None else None), images.renderers.get("png"))
    return [problem] if problem is not None else []


def unique_conflict(fields: dict, exclude_id: str | None = None) -> Conflict:
    """Explain which unique value is already taken (after an IntegrityError)."""
    return _taken(fields, exclude_id) or Conflict("a unique value of this QR Code is already used")


def _taken(fields: dict, exclude_id: str | None = None) -> Conflict | None:
    """The conflict a save of ``fields`` would meet: its key used by another or an old link
    of another (``aliases``), or its externalId used by another."""
    others = [QRCode.id != exclude_id] if exclude_id else []
    if fields.get("key") and not isinstance(fields["key"], RandomKey):
        if db.session.scalar(
                select(QRCode.id).where(QRCode.domain == fields["domain"], QRCode.key == fields["key"], *others)):
            return Conflict(f"key {fields['key']!r} is already used on {fields['domain']}", "key",
                            sentence=f"Another QR Code already uses the key “{fields['key']}”: choose another one.")
        conflict = alias_conflict(fields["domain"], fields["key"], exclude_id)
        if conflict is not None:
            return conflict
    if fields.get("external_id") and db.session.scalar(
            select(QRCode.id).where(QRCode.external_id == fields["external_id"], *others)):
        return Conflict(f"externalId {fields['external_id']!r} is already used", "externalId",
                        sentence=f"Another QR Code already has the external id “{fields['external_id']}”.")
    return None


def alias_conflict(domain: str, key: str, exclude_id: str | None = None) -> Conflict | None:
    """The conflict of a QR Code (other than ``exclude_id``) taking the key ``key`` on
    ``domain`` when it is an old link of another QR Code (``aliases``), or None."""
    owner = aliases.owner_of(domain, key)
    if owner is None or owner == exclude_id:
        return None
    return Conflict(f"{domain}/{key} is an old link of another QR Code, kept working: key {key!r} cannot be used "
                    f"on {domain}", "key",
                    sentence=f"The key “{key}” is an old link of another QR Code that still works: choose another one.")


def preview_picture(data: QRCodeCreate, ctx: Context, key: str | None = None,
                    editing: str | None = None) -> tuple[Picture, str, list[CodeQRError]]:
    """Check ``data`` as a save would (the QR Code ``editing``, or a new one), taken keys and
    externalIds included, storing nothing; return its picture, the key it shows and every
    problem found. The picture holds what the saved code would (a static one its content);
    it is drawn even with problems: people see the design a save would refuse (colours too
    alike, say) beside the reason, and a content not yet whole as the short link's design."""
    fields = fields_of(data, ctx)
    if fields.get("logo") is not None and not logos.is_kept(fields["logo"], ctx.state.images.storage):
        fields["logo"] = None  # drawn once taken in (the form uploads it first: ``logos.intake_bytes``)
    # Decoded even when it is the stored image: the preview always says whether it scans.
    problems = field_problems(fields | {"key": data.key or key}, ctx, exclude_id=editing)
    key = data.key or key or PREVIEW_KEY
    design = picture_of(fields | {"key": key}, ctx).design
    field = TYPES[data.type].field
    payload = fields[field]
    whole = payload is not None and not any(re.split(r"[.\[]", problem.field or "")[0] == field for problem in problems)
    text = encoded_text(ctx.config, data.type, fields["static"], payload, fields["domain"], key) if whole \
        else short_link(ctx.config, fields["domain"], key)
    return Picture(text, design), key, problems
