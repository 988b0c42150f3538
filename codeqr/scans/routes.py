"""The routing of short links the redirect must decide on (QR Codes with link options,
and aliases), kept per process so a scan of one is decided in memory.

A scan is never counted on a stale decision: the statement that counts a decided scan finds
the code only if it is the one decided on and has not changed since (its ``updated_at``);
otherwise the routing is read again and the scan decided anew. What is kept only saves the
read. Answers that count nothing (a HEAD, the password page shown) may be decided on a
routing kept ``CODEQR_ROUTING_CACHE_SECONDS`` after it was read or last confirmed by a count
(an alias's: after it was read). A code without link options is never kept: its scan finds
it by the counting statement itself (``counter.ScanCounter.scan``).
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..links.decide import LinkRouting
from .counter import Routing, ScanCounter

log = logging.getLogger(__name__)

#: How many short links one process keeps (a bound on memory, not on staleness).
MAX_KEPT = 10_000


@dataclass(frozen=True)
class Route:
    """A short link resolved: the code's own ``domain`` and ``key`` (an alias's differ from
    the link scanned), its ``routing``, and its link options ready to decide on (None:
    it has none)."""

    domain: str
    key: str
    routing: Routing
    link: LinkRouting | None


def link_routing(routing: Routing) -> LinkRouting | None:
    """The link options of ``routing``, ready for ``decide`` (None when it has none). Rules
    stored before a rule was tightened are dropped, logged, rather than failing every scan;
    the password and the expiry always hold."""
    if routing.link is None:
        return None
    data = routing.link | {"url": routing.url}
    try:
        return LinkRouting.of_json(data, routing.id)
    except ValueError as error:
        log.warning("QR Code %s: stored rules no longer valid, not applied: %s", routing.id, error)
        return LinkRouting.of_json(data | {"rules": None, "geo": None}, routing.id)


def decided_as_stored(row) -> LinkRouting:
    """The link options of a stored QR Code (``models.QRCode``) as a scan of it is decided
    now (``link_routing``); without any, its url alone."""
    routing = Routing(row.id, row.url, row.type, row.content, row.use_display_page, row.link, row.updated_at)
    return link_routing(routing) or LinkRouting(url=row.url, key=row.id)


class Routes:
    """Short links whose scans are decided before they are counted, kept for a while."""

    def __init__(self, counter: ScanCounter, seconds: float, clock: Callable[[], float] = time.monotonic):
        self._counter, self._seconds, self._clock = counter, seconds, clock
        self._kept: dict[tuple[str, str], tuple[float, Route]] = {}
        self._lock = threading.Lock()

    def get(self, domain: str, key: str) -> Route | None:
        """The route kept for ``domain``/``key``, if it is fresh."""
        kept = self._kept.get((domain, key))
        if kept is None:
            return None
        until, route = kept
        return route if self._clock() < until else None

    def load(self, domain: str, key: str) -> Route | None:
        """Read the route of a short link from the database (by its key or as an alias),
        and keep it when it must be decided on; None when no code has the link."""
        found = self._counter.resolve(domain, key)
        if found is None:
            return None
        own_domain, own_key, routing = found
        route = Route(own_domain, own_key, routing, link_routing(routing))
        if route.link is not None or (own_domain, own_key) != (domain, key):
            self._keep((domain, key), route)
        return route

    def seen(self, domain: str, key: str, route: Route) -> None:
        """After a scan of ``domain``/``key`` decided on ``route`` was counted, so the code is
        still as the route has it: keep it that much longer. (An alias's is not: the count
        finds the code, not the alias.)"""
        if (route.domain, route.key) == (domain, key) and (domain, key) in self._kept:
            self._kept[(domain, key)] = (self._clock() + self._seconds, route)  # one assignment: no lock

    def forget(self, domain: str, key: str) -> None:
        """Drop what this process keeps of ``domain``/``key`` (a change made here is seen here at once)."""
        self._kept.pop((domain, key), None)

    def _keep(self, link: tuple[str, str], route: Route) -> None:
        with self._lock:
            if len(self._kept) >= MAX_KEPT:
                self._kept.clear()  # rare: far more coded links than one process decides in a while
            self._kept[link] = (self._clock() + self._seconds, route)
