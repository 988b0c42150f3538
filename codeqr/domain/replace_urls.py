"""Find and replace destinations: every destination of the matching QR Codes (``url``, and
each URL of their link options, as ``links.health.destinations`` lists them) starting with
``find`` gets ``replace`` instead of that start.

- **Which QR Codes**: those matching ``filters`` (the list's ``Filters``, archived ones
  included unless ``showArchived`` is false) that the asker sees and may change (a folder
  theirs only to read is left alone), dynamic ones only: a static code's URL is printed in it.
- **A match** starts with ``find`` as written (case matters). When ``find`` or ``replace``
  is only a scheme and host (no path), what follows must be the end or ``/``, ``?``, ``#``:
  ``https://shop.example`` does not match ``https://shop.example.org/``. Both rules are the
  same read either way, so the call with ``find`` and ``replace`` swapped restores what was
  rewritten (unless a code held the replacement before: the preview of the swap tells).
- **Checked**: each code's rewritten fields go through the update's own checks
  (``contents.values.check_url``, length, a field's rules); a code they refuse is left as
  it was, with why, and the others are rewritten.

The preview (``preview``) counts and shows examples; applying is a job (``jobs.replace_urls``).
"""

import json
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError
from sqlalchemy import false, select

from ..accounts.permissions import Actor, Permission
from ..contents.values import Url
from ..context import Context
from ..errors import CodeQRError, InvalidInputs
from ..links import health
from ..persistence.extensions import db
from . import folders, writes
from .filters import Filters, conditions
from .messages import schema_problems
from .models import QRCode
from .schemas import ErrorBody, QRCodeOut, Timestamp

#: QR Codes read (and, applied, rewritten in one transaction) at a time.
CHUNK = 200
#: Examples a preview shows.
EXAMPLES = 5
#: What may follow a prefix that is only a scheme and host.
_BOUNDARY = ("", "/", "?", "#")


def _no_path(value: str) -> bool:
    """Whether the URL ``value`` ends with its host (or port): nothing after it."""
    scheme_end = value.index("://") + 3
    return not any(char in value[scheme_end:] for char in "/?#")


class ReplaceFilters(Filters):
    """The list's filters, for a find and replace: archived QR Codes are included unless
    ``showArchived`` is false, and a name no filter has is refused (a typo must not widen
    a rewrite to every QR Code)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    show_archived: bool = Field(True, description="false: leave archived QR Codes alone (included by default)")


class ReplaceUrls(BaseModel):
    """Body of a find and replace of destinations."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    find: Url = Field(description="the start of the destinations to change: an absolute http(s) URL, at least "
                                     "a scheme and host")
    replace: Url = Field(description="what replaces that start: an absolute http(s) URL")
    apply: bool = Field(False, description="false (default): only count and show examples; true: rewrite them, "
                                           "in a job (answered 202)")
    filters: ReplaceFilters = Field(default_factory=lambda: ReplaceFilters.model_validate({}), description=(
        "which QR Codes, as the list's filters (by the same names); archived ones are included unless "
        "showArchived is false"))

    @model_validator(mode="after")
    def _differ(self) -> "ReplaceUrls":
        if self.find == self.replace:
            raise PydanticCustomError("same_prefix", "replace must differ from find")
        return self


class Example(BaseModel):
    """One destination a find and replace rewrites."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    qrcode_id: str
    field: str = Field(description="where the URL is: url, expiredUrl, geo.FR, rules[0].url, rules[0].split[1].url …")
    before: str
    after: str


class Preview(BaseModel):
    """What a find and replace would rewrite."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    matches: int = Field(description="QR Codes with a destination to rewrite")
    urls: int = Field(description="destinations to rewrite, in all of them")
    examples: list[Example] = Field(description=f"up to {EXAMPLES} of them")


