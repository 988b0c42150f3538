"""Which QR Codes the list, the count and the actions on "all matching" look at: CodeQR's
filters with its names (``Filters``), the list's order and page (``ListQuery``), the count's
``groupBy`` (``CountQuery``), and the SQL conditions each becomes (``conditions``).

Each filter and sort is answered from an index (``models``; ``indexed`` spells the
expressions), except ``search``, which looks for text anywhere in four columns: it narrows
what the other filters found. Archived QR Codes are left out unless ``showArchived=true``;
the QR Codes of folders the actor may not see always are (``folders.visible``).
"""

import re
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, RootModel, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError
from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, true
from werkzeug.datastructures import MultiDict

from ..accounts.permissions import Actor
from ..contents import TYPES
from ..errors import InvalidInput, plain
from ..links.options import PASSWORD_HASH, stored_instant
from ..links.utm import UTM_FIELDS
from . import folders
from .indexed import any_of, first_char, link_kind, link_value, prefix
from .models import DestinationCheck, DestinationLink, QRCode, QRCodeTag, Tag

#: ``folderId`` of the QR Codes in no folder.
UNFILED = "unfiled"
#: Most values a list parameter (``tagIds``, ``tagNames``) takes.
MAX_VALUES = 100
#: ``groupBy`` of the count: the group's API name -> the column.
GROUPS = {"domain": QRCode.domain, "tagId": QRCodeTag.tag_id, "folderId": QRCode.folder_id, "type": QRCode.type,
          "userId": QRCode.user_id}
GroupBy = Literal["domain", "tagId", "folderId", "type", "userId"]


