"""The web UI's part of organising QR Codes (``domain.tags``, ``domain.folders``): the form's
"Organise" group (its ``UI`` widgets ``tags``, ``folder`` and ``textarea``) and what the list
and detail pages show of a code's tags, folder and maker.

- ``tags``: the names typed on one line, separated by commas (a name holding a comma or a
  quote is written in quotes, as in CSV); ``tags-field.js`` shows them as chips with an
  autocomplete from the instance's tags (given to the page, ``tag_choices``);
- ``folder``: a select of the folders the person may put QR Codes in, "No folder" first;
- ``textarea``: text on several lines (the comments).
"""

import csv
from collections.abc import Iterable

import pydantic
from sqlalchemy import func, select
from wtforms import Field, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from ..accounts.permissions import Actor
from ..domain import folders
from ..domain.messages import schema_problems
from ..domain.models import Folder, Tag, User
from ..domain.schemas import MAX_TAGS, TagName
from ..persistence.extensions import db

#: The fields of the form's "Organise" group, in the order it shows them (after the title's group).
ORGANISE = ("tag_names", "folder_id", "comments", "archived")
#: How a tag name is shown inside a sentence: long ones cut.
_SHOWN = 30
_TAG_NAME = pydantic.TypeAdapter(TagName)


def names_of(text: str) -> list[str]:
    """The tag names typed in ``text`` (``Shop, "Smith, John"``): blank ones dropped, each
    once (whatever its case), in the order typed."""
    fields = next(csv.reader([text], skipinitialspace=True), [])
    unique: dict[str, str] = {}
    for name in (field.strip() for field in fields):
        if name:
            unique.setdefault(name.lower(), name)
    return list(unique.values())


def text_of(names: Iterable[str]) -> str:
    """The one line ``names_of`` reads back as ``names``."""
    return ", ".join('"' + name.replace('"', '""') + '"' if "," in name or '"' in name else name for name in names)


class TagNamesField(StringField):
    """The tags of a QR Code by name (``data``: a list), typed as ``names_of`` reads them.
    Each name is checked here, so a refused one is named in the message beside the field."""

    def process_formdata(self, valuelist):
        self.data = names_of(valuelist[0]) if valuelist else []

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return text_of(self.data or [])

    def pre_validate(self, form):
        said = []
        for name in self.data or []:
            try:
                _TAG_NAME.validate_python(name)
            except pydantic.ValidationError as error:
                shown = name if len(name) <= _SHOWN else name[:_SHOWN] + "…"
                said += [f"The tag “{shown}”: {problem.sentence[0].lower()}{problem.sentence[1:]}"
                         for problem in schema_problems(error)]
        if len(self.data or []) > MAX_TAGS:
            said.append(f"A QR Code carries at most {MAX_TAGS} tags: remove {len(self.data) - MAX_TAGS}.")
        if said:
            raise ValidationError(" ".join(said))


TAGS_HINT = ("Separate tags with commas; a name no tag has yet makes a new tag. Empty the field to remove every "
             "tag.")


def control(widget: str | None, label: str, validators: list) -> Field | None:
    """The form field of an organising ``UI`` widget, or None when ``widget`` is none of them."""
    if widget == "tags":
        return TagNamesField(label, validators=validators, description=TAGS_HINT)
    if widget == "folder":
        # The folders offered are the person's (``offer_folders``); the service checks the one posted.
        return SelectField(label, choices=[], validate_choice=False)
    if widget == "textarea":
        return TextAreaField(label, validators=validators)
    return None


def offer_folders(form, actor: Actor) -> None:
    """Offer in the form's folder select the folders ``actor`` may put QR Codes in, "No folder" first."""
    condition = folders.folder_writable(actor)
    query = select(Folder.id, Folder.name).order_by(func.lower(Folder.name))
    rows = db.session.execute(query if condition is None else query.where(condition))
    form.folder_id.choices = [SelectChoice("", "No folder"), *(SelectChoice(id_, name) for id_, name in rows)]


def fill(form, qr) -> None:
    """Show the tags of ``qr`` (a QR Code edited or copied) in the form's tags field."""
    form.tag_names.process(None, [tag.name for tag in qr.tags])


def tag_choices() -> list[dict]:
    """Every tag of the instance (``{id, name, color}``), by name: what the tags field offers."""
    rows = db.session.scalars(select(Tag).order_by(func.lower(Tag.name)))
    return [{"id": tag.id, "name": tag.name, "color": tag.color} for tag in rows]


def maker_email(user_id: int | None) -> str | None:
    """The email of the person who made a QR Code (None: not known, or no longer a user)."""
    return db.session.scalar(select(User.email).where(User.id == user_id)) if user_id is not None else None
