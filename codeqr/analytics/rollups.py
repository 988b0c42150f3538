"""Keeping the rollups: the enrichment adds each batch of events, in its transaction."""

import hashlib
from collections import Counter
from datetime import datetime
from functools import lru_cache

from sqlalchemy.dialects import postgresql, sqlite

from ..database import driver_time, executemany
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
    counts, breakdowns = Counter(), Counter()
    for event in events:
        moment = quarter(event.timestamp)
        whole_hour, bot = moment.replace(minute=0), bool(event.bot)
        values = [(dimension, value_of(event)) for dimension, value_of in DIMENSIONS.items()]
        for scope in (event.qrcode_id, ALL_QRCODES):
            counts[(scope, moment, bot)] += 1
            for dimension, value in values:
                if dimension == "qrcode" and scope != ALL_QRCODES:
                    continue  # a QR Code's own total is its scan_counts row
                breakdowns[(scope, dimension, whole_hour, bot, value)] += 1
    if not counts:
        return
    time = lru_cache(maxsize=None)(driver_time(db.engine.dialect))  # a few hours a batch, many rows
    _upsert(ScanCount, [{"qrcode_id": scope, "bucket": time(bucket), "bot": bot, "scans": scans}
                        for (scope, bucket, bot), scans in counts.items()])
    _upsert(ScanBreakdown, [{"qrcode_id": scope, "dimension": dimension, "hour": time(moment), "bot": bot,
                             "value_key": value_key(value), "value": value, "scans": scans}
                            for (scope, dimension, moment, bot, value), scans in breakdowns.items()])


def _upsert(model, rows: list[dict]) -> None:
    table = model.__table__
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[column.name for column in table.primary_key.columns],
        set_={"scans": table.c.scans + statement.excluded.scans})
    executemany(statement, rows)
