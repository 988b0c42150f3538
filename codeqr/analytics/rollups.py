"""Keeping the rollups: the database sums a batch of events into each rollup table,
one ``INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE`` a table, inside the
enrichment's transaction. No event passes through Python.

Once a UTC day is over, ``close_days`` gives each QR Code scanned at least
``POPULAR_DAILY_SCANS`` times that day rollups of its own for it; scans of such a day
enriched later (a backlog) are added to them as they come.
"""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import String, and_, func, insert, literal_column, select, text, union_all
from sqlalchemy.sql import ColumnElement

from ..persistence.database import index_key, insert_on_conflict
from ..persistence.extensions import db, table_of
from ..scans.models import ScanEvent
from . import sqltime
from .dimensions import HOURLY
from .models import ClosedDay, DailyScans, QRCodeBreakdown, QRCodeRolledDay, QRCodeScanCount, ScanBreakdown, ScanCount, WeeklyScans

#: Scans of a QR Code in one UTC day from which that day gets rollups of its own:
#: reading fewer events than 90 of these days hold stays well under 300 ms.
POPULAR_DAILY_SCANS = 500

def _events(condition):
    """The events matching ``condition`` with their time buckets and breakdown values."""
    dialect = db.engine.dialect
    moment = ScanEvent.timestamp
    return (select(sqltime.quarter(moment, dialect).label("quarter"), sqltime.hour(moment, dialect).label("hour"),
                   sqltime.day(moment, dialect).label("day"), sqltime.week(moment, dialect).label("week"),
                   ScanEvent.bot, ScanEvent.qrcode_id, ScanEvent.url,
                   *(func.coalesce(dimension.value(table_of(ScanEvent)), "").label(dimension.name)
                     for dimension in HOURLY))
            .where(condition).subquery("events"))


def _values(events, period: str):
    """One row per event and breakdown dimension: (dimension, period, bot, value, qrcode_id)."""
    return union_all(*(select(literal_column(f"'{dimension.name}'", String).label("dimension"), events.c[period],
                              events.c.bot, events.c[dimension.name].label("value"), events.c.qrcode_id)
                       for dimension in HOURLY)).subquery("breakdown_values")


def add(batch: ColumnElement, params: dict | None = None, late: bool = False) -> None:
    """Add the events matching ``batch`` (a condition on scan_events, with its bound
    ``params``) to the rollups, inside the caller's transaction (which must have
    called ``hold_closing`` first). ``late``: some of them are of days before today,
    which may have rollups per QR Code already."""
    events = _events(batch)
    _sum_into(params, ScanCount, {"bucket": events.c.quarter, "bot": events.c.bot})
    values = _values(events, "hour")
    _sum_into(params, ScanBreakdown, {"dimension": values.c.dimension, "hour": values.c.hour, "bot": values.c.bot,
                                      "value": values.c.value}, hashed={"value_key": values.c.value})
    for model, period in ((DailyScans, "day"), (WeeklyScans, "week")):
        _sum_into(params, model, {"qrcode_id": events.c.qrcode_id, period: events.c[period], "bot": events.c.bot,
                                  "url": events.c.url}, hashed={"url_key": events.c.url})
    if late:
        rolled = select(QRCodeRolledDay.qrcode_id).where(
            QRCodeRolledDay.qrcode_id == ScanEvent.qrcode_id,
            QRCodeRolledDay.day == sqltime.day(ScanEvent.timestamp, db.engine.dialect))
        _add_per_qrcode(and_(batch, rolled.exists()), params)


def _add_per_qrcode(condition, params: dict | None = None) -> None:
    """Add the events matching ``condition`` to the rollups of their QR Codes."""
    events = _events(condition)
    _sum_into(params, QRCodeScanCount, {"qrcode_id": events.c.qrcode_id, "bucket": events.c.quarter,
                                        "bot": events.c.bot})
    values = _values(events, "day")
    _sum_into(params, QRCodeBreakdown, {"qrcode_id": values.c.qrcode_id, "dimension": values.c.dimension,
                                        "day": values.c.day, "bot": values.c.bot, "value": values.c.value},
              hashed={"value_key": values.c.value})


def hold_closing() -> None:
    """Make ``close_days`` wait for the caller's transaction (PostgreSQL; SQLite's
    writes take turns anyway): a day must not be closed while scans of it are being
    added without its QR Codes' rollups."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE qrcode_rolled_days IN ROW SHARE MODE"))


def close_days(today: date, most: int = 1) -> list[date]:
    """Give up to ``most`` UTC days before ``today`` not closed yet their popular QR
    Codes' rollups, oldest first, inside the caller's write transaction (which scans
    on SQLite wait for: keep it to a day); return the days closed."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE qrcode_rolled_days IN EXCLUSIVE MODE"))
    last = db.session.scalar(select(func.max(ClosedDay.day)))
    if last is None:
        first = db.session.scalar(select(func.min(ScanEvent.timestamp)))
        last = first.date() - timedelta(days=1) if first else today - timedelta(days=1)
    closed: list[date] = []
    day = last + timedelta(days=1)
    while day < today and len(closed) < most:
        start = datetime.combine(day, time(), tzinfo=UTC)
        on_day = and_(ScanEvent.timestamp >= start, ScanEvent.timestamp < start + timedelta(days=1))
        popular = (select(ScanEvent.qrcode_id).where(on_day).group_by(ScanEvent.qrcode_id)
                   .having(func.count() >= POPULAR_DAILY_SCANS))
        qrcode_ids = list(db.session.scalars(popular))
        if qrcode_ids:
            _add_per_qrcode(and_(on_day, ScanEvent.qrcode_id.in_(qrcode_ids)))
            db.session.execute(insert(QRCodeRolledDay), [{"qrcode_id": qr_id, "day": day} for qr_id in qrcode_ids])
        db.session.execute(insert(ClosedDay), [{"day": day}])
        closed.append(day)
        day += timedelta(days=1)
    return closed


def _sum_into(params: dict | None, model, groups: dict, hashed: dict | None = None) -> None:
    """Count the rows per ``groups`` (column name -> expression) and add the counts to
    ``model``'s ``scans``. ``hashed`` names key columns holding the ``index_key`` of a
    grouped value (values may be longer than an index takes). Rows go in key order, so two
    enrichers adding to the same rows lock them in the same order (no deadlock)."""
    dialect = db.engine.dialect
    hashed = hashed or {}
    table = model.__table__
    keys = [column.name for column in table.primary_key.columns]
    columns = {**groups, **{name: index_key(value, dialect) for name, value in hashed.items()}}
    sums = (select(*(expression.label(name) for name, expression in columns.items()), func.count().label("scans"))
            .group_by(*groups.values())
            .order_by(*(columns[key] for key in keys)))
    adding = insert_on_conflict(table, dialect)
    statement = adding.from_select([*columns, "scans"], sums).on_conflict_do_update(
        index_elements=keys, set_={"scans": table.c.scans + adding.excluded.scans})
    db.session.execute(statement, params)
