"""The analytics API's answers: counts, time series and breakdowns of scans.

Over every QR Code, whole quarter hours (totals) and whole hours (breakdowns) come
from the rollups and the minutes at either edge of the time frame from the events
themselves, so every answer is exact. Answers about some QR Codes, with other
filters (country, device, …) or of unique visitors read the events, by their
indexes on QR Code and time.

Each answer is someone's (an ``Actor``): a QR Code in a folder they do not see is not
there for them (``domain.folders``): asked for by ``qrcodeId``, it is a 404; over many QR
Codes, only those they see are counted, so once a folder is hidden from them their
answers are about "some QR Codes" (and leave out the scans of deleted QR Codes, whose
folder no one can tell). Answers by tag or folder (``groupBy=tags|folders``, and the
``tagIds``, ``folderId`` and ``archived`` filters) join the QR Codes and their tags at
query time: the rollups are kept by QR Code, and a QR Code's tags and folder change.

Scans not enriched yet are read where they wait, beside the events and the rollups
(``stored``): answers count them, and no read writes.
"""

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

from sqlalchemy import func, literal_column, select, union_all
from sqlalchemy.sql import ColumnElement, Subquery

from ..accounts.permissions import Actor
from ..domain import folders
from ..domain.models import Folder, QRCode, QRCodeTag, Tag
from ..domain.timeutil import isoformat
from ..errors import NotFound
from ..persistence.extensions import db
from ..scans.agents import AgentParser
from ..scans.models import PendingScan, ScanEvent
from . import sqltime
from .dimensions import BY_GROUP, FILTERED, Dimension, Rollup
from .limits import ReadLimits, bounded_reads
from .models import DailyScans, QRCodeBreakdown, QRCodeRolledDay, QRCodeScanCount, ScanBreakdown, ScanCount, WeeklyScans
from .schemas import ORGANISED, AnalyticsQuery, ScanFilters
from .stored import Scans, stored_scans
from .timeframe import TimeFrame, bucket_starts, into_buckets, time_frame

QUARTER, HOUR, DAY, WEEK = timedelta(minutes=15), timedelta(hours=1), timedelta(days=1), timedelta(days=7)
_A_MONDAY = datetime(2000, 1, 3, tzinfo=UTC)  # weeks of WeeklyScans begin on Mondays
MAX_ITEMS = 1000


# -- what a query covers -------------------------------------------------------


def scope(query: ScanFilters, actor: Actor):
    """The QR Codes a query of ``actor`` covers: None for all of them (the scans of deleted
    ones too), else a select of ids. ``NotFound`` when ``qrcodeId`` names one they do not see."""
    seen = _seen_by(actor)
    conditions = []
    if query.qrcode_id:
        qr = db.session.scalar(select(QRCode.id).where(
            QRCode.external_id == query.qrcode_id[4:] if query.qrcode_id.startswith("ext_")
            else QRCode.id == query.qrcode_id, *seen))
        if qr is None:
            raise NotFound(f"no QR Code {query.qrcode_id!r}")
        conditions.append(QRCode.id == qr)  # narrowed by the other filters below, if given
    else:
        conditions += seen
    if query.domain:
        conditions.append(QRCode.domain == query.domain.lower())
    if query.key:
        conditions.append(QRCode.key == query.key)
    if query.tag_ids:
        conditions.append(QRCode.id.in_(select(QRCodeTag.qrcode_id).where(QRCodeTag.tag_id.in_(query.tag_id_list))))
    if query.folder_id:
        conditions.append(QRCode.folder_id == query.folder_id)
    if query.archived is not None:
        conditions.append(QRCode.archived.is_(query.archived))
    return select(QRCode.id).where(*conditions) if conditions else None


def _seen_by(actor: Actor) -> list:
    """The conditions (none or one) on the QR Codes ``actor`` sees: none while no folder is
    hidden from them, so their answers over every QR Code still come from the rollups."""
    condition, folder_seen = folders.visible(actor), folders.folder_visible(actor)
    if condition is None or folder_seen is None:
        return []
    hidden = db.session.scalar(select(Folder.id).where(~folder_seen).limit(1))
    return [] if hidden is None else [condition]


