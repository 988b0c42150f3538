"""Every problem of a QR Code's fields in one answer: those the schema finds, and those
the service finds in the values the schema let through (a key another QR Code has, colours
too alike to scan), for the web form, its live check and the API's 422 alike."""

from pydantic import ValidationError

from ..contents import DEFAULT_TYPE, WITH_URL
from ..context import Context
from ..design import templates
from ..errors import CodeQRError
from . import qrcodes
from .field_checks import field_problems
from .fields import fields_of, with_type_change
from .messages import schema_problems
from .schemas import INPUT_FIELDS, SECRET_FIELDS

#: Stands for a destination the schema refused, so the other fields can still be checked.
_SOME_URL = "https://example.com/"


def every_problem(body: object, ctx: Context, *, editing: str | None = None, update: bool = False,
                  taken: bool = True) -> list[CodeQRError]:
    """Each problem of ``body`` (an API body of the QR Code ``editing``, or of a new one;
    ``update``: a partial one, the stored fields fill in the rest; ``taken``: whether a key
    or externalId used already is one, as it is not for an upsert, which may find their
    QR Code). Empty when a save would pass every check but the race of two saves."""
    schemas = ctx.schemas
    model = schemas.update if update else schemas.create
    try:
        model.model_validate(body)
        found: list[CodeQRError] = []
        refused: set[str] = set()
    except ValidationError as error:
        found = list(schema_problems(error))
        refused = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
        if not isinstance(body, dict) or any(not item["loc"] for item in error.errors()):
            return found  # not an object, or too many unknown fields: nothing more to look at
    assert isinstance(body, dict)
    kept = {name: value for name, value in body.items() if name not in refused}
    stored = qrcodes.find(editing, ctx) if editing else None
    try:
        before = None  # the stored fields an update starts from: an unchanged image is not decoded again
        if update and stored is not None:
            before = {name: getattr(stored, name) for name in schemas.api_names
                      if name not in INPUT_FIELDS and name not in SECRET_FIELDS}
            given = model.model_validate(kept).given()
            given = templates.inherited(given.get("template_id"), given, given.get("type", stored.type), ctx,
                                        new=False) | given
            fields = before | with_type_change(before, given)
        else:
            needs_url = "url" in refused and kept.get("type", DEFAULT_TYPE) in WITH_URL
            fields = fields_of(schemas.create.model_validate(kept | ({"url": _SOME_URL} if needs_url else {})), ctx)
    except ValidationError:
        return found  # the fields left depend on those refused: fix these first
    fields["domain"] = fields["domain"].lower()
    unchanged = {name for name in schemas.api_names.values() if name not in body} if update else set()
    own_id = stored.id if stored is not None else None  # ``editing`` may be ext_<externalId>
    return found + field_problems(fields, ctx, taken=taken, exclude_id=own_id, refused=refused,
                                  unchanged=unchanged, stored=before)
