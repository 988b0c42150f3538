"""``GET /metrics`` in Prometheus' text format, by prometheus-client.

The counters are the process's (every app built in it adds to them). Under ``codeqr serve``
the workers share them through prometheus-client's multiprocess folder, so any worker's
answer covers all; jobs are counted in the database at each scrape, so any server's answer
covers the whole instance.
"""

import hmac
import os
import threading
from types import SimpleNamespace

from apiflask import APIBlueprint
from flask import Response, abort, current_app, request
from sqlalchemy import func, select

from .extensions import db
from .local_requests import from_this_machine
from .outages import UNAVAILABLE

# prometheus-client is imported on first use, not with this module: it chooses between one
# process's counters and the workers' shared folder when first imported, and ``codeqr
# serve`` names that folder only once it runs (after the ``codeqr`` command imported us).


_instruments: SimpleNamespace | None = None
_made = threading.Lock()


def instruments() -> SimpleNamespace:
    """This process's counters, made once (under a lock: two threads' first requests would
    both register them, which prometheus-client refuses)."""
    global _instruments
    if _instruments is None:
        with _made:
            if _instruments is None:
                _instruments = _make_instruments()
    return _instruments


def _make_instruments() -> SimpleNamespace:
    from prometheus_client import Counter, Histogram

    return SimpleNamespace(
        requests=Counter("codeqr_http_requests", "HTTP requests answered, by route, method and status",
                         ["route", "method", "status"]),
        redirect_seconds=Histogram("codeqr_redirect_seconds", "Time to answer a short link, in seconds",
                                   buckets=(.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5)),
        scans=Counter("codeqr_scans", "Scans counted: short links answered with their redirect"),
        storage_errors=Counter("codeqr_storage_errors", "Calls to the image storage that failed", ["storage"]),
    )


bp = APIBlueprint("metrics", __name__, enable_openapi=False)  # not part of the API spec


@bp.get("/metrics")
def metrics():
    token = current_app.config["CODEQR_METRICS_TOKEN"]
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").encode()
        if not hmac.compare_digest(sent, token.encode()):
            abort(401, "send the metrics token: Authorization: Bearer <CODEQR_METRICS_TOKEN>")
    elif not from_this_machine(request):
        abort(403, "metrics are read from this machine, or with CODEQR_METRICS_TOKEN set")
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    jobs = CollectorRegistry()
    jobs.register(_JobsCollector())
    body = generate_latest(_process_registry()) + generate_latest(jobs)
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def _process_registry():
    """Every worker's counters under ``codeqr serve``; this process's otherwise."""
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

    instruments()  # a process that counted nothing yet still shows its (zero) counters
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
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
                for status in ("queued", "running", "failed"):
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