def event_conditions(query: ScanFilters, ids, frame: TimeFrame, scans) -> list:
    """WHERE conditions on ``scans`` (``stored.Scans``' subqueries) for a query's scope,
    filters and time frame."""
    conditions = [scans.c.timestamp >= frame.start, scans.c.timestamp < frame.end]
    if ids is not None:
        conditions.append(scans.c.qrcode_id.in_(ids))
    if query.bots == "exclude":
        conditions.append(scans.c.bot.is_(False))
    for dimension in FILTERED:  # only the events can answer these (the rollups know bots, nothing else)
        assert dimension.filter is not None
        value = getattr(query, dimension.name)
        if value is not None:
            conditions.append(dimension.value(scans) == dimension.filter.stored(value))
    return conditions


def _first_scan(ids, scans: Scans) -> datetime | None:
    if ids is None:
        firsts = [db.session.scalar(select(func.min(ScanCount.bucket))),
                  db.session.scalar(select(func.min(PendingScan.timestamp)))]
        known = [_as_utc(first) for first in firsts if first is not None]
        return min(known) if known else None
    every = scans.every(lambda source: [source.c.qrcode_id.in_(ids)]).subquery("scans")
    first = db.session.scalar(select(func.min(every.c.timestamp)))
    return None if first is None else _as_utc(first)


def _matching(query, ids, frame: TimeFrame, scans: Scans) -> Subquery:
    """Every stored scan in ``frame`` that the query asks for."""
    return scans.every(lambda source: event_conditions(query, ids, frame, source)).subquery("scans")


def _reads(query, ids, frame: TimeFrame, step: timedelta, rollups: "_Rollups | None", scans: Scans
           ) -> tuple[list[TimeFrame], list[Subquery]]:
    """Which parts of a frame the rollups answer, and the scans the query reads: every
    matching scan over the rest, and the matching waiting ones (which no rollup counts
    yet) over the rollups' parts."""
    parts, rest = rollups.split(frame, step) if rollups else ([], [frame])
    waiting = [scans.waiting(partial(event_conditions, query, ids, part)).subquery("scans") for part in parts]
    return parts, [_matching(query, ids, part, scans) for part in rest] + waiting


