"""Keeping the rollups: the enrichment adds each batch of events, in its transaction."""

import hashlib
from collections import Counter
from datetime import datetime
from functools import lru_cache

from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from .models import ALL_QRCODES, ScanBreakdown, ScanCount

#: Breakdown dimension -> how an event gives its value ("" when it has none).
DIMENSIONS = {
    "country": lambda event: event.country or "",
    "city": lambda event: f"{event.country or ''}|{event.city}" if event.city else "",
    "device": lambda event: event.device or "",
    "browser": lambda event: event.browser or "",
    "os": lambda event: event.os or "",
    "referer": lambda event: event.referer_host or "",
    "language": lambda event: event.language or "",
    "qrcode": lambda event: event.qrcode_id,
    "url": lambda event: event.url,
}


def quarter(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute // 15 * 15, second=0, microsecond=0)


def hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


@lru_cache(maxsize=65_536)
def value_key(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def add(events) -> None:
    """Add enriched events to the rollups, inside the caller's transaction."""
    counts, breakdowns, values = Counter(), Counter(), {}
    for event in events:
        for scope in (event.qrcode_id, ALL_QRCODES):
            counts[(scope, quarter(event.timestamp), bool(event.bot))] += 1
            for dimension, value_of in DIMENSIONS.items():
                if dimension == "qrcode" and scope != ALL_QRCODES:
                    continue  # a QR Code's own total is its scan_counts row
                value = value_of(event)
                key = value_key(value)
                values[key] = value
                breakdowns[(scope, dimension, hour(event.timestamp), bool(event.bot), key)] += 1
    if counts:
        _upsert(ScanCount, [{"qrcode_id": scope, "bucket": bucket, "bot": bot, "scans": scans}
                            for (scope, bucket, bot), scans in counts.items()])
        _upsert(ScanBreakdown, [{"qrcode_id": scope, "dimension": dimension, "hour": moment, "bot": bot,
                                 "value_key": key, "value": values[key], "scans": scans}
                                for (scope, dimension, moment, bot, key), scans in breakdowns.items()])


def _upsert(model, rows: list[dict]) -> None:
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(model)
    keys = [column.name for column in model.__table__.primary_key.columns]
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={"scans": model.__table__.c.scans + statement.excluded.scans})
    db.session.execute(statement, rows)
