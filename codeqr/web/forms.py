"""Flask-WTF forms: CSRF and rendering. Field rules live in the services and schemas,
so a form shows the very messages the API gives."""

import functools
import re
from typing import Any, ClassVar, Literal, get_args, get_origin

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    FloatField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    URLField,
)
from wtforms.fields import ColorField
from wtforms.validators import AnyOf, InputRequired, Optional

from ..accounts.permissions import DEFAULT_ROLE, roles_to_offer
from ..accounts.users import MIN_PASSWORD
from ..domain.messages import number_in, sentences
from ..domain.schemas import CORE, QRCodeSchemas, bounds_of, ui_of, value_type
from ..jobs.csv_import import MAX_ROWS
from ..plugin_api import PluginError

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
    of an app's QR Codes (the fields its plugins add included)."""

    SCHEMAS: ClassVar[QRCodeSchemas] = CORE
    QRCODE_FIELDS: ClassVar[tuple[str, ...]] = ()
    GROUPS: ClassVar[dict[str, tuple[str, ...]]] = {}

    def payload(self, editing: bool = False) -> dict:
        """The API body these fields make. Fields the post does not carry and blank fields
        are left out (blank nullable ones are cleared when editing). A checkbox is posted
        with a blank twin (``_field.html``), so an unticked box is told from one the page
        did not show: a page that leaves a field out never resets it."""
        body: dict[str | None, Any] = {}  # keyed by API names, typed as pydantic's aliases are
        for name in self.QRCODE_FIELDS:
            if not getattr(self, name).raw_data:
                continue
            value = getattr(self, name).data
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
        return body

    def show_error(self, error: Exception) -> None:
        """Put each problem of a service or validation error beside its field."""
        show_error(self, error, "url", {self.SCHEMAS.api_names[name]: name for name in self.QRCODE_FIELDS})


@functools.cache
def qrcode_form(schemas: QRCodeSchemas) -> type[QRCodeForm]:
    """The form of the QR Codes ``schemas`` describe: a field for each of their fields with a
    ``UI`` label, and the names in the schema's groups, as the template shows them."""
    fields = {name: field for name, info in schemas.create.model_fields.items()
              if (field := _form_field(info)) is not None}
    clashes = [name for name in fields if hasattr(QRCodeForm, name) or name == "csrf_token"]
    if clashes:
        raise PluginError(f"the design field(s) {', '.join(clashes)} would hide a part of the web form: rename them")
    groups = {group: tuple(name for name in members if name in fields) for group, members in schemas.field_groups.items()}
    return type("QRCodeForm", (QRCodeForm,), {**fields, "SCHEMAS": schemas, "QRCODE_FIELDS": tuple(fields),
                                              "GROUPS": groups})


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
