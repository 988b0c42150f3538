"""The rules that join a QR Code's content fields: its type's payload given and no other,
static only where the type allows, the level its standard requires, and a static content
that fits in a QR Code."""

from collections.abc import Collection, Mapping
from typing import Any

import qrcode
from qrcode.exceptions import DataOverflowError

from ..errors import InvalidInput
from . import PAYLOADS, TYPES, WITH_URL
from .stored import encoded, product_key

_LEVELS = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
           "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}
_LEVEL_WORDS = {"L": "L (7%)", "M": "M (15%)", "Q": "Q (25%)", "H": "H (30%)"}


def default_static(type_name: str) -> bool:
    """Whether a QR Code of ``type_name`` is static when the caller does not say."""
    return TYPES[type_name].static == "only"


def content_problems(fields: Mapping[str, Any], api_names: Mapping[str, str],
                     refused: Collection[str] = ()) -> list[InvalidInput]:
    """Every problem of the content ``fields`` (attribute names) together; checks of fields
    in ``refused`` (API names the schema refused already) are left out."""
    if "type" in refused:
        return []
    kind = TYPES[fields["type"]]
    found = []
    needed = (("url",) if kind.name in WITH_URL else ()) + ((kind.field,) if kind.field != "url" else ())
    for name in needed:
        if fields.get(name) is None and api_names[name] not in refused:
            found.append(InvalidInput(f"required for a QR Code of type {kind.name}", api_names[name],
                                      sentence=f"Fill in this part: a {kind.label} QR Code needs it."))
    for name in ("url", *PAYLOADS):
        if name not in needed and fields.get(name) is not None:
            found.append(InvalidInput(f"only for a QR Code of another type (this one is {kind.name})",
                                      api_names[name],
                                      sentence=f"This part is not used by a {kind.label} QR Code: leave it empty."))
    static = fields["static"]
    if static is False and kind.static == "only":
        found.append(InvalidInput(f"a QR Code of type {kind.name} must be static: phones read it only from the code",
                                  "static", sentence=f"A {kind.label} QR Code can only be static: phones read it "
                                                     "from the code itself, not from a link."))
    if static is True and kind.static == "never":
        found.append(InvalidInput(f"a QR Code of type {kind.name} cannot be static", "static",
                                  sentence=f"A {kind.label} QR Code cannot be static: it works through its link."))
    payload = fields.get(kind.field)
    if kind.name == "gs1" and payload is not None and fields.get("key") != product_key(payload):
        found.append(InvalidInput("a gs1 QR Code's key is made from its GTIN, batch and serial: leave it out", "key",
                                  sentence="Leave the short link key empty: CodeQR makes it from the GTIN, batch "
                                           "and serial."))
    level = fields.get("level")
    if kind.level and level and level != kind.level and "level" not in refused:
        found.append(InvalidInput(f"must be {kind.level} for a QR Code of type {kind.name} (its standard says so)",
                                  "level", sentence=f"A {kind.label} QR Code uses error correction "
                                                    f"{_LEVEL_WORDS[kind.level]}: its standard requires it."))
    if kind.level and fields.get("show_logo") and "showLogo" not in refused:
        found.append(InvalidInput(f"a QR Code of type {kind.name} cannot show the logo: its standard requires error "
                                  f"correction {kind.level}, too low for a logo", "showLogo",
                                  sentence=f"A {kind.label} QR Code cannot show the logo: its standard requires "
                                           f"error correction {_LEVEL_WORDS[kind.level]}, too low to cover a logo."))
    if not found and static and level and payload is not None:  # None: the schema refused it already
        found += _fit_problems(kind.name, payload, level)
    return found


def _fit_problems(type_name: str, payload: Any, level: str) -> list[InvalidInput]:
    """A static content too long for the largest QR Code at ``level``."""
    text = encoded(type_name, payload)
    code = qrcode.QRCode(error_correction=_LEVELS[level])
    code.add_data(text)
    try:
        code.make(fit=True)
    except (DataOverflowError, ValueError):
        size = len(text.encode())
        field = TYPES[type_name].field
        return [InvalidInput(f"too long for a QR Code at error correction {level}: it encodes to {size:,} bytes",
                             field, sentence=f"This content is too long for a QR Code at error correction "
                                             f"{_LEVEL_WORDS[level]} ({size:,} bytes once encoded): shorten it, "
                                             "choose a lower error correction, or make the QR Code dynamic.")]
    return []
