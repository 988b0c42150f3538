"""``GET /metrics`` in Prometheus' text format, by prometheus-client.

The counters are the process's (every app built in it adds to them). Under ``codeqr serve``
the workers share them through prometheus-client's multiprocess folder, so any worker's
answer covers all; jobs are counted in the database at each scrape, so any server's answer
covers the whole instance.
"""

import logging
import os

from apiflask import APIBlueprint
from flask import Response, abort, current_app, request
from sqlalchemy import func, select

from ..jobs.statuses import JobStatus
from ..persistence.extensions import db
from .instruments import ensure_folder, instruments, sample_dropped
from .local_requests import trusted_with_details
from .outages import UNAVAILABLE

# prometheus-client is imported on first use, as in ``instruments`` (which says why).

log = logging.getLogger(__name__)

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

        from ..domain.models import BulkJob, ExportJob, ImportJob  # the models need the app's pieces

        jobs = GaugeMetricFamily("codeqr_jobs", "Jobs in the database, by kind and status", labels=["kind", "status"])
        up = GaugeMetricFamily("codeqr_database_up", "Whether the database answered this scrape")
        try:
            for kind, model in (("import", ImportJob), ("export", ExportJob), ("bulk", BulkJob)):
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
