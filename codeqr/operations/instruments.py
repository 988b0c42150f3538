"""This process's Prometheus counters (requests, redirect times, scans, storage errors),
counted where things happen; ``metrics`` answers them at ``GET /metrics``."""

import logging
import os
import threading
from types import SimpleNamespace

# prometheus-client is imported on first use, not with this module: it chooses between one
# process's counters and the workers' shared folder when first imported, and ``codeqr
# serve`` names that folder only once it runs (after the ``codeqr`` command imported us).

log = logging.getLogger(__name__)

_instruments: SimpleNamespace | None = None
_made = threading.Lock()
_said_dropped = False


def instruments() -> SimpleNamespace:
    """This process's counters, made once (under a lock: two threads' first requests would
    both register them, which prometheus-client refuses)."""
    global _instruments
    if _instruments is None:
        with _made:
            if _instruments is None:
                ensure_folder()
                _instruments = _make_instruments()
    return _instruments


def _make_instruments() -> SimpleNamespace:
    from prometheus_client import REGISTRY, Counter, Histogram

    # Registered only once all are made: one that fails half-way (its file cannot be
    # opened) must not leave the others registered, or every later try is refused.
    made = SimpleNamespace(
        requests=Counter("codeqr_http_requests", "HTTP requests answered, by route, method and status",
                         ["route", "method", "status"], registry=None),
        redirect_seconds=Histogram("codeqr_redirect_seconds", "Time to answer a short link, in seconds",
                                   buckets=(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5),
                                   registry=None),
        scans=Counter("codeqr_scans", "Scans counted: short links answered with their redirect", registry=None),
        storage_errors=Counter("codeqr_storage_errors", "Calls to the image storage that failed", ["storage"],
                               registry=None),
    )
    for instrument in vars(made).values():
        REGISTRY.register(instrument)
    return made


def ensure_folder() -> None:
    """Make the workers' shared folder anew when it has gone (a cleaner of old files does
    that to long-running servers): without it no worker could count, nor /metrics read."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder and not os.path.isdir(folder):
        os.makedirs(folder, mode=0o700, exist_ok=True)
        log.warning("the metrics folder %s had gone (removed by a cleaner of old files?): made it anew; "
                    "counts from before are lost", folder)


def count_storage_error(storage: str) -> None:
    try:
        instruments().storage_errors.labels(storage).inc()
    except Exception:  # whatever prometheus-client raises, the caller's answer stands
        sample_dropped()


def sample_dropped() -> None:
    """Metrics never fail a request: a sample that could not be written is dropped, and
    said once per process (with why) rather than on every request."""
    global _said_dropped
    if not _said_dropped:
        _said_dropped = True
        log.exception("a metrics sample could not be written: dropped (further ones silently)")
