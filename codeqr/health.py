"""Health checks for load balancers and orchestrators: ``/healthz`` (the process answers;
no I/O) and ``/readyz`` (database and storage reachable, schema current; 503 with the
reason otherwise). Neither counts as a scan nor is rate limited; both are reserved keys."""

from apiflask import APIBlueprint
from flask import current_app, jsonify

from .database import missing_revisions, schema_heads
from .errors import CodeQRError
from .extensions import db
from .outages import UNAVAILABLE, first_line
from .state import app_state

bp = APIBlueprint("health", __name__, enable_openapi=False)  # not part of the API spec
#: A name no image has (images are named by hashes): asking for it reaches the storage.
_PROBE = "readyz-probe"


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    checks = {"database": _database(), "storage": _storage()}
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


def _database() -> str:
    if not app_state().database.ready:
        return "unavailable: CodeQR has not reached it since it started"
    try:
        missing = missing_revisions(_heads())
    except UNAVAILABLE as error:
        return f"unavailable: {first_line(error)}"
    finally:
        db.session.remove()
    return f"schema not current: revisions {', '.join(sorted(missing))} to apply" if missing else "ok"


def _storage() -> str:
    try:
        app_state().images.storage.exists(_PROBE)
    except CodeQRError as error:
        return f"unavailable: {error.message}"
    return "ok"
