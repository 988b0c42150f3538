"""A scan, stored twice over its life: first in the inbox, with its count, by the
redirect; then, moved by the enrichment, as an event with its device, browser, OS,
bot flag and continent. The move is one transaction, so a scan is always in exactly one."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.timeutil import UTCDateTime
from ..persistence.extensions import Model

#: SQLite only makes an INTEGER PRIMARY KEY an auto-incrementing rowid.
ScanId = BigInteger().with_variant(Integer(), "sqlite")


class _Scan:
    """What a scan request tells (never the visitor's address)."""

    id: Mapped[int] = mapped_column(ScanId, primary_key=True, autoincrement=True)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    qrcode_id: Mapped[str] = mapped_column(String(25))
    domain: Mapped[str] = mapped_column(String(253))
    key: Mapped[str] = mapped_column(String(190))
    url: Mapped[str] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(Text)
    referer: Mapped[str | None] = mapped_column(Text)
    referer_host: Mapped[str | None] = mapped_column(String(253))
    language: Mapped[str | None] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    visitor: Mapped[str | None] = mapped_column(String(32))
    # How the scan was decided (``links.decide``): its step (null: the code has no link
    # options, or a plugin chose), the rule and split variant, by position from 1.
    step: Mapped[str | None] = mapped_column(String(8))
    rule: Mapped[int | None] = mapped_column(SmallInteger)
    variant: Mapped[int | None] = mapped_column(SmallInteger)
    # The scanned link's own UTM parameters (``links.utm.utm_of_query``).
    utm_source: Mapped[str | None] = mapped_column(String(190))
    utm_medium: Mapped[str | None] = mapped_column(String(190))
    utm_campaign: Mapped[str | None] = mapped_column(String(190))
    utm_term: Mapped[str | None] = mapped_column(String(190))
    utm_content: Mapped[str | None] = mapped_column(String(190))


class PendingScan(_Scan, Model):
    """A scan as the redirect stores it, with its count, waiting to be enriched. No
    index beyond its key, no AUTOINCREMENT on SQLite: the redirect's write stays small.
    (SQLite may reuse the ids of an emptied inbox; events number themselves.)"""

    __tablename__ = "scan_inbox"


class ScanEvent(_Scan, Model):
    """A scan once enriched: what analytics read."""

    __tablename__ = "scan_events"
    __table_args__ = (
        Index("ix_scan_events_qrcode_timestamp", "qrcode_id", "timestamp"),
        Index("ix_scan_events_timestamp", "timestamp"),
    )

    device: Mapped[str | None] = mapped_column(String(10))
    browser: Mapped[str | None] = mapped_column(String(50))
    browser_version: Mapped[str | None] = mapped_column(String(20))
    os: Mapped[str | None] = mapped_column(String(50))
    os_version: Mapped[str | None] = mapped_column(String(20))
    bot: Mapped[bool] = mapped_column(Boolean)
    #: of ``country`` (``visit.continent_of``), worked out by the enrichment: the redirect's write stays as it was
    continent: Mapped[str | None] = mapped_column(String(2))


class ParsedAgent(Model):
    """A user agent as the enrichment parsed it (``agents.AgentParser``), once: the
    database joins scans to it when it moves them to the events."""

    __tablename__ = "user_agents"

    #: ``database.index_key`` of ``agent``, which may be longer than an index allows
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent: Mapped[str] = mapped_column(Text)
    device: Mapped[str] = mapped_column(String(10))
    browser: Mapped[str | None] = mapped_column(String(50))
    browser_version: Mapped[str | None] = mapped_column(String(20))
    os: Mapped[str | None] = mapped_column(String(50))
    os_version: Mapped[str | None] = mapped_column(String(20))
    bot: Mapped[bool] = mapped_column(Boolean)