class Refusal(BaseModel):
    """A QR Code a find and replace left as it was: why its rewritten fields were refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    qrcode_id: str
    error: ErrorBody


class ReplaceUrlsJobOut(BaseModel):
    """A find and replace applied: under way, done or failed."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    id: str
    status: Literal["queued", "running", "done", "failed"]
    find: str
    replace: str
    total: int = Field(description="QR Codes matching when it was sent")
    done: int = Field(description="matching QR Codes handled so far (rewritten or refused)")
    changed: int = Field(description="QR Codes rewritten so far")
    refused: list[Refusal] = Field(description="QR Codes left as they were, with why")
    created_at: Timestamp
    finished_at: Timestamp | None
    message: str | None = Field(description="why it failed")


def replaced(url: str, find: str, replace: str) -> str | None:
    """``url`` with its start ``find`` made ``replace``, or None when it does not match."""
    if not url.startswith(find):
        return None
    rest = url[len(find):]
    if (_no_path(find) or _no_path(replace)) and rest[:1] not in _BOUNDARY:
        return None
    return replace + rest


def planned(row: QRCode, find: str, replace: str) -> tuple[dict[str, Any], list[Example]]:
    """The fields of ``row`` the rewrite changes (``{api_name: new value}``) and each URL it
    rewrites."""
    moved: list[Example] = []

    def change(field: str, url: str) -> str:
        new = replaced(url, find, replace)
        if new is None:
            return url
        moved.append(Example(qrcode_id=row.id, field=field, before=url, after=new))
        return new
    return health.rewritten(row, change), moved


def _candidates(filters: Filters, actor: Actor) -> list:
    """The conditions on the rows a find and replace reads: matching ``filters``, seen and
    changeable by ``actor``, dynamic."""
    writable = folders.writable(actor)
    return [*conditions(filters, actor), *([] if writable is None else [writable]), QRCode.static == false()]


def chunk(filters: Filters, actor: Actor, after: str | None, to_change: bool = False) -> list[QRCode]:
    """The next ``CHUNK`` candidate rows by id, after the id ``after`` (None: from the first);
    ``to_change``: locked until the transaction ends (PostgreSQL: a save of one of them
    meanwhile waits, rather than be overwritten by the rewrite of its old ``link``)."""
    statement = select(QRCode).where(*_candidates(filters, actor))
    if after is not None:
        statement = statement.where(QRCode.id > after)
    statement = statement.order_by(QRCode.id).limit(CHUNK)
    if to_change:
        statement = statement.with_for_update(of=QRCode)
    return list(db.session.scalars(statement))


def _all_rows(filters: Filters, actor: Actor) -> Iterator[QRCode]:
    after = None
    while rows := chunk(filters, actor, after):
        yield from rows
        after = rows[-1].id


def preview(body: ReplaceUrls, ctx: Context) -> Preview:
    """How many QR Codes and destinations ``body`` would rewrite, and a few examples."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    matches, urls, examples = 0, 0, list[Example]()
    for row in _all_rows(body.filters, ctx.actor):
        _, moved = planned(row, body.find, body.replace)
        if moved:
            matches, urls = matches + 1, urls + len(moved)
            examples += moved[:EXAMPLES - len(examples)]
    return Preview(matches=matches, urls=urls, examples=examples)


def rewrite(row: QRCode, find: str, replace: str, ctx: Context) -> tuple[QRCodeOut, dict] | dict | None:
    """In the open write transaction: rewrite the destinations of ``row``, in a savepoint, as
    an update of them would (its checks, ``updatedAt``, ``url_hash``). ``(before, changes)``;
    the refusal (``{qrcodeId, error}``) when a check refuses; None when nothing matches."""
    fields, moved = planned(row, find, replace)
    if not moved:
        return None
    try:
        # Read as a request's body (JSON): the link options' values are stored as the API sends them.
        data = ctx.schemas.update.model_validate_json(json.dumps(fields))
        with db.session.begin_nested():
            return writes._save_changes(row, data.given(), ctx)
    except ValidationError as error:
        return {"qrcodeId": row.id, "error": InvalidInputs.of(list(schema_problems(error))).body()}
    except CodeQRError as error:
        return {"qrcodeId": row.id, "error": error.body()}
