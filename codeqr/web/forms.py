"""Flask-WTF forms: CSRF and rendering. Field rules live in the services and schemas,
so a form shows the very messages the API gives."""

import functools
import re
from typing import Any, ClassVar, Literal, get_args, get_origin

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from pydantic.alias_generators import to_camel
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    FloatField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    URLField,
)
from wtforms.fields import ColorField
from wtforms.validators import AnyOf, InputRequired, Optional

from ..accounts.permissions import DEFAULT_ROLE, roles_to_offer
from ..accounts.users import MIN_PASSWORD
from ..contents import CHOICE_TYPES, DEFAULT_TYPE, TYPES, WITH_URL
from ..domain.messages import number_in, sentences
from ..domain.schemas import CORE, QRCodeSchemas, bounds_of, ui_of, value_type
from ..jobs.csv_import import MAX_ROWS
from ..plugin_api import PluginError
from . import content_fields, link_options
from .link_options import InstantField, SecretField
from .timezone import reader_zone

MAX_CSV_BYTES = 5 * 1024 * 1024
#: A colour's hex digits without their # (as design tools copy them).
_BARE_HEX = re.compile(r"[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6}")


def show_error(form: FlaskForm, error: Exception, default: str, names: dict | None = None) -> None:
    """Put each problem of ``error`` beside the field it concerns (``names`` maps API
    names to the form's; a problem of no field of the form goes beside ``default``)."""
    for api_name, sentence in sentences(error):
        field = form._fields.get((names or {}).get(api_name, api_name)) or form._fields[default]
        if sentence not in field.errors:
            field.errors = [*field.errors, sentence]


# The forms that create a user leave every check to ``users.create``, which reports all
# problems at once (a blank email and a short password together).
class SetupForm(FlaskForm):
    email = EmailField("Email")
    password = PasswordField(f"Password ({MIN_PASSWORD} characters or more)")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])


