"""A scan event: one row per counted scan, written with the count in one statement."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime

#: SQLite only makes an INTEGER PRIMARY KEY an auto-incrementing rowid.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class ScanEvent(db.Model):
    """What one scan tells: written raw on the redirect, enriched (device, browser, OS,
    bot) afterwards. Never the visitor's address."""

    __tablename__ = "scan_events"
    __table_args__ = (
        Index("ix_scan_events_qrcode_timestamp", "qrcode_id", "timestamp"),
        Index("ix_scan_events_timestamp", "timestamp"),
        # The enrichment's queue: small, since rows leave it within seconds.
        Index("ix_scan_events_pending", "id", sqlite_where=text("NOT enriched"), postgresql_where=text("NOT enriched")),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    qrcode_id: Mapped[str] = mapped_column(String(25))
    domain: Mapped[str] = mapped_column(String(253))
    key: Mapped[str] = mapped_column(String(190))
    url: Mapped[str] = mapped_column(Text)
    #: kept until enriched (and after, unless analytics are anonymous): rules improve
    user_agent: Mapped[str | None] = mapped_column(Text)
    referer: Mapped[str | None] = mapped_column(Text)
    referer_host: Mapped[str | None] = mapped_column(String(253))
    language: Mapped[str | None] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    visitor: Mapped[str | None] = mapped_column(String(32))
    enriched: Mapped[bool] = mapped_column(Boolean, server_default=false())
    device: Mapped[str | None] = mapped_column(String(10))
    browser: Mapped[str | None] = mapped_column(String(50))
    browser_version: Mapped[str | None] = mapped_column(String(20))
    os: Mapped[str | None] = mapped_column(String(50))
    os_version: Mapped[str | None] = mapped_column(String(20))
    bot: Mapped[bool | None] = mapped_column(Boolean)
