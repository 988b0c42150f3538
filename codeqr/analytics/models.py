"""Rollups: scan totals per quarter hour, and per hour for each breakdown dimension.

Rows with ``qrcode_id = "*"`` hold the totals over every QR Code, so the dashboard
reads a few thousand rows for 90 days however many QR Codes there are.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime

ALL_QRCODES = "*"


class ScanCount(db.Model):
    """Scans of one QR Code (or all) in one quarter hour, bots apart."""

    __tablename__ = "scan_counts"

    qrcode_id: Mapped[str] = mapped_column(String(25), primary_key=True)
    bucket: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    bot: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    scans: Mapped[int] = mapped_column(BigInteger)


class ScanBreakdown(db.Model):
    """Scans of one QR Code (or all) in one hour with one value of one dimension."""

    __tablename__ = "scan_breakdowns"
    __table_args__ = (Index("ix_scan_breakdowns_lookup", "qrcode_id", "dimension", "hour"),)

    qrcode_id: Mapped[str] = mapped_column(String(25), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    bot: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    #: SHA-256 of ``value``: values (urls) may be longer than an index allows
    value_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    scans: Mapped[int] = mapped_column(BigInteger)
