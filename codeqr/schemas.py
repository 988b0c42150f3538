"""Pydantic models of the API: what a QR Code accepts and what it looks like."""

import unicodedata
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, StrictBool
from pydantic.alias_generators import to_camel

MAX_URL_LENGTH = 8192
MAX_BULK = 100
LEVELS = ("L", "M", "Q", "H")
NULLABLE = frozenset({"title", "external_id"})


def _check_url(value: str) -> str:
    """Accept only absolute http(s) URLs without spaces or invisible characters."""
    for char in value:
        if unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"}:
            raise ValueError("must not contain spaces or control characters")
    try:
        parts = urlsplit(value)
        parts.port  # raises on a malformed port
    except ValueError as error:
        raise ValueError(f"is not a valid URL ({error})") from None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an absolute http:// or https:// URL")
    if not parts.hostname:
        raise ValueError("must name a host")
    return value


def _check_text(value: str) -> str:
    """Free text may hold tabs and line breaks, but no other control characters."""
    if any(unicodedata.category(char) == "Cc" and char not in "\t\n\r" for char in value):
        raise ValueError("must not contain control characters")
    return value


def _normalise_color(value: str) -> str:
    value = value.lower()
    if len(value) == 4:
        value = "#" + "".join(c * 2 for c in value[1:])
    return value


Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description="absolute http(s) URL, stored as given",
        # For the spec only: _check_url gives clearer messages than a pattern would.
        json_schema_extra={"pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+"},
    ),
    AfterValidator(_check_url),
]
Color = Annotated[
    str,
    Field(pattern=r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$", description="#rgb or #rrggbb"),
    AfterValidator(_normalise_color),
]
Key = Annotated[
    str,
    Field(
        min_length=1,
        max_length=190,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
        description="letters, digits, - and _; may not start with - or _ nor shadow an app route",
    ),
]
Domain = Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")]
ExternalId = Annotated[
    str, Field(min_length=1, max_length=255, pattern=r"^[^/\x00-\x1f\x7f]+$", description="no / nor control characters")
]
Title = Annotated[str, Field(max_length=1000), AfterValidator(_check_text)]
Size = Annotated[int, Field(ge=64, le=4096, description="width = height in pixels")]
Margin = Annotated[int, Field(ge=0, le=16, description="quiet zone in modules")]
Level = Literal["L", "M", "Q", "H"]


def _drop_defaults(schema: dict[str, Any]) -> None:
    # Omitted update fields mean "leave as is", not "set to null": no default to show.
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class _Input(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", strict=True)

    def given(self) -> dict:
        """Return the fields the caller sent, by attribute name. ``null`` clears a
        nullable field and, elsewhere (``domain``, ``key``, ``level`` on create),
        means "the default", so it is left out."""
        values = {name: getattr(self, name) for name in self.model_fields_set}
        return {name: value for name, value in values.items() if value is not None or name in NULLABLE}


class QRCodeCreate(_Input):
    """Body of create and upsert: ``url`` is the only required field."""

    url: Url
    domain: Domain | None = None
    key: Key | None = None
    title: Title | None = None
    external_id: ExternalId | None = None
    bg_color: Color = "#ffffff"
    fg_color: Color = "#000000"
    size: Size = 1024
    level: Level | None = Field(default=None, description="default M, or H with showLogo")
    margin: Margin = 4
    show_logo: StrictBool = False


class QRCodeUpdate(_Input):
    """Body of update: every field optional; only the fields sent change."""

    model_config = ConfigDict(json_schema_extra=_drop_defaults)

    url: Url = None
    domain: Domain = None
    key: Key = None
    title: Title | None = None
    external_id: ExternalId | None = None
    bg_color: Color = None
    fg_color: Color = None
    size: Size = None
    level: Level = None
    margin: Margin = None
    show_logo: StrictBool = None


class _Output(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class QRCodeOut(_Output):
    id: str = Field(pattern=r"^c[0-9a-z]{24}$")
    url: str
    domain: str
    key: str
    short_link: str
    image: str
    title: str | None
    external_id: str | None
    bg_color: str
    fg_color: str
    size: int
    level: Level
    margin: int
    show_logo: bool
    scans: int
    last_scanned_at: str | None
    created_at: str
    updated_at: str


class QRCodeList(RootModel[list[QRCodeOut]]):
    pass


class Count(RootModel[int]):
    pass


class ListQuery(BaseModel):
    """Filters, order and page of list and count."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    search: str | None = Field(default=None, max_length=500, description="matched against url, title and key")
    domain: str | None = Field(default=None, max_length=253)
    sort: Literal["createdAt", "scans", "lastScannedAt"] = "createdAt"
    order: Literal["desc", "asc"] = "desc"
    page: int = Field(default=1, ge=1, le=1_000_000)
    page_size: int = Field(default=20, ge=1, le=100)


class CountQuery(BaseModel):
    search: str | None = Field(default=None, max_length=500)
    domain: str | None = Field(default=None, max_length=253)


class BulkCreate(RootModel[list[Any]]):
    """Up to 100 QR Code bodies; each is validated on its own."""

    root: list[Any] = Field(max_length=MAX_BULK)


class BulkDeleteQuery(BaseModel):
    ids: str = Field(min_length=1, max_length=100 * 40, description="comma-separated ids (or ext_<externalId>)")


class Deleted(_Output):
    id: str


class DeletedCount(_Output):
    deleted_count: int


class ErrorBody(BaseModel):
    code: str
    message: str


class Error(BaseModel):
    error: ErrorBody


class BulkItemError(BaseModel):
    error: ErrorBody
    qrcode: Any


class BulkResult(RootModel[list[QRCodeOut | BulkItemError]]):
    pass