def _split(frame: TimeFrame, step: timedelta, epoch: datetime = datetime(2000, 1, 1, tzinfo=UTC)
           ) -> tuple[list[TimeFrame], list[TimeFrame]]:
    """Split a frame into whole ``step``s counted from ``epoch`` (from a rollup) and the
    edges (from events, or a finer rollup)."""
    inner_start = epoch + -(-(frame.start - epoch) // step) * step
    inner_end = epoch + ((frame.end - epoch) // step) * step
    if inner_start >= inner_end:
        return [], [frame]
    edges = [TimeFrame(frame.start, inner_start, frame.zone), TimeFrame(inner_end, frame.end, frame.zone)]
    return [TimeFrame(inner_start, inner_end, frame.zone)], [edge for edge in edges if edge.start < edge.end]


@dataclass(frozen=True)
class _Rollups:
    """Where an answer's whole buckets come from: the rollups of every QR Code
    (``qrcode_id`` None), or those of one QR Code on its popular days."""

    qrcode_id: str | None = None

    @property
    def counts(self):
        return ScanCount if self.qrcode_id is None else QRCodeScanCount

    @property
    def breakdowns(self):
        """Hourly over every QR Code, daily for one."""
        return ScanBreakdown if self.qrcode_id is None else QRCodeBreakdown

    def split(self, frame: TimeFrame, step: timedelta) -> tuple[list[TimeFrame], list[TimeFrame]]:
        """The parts of a frame these rollups answer, and the rest (from events)."""
        if self.qrcode_id is None:
            return _split(frame, step)
        return _popular_days(self.qrcode_id, frame)

    def where(self, model, query, moment, start: date, end: date) -> list:
        """Rows of ``model`` the query counts, ``moment`` (a datetime or date column) from
        ``start`` to ``end``, exclusive."""
        conditions = [moment >= start, moment < end]
        if self.qrcode_id is not None:
            conditions.append(model.qrcode_id == self.qrcode_id)
        if query.bots == "exclude":
            conditions.append(model.bot.is_(False))
        return conditions


def _popular_days(qr_id: str, frame: TimeFrame) -> tuple[list[TimeFrame], list[TimeFrame]]:
    """Split a frame into runs of the whole UTC days on which a QR Code has rollups of
    its own (``QRCodeRolledDay``), and the rest."""
    days = db.session.scalars(select(QRCodeRolledDay.day).where(
        QRCodeRolledDay.qrcode_id == qr_id, QRCodeRolledDay.day >= frame.start.date(),
        QRCodeRolledDay.day < frame.end.date()).order_by(QRCodeRolledDay.day))
    rolled: list[TimeFrame] = []
    for day in days:
        start = datetime.combine(day, time(), tzinfo=UTC)
        if start < frame.start or start + DAY > frame.end:
            continue
        if rolled and rolled[-1].end == start:
            rolled[-1] = TimeFrame(rolled[-1].start, start + DAY, frame.zone)
        else:
            rolled.append(TimeFrame(start, start + DAY, frame.zone))
    rest, cursor = [], frame.start
    for part in rolled:
        if cursor < part.start:
            rest.append(TimeFrame(cursor, part.start, frame.zone))
        cursor = part.end
    if cursor < frame.end:
        rest.append(TimeFrame(cursor, frame.end, frame.zone))
    return rolled, rest


def _rollups_for(query: AnalyticsQuery, ids) -> _Rollups | None:
    """The rollups that can answer a query's whole buckets, or None (events only).
    Unique visitors and filters other than bots need the events; so do questions
    about some QR Codes, except about one, on its popular days."""
    if query.unique or any(getattr(query, dimension.name) is not None for dimension in FILTERED):
        return None
    if ids is None:
        return _Rollups()
    found = db.session.scalars(ids.limit(2)).all()
    return _Rollups(found[0]) if len(found) == 1 else None


# -- answers ----------------------------------------------------------------------


def analytics(query: AnalyticsQuery, limits: ReadLimits, agents: AgentParser, actor: Actor):
    """Answer ``GET /api/analytics`` to ``actor`` within ``limits``; ``agents`` classifies the waiting scans."""
    with bounded_reads(limits.seconds):
        ids = scope(query, actor)
        scans = stored_scans(agents)
        frame = time_frame(query, _first_scan(ids, scans) if query.interval == "all" else None)
        limits.check_span(frame.end - frame.start)
        if query.group_by == "timeseries":
            starts = bucket_starts(frame, at_most=limits.max_buckets + 1)
            limits.check_buckets(len(starts))
        rollups = _rollups_for(query, ids)
        if query.group_by == "count":
            if query.unique:
                return {"visitors": _visitors(query, ids, frame, scans)}
            return {"scans": _count(query, ids, frame, rollups, scans)}
        if query.group_by == "timeseries":
            return _timeseries(query, ids, frame, rollups, starts, scans)
        if query.group_by in ORGANISERS:
            return _organised(query, ids, frame, rollups, scans)
        return _breakdown(query, ids, frame, rollups, scans)


def _count(query, ids, frame: TimeFrame, rollups: _Rollups | None, scans: Scans) -> int:
    """Whole quarter hours from the rollups, the rest from events."""
    parts, reads = _reads(query, ids, frame, QUARTER, rollups, scans)
    total = sum(db.session.scalar(select(func.count()).select_from(source)) for source in reads)
    for part in parts:
        assert rollups is not None
        model = rollups.counts
        total += db.session.scalar(select(func.coalesce(func.sum(model.scans), 0))
                                   .where(*rollups.where(model, query, model.bucket, part.start, part.end)))
    return int(total)


def _visitors(query, ids, frame: TimeFrame, scans: Scans) -> int:
    every = _matching(query, ids, frame, scans)
    return db.session.scalar(select(func.count(func.distinct(every.c.visitor)))) or 0


def _timeseries(query, ids, frame: TimeFrame, rollups: _Rollups | None, starts: list[datetime],
                scans: Scans) -> list[dict]:
    label = "visitors" if query.unique else "scans"
    if query.unique:
        seen = defaultdict(set)
        every = _matching(query, ids, frame, scans)
        pairs = db.session.execute(select(_quarter(every), every.c.visitor).where(every.c.visitor.is_not(None))
                                   .distinct())
        for moment, visitor in pairs:
            seen[_index(starts, _as_utc(moment))].add(visitor)
        totals = [len(seen.get(index, ())) for index in range(len(starts))]
    else:
        totals = into_buckets(starts, _quarter_counts(query, ids, frame, rollups, scans))
    return [{"start": isoformat(start), label: total} for start, total in zip(starts, totals)]


def _quarter_counts(query, ids, frame: TimeFrame, rollups: _Rollups | None, scans: Scans):
    """``(quarter start, scans)`` pairs over the frame."""
    parts, reads = _reads(query, ids, frame, QUARTER, rollups, scans)
    for source in reads:
        quarter = _quarter(source)
        statement = select(quarter, func.count()).group_by(quarter)
        for moment, count in db.session.execute(statement):
            yield _as_utc(moment), count
    for part in parts:
        assert rollups is not None
        model = rollups.counts
        statement = (select(model.bucket, func.sum(model.scans))
                     .where(*rollups.where(model, query, model.bucket, part.start, part.end)).group_by(model.bucket))
        for moment, count in db.session.execute(statement):
            yield moment, int(count)


def _breakdown(query, ids, frame: TimeFrame, rollups: _Rollups | None, scans: Scans) -> list[dict]:
    """The parts' sums added up, ranked and cut to ``MAX_ITEMS`` in one statement, so
    only the items answered leave the database."""
    dimension = BY_GROUP[query.group_by]
    periodic = dimension.rollup is Rollup.PERIODIC  # top QR Codes and urls: whole weeks, then whole days, then events
    parts, reads = _reads(query, ids, frame, DAY if periodic else HOUR, rollups, scans)
    sums = []
    for source in reads:
        column = func.coalesce(dimension.value(source), literal_column("''"))
        counted = func.count(func.distinct(source.c.visitor)) if query.unique else func.count()
        sums.append(select(column.label("value"), counted.label("scans")).select_from(source).group_by(column))
    for part in parts:
        assert rollups is not None
        sums += (_periodic_sums if periodic else _breakdown_sums)(query, rollups, dimension, part)
    if not sums:  # an empty time frame, or one QR Code's with nothing to read
        return []
    every = union_all(*sums).subquery("sums")
    value: ColumnElement = every.c.value
    total = func.sum(every.c.scans)
    if db.engine.dialect.name == "postgresql":
        value = value.collate("C")  # ties in code point order, as on SQLite
    # Most first; among equals, known values before unknown ones ("").
    ranked = (select(every.c.value, total).group_by(every.c.value).having(total > 0)
              .order_by(total.desc(), every.c.value == "", value).limit(MAX_ITEMS))
    label = "visitors" if query.unique else "scans"
    items = [{**dimension.item(found), label: int(count)} for found, count in db.session.execute(ranked)]
    return _with_qrcodes(items) if dimension.name == "qrcode" else items


def _breakdown_sums(query, rollups: _Rollups, dimension: Dimension, part: TimeFrame) -> list:
    """Sums of a dimension's values over whole hours (every QR Code) or days (one)."""
    model = rollups.breakdowns
    start: date
    end: date
    if rollups.qrcode_id is None:
        moment, start, end = model.hour, part.start, part.end
    else:
        moment, start, end = model.day, part.start.date(), part.end.date()
    return [select(model.value.label("value"), func.sum(model.scans).label("scans"))
            .where(model.dimension == dimension.name, *rollups.where(model, query, moment, start, end))
            .group_by(model.value_key, model.value)]


def _periodic_sums(query, rollups: _Rollups, dimension: Dimension, part: TimeFrame) -> list:
    """Sums of QR Codes or urls over whole days: whole weeks from the weekly rows."""
    weeks, days = _split(part, WEEK, _A_MONDAY)
    pieces: list[tuple[type[DailyScans] | type[WeeklyScans], Any, TimeFrame]] = [
        (DailyScans, DailyScans.day, piece) for piece in days]
    pieces += [(WeeklyScans, WeeklyScans.week, piece) for piece in weeks]
    sums = []
    for model, start, piece in pieces:
        value = getattr(model, dimension.column)
        sums.append(select(value.label("value"), func.sum(model.scans).label("scans"))
                    .where(*rollups.where(model, query, start, piece.start.date(), piece.end.date())).group_by(value))
    return sums


@dataclass(frozen=True)
class _Organiser:
    """What ``groupBy=tags|folders`` groups scans by: a QR Code's tags (a scan of a QR Code
    with two tags counts for each) or its folder; ``""`` for none."""

    item_key: str

    def joined(self, codes):
        """The group of each QR Code id of ``codes`` (a subquery with ``qrcode_id``)."""
        if self.item_key == "folderId":
            return select(codes, func.coalesce(QRCode.folder_id, literal_column("''")).label("value")).join(
                QRCode, QRCode.id == codes.c.qrcode_id)
        return (select(codes, func.coalesce(QRCodeTag.tag_id, literal_column("''")).label("value"))
                .join(QRCode, QRCode.id == codes.c.qrcode_id).outerjoin(QRCodeTag, QRCodeTag.qrcode_id == QRCode.id))

    def items(self, ranked: list) -> list[tuple[dict, int]]:
        """Each ``(value, count)`` as an item with the tag's ``name`` and ``color`` or the
        folder's ``name``, and its count."""
        ids = [value for value, _ in ranked if value]
        tagged = self.item_key == "tagId"
        columns = (Tag.id, Tag.name, Tag.color) if tagged else (Folder.id, Folder.name)
        known = {row[0]: row for row in db.session.execute(select(*columns).where(columns[0].in_(ids)))} if ids else {}
        items = []
        for value, count in ranked:
            row = known.get(value)
            item = {self.item_key: value or None, "name": row[1] if row is not None else None}
            if tagged:
                item["color"] = row[2] if row is not None else None
            items.append((item, int(count)))
        return items


#: ``groupBy`` values that group by how QR Codes are organised, not by a dimension of scans.
ORGANISERS = {"tags": _Organiser("tagId"), "folders": _Organiser("folderId")}
assert tuple(ORGANISERS) == ORGANISED, "the groupBy values the API takes (schemas.ORGANISED) are the ones answered"


def _organised(query, ids, frame: TimeFrame, rollups: _Rollups | None, scans: Scans) -> list[dict]:
    """Scans by tag or by folder of the QR Codes scanned, now (deleted QR Codes left out):
    the scans summed per QR Code first (events, then whole days and weeks from the rollups
    kept by QR Code), then joined to the QR Codes, so the join reads one row per QR Code.
    Unique visitors are counted over the events joined (one visitor of two QR Codes in a
    folder is one)."""
    organiser = ORGANISERS[query.group_by]
    parts, reads = _reads(query, ids, frame, DAY, rollups, scans)
    sums = []
    for source in reads:
        if query.unique:
            joined = organiser.joined(select(source.c.qrcode_id, source.c.visitor).subquery("codes")).subquery("groups")
            sums.append(select(joined.c.value, func.count(func.distinct(joined.c.visitor)).label("scans"))
                        .group_by(joined.c.value))
        else:
            per_code = select(source.c.qrcode_id, func.count().label("scans")).group_by(source.c.qrcode_id)
            joined = organiser.joined(per_code.subquery("codes")).subquery("groups")
            sums.append(select(joined.c.value, func.sum(joined.c.scans).label("scans")).group_by(joined.c.value))
    for part in parts:
        assert rollups is not None
        weeks, days = _split(part, WEEK, _A_MONDAY)
        pieces: list[tuple[type[DailyScans] | type[WeeklyScans], Any, TimeFrame]] = [
            (DailyScans, DailyScans.day, piece) for piece in days]
        pieces += [(WeeklyScans, WeeklyScans.week, piece) for piece in weeks]
        for model, start, piece in pieces:
            per_code = (select(model.qrcode_id, func.sum(model.scans).label("scans"))
                        .where(*rollups.where(model, query, start, piece.start.date(), piece.end.date()))
                        .group_by(model.qrcode_id))
            joined = organiser.joined(per_code.subquery("codes")).subquery("groups")
            sums.append(select(joined.c.value, func.sum(joined.c.scans).label("scans")).group_by(joined.c.value))
    if not sums:
        return []
    every = union_all(*sums).subquery("sums")
    total = func.sum(every.c.scans)
    value: ColumnElement = every.c.value
    if db.engine.dialect.name == "postgresql":
        value = value.collate("C")
    ranked = (select(every.c.value, total).group_by(every.c.value).having(total > 0)
              .order_by(total.desc(), every.c.value == "", value).limit(MAX_ITEMS))
    label = "visitors" if query.unique else "scans"
    items = organiser.items(list(db.session.execute(ranked)))
    # Among equals, by name (ids mean nothing to a reader), none last.
    items.sort(key=lambda pair: (-pair[1], pair[0]["name"] is None, (pair[0]["name"] or "").lower()))
    return [{**item, label: count} for item, count in items]


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


def scans_since_column(since: datetime, agents: AgentParser):
    """A column of each QR Code's scans on the UTC days since ``since`` (bots left
    out), waiting ones included (``agents`` classifies them), for ordering a list of QR Codes."""
    waiting = stored_scans(agents).waiting_scans
    rolled = (select(func.coalesce(func.sum(DailyScans.scans), 0))
              .where(DailyScans.qrcode_id == QRCode.id, DailyScans.day >= since.date(), DailyScans.bot.is_(False))
              .scalar_subquery())
    pending = (select(func.count()).select_from(waiting)
               .where(waiting.c.qrcode_id == QRCode.id, *_recent(waiting, since)).scalar_subquery())
    return rolled + pending


def scans_since(ids: list[str], since: datetime, agents: AgentParser) -> dict[str, int]:
    """Scans of each of ``ids`` as ``scans_since_column`` counts them."""
    waiting = stored_scans(agents).waiting_scans
    totals: dict[str, int] = defaultdict(int)
    rows = db.session.execute(select(DailyScans.qrcode_id, func.sum(DailyScans.scans))
                              .where(DailyScans.qrcode_id.in_(ids), DailyScans.day >= since.date(),
                                     DailyScans.bot.is_(False))
                              .group_by(DailyScans.qrcode_id))
    rows_waiting = db.session.execute(select(waiting.c.qrcode_id, func.count())
                                      .where(waiting.c.qrcode_id.in_(ids), *_recent(waiting, since))
                                      .group_by(waiting.c.qrcode_id))
    for qr_id, total in [*rows, *rows_waiting]:
        totals[qr_id] += int(total)
    return dict(totals)


def _recent(waiting, since: datetime) -> list:
    """Waiting scans of the UTC days since ``since``, bots left out (as DailyScans count)."""
    day = datetime.combine(since.date(), time(), tzinfo=UTC)
    return [waiting.c.timestamp >= day, waiting.c.bot.is_(False)]


# -- SQL helpers ------------------------------------------------------------------


def _quarter(scans):
    """The quarter hour a scan falls in (UTC, like the stored timestamps)."""
    return sqltime.quarter(scans.c.timestamp, db.engine.dialect)


def _as_utc(moment) -> datetime:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _index(starts: list[datetime], moment: datetime) -> int:
    return bisect_right(starts, moment) - 1
