"""``GET /metrics`` in Prometheus' text format, by prometheus-client.

The counters are the process's (every app built in it adds to them). Under ``codeqr serve``
the workers share them through prometheus-client's multiprocess folder, so any worker's
answer covers all; jobs are counted in the database at each scrape, so any server's answer
covers the whole instance.
"""

import logging
import os
import threading
from types import SimpleNamespace

from apiflask import APIBlueprint
from flask import Response, abort, current_app, request
from sqlalchemy import func, select

from .extensions import db
from .jobs.statuses import JobStatus
from .local_requests import trusted_with_details
from .outages import UNAVAILABLE

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


bp = APIBlueprint("metrics", __name__, enable_openapi=False)  # not part of the API spec


@bp.get("/metrics")
def metrics():
    token = current_app.config["CODEQR_METRICS_TOKEN"]
    if not trusted_with_details(request, token):
        if token:
            _refuse(401, "send the metrics token: Authorization: Bearer <CODEQR_METRICS_TOKEN>",
                    {"WWW-Authenticate": 'Bearer realm="metrics"'})
        _refuse(403, "metrics are read from this machine, or with CODEQR_METRICS_TOKEN set")
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    jobs = CollectorRegistry()
    jobs.register(_JobsCollector())
    try:
        process = generate_latest(_process_registry())
    except OSError as error:  # the shared folder cannot be made or read
        log.error("metrics cannot be read: %s", error)
        _refuse(503, "metrics cannot be read now; the server's log says why", {"Retry-After": "5"})
    body = process + generate_latest(jobs)
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def _refuse(status: int, text: str, headers: dict | None = None) -> None:
    """Refuse in plain text, as a scraper reads it (not the HTML error page)."""
    abort(Response(text + "\n", status, headers, content_type="text/plain; charset=utf-8"))


def _process_registry():
    """Every worker's counters under ``codeqr serve``; this process's otherwise."""
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

    try:
        instruments()  # a process that counted nothing yet still shows its (zero) counters
    except Exception:  # the other workers' counts are still worth answering
        sample_dropped()
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    ensure_folder()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


class _JobsCollector:
    """Jobs by kind and status, and whether the database answered, read at each scrape."""

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        from .models import ExportJob, ImportJob  # the models need the app's pieces

        jobs = GaugeMetricFamily("codeqr_jobs", "Jobs in the database, by kind and status", labels=["kind", "status"])
        up = GaugeMetricFamily("codeqr_database_up", "Whether the database answered this scrape")
        try:
            for kind, model in (("import", ImportJob), ("export", ExportJob)):
                counts = dict(db.session.execute(select(model.status, func.count()).group_by(model.status)).all())
                for status in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED):
                    jobs.add_metric([kind, status], counts.get(status, 0))
        except UNAVAILABLE:
            up.add_metric([], 0)
            yield up
            return
        finally:
            db.session.remove()
        up.add_metric([], 1)
        yield jobs
        yield up
