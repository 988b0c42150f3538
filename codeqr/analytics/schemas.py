"""The analytics API's parameters and answers (CodeQR's and Dub's names)."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, create_model, field_validator, model_validator
from pydantic.alias_generators import to_camel

from ..domain.schemas import Timestamp
from .dimensions import DIMENSIONS, FILTERED, Dimension
from .timeframe import aware

#: ``groupBy`` by how QR Codes are organised (``queries.ORGANISERS``), beside the dimensions of scans.
ORGANISED = ("tags", "folders")
GROUP_BY = ("count", "timeseries", *(dimension.group_by for dimension in DIMENSIONS), *ORGANISED)
#: Tag ids one analytics query may name (``tagIds``).
MAX_TAG_IDS = 100
_ID = r"c[a-z0-9]{24}"
Interval = Literal["1h", "24h", "7d", "30d", "90d", "ytd", "1y", "all"]
INTERVALS: tuple[str, ...] = get_args(Interval)
MAX_EVENTS_PAGE = 1000


def _check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone name, such as Europe/Berlin or UTC") from None
    return name


def _one_of(values: tuple[str, ...]) -> Any:
    """The type ``Literal[*values]``, for values known at run time only."""
    return Literal[values]


class _Query(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


def _filter(dimension: Dimension) -> tuple[Any, Any]:
    """A dimension's filter parameter: its type and field."""
    assert dimension.filter is not None
    # Named as the dimension, not camelCased: CodeQR's own utm_source.
    if dimension.values is not None:
        return _one_of(dimension.values) | None, Field(None, alias=dimension.name,
                                                        description=dimension.filter.description)
    return str | None, Field(None, alias=dimension.name, max_length=dimension.filter.max_length,
                             description=dimension.filter.description)


# Made at run time from the registry. mypy cannot read types made from values: it sees
# a class without the filters (they are read by name, ``getattr``) and groupBy as a str.
if TYPE_CHECKING:
    class _DimensionFilters(_Query):
        pass

    GroupBy = str
else:
    _DimensionFilters = create_model("_DimensionFilters", __base__=_Query,
                                     **{dimension.name: _filter(dimension) for dimension in FILTERED})
    GroupBy = _one_of(GROUP_BY)


class _Scope(_Query):
    event: Literal["scans"] = Field("scans", description="the only event recorded: scans")
    interval: Interval | None = Field(None, description="time frame ending now; default 30d "
                                      "unless start is given")
    start: datetime | None = Field(None, description="ISO 8601; without an offset, in `timezone`")
    end: datetime | None = Field(None, description="ISO 8601, exclusive; default now")
    timezone: Annotated[str, Field(max_length=64), AfterValidator(_check_zone)] = Field(
        "UTC", description="IANA name: where days and hours begin")
    qrcode_id: str | None = Field(None, max_length=300, description="id, or ext_ followed by an externalId")
    domain: str | None = Field(None, max_length=253)
    key: str | None = Field(None, max_length=190)
    tag_ids: str | None = Field(None, max_length=MAX_TAG_IDS * 25 + MAX_TAG_IDS - 1,
                                pattern=rf"^{_ID}(,{_ID})*$",
                                description="tag ids, comma-separated: scans of the QR Codes carrying any of them")
    folder_id: str | None = Field(None, pattern=rf"^{_ID}$", description="scans of the QR Codes in this folder")
    archived: bool | None = Field(None, description="true: scans of archived QR Codes only; false: of the others; "
                                  "not given: of both")

    @property
    def tag_id_list(self) -> list[str]:
        """``tagIds`` as a list."""
        return self.tag_ids.split(",") if self.tag_ids else []


class ScanFilters(_DimensionFilters, _Scope):
    """Which scans: a time frame and filters (one per filtered dimension), shared by
    analytics and events."""

    bots: Literal["exclude", "include"] = "exclude"

    @field_validator("start", "end")
    @classmethod
    def _plausible(cls, moment: datetime | None) -> datetime | None:
        # Years far off would overflow once the time frame is worked out.
        if moment is not None and not 1970 <= moment.year <= 9000:
            raise ValueError("must be a date between the years 1970 and 9000")
        return moment

    @model_validator(mode="after")
    def _one_time_frame(self):
        if self.interval and (self.start or self.end):
            raise ValueError("give either interval or start/end, not both")
        zone = ZoneInfo(self.timezone)  # one with an offset, one without: compared in the time zone
        if self.start and self.end and aware(self.start, zone) >= aware(self.end, zone):
            raise ValueError("start must be before end")
        return self


class AnalyticsQuery(ScanFilters):
    group_by: GroupBy = Field("count", description="what to answer")
    unique: bool = Field(False, description="count distinct visitors (a visitor is new each day) instead of scans")


class EventsQuery(ScanFilters):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(100, ge=1, le=MAX_EVENTS_PAGE)
    format: Literal["json", "csv"] | None = Field(None, description="csv streams every matching event; "
                                                  "so does Accept: text/csv")


class _Answer(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class ScanEventOut(_Answer):
    """One scan as stored (never the visitor's address)."""

    timestamp: Timestamp
    qrcode_id: str
    domain: str
    key: str
    url: str = Field(description="where the scan was sent; empty when the QR Code answered with its own landing page")
    device: str | None
    browser: str | None
    browser_version: str | None
    os: str | None
    os_version: str | None
    bot: bool | None
    country: str | None
    region: str | None
    city: str | None
    referer: str | None
    referer_host: str | None
    language: str | None
    visitor: str | None = Field(description="hash of address and user agent, salted anew each day")
    continent: str | None = Field(description="continent code of the country: AF, AN, AS, EU, NA, OC or SA")
    step: str | None = Field(description="which of the QR Code's link options decided where the scan went: "
                             "expired, rule, geo, ios, android or url; null when it has none")
    rule: int | None = Field(description="the smart rule that decided, by its position from 1")
    variant: int | None = Field(description="the variant of that rule's split, by its position from 1")
    utm_source: str | None = Field(alias="utm_source", description="the scanned link's own utm_source")
    utm_medium: str | None = Field(alias="utm_medium", description="the scanned link's own utm_medium")
    utm_campaign: str | None = Field(alias="utm_campaign", description="the scanned link's own utm_campaign")
    utm_term: str | None = Field(alias="utm_term", description="the scanned link's own utm_term")
    utm_content: str | None = Field(alias="utm_content", description="the scanned link's own utm_content")


class EventList(RootModel[list[ScanEventOut]]):
    pass


class ScanTotal(BaseModel):
    scans: int


class VisitorTotal(BaseModel):
    visitors: int


class TimeseriesPoint(BaseModel):
    """``{"start": …, "scans": n}`` (``visitors`` with unique=true), one per bucket, empty ones too."""

    model_config = ConfigDict(extra="allow")

    start: str = Field(description="start of the bucket, UTC")


class BreakdownItem(BaseModel):
    """``{"<dimension>": value, "scans": n}`` (``visitors`` with unique=true); top_qrcodes
    items carry id, key, domain, title; cities and regions their country; variants their rule."""

    model_config = ConfigDict(extra="allow")


class AnalyticsResult(RootModel[ScanTotal | VisitorTotal | list[TimeseriesPoint] | list[BreakdownItem]]):
    pass
