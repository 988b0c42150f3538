"""The period before: the same question about the time frame of the same length that
ends where a query's begins, for comparing one period with the previous one."""

from dataclasses import dataclass

from .schemas import AnalyticsQuery
from .timeframe import time_frame


@dataclass(frozen=True)
class Periods:
    #: the query asked, its time frame fixed to UTC instants (so both answers meet)
    current: AnalyticsQuery
    #: the same query about the time frame just before, of the same length
    previous: AnalyticsQuery


def periods(query: AnalyticsQuery) -> Periods | None:
    """A query and the one about the period before it; None for ``all`` (nothing is before it)."""
    if query.interval == "all":
        return None
    frame = time_frame(query, None)
    span = frame.end - frame.start
    return Periods(query.model_copy(update={"interval": None, "start": frame.start, "end": frame.end}),
                   query.model_copy(update={"interval": None, "start": frame.start - span, "end": frame.start}))


def change(current: int, previous: int) -> int | None:
    """The change from ``previous`` to ``current`` in whole per cent; None when there was
    nothing before (no percentage of nothing)."""
    if previous == 0:
        return None
    return round((current - previous) * 100 / previous)