class _InRange(Field):
    """A number field that, given text, asks for a number in its QR Code field's range."""

    whole = True

    def __init__(self, *args, bounds: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.bounds = bounds

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(number_in(self.bounds, whole=self.whole)) from None


class WholeNumberField(_InRange, IntegerField):
    """A whole number in a range (size, margin)."""


class NumberField(_InRange, FloatField):
    """A number in a range (a plugin's float)."""

    whole = False


def _form_field(info):
    """The WTForms field of a QR Code field that has a ``UI`` label, or None."""
    ui = ui_of(info)
    if ui.label is None:
        return None
    label = ui.label
    bounds = bounds_of(info)
    if len(bounds) == 2:
        label += f" ({bounds['ge']}–{bounds['le']})"
    kind = value_type(info)
    default = info.default if info.default is not None else ""
    validators = [InputRequired(f"Enter the {label[0].lower()}{label[1:]}.")] if info.is_required() else [Optional()]
    if (control := link_options.control(ui.widget, label, validators)) is not None:
        return control
    if ui.widget == "url":
        return URLField(label, validators=validators)
    if ui.widget == "color":
        return ColorField(label, default=default)
    if ui.widget == "select" or get_origin(kind) is Literal:
        values = ui.choices or {value: value for value in get_args(kind)}
        choices = [SelectChoice(value, text) for value, text in values.items()]
        return SelectField(label, choices=choices, default=default, validate_choice=False)  # the service checks
    if kind is bool:
        return BooleanField(label, default=bool(info.default))
    if kind is int:
        return WholeNumberField(label, default=info.default, validators=validators, bounds=bounds)
    if kind is float:
        return NumberField(label, default=info.default, validators=validators, bounds=bounds)
    return StringField(label, validators=validators)


class QRCodeForm(FlaskForm):
    """The QR Code fields people edit, in the schema's order: ``qrcode_form`` makes the class
    of an app's QR Codes (the fields its plugins add included). The content part is a type
    picker, the url and a fieldset per payload field (``content_fields``): the chosen type
    decides which of them the API body takes, so a page showing them all (no script) works."""

    SCHEMAS: ClassVar[QRCodeSchemas] = CORE
    QRCODE_FIELDS: ClassVar[tuple[str, ...]] = ()
    GROUPS: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: The form fields of each payload field, by payload field (API body name = attribute name).
    PAYLOAD_FIELDS: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: The form fields of each nested design field (``fg_gradient-type``…), by its attribute name.
    NESTED_FIELDS: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: Beside the write-only password: ticked, the password set is removed (blank keeps it).
    remove_password = BooleanField("Remove the password")

    def chosen_type(self) -> str:
        """The content type the form describes: the one picked (or the stored one, or the default)."""
        picked = self.type.data if "type" in self._fields else None
        return picked if picked in TYPES else DEFAULT_TYPE

    def _takes(self, name: str) -> bool:
        """Whether the body takes the top-level field ``name`` for the chosen type: the url for
        types with one, ``useDisplayPage`` for those that ask it, ``static`` where the type
        lets people choose (wifi is always static, gs1 never: the box is only shown forced)."""
        kind = TYPES[self.chosen_type()]
        if name == "url":
            return kind.name in WITH_URL
        if name == "use_display_page":
            return kind.name in CHOICE_TYPES
        if name == "static":
            return kind.static == "either"
        return True

    def payload(self, editing: bool = False) -> dict:
        """The API body these fields make. Fields the post does not carry and blank fields
        are left out (blank nullable ones are cleared when editing). A checkbox is posted
        with a blank twin (``_field.html``), so an unticked box is told from one the page
        did not show: a page that leaves a field out never resets it. Of the content, only
        the chosen type's fields go in: its payload whole, each blank key left out."""
        body: dict[str | None, Any] = {}  # keyed by API names, typed as pydantic's aliases are
        for name in self.QRCODE_FIELDS:
            if isinstance(self[name], SecretField):  # write-only: blank keeps it, the box removes it
                if self.remove_password.data:
                    body[self.SCHEMAS.api_names[name]] = None
                elif self[name].data:
                    body[self.SCHEMAS.api_names[name]] = self[name].data
                continue
            if not getattr(self, name).raw_data or not self._takes(name):
                continue
            value = getattr(self, name).data
            if isinstance(self[name], InstantField):
                value = self[name].instant()  # the ISO instant the API takes
            if isinstance(value, str):
                value = value.strip()
                if isinstance(getattr(self, name), ColorField) and _BARE_HEX.fullmatch(value):
                    value = "#" + value  # a colour pasted from a design tool, without its #
            if value in ("", None):
                if editing and name in self.SCHEMAS.nullable:
                    body[self.SCHEMAS.api_names[name]] = None
                elif editing and self.SCHEMAS.create.model_fields[name].default == "":
                    body[self.SCHEMAS.api_names[name]] = ""  # a text whose default is blank: cleared
                continue
            body[self.SCHEMAS.api_names[name]] = value
        field = TYPES[self.chosen_type()].field
        if field in self.PAYLOAD_FIELDS and any(self[name].raw_data for name in self.PAYLOAD_FIELDS[field]):
            content = content_fields.posted_payload(self, field, reader_zone())
            if content is not None:
                body[self.SCHEMAS.api_names[field]] = content
        for field, names in self.NESTED_FIELDS.items():  # blank: none (cleared when editing)
            if any(self[name].raw_data for name in names):
                value = content_fields.posted_payload(self, field, reader_zone())
                if value is not None or editing:
                    body[self.SCHEMAS.api_names[field]] = value
        return body

    def validate(self, extra_validators=None) -> bool:
        """The fields' own checks; those of another type's fieldset (posted by a page without
        script, which shows them all) do not count."""
        super().validate(extra_validators)
        chosen = TYPES[self.chosen_type()].field
        for field, names in self.PAYLOAD_FIELDS.items():
            if field != chosen:
                for name in names:
                    self[name].errors = []
        return not any(field.errors for field in self._fields.values())

    def fill_content(self, qr) -> None:
        """Show the stored payload and nested design values of ``qr`` (a QR Code being edited or
        copied) in their fields."""
        field = TYPES[qr.type].field
        values = content_fields.form_values(field, qr.payload(), reader_zone()) if field in self.PAYLOAD_FIELDS else {}
        for nested in self.NESTED_FIELDS:
            values |= content_fields.form_values(nested, getattr(qr, nested), reader_zone())
        for name, value in values.items():
            self[name].process(None, value)

    def fill_design(self, design: dict) -> None:
        """Show the design fields ``design`` (attribute names: a template's) in their fields,
        a nested value (the gradient) spread in its own."""
        for name, value in design.items():
            if name in self.NESTED_FIELDS:
                for inner, shown in content_fields.form_values(name, value, reader_zone()).items():
                    self[inner].process(None, shown)
            elif name in self.GROUPS["design"]:
                self[name].process(None, value)

    def link_options(self) -> dict:
        """What the "Link options" section shows besides its fields (``link_options``)."""
        return link_options.template_context(self, self.url.data if "url" in self._fields else None)

    def show_error(self, error: Exception) -> None:
        """Put each problem of a service or validation error beside its field: a problem
        inside a payload (``vcard.emails[1]``) beside that key's field, saying which line."""
        names = {self.SCHEMAS.api_names[name]: name for name in self.QRCODE_FIELDS}
        # A problem of no one field goes beside the first field the chosen type shows.
        chosen = TYPES[self.chosen_type()].field
        default = self.PAYLOAD_FIELDS[chosen][0] if chosen in self.PAYLOAD_FIELDS else "url"
        for api_name, sentence in sentences(error):
            name, before = content_fields.form_name_of(api_name, names)
            field = self._fields.get(name or "") or self._fields[default]
            if before + sentence not in field.errors:
                field.errors = [*field.errors, before + sentence]


def _type_picker(info) -> RadioField:
    """The type picker: one radio a type, labelled as people know it."""
    ui = ui_of(info)
    choices = [SelectChoice(value, text) for value, text in ui.choices.items()]
    return RadioField(ui.label, choices=choices, default=info.default, validate_choice=False)


@functools.cache
def qrcode_form(schemas: QRCodeSchemas) -> type[QRCodeForm]:
    """The form of the QR Codes ``schemas`` describe: a field for each of their fields with a
    ``UI`` label, the fields of each payload, and the names in the schema's groups, as the
    template shows them."""
    fields = {name: field for name, info in schemas.create.model_fields.items()
              if (field := _form_field(info)) is not None}
    fields["type"] = _type_picker(schemas.create.model_fields["type"])
    clashes = [name for name in fields if hasattr(QRCodeForm, name) or name == "csrf_token"]
    if clashes:
        raise PluginError(f"the design field(s) {', '.join(clashes)} would hide a part of the web form: rename them")
    payloads, nested = content_fields.payload_fields(), content_fields.design_fields()
    groups = {group: tuple(name for name in members if name in fields or name in nested)
              for group, members in schemas.field_groups.items()}
    inside = {name: control for members in (*payloads.values(), *nested.values()) for name, control in members.items()}
    return type("QRCodeForm", (QRCodeForm,), {**fields, **inside, "SCHEMAS": schemas, "QRCODE_FIELDS": tuple(fields),
                                              "GROUPS": groups,
                                              "PAYLOAD_FIELDS": {field: tuple(members)
                                                                 for field, members in payloads.items()},
                                              "NESTED_FIELDS": {field: tuple(members)
                                                                for field, members in nested.items()}})


class ApiKeyForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired("Give the key a name, such as the program that will use it.")])
    scope = SelectField("Access", choices=[SelectChoice("all", "All: read and change"),
                                           SelectChoice("read_only", "Read only")], default="all")

    def offer_scopes(self, may_change: bool) -> None:
        """Offer (and default to) only the access the person's role gives: the keys of
        someone who may not change QR Codes can only read."""
        if may_change:
            return
        self.scope.choices = [SelectChoice("read_only", "Read only")]
        self.scope.validate_choice = False  # the sentence below says why, not "Not a valid choice"
        self.scope.validators = [AnyOf(["read_only"], "Your role lets your keys only read: choose Read only.")]
        if not self.is_submitted():
            self.scope.data = "read_only"
        self.scope.description = "Your role lets you read QR Codes, not change them, so your keys can only read too."


