"""The dimensions of scans that analytics break down by (country, device, …): one
entry each, from which the rollups, the API's ``groupBy`` values and filters, and the
dashboard's panels are made.

Adding a dimension takes one ``Dimension`` in ``DIMENSIONS``, plus, if its value is
not a column of the scan events yet, that column (``scans.models``, a migration, and
the redirect filling it in, or the enrichment and ``stored._waiting`` working it out
alike, as for the continent). Rolled up
``HOURLY`` (the usual way), nothing else: the breakdown tables hold any dimension,
and its counts are kept from the next enriched scan on (scans enriched before are
not in them: a migration may add them). ``PERIODIC`` is for values with too many
kinds to count per hour (QR Codes, urls): such a dimension needs its column in
DailyScans and WeeklyScans and in ``rollups.add`` too.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import String, cast, func, type_coerce
from sqlalchemy.sql import ColumnElement, FromClause

from ..links.utm import MAX_UTM, UTM_FIELDS
from ..scans.agents import DEVICES


class Rollup(Enum):
    """Which rollup tables count a dimension's values."""

    #: ScanBreakdown per hour (every QR Code) and QRCodeBreakdown per day (popular ones)
    HOURLY = "hourly"
    #: DailyScans and WeeklyScans, in their column of the same name
    PERIODIC = "periodic"


@dataclass(frozen=True)
class Filter:
    """A dimension's filter parameter of the analytics and events API."""

    max_length: int | None = None
    description: str | None = None
    #: the stored form of a value asked for
    stored: Callable[[str], str] = str


@dataclass(frozen=True)
class Panel:
    """A dimension's table on the analytics pages."""

    heading: str
    column: str
    #: what an empty value means to a reader
    unknown: str = "Unknown"
    #: values are words of ours (``mobile``), shown capitalized
    capitalized: bool = False
    #: on the dashboard over every QR Code only, not on a QR Code's page
    dashboard_only: bool = False


@dataclass(frozen=True)
class Dimension:
    #: the name in the rollups (``ScanBreakdown.dimension``)
    name: str
    #: its ``groupBy`` value
    group_by: str
    #: the scan events' column holding its value (and the rollups' of ``PERIODIC`` ones)
    column: str
    rollup: Rollup
    #: ``key``, where it is not the name
    item_key: str = ""
    #: its filter parameter (named as the dimension), if the API filters by it
    filter: Filter | None = None
    #: its table on the analytics pages, if they show one
    panel: Panel | None = None
    #: every value it can have, where they are ours to name
    values: tuple[str, ...] | None = None

    @property
    def key(self) -> str:
        """The key of its value in the API's breakdown items."""
        return self.item_key or self.name

    def value(self, scans: FromClause) -> ColumnElement:
        """Its value in ``scans`` (the events' table, or a subquery with its columns)."""
        return scans.c[self.column]

    def item(self, value: str) -> dict:
        """A breakdown item's value part, from a value as ``value`` gives it ("": none)."""
        return {self.key: value or None}


@dataclass(frozen=True)
class _City(Dimension):
    def value(self, scans: FromClause) -> ColumnElement:
        """``country|city``: cities of two countries may share a name."""
        return type_coerce(func.coalesce(scans.c.country, ""), String) + "|" + scans.c.city

    def item(self, value: str) -> dict:
        country, _, city = value.partition("|")
        return {"city": city or None, "country": country or None}


@dataclass(frozen=True)
class _Region(Dimension):
    def value(self, scans: FromClause) -> ColumnElement:
        """``country|region``: regions of two countries may share a name."""
        return type_coerce(func.coalesce(scans.c.country, ""), String) + "|" + scans.c.region

    def item(self, value: str) -> dict:
        country, _, region = value.partition("|")
        return {"region": region or None, "country": country or None}


def _number(text: str) -> int | None:
    return int(text) if text else None


@dataclass(frozen=True)
class _Rule(Dimension):
    """The smart rule that decided a scan, by its position from 1 (a number in the
    events, text in the rollups like every value)."""

    def value(self, scans: FromClause) -> ColumnElement:
        return cast(scans.c.rule, String)

    def item(self, value: str) -> dict:
        return {"rule": _number(value)}


@dataclass(frozen=True)
class _Variant(Dimension):
    """A split's variant, by position from 1, with its rule: variant 2 of rule 1 and
    variant 2 of rule 3 are not the same. (Rules and variants are positions in one QR
    Code's rules: they mean something asked of one, ``qrcodeId``.)"""

    def value(self, scans: FromClause) -> ColumnElement:
        """``rule|variant`` (null without a variant)."""
        return cast(scans.c.rule, String) + "|" + cast(scans.c.variant, String)

    def item(self, value: str) -> dict:
        rule, _, variant = value.partition("|")
        return {"rule": _number(rule), "variant": _number(variant)}


DIMENSIONS = (
    Dimension("country", "countries", "country", Rollup.HOURLY,
              filter=Filter(max_length=2, description="ISO 3166-1 alpha-2", stored=str.upper),
              panel=Panel("Countries", "Country")),
    _City("city", "cities", "city", Rollup.HOURLY),
    Dimension("device", "devices", "device", Rollup.HOURLY, filter=Filter(), values=DEVICES,
              panel=Panel("Devices", "Device", capitalized=True)),
    Dimension("browser", "browsers", "browser", Rollup.HOURLY,
              filter=Filter(max_length=50, description="browser family, e.g. Chrome Mobile"),
              panel=Panel("Browsers", "Browser")),
    Dimension("os", "os", "os", Rollup.HOURLY, filter=Filter(max_length=50, description="OS family, e.g. iOS"),
              panel=Panel("Operating systems", "System")),
    Dimension("referer", "referers", "referer_host", Rollup.HOURLY,
              filter=Filter(max_length=253, description="host of the referring page"),
              panel=Panel("Referrers", "Referring site", unknown="Direct (no referrer)")),
    Dimension("language", "languages", "language", Rollup.HOURLY),
    Dimension("qrcode", "top_qrcodes", "qrcode_id", Rollup.PERIODIC, item_key="id",
              panel=Panel("Top QR Codes", "QR Code", unknown="", dashboard_only=True)),
    Dimension("url", "top_urls", "url", Rollup.PERIODIC),
    # Codes, not ours to name (no ``values``): an unknown one matches nothing, like a country.
    Dimension("continent", "continents", "continent", Rollup.HOURLY,
              filter=Filter(max_length=2, description="continent code: AF, AN, AS, EU, NA, OC or SA", stored=str.upper)),
    _Region("region", "regions", "region", Rollup.HOURLY),
    # The whole referring page (``CODEQR_ANALYTICS=full``; else its host's root), named as CodeQR does.
    Dimension("referer_url", "referer_urls", "referer", Rollup.HOURLY, item_key="refererUrl"),
    *(Dimension(name, f"{name}s", name, Rollup.HOURLY,
                filter=Filter(max_length=MAX_UTM, description=f"the scanned link's own {name}"))
      for name in UTM_FIELDS),
    _Rule("rule", "rules", "rule", Rollup.HOURLY),
    _Variant("variant", "variants", "variant", Rollup.HOURLY),
)

BY_NAME = {dimension.name: dimension for dimension in DIMENSIONS}
BY_GROUP = {dimension.group_by: dimension for dimension in DIMENSIONS}
HOURLY = tuple(dimension for dimension in DIMENSIONS if dimension.rollup is Rollup.HOURLY)
FILTERED = tuple(dimension for dimension in DIMENSIONS if dimension.filter is not None)
