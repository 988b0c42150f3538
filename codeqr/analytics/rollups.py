"""Keeping the rollups: the enrichment adds each batch of events, in its transaction."""

import hashlib
from collections import Counter
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import Date
from sqlalchemy.dialects import postgresql, sqlite

from ..database import driver_time, driver_value, executemany
from ..extensions import db
from .models import DailyScans, ScanBreakdown, ScanCount, WeeklyScans

#: Hourly breakdown dimension -> how an event gives its value ("" when it has none).
#: QR Codes and urls are counted per day and per week instead (DailyScans, WeeklyScans).
DIMENSIONS = {
    "country": lambda event: event.country or "",
    "city": lambda event: f"{event.country or ''}|{event.city}" if event.city else "",
    "device": lambda event: event.device or "",
    "browser": lambda event: event.browser or "",
    "os": lambda event: event.os or "",
    "referer": lambda event: event.referer_host or "",
    "language": lambda event: event.language or "",
}


def quarter(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute // 15 * 15, second=0, microsecond=0)


@lru_cache(maxsize=65_536)
def value_key(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def aggregate(events, into: tuple[Counter, ...] | None = None) -> tuple[Counter, ...]:
    """Sum events into rollup rows: ``(counts, breakdowns, daily, weekly)``, keyed as the tables are."""
    counts, breakdowns, daily, weekly = into or (Counter(), Counter(), Counter(), Counter())
    for event in events:
        moment, bot = quarter(event.timestamp), bool(event.bot)
        counts[(moment, bot)] += 1
        day = moment.date()
        daily[(event.qrcode_id, day, bot, event.url)] += 1
        weekly[(event.qrcode_id, day - timedelta(days=day.weekday()), bot, event.url)] += 1
        whole_hour = moment.replace(minute=0)
        for dimension, value_of in DIMENSIONS.items():
            breakdowns[(dimension, whole_hour, bot, value_of(event))] += 1
    return counts, breakdowns, daily, weekly


def add(events) -> None:
    """Add enriched events to the rollups, inside the caller's transaction."""
    write(*aggregate(events))


def write(counts: Counter, breakdowns: Counter, daily: Counter, weekly: Counter) -> None:
    """Add summed rows to the rollup tables, inside the caller's transaction."""
    if not counts:
        return
    time = lru_cache(maxsize=None)(driver_time(db.engine.dialect))  # a few hours a batch, many rows
    day_value = driver_value(Date(), db.engine.dialect)
    _upsert(ScanCount, [{"bucket": time(bucket), "bot": bot, "scans": scans}
                        for (bucket, bot), scans in counts.items()])
    _upsert(ScanBreakdown, [{"dimension": dimension, "hour": time(moment), "bot": bot,
                             "value_key": value_key(value), "value": value, "scans": scans}
                            for (dimension, moment, bot, value), scans in breakdowns.items()])
    for model, period, rows in ((DailyScans, "day", daily), (WeeklyScans, "week", weekly)):
        _upsert(model, [{"qrcode_id": qr_id, period: day_value(start), "bot": bot, "url_key": value_key(url),
                         "url": url, "scans": scans} for (qr_id, start, bot, url), scans in rows.items()])


def _upsert(model, rows: list[dict]) -> None:
    """Add rows' scans to the table. Rows go in key order, so two enrichers that
    write the same rows lock them in the same order (no deadlock)."""
    table = model.__table__
    keys = [column.name for column in table.primary_key.columns]
    rows = sorted(rows, key=lambda row: tuple(row[key] for key in keys))
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={"scans": table.c.scans + statement.excluded.scans})
    executemany(statement, rows)
