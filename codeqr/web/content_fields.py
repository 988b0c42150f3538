"""The web form's fields for the content types' payloads and for the design fields whose value is
a model (``schemas.NESTED_DESIGN``: the gradient, the frame text's styles): one field per key, labelled
in people's words, of the kind its type calls for (lists as one value a line, booleans as
checkboxes, choices as selects, moments as the browser's local time). The payload models
stay the one source of the keys and their types; this module only says how people meet them.

A payload field ``vcard`` gives the form fields ``vcard-firstName``, ``vcard-emails``…
(``-`` then the API key); a payload that is one value (``text``, ``phone``) is one field
named like it. A nested design field does the same: ``fg_gradient-type``, ``fg_gradient-colors``
(two colour inputs of that name), ``frame_text_styles-family``."""

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, get_args, get_origin
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    Field,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)

from ..contents import CHOICE_TYPES, PAYLOADS, TYPES, WITH_URL
from ..contents.values import check_email, check_phone, check_text
from ..design.values import normalise_color
from ..domain.messages import number_in
from ..domain.schemas import NESTED_DESIGN, bounds_of, value_type

#: Labels the key names do not say well enough, by payload field and key (attribute name);
#: any other key is labelled from its name ("first_name" -> "First name").
LABELS: dict[str, dict[str, str]] = {
    "text": {"": "Text"},
    "phone": {"": "Phone number (+ and the country code)"},
    "email": {"email": "E-mail address", "body": "Message", "cc": "Copy to (Cc), one address a line",
              "bcc": "Blind copy to (Bcc), one address a line"},
    "sms": {"phone": "Phone number (+ and the country code)"},
    "facetime": {"target": "Phone number or Apple ID e-mail address"},
    "whatsapp": {"number": "WhatsApp number (with the country code)"},
    "wifi": {"ssid": "Network name (SSID)", "encryption": "Security", "hidden": "The network is hidden"},
    "vcard": {"organization": "Organisation", "title": "Job", "phones": "Phone numbers, one a line",
              "emails": "E-mail addresses, one a line", "address": "Postal address"},
    "event": {"summary": "Event name", "start": "Starts", "end": "Ends", "location": "Place"},
    "crypto": {"address": "Wallet address", "label": "Label (shown in the wallet)"},
    "pix": {"key": "Pix key", "name": "Receiver's name", "city": "Receiver's city", "amount": "Amount in reais"},
    "epc": {"name": "Beneficiary's name", "iban": "IBAN", "bic": "BIC (optional in the SEPA area)",
            "amount": "Amount in euros", "remittance": "Reference or message"},
    "gs1": {"gtin": "GTIN (product number)", "batch": "Batch or lot", "expiry": "Expiry date",
            "link_types": "More links, one a line: the link type, a space, the address"},
    "fg_gradient": {"type": "Gradient", "colors": "Gradient colours", "rotation": "Angle (0–359°, linear)"},
    "frame_text_styles": {"weight": "Weight", "style": "Style", "family": "Typeface", "size": "Text size"},
}
#: Words for choice values people would not read as they are.
CHOICE_WORDS: dict[str, str] = {"WPA": "WPA, WPA2 or WPA3", "WEP": "WEP (old)", "nopass": "None (an open network)",
                                "bitcoin": "Bitcoin", "ethereum": "Ether", "litecoin": "Litecoin",
                                "linear": "Linear", "radial": "Radial (from the centre)", "normal": "Normal",
                                "bold": "Bold", "italic": "Italic", "sans": "Sans serif",
                                "sans-condensed": "Sans serif, condensed", "serif": "Serif",
                                "serif-elegant": "Serif, elegant", "mono": "Monospace", "s": "Small", "m": "Medium",
                                "l": "Large", "xl": "Extra large"}
#: The blank choice of a nested design field that cannot be made of defaults alone (a
#: gradient needs its colours): blank there leaves the field null.
NONE_WORDS: dict[str, str] = {"fg_gradient": "None: one colour"}
#: Every field whose keys are spread in the form, by attribute name: payloads, then nested design fields.
MODELS: dict[str, Any] = {**PAYLOADS, **NESTED_DESIGN}
#: Hints under a few fields, where the format is not obvious.
HINTS: dict[str, str] = {
    "latlog-latitude": "In decimal degrees, north positive: 48.8584.",
    "latlog-longitude": "In decimal degrees, east positive: 2.2945.",
    "gs1-linkTypes": "For example: gs1:pip https://example.com/product",
}


class _Worded(Field):
    """A field whose unreadable text is refused with its own sentence."""

    unreadable = "Check this value."

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(self.unreadable) from None


class MomentField(_Worded, DateTimeLocalField):
    unreadable = "Enter a date and a time, like 19/03/2027 18:00."


class DayField(_Worded, DateField):
    unreadable = "Enter a date, like 31/12/2027."