_ROLE_CHOICES = [SelectChoice(role.value, role.capitalize()) for role in roles_to_offer()]


class UserForm(FlaskForm):
    email = EmailField("Email")
    password = PasswordField(f"Password ({MIN_PASSWORD} characters or more)")
    role = SelectField("Role", choices=_ROLE_CHOICES, default=DEFAULT_ROLE.value)


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=_ROLE_CHOICES)


class PasswordForm(FlaskForm):
    password = PasswordField(f"New password ({MIN_PASSWORD} characters or more)",
                             validators=[InputRequired(f"Enter a password of {MIN_PASSWORD} characters or more.")])


class OwnPasswordForm(FlaskForm):
    """A person's own new password: ``users.change_own_password`` checks both fields."""
    current_password = PasswordField("Current password", render_kw={"autocomplete": "current-password"})
    password = PasswordField(f"New password ({MIN_PASSWORD} characters or more)",
                             render_kw={"autocomplete": "new-password"})


class ImportForm(FlaskForm):
    file = FileField(
        f"CSV file (up to {MAX_ROWS:,} rows, {MAX_CSV_BYTES // 1024 // 1024} MB)",
        validators=[
            FileRequired("Choose a CSV file."),
            FileAllowed(["csv"], "Only .csv files can be imported."),
            FileSize(MAX_CSV_BYTES, message=f"The file is larger than {MAX_CSV_BYTES // 1024 // 1024} MB."),
        ],
    )


class ConfirmForm(FlaskForm):
    """An empty form: a CSRF-protected button (delete, revoke, logout)."""


class DomainForm(FlaskForm):
    """A domain to serve, or the URLs of one served (``domain.domains`` checks every value)."""

    slug = StringField("Domain, as people will scan it (qr.example.com)")
    target = URLField("Its root (/) goes to (blank: CodeQR's page)")
    not_found_url = URLField("A key no QR Code has goes to (blank: a “not found” page)")
    placeholder = URLField("Example destination the form shows (blank: none)")

    def body(self, *names: str) -> dict:
        """The API body of ``names`` (blank: null)."""
        return {to_camel(name): (self._fields[name].data or "").strip() or None for name in names}
