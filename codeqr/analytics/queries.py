"""The analytics API's answers: counts, time series and breakdowns of scans.

Over every QR Code, whole quarter hours (totals) and whole hours (breakdowns) come
from the rollups and the minutes at either edge of the time frame from the events
themselves, so every answer is exact. Answers about some QR Codes, with other
filters (country, device, …) or of unique visitors read the events, by their
indexes on QR Code and time.
"""

from bisect import bisect_right
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, cast, func, select, text, type_coerce
from sqlalchemy.sql import ColumnElement

from ..errors import NotFound
from ..extensions import db
from ..models import QRCode
from ..scans.models import ScanEvent
from ..timeutil import isoformat
from .models import DailyScans, ScanBreakdown, ScanCount, WeeklyScans
from .schemas import AnalyticsQuery, ScanFilters
from .timeframe import TimeFrame, bucket_starts, into_buckets, time_frame

QUARTER, HOUR, DAY, WEEK = timedelta(minutes=15), timedelta(hours=1), timedelta(days=1), timedelta(days=7)
_A_MONDAY = datetime(2000, 1, 3, tzinfo=UTC)  # weeks of WeeklyScans begin on Mondays
MAX_ITEMS = 1000
#: groupBy -> (rollup dimension, key of the answer's items)
BREAKDOWNS = {"countries": ("country", "country"), "cities": ("city", "city"), "devices": ("device", "device"),
              "browsers": ("browser", "browser"), "os": ("os", "os"), "referers": ("referer", "referer"),
              "languages": ("language", "language"), "top_qrcodes": ("qrcode", "id"), "top_urls": ("url", "url")}
#: Dimensions counted per week and day (WeeklyScans, DailyScans), and the column of their values.
_PERIODIC = {"qrcode": "qrcode_id", "url": "url"}
def event_column(dimension: str) -> ColumnElement:
    """The events' expression of a rollup dimension (rollups.DIMENSIONS, in SQL)."""
    columns = {"country": ScanEvent.country, "device": ScanEvent.device, "browser": ScanEvent.browser,
               "os": ScanEvent.os, "referer": ScanEvent.referer_host, "language": ScanEvent.language,
               "qrcode": ScanEvent.qrcode_id, "url": ScanEvent.url}
    if dimension == "city":
        return type_coerce(func.coalesce(ScanEvent.country, ""), String) + "|" + ScanEvent.city
    return columns[dimension]


#: Filters that only the events can answer (the rollups know bots, nothing else).
_EVENT_FILTERS = {name: event_column(name) for name in ("country", "device", "browser", "os", "referer")}


# -- what a query covers -------------------------------------------------------


def scope(query: ScanFilters):
    """The QR Codes a query covers: None for all of them, else a list or a select of ids."""
    if query.qrcode_id:
        qr = db.session.scalar(select(QRCode.id).where(
            QRCode.external_id == query.qrcode_id[4:] if query.qrcode_id.startswith("ext_")
            else QRCode.id == query.qrcode_id))
        if qr is None:
            raise NotFound(f"no QR Code {query.qrcode_id!r}")
        ids = select(QRCode.id).where(QRCode.id == qr)  # narrowed by domain and key below, if given
    elif query.domain or query.key:
        ids = select(QRCode.id)
    else:
        return None
    if query.domain:
        ids = ids.where(QRCode.domain == query.domain.lower())
    if query.key:
        ids = ids.where(QRCode.key == query.key)
    return ids


def event_conditions(query: ScanFilters, ids, frame: TimeFrame) -> list:
    """WHERE conditions on scan_events for a query's scope, filters and time frame."""
    conditions = [ScanEvent.timestamp >= frame.start, ScanEvent.timestamp < frame.end]
    if ids is not None:
        conditions.append(ScanEvent.qrcode_id.in_(ids))
    if query.bots == "exclude":
        conditions.append(ScanEvent.bot.is_(False))
    for name, column in _EVENT_FILTERS.items():
        value = getattr(query, name)
        if value is not None:
            conditions.append(column == (value.upper() if name == "country" else value))
    return conditions


def _first_scan(ids) -> datetime | None:
    if ids is None:
        return db.session.scalar(select(func.min(ScanCount.bucket)))
    return db.session.scalar(select(func.min(ScanEvent.timestamp)).where(ScanEvent.qrcode_id.in_(ids)))


