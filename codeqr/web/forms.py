"""Flask-WTF forms: CSRF and rendering. Field rules live in the services and schemas,
so a form shows the very messages the API gives."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from pydantic import ValidationError
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectField, StringField, URLField
from wtforms.fields import ColorField
from wtforms.validators import InputRequired, Optional

from ..errors import CodeQRError
from ..imports import MAX_ROWS

MAX_CSV_BYTES = 5 * 1024 * 1024
LEVEL_CHOICES = [("", "Automatic (M, or H with the logo)"), ("L", "L — 7% can be restored"),
                 ("M", "M — 15%"), ("Q", "Q — 25%"), ("H", "H — 30%")]


class SetupForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired()])
    password = PasswordField("Password (10 characters or more)", validators=[InputRequired()])


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired()])
    password = PasswordField("Password", validators=[InputRequired()])


class QRCodeForm(FlaskForm):
    url = URLField("Destination URL", validators=[InputRequired()])
    title = StringField("Title", validators=[Optional()])
    key = StringField("Short link key (blank: random)", validators=[Optional()])
    domain = SelectField("Domain", validate_choice=False)  # the service checks it
    fg_color = ColorField("Foreground colour", default="#000000")
    bg_color = ColorField("Background colour", default="#ffffff")
    size = IntegerField("Size in pixels (64–4096)", default=1024, validators=[Optional()])
    level = SelectField("Error correction", choices=LEVEL_CHOICES, default="", validate_choice=False)
    margin = IntegerField("Margin in modules (0–16)", default=4, validators=[Optional()])
    show_logo = BooleanField("Show the logo in the centre")

    #: form field -> API field
    API_FIELDS = {"url": "url", "title": "title", "key": "key", "domain": "domain", "fg_color": "fgColor",
                  "bg_color": "bgColor", "size": "size", "level": "level", "margin": "margin",
                  "show_logo": "showLogo"}

    def payload(self, editing: bool = False) -> dict:
        """The API body these fields make. Blank optional fields are left out
        (cleared, for title, when editing)."""
        body = {}
        for name, api_name in self.API_FIELDS.items():
            value = getattr(self, name).data
            if isinstance(value, str):
                value = value.strip()
            if value in ("", None):
                if editing and name == "title":
                    body["title"] = None
                continue
            body[api_name] = value
        return body

    def show_error(self, error: Exception) -> None:
        """Put a service or validation error beside the field it is about."""
        by_api = {api: name for name, api in self.API_FIELDS.items()}
        if isinstance(error, ValidationError):
            for item in error.errors():
                field = by_api.get(str(item["loc"][0]) if item["loc"] else "", "url")
                getattr(self, field).errors = [*getattr(self, field).errors, item["msg"]]
        elif isinstance(error, CodeQRError):
            field = by_api.get(getattr(error, "field", None) or "", None)
            target = getattr(self, field) if field else self.url
            target.errors = [*target.errors, error.detail if field else error.message]


class ApiKeyForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired()])


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