class NumberText(StringField):
    """A number typed as text (a decimal comma read as a point): a float, or for an amount a
    Decimal, its digits kept. Its range and places are the service's to check."""

    def __init__(self, *args, bounds: dict | None = None, decimal: bool = False, whole: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.bounds, self.decimal, self.whole = bounds or {}, decimal, whole

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        text = (self.data or "").strip()
        if "." not in text:
            text = text.replace(",", ".")  # a decimal comma, as much of Europe writes it
        if not text:
            self.data = None
            return
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or (self.whole and number != number.to_integral_value()):
            self.data = None
            raise ValueError("Enter an amount, like 10.50." if self.decimal
                             else number_in(self.bounds, whole=self.whole))
        self.data = number if self.decimal else int(number) if self.whole else float(number)


class LinesField(TextAreaField):
    """A list as one value a line; blank lines are dropped."""

    def process_data(self, value):
        self.data = list(value or [])

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = [line.strip() for line in valuelist[0].splitlines() if line.strip()]

    def _value(self) -> str:
        return "\n".join(self.data or [])


class ColorListField(Field):
    """Colours posted as several inputs of one name (a gradient's start and end), each as
    the hex text people typed (a # added to bare digits); blank inputs are dropped."""

    def process_data(self, value):
        self.data = list(value or [])

    def process_formdata(self, valuelist):
        texts = [text.strip() for text in valuelist if text.strip()]
        self.data = [normalise_color("#" + text) if _BARE_HEX.fullmatch(text) else text for text in texts]

    def value_at(self, index: int) -> str:
        """The text of the ``index``-th input (blank when there is none)."""
        return self.data[index] if self.data and index < len(self.data) else ""


_BARE_HEX = re.compile(r"[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6}")


class LinksField(TextAreaField):
    """GS1 link types and their addresses, one pair a line: ``gs1:pip https://…``."""

    def process_data(self, value):
        self.data = dict(value or {})

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = {}
        for number, line in enumerate(valuelist[0].splitlines(), 1):
            if not line.strip():
                continue
            name, _, address = line.strip().partition(" ")
            if not address.strip():
                raise ValueError(f"Line {number}: write the link type, a space, then the address.")
            self.data[name] = address.strip()

    def _value(self) -> str:
        return "\n".join(f"{name} {address}" for name, address in (self.data or {}).items())


def _validators_of(annotation) -> Iterator[Any]:
    """The functions of the ``AfterValidator``s inside an annotation (through unions)."""
    origin = get_origin(annotation)
    if origin is not None and getattr(annotation, "__metadata__", None) is not None:
        for item in annotation.__metadata__:
            if hasattr(item, "func"):
                yield item.func
        yield from _validators_of(get_args(annotation)[0])
    elif origin is not None:
        for arg in get_args(annotation):
            yield from _validators_of(arg)


def form_label(field: str, key: str) -> str:
    """The label of a payload key (attribute name): the table's words, else its name's."""
    words = LABELS.get(field, {}).get(key)
    return words or key.replace("_", " ").capitalize()


def _field_for(field: str, key: str, info, none: str | None = None) -> Field:
    """The WTForms field of one key (``key`` "": a payload that is one value); ``none``: the
    words of a blank first choice (a choice that can say "none of it")."""
    label = form_label(field, key)
    kind = value_type(info)
    checks = set(_validators_of(info.annotation)) | {getattr(item, "func", None) for item in info.metadata}
    if kind is bool:
        return BooleanField(label, default=bool(info.default))
    if get_origin(kind) is Literal:
        values = get_args(kind)
        choices = [SelectChoice(value, CHOICE_WORDS.get(value, value)) for value in values]
        default = "" if none else info.default if info.default in values else values[0]
        return SelectField(label, choices=[SelectChoice("", none)] * bool(none) + choices, default=default,
                           validate_choice=False)
    if kind is int:
        return NumberText(label, bounds=bounds_of(info), whole=True, default=info.get_default(),
                          render_kw={"inputmode": "numeric"})
    if get_origin(kind) is list and normalise_color in set(_validators_of(info.annotation)):
        return ColorListField(label)
    if kind is float:
        return NumberText(label, bounds=bounds_of(info), render_kw={"inputmode": "decimal"})
    if kind is Decimal:
        return NumberText(label, decimal=True, render_kw={"inputmode": "decimal"})
    if kind is dt.datetime:  # written as the input's own value (T, no seconds); with seconds read too
        return MomentField(label, format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
    if kind is dt.date:
        return DayField(label)
    if get_origin(kind) is list:
        return LinesField(label, render_kw={"rows": 3})
    if get_origin(kind) is dict:
        return LinksField(label, render_kw={"rows": 3})
    if check_text in checks:
        return TextAreaField(label, render_kw={"rows": 4})
    if check_email in checks:
        return EmailField(label)
    if check_phone in checks:
        return TelField(label)
    return StringField(label)


def _switch_of(field: str) -> str | None:
    """The key whose blank choice leaves a nested design field null: its first choice, when
    the model cannot be made of its defaults alone (a gradient needs its colours)."""
    model = NESTED_DESIGN.get(field)
    if model is None or all(not info.is_required() for info in model.model_fields.values()):
        return None
    return next((key for key, info in model.model_fields.items() if get_origin(value_type(info)) is Literal), None)


def _spread(field: str) -> dict[str, Field]:
    """The form fields of one spread field, by form field name."""
    model, switch = MODELS[field], _switch_of(field)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return {f"{field}-{info.alias or key}": _field_for(field, key, info, NONE_WORDS.get(field, "None")
                                                           if key == switch else None)
                for key, info in model.model_fields.items()}
    return {field: _field_for(field, "", FieldInfo.from_annotation(model))}  # one value: read as a field's


def payload_fields() -> dict[str, dict[str, Field]]:
    """The form fields of every payload field, by payload field, then form field name."""
    return {field: _spread(field) for field in PAYLOADS}


def design_fields() -> dict[str, dict[str, Field]]:
    """The form fields of every nested design field, by its attribute name, then form field name."""
    return {field: _spread(field) for field in NESTED_DESIGN}


def keys_of(field: str) -> dict[str, str]:
    """Form field name -> key (attribute name) of a spread field ("" for one value)."""
    model = MODELS[field]
    if isinstance(model, type) and issubclass(model, BaseModel):
        return {f"{field}-{info.alias or key}": key for key, info in model.model_fields.items()}
    return {field: ""}


def types_of(field: str) -> list[str]:
    """The content types whose payload is in ``field`` (geo and latlog share one)."""
    return [kind.name for kind in TYPES.values() if kind.field == field]


#: Spread fields by API name (a payload's is its attribute name; ``fgGradient`` -> ``fg_gradient``).
_BY_API = {**{field: field for field in PAYLOADS}, **{to_camel(field): field for field in NESTED_DESIGN}}
_PATH = re.compile(r"(?P<field>[A-Za-z0-9]+)(?:\.(?P<key>[A-Za-z0-9_]+))?(?:\[(?P<index>\d+)\])?")


def form_name_of(api_name: str | None, names: Mapping[str, str]) -> tuple[str | None, str]:
    """The form field of a problem the API names ``vcard.emails[1]``, and the words to say
    before its sentence ("Line 2: "); ``names`` maps the API's top-level names to the form's."""
    match = _PATH.match(api_name or "")
    if not match or match["field"] not in _BY_API:
        return names.get(api_name or "", api_name), ""
    field = _BY_API[match["field"]]
    inside = list(keys_of(field))
    name = f"{field}-{match['key']}" if match["key"] and f"{field}-{match['key']}" in inside else inside[0]
    return name, f"Line {int(match['index']) + 1}: " if match["index"] is not None else ""


def form_values(field: str, payload: Any, zone: str) -> dict[str, Any]:
    """The values of a stored payload's (or nested design value's) form fields (moments in the
    reader's ``zone``)."""
    if payload is None:
        return {}
    if not isinstance(payload, BaseModel):
        return {field: payload}
    values = {}
    for name, key in keys_of(field).items():
        value = getattr(payload, key)
        if isinstance(value, dt.datetime):
            value = value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        values[name] = value
    return values


def posted_payload(form, field: str, zone: str) -> Any:
    """The payload the posted fields of ``field`` make (None when all are blank): blank keys
    are left out, moments take the reader's ``zone``. A nested design field is None too when
    its switch is blank ("None: one colour") or every key posted is at its default."""
    payload: dict[str, Any] = {}
    for name, key in keys_of(field).items():
        control = form[name]
        if not control.raw_data:
            continue
        value = control.data
        if isinstance(value, str):
            value = value.strip()
        if isinstance(value, dt.datetime):
            value = value.replace(tzinfo=ZoneInfo(zone))
        if value in ("", None, [], {}):
            continue
        payload[key] = value
    if all(value is False for value in payload.values()):
        return None  # unticked boxes alone say nothing: the payload is left out
    model = MODELS[field]
    if field in NESTED_DESIGN:
        switch = _switch_of(field)
        if (switch and switch not in payload) or all(value == model.model_fields[key].default
                                                     for key, value in payload.items()):
            return None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return payload.get("")
    return {model.model_fields[key].alias or key: value for key, value in payload.items()}


def template_context(zone: str) -> dict[str, Any]:
    """What the form's content part (``qrcodes/_content.html``) shows beside the fields."""
    return {
        # the url: a website's destination, a GS1 code's default link
        "types_of": {"url": [name for name in TYPES if name in WITH_URL]} | {field: types_of(field) for field in PAYLOADS},
        "legends": {field: TYPES[types_of(field)[0]].label for field in PAYLOADS},
        "hints": HINTS,
        "with_times": [field for field, model in PAYLOADS.items() if isinstance(model, type)
                       and issubclass(model, BaseModel)
                       and any(value_type(info) is dt.datetime for info in model.model_fields.values())],
        "static_only": [kind.name for kind in TYPES.values() if kind.static == "only"],
        "static_never": [kind.name for kind in TYPES.values() if kind.static == "never"],
        "choice_types": sorted(CHOICE_TYPES),
        "zone": zone,
    }
