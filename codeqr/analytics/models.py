"""Rollups: what the dashboard reads instead of every event.

Totals over every QR Code per quarter hour, and per hour for each breakdown
dimension (country, device, …), stay small however many QR Codes and scans there
are: 90 days are a few thousand rows a dimension. Scans of each QR Code and url per
week and per day give the top QR Codes and urls. Questions about one QR Code read its own events
(indexed by QR Code and time), which stay few unless it is very popular.
"""

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime


class ScanCount(db.Model):
    """Scans of every QR Code together in one quarter hour, bots apart."""

    __tablename__ = "scan_counts"

    bucket: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    bot: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    scans: Mapped[int] = mapped_column(BigInteger)


class ScanBreakdown(db.Model):
    """Scans of every QR Code together in one hour with one value of one dimension."""

    __tablename__ = "scan_breakdowns"

    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    bot: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    #: SHA-256 of ``value``: values (urls) may be longer than an index allows
    value_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    scans: Mapped[int] = mapped_column(BigInteger)


class _PeriodScans:
    """Scans of one QR Code in one UTC period sent to one url, bots apart. (Hourly, such
    rows would be about as many as the scans of QR Codes scanned now and then.)"""

    qrcode_id: Mapped[str] = mapped_column(String(25), primary_key=True)
    bot: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    #: SHA-256 of ``url``, which may be longer than an index allows
    url_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    scans: Mapped[int] = mapped_column(BigInteger)


class DailyScans(_PeriodScans, db.Model):
    """Per day: the list's order by recent scans, and the days at the edges of the top lists."""

    __tablename__ = "qrcode_daily_scans"
    __table_args__ = (Index("ix_qrcode_daily_scans_day", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)


class WeeklyScans(_PeriodScans, db.Model):
    """Per week (from Monday, UTC): the whole weeks of the top QR Codes and urls."""

    __tablename__ = "qrcode_weekly_scans"
    __table_args__ = (Index("ix_qrcode_weekly_scans_week", "week"),)

    week: Mapped[date] = mapped_column(Date, primary_key=True)