def _split(value: Any) -> Any:
    """A list parameter's values: comma-separated in one, or the parameter repeated (``args_of``)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _offset_kept(value: Any) -> Any:
    # An unencoded "+" of "+02:00" reaches us as a space: it can only have been the offset's sign.
    if isinstance(value, str) and re.fullmatch(r".*\d [0-9]{2}(:?[0-9]{2})?", value):
        head, _, offset = value.rpartition(" ")
        return f"{head}+{offset}"
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise PydanticCustomError("time_zone", "must say its time zone, such as 2027-01-31T18:00:00Z or "
                                               "2027-01-31T19:00:00+01:00")
    if not 1970 <= value.year <= 9000:
        raise PydanticCustomError("year", "must be a date between the years 1970 and 9000")
    return value


def _known_type(value: str) -> str:
    if value not in TYPES:
        raise PydanticCustomError("type", "is no type of QR Code; the types are {types}", {"types": ", ".join(TYPES)})
    return value


#: An instant of a filter: ISO 8601 with its offset (``Z`` or ``+02:00``).
Instant = Annotated[datetime, BeforeValidator(_offset_kept), AfterValidator(_aware),
                    Field(description="ISO 8601 with an offset, such as 2027-01-31T18:00:00Z")]
OrganiserId = Annotated[str, Field(pattern=r"^c[a-z0-9]{24}$")]
Listed = Annotated[list[str], BeforeValidator(_split)]


def _utm(name: str) -> Any:
    return Field(None, alias=name, max_length=190, description=f"exactly this {name}")

#: What ``destinationStatus`` asks of a QR Code's destinations (``links.health`` checks them).
DestinationState = Literal["ok", "broken", "unchecked"]


class Filters(BaseModel):
    """Which QR Codes list, count and the actions on "all matching" look at: each filter given
    narrows them (unknown parameters are ignored)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    search: str | None = Field(None, max_length=500, description="text found in the url (or what another type's "
                               "content encodes to), title, key or comments, whatever its case")
    domain: str | None = Field(None, max_length=253)
    key: str | None = Field(None, max_length=190, description="the short link's key (in any domain unless `domain` "
                                                              "is given)")
    external_id: str | None = Field(None, max_length=255)
    tag_id: OrganiserId | None = Field(None, description="carries this tag (as `tagIds` of one)")
    tag_ids: Annotated[list[OrganiserId], BeforeValidator(_split), Field(max_length=MAX_VALUES)] | None = Field(
        None, description="carries any of these tags: comma-separated ids, or the parameter repeated")
    tag_names: Annotated[list[Annotated[str, Field(max_length=50)]], BeforeValidator(_split),
                         Field(max_length=MAX_VALUES)] | None = Field(
        None, description="carries a tag of any of these names, whatever their case: comma-separated, or the "
                          "parameter repeated (a name holding a comma is found by its id)")
    with_tags: bool | None = Field(None, description="accepted for CodeQR's clients: answers always carry `tags`")
    folder_id: Annotated[str, Field(pattern=rf"^(c[a-z0-9]{{24}}|{UNFILED})$")] | None = Field(
        None, description=f"in this folder; `{UNFILED}`: in no folder")
    show_archived: bool = Field(False, description="true: archived QR Codes too (hidden by default)")
    type: Annotated[str, Field(max_length=16), AfterValidator(_known_type)] | None = Field(
        None, description="of this type (`url`, `wifi` …)")
    static: bool | None = Field(None, description="true: only static QR Codes; false: only dynamic ones")
    format: Literal["static", "dynamic"] | None = Field(None, description="CodeQR's other name for `static`")
    user_id: int | None = Field(None, ge=0, le=2**31 - 1, description="made by this user (their id)")
    created_after: Instant | None = Field(None, description="created after this instant")
    created_before: Instant | None = Field(None, description="created before this instant")
    expires_after: Instant | None = Field(None, description="expiring (`expiresAt`) after this instant")
    expires_before: Instant | None = Field(None, description="expiring before this instant (those already "
                                                             "expired included)")
    last_scanned_before: Instant | None = Field(None, description="last scanned before this instant, or never "
                                                                  "scanned: the codes nobody scans any more")
    scans_min: int | None = Field(None, ge=0, le=2**62, description="scanned at least this many times")
    scans_max: int | None = Field(None, ge=0, le=2**62, description="scanned at most this many times")
    has_tags: bool | None = Field(None, description="true: carries a tag; false: carries none")
    has_comments: bool | None = Field(None, description="true: has comments; false: has none")
    has_expiration: bool | None = Field(None, description="true: has an `expiresAt`; false: has none")
    has_password: bool | None = Field(None, description="true: asks for a password; false: does not")
    has_geo: bool | None = Field(None, description="true: sends some countries elsewhere (`geo`); false: does not")
    has_device: bool | None = Field(None, description="true: sends iPhones or Android phones elsewhere (`ios`, "
                                                      "`android`); false: neither")
    has_utm: bool | None = Field(None, alias="hasUTM", description="true: has a `utm_*` value; false: has none")
    utm_source: str | None = _utm("utm_source")
    utm_medium: str | None = _utm("utm_medium")
    utm_campaign: str | None = _utm("utm_campaign")
    utm_term: str | None = _utm("utm_term")
    utm_content: str | None = _utm("utm_content")
    use_as_template: bool | None = Field(None, description="true: only templates; false: only the QR Codes that "
                                                           "are not")
    destination_status: DestinationState | None = Field(
        None, description="broken: a destination of theirs is broken (two checks in a row failed); ok: every one "
                          "answered at its last check; unchecked: none is broken and one was not checked yet")


#: The list's sorts: API name -> what is ordered by (the first with an index of its own;
#: a title or url ordered by its first characters, then the whole). CodeQR's ``lastClicked`` is
#: ``lastScannedAt``.
SORTS: dict[str, tuple[Any, ...]] = {
    "createdAt": (QRCode.created_at,), "updatedAt": (QRCode.updated_at,), "scans": (QRCode.scans,),
    "lastScannedAt": (QRCode.last_scanned_at,), "lastClicked": (QRCode.last_scanned_at,),
    "title": (prefix(QRCode.title), func.coalesce(QRCode.title, "")), "url": (prefix(QRCode.url), QRCode.url)}
#: The sorts by a column that may be null (never scanned): the null come last in ``desc``, first in ``asc``.
_NULLABLE = ("lastScannedAt", "lastClicked")
Sort = Literal["createdAt", "updatedAt", "scans", "lastScannedAt", "lastClicked", "title", "url"]


