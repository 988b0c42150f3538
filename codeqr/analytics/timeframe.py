"""Time frames of the analytics API: an interval or start/end in a time zone, and the
buckets of a time series, whose edges fall on local hours, days or months."""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ..domain.timeutil import utcnow
from ..errors import InvalidInput

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RELATIVE = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7),
             "30d": timedelta(days=30), "90d": timedelta(days=90), "1y": timedelta(days=365)}


@dataclass(frozen=True)
class TimeFrame:
    start: datetime  # aware UTC, inclusive
    end: datetime  # aware UTC, exclusive
    zone: ZoneInfo


def time_frame(query, first_event: datetime | None) -> TimeFrame:
    """The UTC instants a query covers. ``all`` starts at ``first_event`` (now when none)."""
    zone = ZoneInfo(query.timezone)
    now = utcnow()
    end = aware(query.end, zone) if query.end else now
    if query.start:
        start = aware(query.start, zone)
    elif (query.interval or "30d") in _RELATIVE:
        start = end - _RELATIVE[query.interval or "30d"]
    elif query.interval == "ytd":
        start = datetime(end.astimezone(zone).year, 1, 1, tzinfo=zone).astimezone(UTC)
    else:  # all
        start = min(first_event or end, end)
    if start > end:
        raise InvalidInput("start must be before end" + ("" if query.end else " (now, when end is not given)"))
    return TimeFrame(start, end, zone)


def aware(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment`` in UTC; without an offset, it is a time in ``zone``."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


def bucket_starts(frame: TimeFrame, at_most: int | None = None) -> list[datetime]:
    """UTC starts of the series' buckets: hours up to 48 h, days up to a year, months
    beyond. Days and months begin at local midnight (a DST day lasts 23 or 25 hours).
    With ``at_most``, no more than that many (the first ones)."""
    span = frame.end - frame.start
    local = frame.start.astimezone(frame.zone)
    starts: list[datetime] = []
    if span <= timedelta(hours=48):
        moment = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        while moment < frame.end and len(starts) != at_most:
            starts.append(moment)
            moment += timedelta(hours=1)  # in UTC: a repeated or skipped local hour stays one hour
        return starts
    monthly = span > timedelta(days=366)
    day = local.date().replace(day=1) if monthly else local.date()
    while True:
        moment = datetime(day.year, day.month, day.day, tzinfo=frame.zone).astimezone(UTC)
        if moment >= frame.end or len(starts) == at_most:
            return starts
        starts.append(moment)
        if monthly:
            day = day.replace(year=day.year + day.month // 12, month=day.month % 12 + 1)
        else:
            day = day + timedelta(days=1)


def into_buckets(starts: list[datetime], moments_and_counts) -> list[int]:
    """Sum ``(moment, count)`` pairs into the buckets beginning at ``starts``."""
    totals = [0] * len(starts)
    for moment, count in moments_and_counts:
        index = bisect_right(starts, moment) - 1
        if index >= 0:
            totals[index] += count
    return totals