def _split(frame: TimeFrame, step: timedelta, epoch: datetime = datetime(2000, 1, 1, tzinfo=UTC)
           ) -> tuple[TimeFrame | None, list[TimeFrame]]:
    """Split a frame into whole ``step``s counted from ``epoch`` (from a rollup) and the
    edges (from events, or a finer rollup)."""
    inner_start = epoch + -(-(frame.start - epoch) // step) * step
    inner_end = epoch + ((frame.end - epoch) // step) * step
    if inner_start >= inner_end:
        return None, [frame]
    edges = [TimeFrame(frame.start, inner_start, frame.zone), TimeFrame(inner_end, frame.end, frame.zone)]
    return TimeFrame(inner_start, inner_end, frame.zone), [edge for edge in edges if edge.start < edge.end]


def _rollup_conditions(model, query, moment, inner: TimeFrame) -> list:
    conditions = [moment >= inner.start, moment < inner.end]
    if query.bots == "exclude":
        conditions.append(model.bot.is_(False))
    return conditions


# -- answers ----------------------------------------------------------------------


def analytics(query: AnalyticsQuery):
    """Answer ``GET /api/analytics``."""
    ids = scope(query)
    frame = time_frame(query, _first_scan(ids) if query.interval == "all" else None)
    from_events = ids is not None or query.unique or any(getattr(query, name) is not None for name in _EVENT_FILTERS)
    if query.group_by == "count":
        if query.unique:
            return {"visitors": _visitors(query, ids, frame)}
        return {"scans": _count_events(query, ids, frame) if from_events else _count_all(query, frame)}
    if query.group_by == "timeseries":
        return _timeseries(query, ids, frame, from_events)
    return _breakdown(query, ids, frame, from_events)


def _count_all(query, frame: TimeFrame) -> int:
    """Scans of every QR Code: whole quarter hours from the rollups, the edges from events."""
    inner, edges = _split(frame, QUARTER)
    total = sum(_count_events(query, None, edge) for edge in edges)
    if inner is not None:
        where = _rollup_conditions(ScanCount, query, ScanCount.bucket, inner)
        total += db.session.scalar(select(func.coalesce(func.sum(ScanCount.scans), 0)).where(*where))
    return int(total)


def _count_events(query, ids, frame: TimeFrame) -> int:
    return db.session.scalar(select(func.count()).select_from(ScanEvent).where(*event_conditions(query, ids, frame)))


def _visitors(query, ids, frame: TimeFrame) -> int:
    statement = select(func.count(func.distinct(ScanEvent.visitor))).where(*event_conditions(query, ids, frame))
    return db.session.scalar(statement)


def _timeseries(query, ids, frame: TimeFrame, from_events: bool) -> list[dict]:
    starts = bucket_starts(frame)
    label = "visitors" if query.unique else "scans"
    if query.unique:
        seen = defaultdict(set)
        pairs = db.session.execute(select(_quarter(), ScanEvent.visitor).where(
            *event_conditions(query, ids, frame), ScanEvent.visitor.is_not(None)).distinct())
        for moment, visitor in pairs:
            seen[_index(starts, _as_utc(moment))].add(visitor)
        totals = [len(seen.get(index, ())) for index in range(len(starts))]
    else:
        totals = into_buckets(starts, _quarter_counts(query, ids, frame, from_events))
    return [{"start": isoformat(start), label: total} for start, total in zip(starts, totals)]


def _quarter_counts(query, ids, frame: TimeFrame, from_events: bool):
    """``(quarter start, scans)`` pairs over the frame."""
    inner, edges = (None, [frame]) if from_events else _split(frame, QUARTER)
    for edge in edges:
        statement = select(_quarter(), func.count()).where(*event_conditions(query, ids, edge)).group_by(_quarter())
        for moment, count in db.session.execute(statement):
            yield _as_utc(moment), count
    if inner is not None:
        statement = (select(ScanCount.bucket, func.sum(ScanCount.scans))
                     .where(*_rollup_conditions(ScanCount, query, ScanCount.bucket, inner))
                     .group_by(ScanCount.bucket))
        for moment, count in db.session.execute(statement):
            yield moment, int(count)


def _breakdown(query, ids, frame: TimeFrame, from_events: bool) -> list[dict]:
    dimension, name = BREAKDOWNS[query.group_by]
    totals = Counter()
    column = event_column(dimension)
    periodic = dimension in _PERIODIC  # top QR Codes and urls: whole weeks, then whole days, then events
    inner, edges = (None, [frame]) if from_events else _split(frame, DAY if periodic else HOUR)
    counted = func.count(func.distinct(ScanEvent.visitor)) if query.unique else func.count()
    for edge in edges:
        statement = select(column, counted).where(*event_conditions(query, ids, edge)).group_by(column)
        for value, count in db.session.execute(statement):
            totals[value or ""] += count
    if inner is not None and periodic:
        weeks, days = _split(inner, WEEK, _A_MONDAY)
        parts = [(DailyScans, DailyScans.day, part) for part in days]
        if weeks is not None:
            parts.append((WeeklyScans, WeeklyScans.week, weeks))
        for model, start, part in parts:
            value = getattr(model, _PERIODIC[dimension])
            statement = (select(value, func.sum(model.scans))
                         .where(start >= part.start.date(), start < part.end.date(),
                                *([model.bot.is_(False)] if query.bots == "exclude" else []))
                         .group_by(value))
            for found, count in db.session.execute(statement):
                totals[found] += int(count)
    elif inner is not None:
        statement = (select(ScanBreakdown.value, func.sum(ScanBreakdown.scans))
                     .where(ScanBreakdown.dimension == dimension,
                            *_rollup_conditions(ScanBreakdown, query, ScanBreakdown.hour, inner))
                     .group_by(ScanBreakdown.value_key, ScanBreakdown.value))
        for value, count in db.session.execute(statement):
            totals[value] += int(count)
    label = "visitors" if query.unique else "scans"
    # Most first; among equals, known values before unknown ones ("").
    ranked = sorted(((value, count) for value, count in totals.items() if count),
                    key=lambda item: (-item[1], not item[0], item[0]))
    items = [_item(dimension, name, value, label, count) for value, count in ranked[:MAX_ITEMS]]
    return _with_qrcodes(items) if dimension == "qrcode" else items


def _item(dimension: str, name: str, value: str, label: str, count: int) -> dict:
    if dimension == "city":
        country, _, city = value.partition("|")
        return {"city": city or None, "country": country or None, label: count}
    return {name: value or None, label: count}


def _with_qrcodes(items: list[dict]) -> list[dict]:
    """Give top_qrcodes items their key, domain and title (deleted ones: from their events)."""
    ids = [item["id"] for item in items]
    known = {row.id: row for row in db.session.execute(
        select(QRCode.id, QRCode.key, QRCode.domain, QRCode.title).where(QRCode.id.in_(ids)))}
    for item in items:
        row = known.get(item["id"])
        if row is not None:
            item.update(key=row.key, domain=row.domain, title=row.title)
            continue
        deleted = db.session.execute(select(ScanEvent.key, ScanEvent.domain)
                                     .where(ScanEvent.qrcode_id == item["id"]).limit(1)).first()
        item.update(key=deleted.key if deleted else None, domain=deleted.domain if deleted else None, title=None)
    return items


# -- recent scans of QR Codes (the list page) ------------------------------------------


def scans_since_column(since: datetime):
    """A column of each QR Code's scans on the UTC days since ``since`` (bots left
    out), for ordering a list of QR Codes."""
    return (select(func.coalesce(func.sum(DailyScans.scans), 0))
            .where(DailyScans.qrcode_id == QRCode.id, DailyScans.day >= since.date(), DailyScans.bot.is_(False))
            .scalar_subquery())


def scans_since(ids: list[str], since: datetime) -> dict[str, int]:
    """Scans of each of ``ids`` as ``scans_since_column`` counts them."""
    rows = db.session.execute(select(DailyScans.qrcode_id, func.sum(DailyScans.scans))
                              .where(DailyScans.qrcode_id.in_(ids), DailyScans.day >= since.date(),
                                     DailyScans.bot.is_(False))
                              .group_by(DailyScans.qrcode_id))
    return {qr_id: int(total) for qr_id, total in rows}


# -- SQL helpers ------------------------------------------------------------------


def _quarter():
    """The quarter hour an event falls in, in SQL (UTC, like the stored timestamps)."""
    if db.engine.dialect.name == "postgresql":
        # Literal SQL, no parameters: the same expression in SELECT and GROUP BY.
        return func.date_bin(text("interval '15 minutes'"), ScanEvent.timestamp, text("timestamp '2000-01-01'"))
    seconds = cast(func.strftime("%s", ScanEvent.timestamp), db.Integer)
    return func.datetime(seconds - seconds % 900, "unixepoch", type_=String)


def _as_utc(moment) -> datetime:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _index(starts: list[datetime], moment: datetime) -> int:
    return bisect_right(starts, moment) - 1
