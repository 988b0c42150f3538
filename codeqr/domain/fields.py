"""A QR Code's fields before a write: those a create body makes, what an update's changes
bring with them, and the picture the fields draw. Nothing here checks or stores them."""

from ..contents import PAYLOADS, TYPES, WITH_URL
from ..contents.rules import default_static
from ..contents.stored import product_key
from ..context import Context
from ..design import templates
from .ids import new_key
from .rendering import Picture
from .schemas import QRCodeCreate, encoded_text


def fields_of(data: QRCodeCreate, ctx: Context) -> dict:
    """The fields of a QR Code made of ``data``, unchecked: the design of its template (or the
    instance's default template) where not sent, the default domain, level and static filled
    in. Payloads and nested design values stay models (``model_dump`` would make them dicts)."""
    fields = {name: getattr(data, name) for name in type(data).model_fields if name != "level"}
    fields |= templates.inherited(data.template_id, data.model_fields_set, data.type, ctx, new=True)
    fields["domain"] = (data.domain or ctx.config["CODEQR_DEFAULT_DOMAIN"]).lower()
    fields["level"] = (data.level or TYPES[data.type].level or fields.get("level")
                       or ("H" if fields["show_logo"] or fields.get("logo") else "M"))
    fields["static"] = default_static(data.type) if data.static is None else data.static
    if data.type == "gs1" and data.gs1 is not None and data.key is None:
        fields["key"] = product_key(data.gs1)
    return fields


class RandomKey(str):
    """A key drawn at random for a new QR Code: drawn before the checks, so the scan check
    decodes the very link the code holds, and drawn again should it collide on insert."""


def with_type_change(stored: dict, given: dict) -> dict:
    """The changes ``given`` to the fields ``stored`` and what they bring with them, unless the
    caller chose: a gs1 payload its key (a code leaving gs1, a random one); another type drops
    the old type's payload, keeps static as it was where the new type allows it, and takes the
    level its standard requires."""
    if given.get("gs1") is not None and "key" not in given:
        given = given | {"key": product_key(given["gs1"])}
    if given.get("type", stored["type"]) == stored["type"]:
        return given
    kind = TYPES[given["type"]]
    if stored["type"] == "gs1" and "key" not in given:  # free the product's Digital Link for another code
        given = given | {"key": new_key()}
    kept = {kind.field} | ({"url"} if kind.name in WITH_URL else set())
    given = {name: None for name in ("url", *PAYLOADS) if name not in kept and stored[name] is not None} | given
    if kind.static != "either":
        given.setdefault("static", kind.static == "only")
    if kind.level:
        given.setdefault("level", kind.level)
    return given


#: The key a preview of a new QR Code encodes: as long as a random key.
PREVIEW_KEY = "preview00000-qr"


def picture_of(fields: dict, ctx: Context) -> Picture:
    """The picture of checked ``fields``: a random key not yet drawn reads ``PREVIEW_KEY``
    (as long, so the code has the same size)."""
    schemas = ctx.schemas
    design = schemas.design.model_validate({name: fields[name] for name in schemas.design_fields if name in fields})
    text = encoded_text(ctx.config, fields["type"], fields["static"], fields[TYPES[fields["type"]].field],
                        fields["domain"], fields["key"] or PREVIEW_KEY)
    return Picture(text, design)
