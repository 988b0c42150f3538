"""What people read when the web UI or an import refuses a value: each problem as a
sentence in their words, with the field(s) it concerns. The API keeps its own precise
messages; this module only words them for people."""

from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails

from ..contents import PAYLOADS
from ..errors import CodeQRError, InvalidInput, InvalidInputs, as_sentence, plain
from .schemas import NESTED_DESIGN, QRCodeCreate, bounds_of, ui_of

_COLOUR = "Enter a colour as six hex digits, like #1a73e8 (or three, like #fff)."
#: What a value that does not match its field's pattern should look like.
_PATTERNS = {
    "bgColor": _COLOUR,
    "fgColor": _COLOUR,
    "key": "Use only letters, digits, - and _, beginning with a letter or a digit.",
    "domain": "Choose one of the domains this instance serves.",
    "externalId": "An external id cannot contain / or invisible control characters.",
    "templateId": "Enter the id of a template as CodeQR shows it (letters and digits, like c4k2…).",
}
#: How a missing value is asked for, by API field name (None: a problem of no one field).
_ASK: dict[str | None, str] = {"url": "Enter the destination URL, like https://example.com/menu.",
                               "fgGradient.colors": "Give the gradient two colours: where it starts and where it ends."}
_BY_TYPE = {
    "url_spaces": "A web address cannot contain spaces or invisible characters.",
    "url_scheme": "Enter a full web address starting with http:// or https://, like https://example.com/menu.",
    "url_host": "Enter a web address with a site name, like https://example.com/menu.",
    "url_userinfo": "Remove the name or password before the site name (the part up to @): such a link leads "
                    "somewhere else than it seems to.",
    "url_host_characters": "The site name cannot contain \\ or %: write the address as the browser shows it.",
    "url_unreadable": "Check the web address: it cannot be read (a port after the colon must be a number "
                      "from 0 to 65535, an IPv6 address goes in [brackets]).",
    "control_characters": "Remove the invisible control characters from this text.",
    "bool_type": "Use yes or no (or true/false, 1/0).",
    "bool_parsing": "Use yes or no (or true/false, 1/0).",
    "string_too_long": "Use at most {max_length:,} characters.",
    "string_type": "Enter text here.",
    "literal_error": "Choose one of: {expected}.",
}
#: Fields whose problems are named by their path inside: the payloads and the nested design fields.
_NESTED_DESIGN = {to_camel(name): model for name, model in NESTED_DESIGN.items()}
_NESTED = {*PAYLOADS, *_NESTED_DESIGN}
_NUMBER_TYPES = {"int_type", "int_parsing", "int_from_float", "greater_than_equal", "less_than_equal",
                 "greater_than", "less_than"}


def sentences(error: Exception) -> list[tuple[str | None, str]]:
    """Each problem of ``error`` as (API name of its field or None, sentence)."""
    if isinstance(error, ValidationError):
        return [(_field_of(item), _sentence(item)) for item in error.errors()]
    if isinstance(error, InvalidInputs):
        return [pair for problem in error.problems for pair in sentences(problem)]
    if isinstance(error, CodeQRError):
        return [(field, error.sentence) for field in ((error.field, *error.also) if error.field else (None,))]
    raise TypeError(f"not an input error: {error!r}")


def schema_problems(error: ValidationError) -> list[InvalidInput]:
    """Each problem the schema found, as the API says it (its field's API name and pydantic's
    words) and as people read it (``sentence``)."""
    return [InvalidInput(plain(item["msg"]), _field_of(item), sentence=_sentence(item)) for item in error.errors()]


def _field_of(item: ErrorDetails) -> str | None:
    """The API name of the field of a problem; inside a payload, its path: ``vcard.emails[1]``."""
    if not item["loc"]:
        return None
    first, *inside = item["loc"]
    return str(first) + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in inside) \
        if first in _NESTED else str(first)


def _sentence(item: ErrorDetails) -> str:
    kind, field, context = item["type"], _field_of(item), item.get("ctx") or {}
    if kind in _NUMBER_TYPES:
        return whole_number(field)
    if kind in ("too_short", "too_long") and field in _ASK:
        return _ASK[field]
    if kind in ("missing", "string_too_short"):
        return _ASK.get(field, "Enter a value here.")
    if kind == "string_pattern_mismatch" and field in _PATTERNS:
        return _PATTERNS[field]
    if kind == "string_pattern_mismatch" and "[0-9a-fA-F]{6}" in str(context.get("pattern")):
        return _COLOUR  # a colour inside a nested field (fgGradient.colors[0])
    if kind == "extra_forbidden":
        return f"CodeQR has no field “{field}”."
    if kind in _BY_TYPE:
        try:
            return _BY_TYPE[kind].format(**{name: str(value).replace("'", "") if name == "expected" else value
                                            for name, value in context.items()})
        except (KeyError, ValueError):
            pass
    return as_sentence(plain(item["msg"]))


#: What people call the fields the form does not show.
_NAMES = {"externalId": "External id", "templateId": "Template id"}


def label_of(field: str, model: type[BaseModel] = QRCodeCreate) -> str:
    """The name people know a field of the QR Code body ``model`` (by its API name) by: its
    label in the form, without the hint in brackets or after a colon ("fgColor" -> "Foreground colour",
    "archived" -> "Archived")."""
    info = next((info for info in model.model_fields.values() if info.alias == field), None)
    label = ui_of(info).label if info is not None else None
    return label.split(" (")[0].split(": ")[0] if label else _NAMES.get(field, field)


def whole_number(field: str | None) -> str:
    """Ask for a whole number in the range of the core's QR Code field ``field`` (its API name)."""
    top, _, key = (field or "").partition(".")
    info = next((info for info in QRCodeCreate.model_fields.values() if info.alias == top), None)
    nested = _NESTED_DESIGN.get(top) if key else None
    if nested is not None:
        info = nested.model_fields.get(key)
    return number_in(bounds_of(info) if info is not None else {})


def number_in(bounds: dict, whole: bool = True) -> str:
    """Ask for a (whole) number within ``bounds`` (``{"ge": …, "le": …}``, those a field has)."""
    kind = "whole number" if whole else "number"
    if len(bounds) == 2:
        return f"Enter a {kind} from {bounds['ge']:,} to {bounds['le']:,}."
    return f"Enter a {kind}."
