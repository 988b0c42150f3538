"""Health checks for load balancers and orchestrators: ``/healthz`` (the process answers;
no I/O) and ``/readyz`` (database and storage reachable, schema current; 503 with the
reason otherwise). Neither counts as a scan nor is rate limited; both are reserved keys.

The reason names hosts, ports and files only to those who run the instance: a request from
this machine, or one with the metrics token (a monitoring system). Others hear what is
wrong, not where."""

from apiflask import APIBlueprint
from flask import current_app, jsonify, request

from ..errors import CodeQRError
from ..persistence.database import missing_revisions, schema_heads
from ..persistence.database_errors import describe, without_where
from ..persistence.extensions import db
from ..state import app_state
from .local_requests import trusted_with_details
from .outages import UNAVAILABLE, first_line

bp = APIBlueprint("health", __name__, enable_openapi=False)  # not part of the API spec
#: A name no image has (images are named by hashes): asking for it reaches the storage.
_PROBE = "readyz-probe"


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    trusted = trusted_with_details(request, current_app.config["CODEQR_METRICS_TOKEN"])
    checks = {"database": _database(trusted), "storage": _storage(trusted)}
    ready = all(result == "ok" for result in checks.values())
    response = jsonify(status="ok" if ready else "unavailable", checks=checks)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ready else 503


def _heads() -> set[str]:
    """What the loaded code needs, read from the migration scripts once per app."""
    extensions = current_app.extensions
    if "codeqr_schema_heads" not in extensions:
        extensions["codeqr_schema_heads"] = frozenset(schema_heads())
    return set(extensions["codeqr_schema_heads"])


def _database(trusted: bool) -> str:
    database = app_state().database
    if not database.ready:
        reason = database.reason
    else:
        try:
            missing = missing_revisions(_heads())
        except UNAVAILABLE as error:
            reason = describe(first_line(error), current_app.config["SQLALCHEMY_DATABASE_URI"])
        else:
            return f"schema not current: revisions {', '.join(sorted(missing))} to apply" if missing else "ok"
        finally:
            db.session.remove()
    return f"unavailable: {reason if trusted else without_where(reason)}"


def _storage(trusted: bool) -> str:
    try:
        app_state().images.storage.exists(_PROBE)
    except CodeQRError as error:
        return f"unavailable: {error.message}" if trusted else "unavailable: the image storage cannot be reached"
    return "ok"