class ListQuery(Filters):
    """Filters, order and page of the list."""

    sort: Sort = Field("createdAt", description="what the list is ordered by (`lastClicked` is `lastScannedAt`); "
                                                "codes never scanned or without a title come last in `desc`, first "
                                                "in `asc`")
    order: Literal["desc", "asc"] = "desc"
    page: int = Field(default=1, ge=1, le=1_000_000)
    page_size: int = Field(default=20, ge=1, le=100)


class CountQuery(Filters):
    """Filters of the count, and what it counts by."""

    group_by: GroupBy | None = Field(None, description="count by this field: a list of `{<groupBy>: value, count}`, "
                                                       "the largest first (null: none; by `tagId` a code counts once "
                                                       "under each tag it carries)")


class CountAnswer(RootModel[int | list[dict[str, str | int | None]]]):
    """How many QR Codes match; with ``groupBy``, ``[{"tagId": …, "count": n}, …]``."""


_LISTS = ("tagIds", "tagNames")
Query = TypeVar("Query", bound=Filters)


def of_args(model: type[Query], args: MultiDict) -> Query:
    """``model`` read from a query string: a list parameter may be repeated (``tagIds=a&tagIds=b``;
    APIFlask reads the first only). A bad value is a 422 naming the parameter."""
    data = {name: ",".join(args.getlist(name)) if name in _LISTS else value for name, value in args.items()}
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [InvalidInput(plain(item["msg"]), ".".join(str(part) for part in item["loc"][:1]) or None)
                    for item in error.errors()]
        raise problems[0] if len(problems) == 1 else InvalidInput("; ".join(p.message for p in problems)) from None


def conditions(filters: Filters, actor: Actor) -> list[ColumnElement[bool]]:
    """The conditions on ``QRCode`` rows of ``filters``, for ``actor`` (who sees which folders)."""
    found: list[ColumnElement[bool]] = []
    visible = folders.visible(actor)
    if visible is not None:
        found.append(visible)
    if not filters.show_archived:
        found.append(QRCode.archived == false())
    found += _plain(filters) + _organised(filters) + _timed(filters) + _link_options(filters)
    if filters.search:
        pattern = "%" + filters.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        found.append(or_(*(column.ilike(pattern, escape="\\")
                           for column in (QRCode.url, QRCode.title, QRCode.key, QRCode.comments))))
    return found


def _flag(column: Any, value: bool) -> ColumnElement[bool]:
    """``column = true`` (or false): what its index answers on both databases."""
    return column == (true() if value else false())


def _plain(filters: Filters) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if filters.domain:
        found.append(QRCode.domain == filters.domain.lower())
    if filters.key is not None:
        found.append(QRCode.key == filters.key)
    if filters.external_id is not None:
        found.append(QRCode.external_id == filters.external_id)
    if filters.type is not None:
        found.append(QRCode.type == filters.type)
    if filters.static is not None:
        found.append(_flag(QRCode.static, filters.static))
    if filters.format is not None:
        found.append(_flag(QRCode.static, filters.format == "static"))
    if filters.user_id is not None:
        found.append(QRCode.user_id == filters.user_id)
    if filters.use_as_template is not None:
        found.append(_flag(QRCode.use_as_template, filters.use_as_template))
    if filters.scans_min is not None:
        found.append(QRCode.scans >= filters.scans_min)
    if filters.scans_max is not None:
        found.append(QRCode.scans <= filters.scans_max)
    return found


def _organised(filters: Filters) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    tag_ids = [*(filters.tag_ids or ()), *([filters.tag_id] if filters.tag_id else [])]
    if tag_ids:
        found.append(QRCode.id.in_(select(QRCodeTag.qrcode_id).where(QRCodeTag.tag_id.in_(tag_ids))))
    if filters.tag_names:
        named = select(Tag.id).where(func.lower(Tag.name).in_([func.lower(name) for name in filters.tag_names]))
        found.append(QRCode.id.in_(select(QRCodeTag.qrcode_id).where(QRCodeTag.tag_id.in_(named))))
    if filters.has_tags is not None:
        # NOT EXISTS, not NOT IN: PostgreSQL answers NOT IN over a large list row by row (unless
        # it fits work_mem), which took past the statement timeout at 100,000 codes.
        tagged = exists().where(QRCodeTag.qrcode_id == QRCode.id)
        found.append(tagged if filters.has_tags else ~tagged)
    if filters.folder_id == UNFILED:
        found.append(QRCode.folder_id.is_(None))
    elif filters.folder_id is not None:
        found.append(QRCode.folder_id == filters.folder_id)
    if filters.has_comments is not None:
        found.append(first_char(QRCode.comments) > "" if filters.has_comments else first_char(QRCode.comments) == "")
    return found


