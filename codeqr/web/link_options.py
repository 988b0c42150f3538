"""The web form's link options (``schemas`` fields marked ``LINK``): the controls their
``UI`` widgets call for, and what the "Link options" section shows.

- ``datetime``: a date and time in the reader's zone (a hidden ``<name>-zone`` input the
  page's script fills with the browser's zone; without it, UTC), read as an instant;
- ``password``: write-only: never shown back, blank keeps the one set, a box removes it;
- ``geo`` and ``rules``: JSON in a text area, which ``link-options.js`` edits as rows.
"""

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from wtforms import Field, PasswordField, SelectChoice, TextAreaField
from wtforms.utils import unset_value
from wtforms.widgets import DateTimeLocalInput

from ..links.rules import ATTRIBUTES, MAX_RULES, MAX_VARIANTS, MIN_VARIANTS, OPERATORS, TOTAL_WEIGHT, WEEKDAYS
from ..links.utm import UTM_FIELDS, with_parameters
from .countries import names as country_names
from .timezone import known_zone, reader_zone

#: How people read a rule's attribute (``links.rules``' names otherwise).
ATTRIBUTE_WORDS = {"device": "Device (iOS, Android…)", "country": "Country (DE, US…)", "city": "City",
                   "region": "Region (BY, CA…)", "continent": "Continent (EU, NA…)",
                   "language": "Language (de, en…)", "referrer": "Came from (google.com…)",
                   "browser": "Browser", "os": "Operating system", "time": "Day and time"}
OPERATOR_WORDS = {"equals": "is", "not_equals": "is not"}
DAY_WORDS = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
#: What the JSON text areas take, said when what was typed is no JSON of that shape.
JSON_EXAMPLES = {
    "geo": 'Write the countries as JSON, a country code and its URL each: {"DE": "https://example.com/de"}.',
    "rules": 'Write the rules as JSON, a list of rules: [{"attribute": "device", "operator": "equals", '
             '"value": "iOS", "url": "https://example.com/ios"}].',
}


class InstantField(Field):
    """A moment typed as the reader's local date and time; ``data`` is aware (or None).
    The zone comes with it, in the hidden ``<name>-zone`` input (a zone the server does
    not know reads UTC, as the page then says)."""

    widget = DateTimeLocalInput()

    def process(self, formdata, data=unset_value, extra_filters=None):
        posted = formdata.get(f"{self.name}-zone") if formdata is not None else None
        self.zone = known_zone(posted) if posted is not None else reader_zone()
        super().process(formdata, data, extra_filters)

    def process_formdata(self, valuelist):
        text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not text:
            return
        try:
            local = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("Enter a date and a time, like 31/01/2027 18:00.") from None
        self.data = local if local.tzinfo else local.replace(tzinfo=ZoneInfo(self.zone))

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, datetime):
            return self.data.astimezone(ZoneInfo(self.zone)).strftime("%Y-%m-%dT%H:%M")
        return ""

    def instant(self) -> str:
        """The moment as an ISO instant in UTC ("" when none): the page's script shows it in
        the browser's zone when that is not the one the server wrote it in."""
        return self.data.astimezone(UTC).isoformat() if isinstance(self.data, datetime) else ""


class SecretField(PasswordField):
    """A write-only value: never rendered (``PasswordField`` hides it), blank means "keep"."""

    def process_data(self, value):
        self.data = None  # a stored hash is nobody's to see, not even as the field's data

    def process_formdata(self, valuelist):
        self.data = valuelist[0] if valuelist and valuelist[0] else None


class JsonField(TextAreaField):
    """A JSON value (``geo``'s object, ``rules``' list) in a text area; blank is None."""

    def __init__(self, *args, kind: type, example: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind, self.example = kind, example

    def process_data(self, value):
        if isinstance(value, list):
            value = [item.model_dump(mode="json", by_alias=True, exclude_none=True) if isinstance(item, BaseModel)
                     else item for item in value]
        self.data = value or None

    def process_formdata(self, valuelist):
        text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not text:
            return
        try:
            value = json.loads(text)
        except ValueError:
            raise ValueError(self.example) from None
        if not isinstance(value, self.kind):
            raise ValueError(self.example)
        self.data = value or None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return json.dumps(self.data, indent=2, ensure_ascii=False) if self.data else ""


def control(widget: str | None, label: str, validators) -> Field | None:
    """The control of a link option's ``UI`` widget, or None for one this module does not make."""
    if widget == "datetime":
        return InstantField(label, validators=validators)
    if widget == "password":
        return SecretField(label, validators=validators, render_kw={"autocomplete": "new-password"})
    if widget in JSON_EXAMPLES:
        kind = dict if widget == "geo" else list
        return JsonField(label, validators=validators, kind=kind, example=JSON_EXAMPLES[widget],
                         render_kw={"rows": 4, "spellcheck": "false", "data-json-editor": widget})
    return None


def any_set_or_refused(form) -> bool:
    """Whether the section should show open: an option is set, or has a problem."""
    for name in form.GROUPS.get("link_options", ()):
        field = form[name]
        if field.errors or (field.data not in (None, "", False, [], {}) and not isinstance(field, SecretField)):
            return True
    return bool(form.remove_password.data or form.remove_password.errors)


def template_context(form, url: str | None) -> dict[str, Any]:
    """What the section's template needs besides the form: the choices of the editors (their
    words kept here, the names in ``links.rules``) and the URL a scan goes to with the UTM."""
    utm = {name: form[name].data for name in UTM_FIELDS if name in form._fields}
    return {
        "open": any_set_or_refused(form),
        "countries": sorted(country_names().items(), key=lambda item: item[1]),
        "attributes": [SelectChoice(name, ATTRIBUTE_WORDS.get(name, name)) for name in ATTRIBUTES],
        "operators": [SelectChoice(name, OPERATOR_WORDS.get(name, name)) for name in OPERATORS],
        "days": DAY_WORDS,
        "limits": {"rules": MAX_RULES, "min_variants": MIN_VARIANTS, "max_variants": MAX_VARIANTS,
                   "total": TOTAL_WEIGHT},
        "utm_url": with_parameters(url, utm) if url else "",
    }
