"""Templates: a QR Code marked ``useAsTemplate`` lends its design to others.

``templateId`` on create or update gives a QR Code the template's design: every design
field (``schemas.design_fields``, a plugin's included), size, margin and level too, since
they are how the image looks. Fields sent with it win. It is a copy: changing the template
later changes no QR Code made from it.

One template may be the instance's default (the brand): a QR Code created without any
design field takes its design. It is a mark on the template's own row, so deleting the
template clears the default, and so does un-marking it (``useAsTemplate`` false): a
default that is no template would make QR Codes no one can trace back.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..accounts.permissions import Permission
from ..contents import TYPES
from ..context import Context
from ..domain import folders
from ..domain.models import QRCode
from ..errors import Conflict, InvalidInput, InvalidInputs
from ..persistence.database import begin_write
from ..persistence.extensions import db

#: The levels that leave room for a logo (``design_rules``): a template's lower level gives way
#: to H when the caller adds a logo.
_LOGO_LEVELS = ("Q", "H")


def problems(template_id: str | None, ctx: Context, field: str = "templateId") -> list[InvalidInput]:
    """Why ``template_id`` names no template (unknown, or a QR Code not marked as one), or nothing.
    A QR Code in a folder ``ctx.actor`` does not see is unknown to them (``domain.folders``)."""
    if template_id is None:
        return []
    row = db.session.get(QRCode, template_id)
    if row is None or not folders.may_see(row.folder_id, ctx.actor):
        return [InvalidInput(f"no QR Code {template_id!r} to use as a template", field,
                             sentence="There is no QR Code with this id to take the design of: choose a template.")]
    if not row.use_as_template:
        name = row.title or row.key
        return [InvalidInput(f"QR Code {template_id!r} is not a template", field,
                             sentence=f"“{name}” is not a template: tick “Use as template” on it first, "
                                      "or choose a template.")]
    return []


def _template(template_id: str) -> QRCode | None:
    row = db.session.get(QRCode, template_id)
    return row if row is not None and row.use_as_template else None


def _default() -> QRCode | None:
    return db.session.scalar(select(QRCode).where(QRCode.default_template))


def design_of(row: QRCode, ctx: Context) -> dict[str, Any]:
    """Every design field of the QR Code ``row``, by attribute name."""
    return ctx.schemas.design.of_stored(row.design).field_values()


def inherited(template_id: str | None, sent: Collection[str], type_name: str, ctx: Context, *,
              new: bool) -> dict[str, Any]:
    """The design fields a QR Code of type ``type_name`` takes from a template, those not
    ``sent`` (attribute names): the template ``template_id``'s or, for a ``new`` QR Code sent
    without any design field, the instance default's; nothing otherwise (an unknown template
    too: ``problems`` says why). The level is not taken where the type's standard fixes it,
    nor when the caller sends a logo the template's level leaves no room for."""
    design_fields = ctx.schemas.design_fields
    if template_id is not None:
        row = _template(template_id)
    else:
        row = _default() if new and not set(sent) & set(design_fields) else None
    if row is None:
        return {}
    taken = {name: value for name, value in design_of(row, ctx).items() if name not in sent}
    if TYPES[type_name].level or ("show_logo" in sent and taken.get("level") not in _LOGO_LEVELS):
        taken.pop("level", None)  # chosen as without a template
    return taken


def starting_design(template_id: str | None, ctx: Context) -> dict[str, Any]:
    """The design fields a new QR Code's form starts with: the template ``template_id``'s when
    it names one, else the instance default's (nothing without a default)."""
    return inherited(template_id if template_id and not problems(template_id, ctx) else None, (), "url", ctx,
                     new=True)


def default_id(ctx: Context) -> str | None:
    """The id of the instance's default template, or None. Anyone who may read QR Codes may ask."""
    row = _default()
    return row.id if row is not None else None


def set_default(template_id: str | None, ctx: Context) -> str | None:
    """Make the template ``template_id`` the instance's default (None: no default); admins only.
    Return the default's id."""
    ctx.actor.require(Permission.SETTINGS)
    InvalidInputs.raise_any(*problems(template_id, ctx))
    try:
        with begin_write():
            db.session.execute(update(QRCode).where(QRCode.default_template).values(default_template=False))
            # Only while it is a template: it may have been un-marked since the check above.
            if template_id is not None and db.session.scalar(
                    update(QRCode).where(QRCode.id == template_id, QRCode.use_as_template.is_(True))
                    .values(default_template=True).returning(QRCode.id)) is None:
                InvalidInputs.raise_any(*problems(template_id, ctx))
                raise Conflict("the template changed at the same moment; look at it and choose again")
    except IntegrityError:  # another admin chose one at the same moment: the unique index kept one
        raise Conflict("the default template was changed at the same moment; look at it and choose again") from None
    return template_id


@dataclass(frozen=True)
class Choice:
    """A template as a picker shows it."""

    id: str
    title: str
    is_default: bool
    #: the image, as the public route serves it (cached, with its ETag): scale it down in the page
    thumbnail: str
    #: its design fields by API name, for a form to fill in
    design: dict[str, Any]


def for_picker(ctx: Context, fmt: str | None = None) -> tuple[list[Choice], str | None]:
    """Every template ``ctx.actor`` sees, the default first, then by title, and the default's id: what a
    template picker shows. Thumbnails are ``/qr/{id}.{fmt}`` (the public image route takes
    no size: the picture is drawn at the template's own size, best in a vector ``fmt``)."""
    fmt = fmt or ctx.config["CODEQR_DEFAULT_FORMAT"]
    seen = folders.visible(ctx.actor)
    rows = db.session.scalars(select(QRCode).where(QRCode.use_as_template.is_(True), *([] if seen is None else [seen]))
                              .order_by(QRCode.default_template.desc(), QRCode.title, QRCode.created_at))
    api_names = ctx.schemas.api_names
    choices = []
    for row in rows:
        design = ctx.schemas.design.of_stored(row.design).model_dump(mode="json", exclude={"version"})
        choices.append(Choice(row.id, row.title or row.key, row.default_template, f"/qr/{row.id}.{fmt}",
                              {api_names[name]: value for name, value in design.items()}))
    default = next((choice.id for choice in choices if choice.is_default), None)
    return choices, default