def _timed(filters: Filters) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if filters.created_after is not None:
        found.append(QRCode.created_at > filters.created_after)
    if filters.created_before is not None:
        found.append(QRCode.created_at < filters.created_before)
    expires = link_value(QRCode.link, "expiresAt")
    if filters.expires_after is not None:
        found.append(expires > stored_instant(filters.expires_after))
    if filters.expires_before is not None:
        found.append(expires < stored_instant(filters.expires_before))
    if filters.has_expiration is not None:
        found.append(expires > "" if filters.has_expiration else expires.is_(None))
    if filters.last_scanned_before is not None:
        found.append(or_(QRCode.last_scanned_at < filters.last_scanned_before, QRCode.last_scanned_at.is_(None)))
    if filters.destination_status is not None:
        found.append(destination_condition(filters.destination_status))
    return found


def _link_options(filters: Filters) -> list[ColumnElement[bool]]:
    """Conditions on the options of the JSON ``link`` column, each compared as its index holds it."""
    found: list[ColumnElement[bool]] = []

    def present(*keys: str, wanted: bool) -> ColumnElement[bool]:
        kinds = [link_kind(QRCode.link, key) for key in keys]
        return or_(*(kind > "" for kind in kinds)) if wanted else and_(*(kind == "" for kind in kinds))

    if filters.has_password is not None:
        found.append(present(PASSWORD_HASH, wanted=filters.has_password))
    if filters.has_geo is not None:
        found.append(present("geo", wanted=filters.has_geo))
    if filters.has_device is not None:
        found.append(present("ios", "android", wanted=filters.has_device))
    utm = {name: link_value(QRCode.link, name) for name in UTM_FIELDS}
    if filters.has_utm is not None:
        any_utm = any_of(*utm.values())
        found.append(any_utm > "" if filters.has_utm else any_utm == "")
    for name, value in utm.items():
        wanted = getattr(filters, name)
        if wanted is not None:
            found.append(value == wanted)
    return found


def order_of(query: ListQuery) -> list[ColumnElement]:
    """The ORDER BY of ``query``: its sort (the null last), then the id, so pages never overlap."""
    descending = query.order == "desc"
    order = []
    for column in SORTS[query.sort]:
        ordered = column.desc() if descending else column.asc()
        if query.sort in _NULLABLE:
            ordered = ordered.nulls_last() if descending else ordered.nulls_first()
        order.append(ordered)
    return [*order, QRCode.id.desc() if descending else QRCode.id.asc()]


def destination_condition(status: DestinationState) -> ColumnElement[bool]:
    """The QR Codes of ``destinationStatus=status``: ``broken``, one of its destinations is;
    ``unchecked``, none is and one has not been checked yet; ``ok``, every one has been
    checked and none is broken. A code without destinations (static, text…) is none of them.
    Each set is found from the checks' indexes, then the codes by id."""
    def codes_with(*conditions) -> ColumnElement[bool]:
        return QRCode.id.in_(select(DestinationLink.qrcode_id).join(
            DestinationCheck, DestinationCheck.url_hash == DestinationLink.url_hash).where(*conditions))

    def none_with(*conditions) -> ColumnElement[bool]:  # NOT EXISTS: see ``_organised``
        return ~exists().where(DestinationLink.qrcode_id == QRCode.id,
                               DestinationCheck.url_hash == DestinationLink.url_hash, *conditions)

    broken = DestinationCheck.broken_since.is_not(None)
    unchecked = DestinationCheck.checked_at.is_(None)
    if status == "broken":
        return codes_with(broken)
    if status == "unchecked":
        return and_(codes_with(unchecked), none_with(broken))
    if status == "ok":
        return and_(codes_with(), none_with(broken), none_with(unchecked))
    raise ValueError(f"destinationStatus is broken, ok or unchecked, not {status!r}")
