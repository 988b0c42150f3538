"""Rollups: what the dashboard reads instead of every event.

Totals over every QR Code per quarter hour, and per hour for each breakdown
dimension (country, device, …), stay small however many QR Codes and scans there
are: 90 days are a few thousand rows a dimension. Scans of each QR Code and url per
week and per day give the top QR Codes and urls. Questions about one QR Code read its
own events (indexed by QR Code and time), except on the UTC days it was scanned so often
that those would be slow to read: once such a day is over it gets rollups of its own.
"""

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.timeutil import UTCDateTime
from ..persistence.extensions import Model


class _QuarterScans:
    """Scans in one quarter hour, bots apart."""

    bucket: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    bot: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    scans: Mapped[int] = mapped_column(BigInteger)


class _BreakdownScans:
    """Scans with one value of one dimension (country, device, …), bots apart."""

    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    bot: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    #: ``database.index_key`` of ``value``: values (urls) may be longer than an index allows
    value_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    scans: Mapped[int] = mapped_column(BigInteger)


class ScanCount(_QuarterScans, Model):
    """Scans of every QR Code together per quarter hour."""

    __tablename__ = "scan_counts"


class ScanBreakdown(_BreakdownScans, Model):
    """Scans of every QR Code together in one hour, per dimension and value."""

    __tablename__ = "scan_breakdowns"

    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)


class _PeriodScans:
    """Scans of one QR Code in one UTC period sent to one url, bots apart. (Hourly, such
    rows would be about as many as the scans of QR Codes scanned now and then.)"""

    qrcode_id: Mapped[str] = mapped_column(String(25), primary_key=True)
    bot: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    #: ``database.index_key`` of ``url``, which may be longer than an index allows
    url_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    scans: Mapped[int] = mapped_column(BigInteger)


class DailyScans(_PeriodScans, Model):
    """Per day: the list's order by recent scans, and the days at the edges of the top lists."""

    __tablename__ = "qrcode_daily_scans"
    __table_args__ = (Index("ix_qrcode_daily_scans_day", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)


class WeeklyScans(_PeriodScans, Model):
    """Per week (from Monday, UTC): the whole weeks of the top QR Codes and urls."""

    __tablename__ = "qrcode_weekly_scans"
    __table_args__ = (Index("ix_qrcode_weekly_scans_week", "week"),)

    week: Mapped[date] = mapped_column(Date, primary_key=True)


class QRCodeScanCount(_QuarterScans, Model):
    """Scans of one popular QR Code per quarter hour: kept for the UTC days in
    ``QRCodeRolledDay`` only, so they stay fewer than the scans they count."""

    __tablename__ = "qrcode_scan_counts"

    qrcode_id: Mapped[str] = mapped_column(String(25), primary_key=True)


class QRCodeBreakdown(_BreakdownScans, Model):
    """Scans of one popular QR Code on one UTC day, per dimension and value (days in
    ``QRCodeRolledDay`` only)."""

    __tablename__ = "qrcode_scan_breakdowns"

    qrcode_id: Mapped[str] = mapped_column(String(25), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class QRCodeRolledDay(Model):
    """A UTC day on which a QR Code was scanned often enough to get its own rollups
    (``QRCodeScanCount``, ``QRCodeBreakdown``), which count every scan of that day."""

    __tablename__ = "qrcode_rolled_days"

    qrcode_id: Mapped[str] = mapped_column(String(25), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class ClosedDay(Model):
    """A UTC day whose popular QR Codes have got their rollups (``rollups.close_days``)."""

    __tablename__ = "rollup_closed_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
