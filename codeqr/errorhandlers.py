"""One error shape for the API, HTML pages for people."""

import logging

from apiflask import HTTPError
from flask import abort, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from .accounts.permissions import Actor
from .context import for_actor, for_visitor
from .domain.checks import every_problem
from .errors import CodeQRError, DatabaseUnavailable, InvalidInputs, code_for_status, listed, plain
from .operations.local_requests import from_this_machine
from .operations.outages import UNAVAILABLE, first_line

log = logging.getLogger(__name__)


def refuse_nul_bytes():
    """A ``before_request``: no database stores NUL in text (PostgreSQL refuses it), so
    requests with one in the address, the query or a submitted form stop early."""
    if "\x00" in request.path or _has_nul(request.args):
        abort(400, "NUL characters are not allowed in the URL")
    uploads = request.files.items(multi=True)
    if _has_nul(request.form) or any("\x00" in (upload.filename or "") for _, upload in uploads):
        abort(400, "NUL characters are not allowed in a form: remove them and send it again")


def _has_nul(values) -> bool:
    """Whether a name or a value of a ``MultiDict`` (every value of a repeated name) holds NUL."""
    return any("\x00" in name or "\x00" in value for name, value in values.items(multi=True))

#: What a client is told to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 5
IN_APP_NOT_FOUND = ("There is nothing at this address: the QR Code, job or page may have been deleted, "
                    "or the link is mistyped.")
#: Blueprints that answer while the database is away (they say so themselves).
_ALWAYS_ANSWERED = ("health", "metrics")
DATABASE_AWAY = "CodeQR cannot reach its database right now. Please try again in a moment."


def _wants_json() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def error_response(status: int, message: str, code: str | None = None, headers=None, errors: list | None = None):
    """The API's error answer; ``errors``: each field's problem, ``[{"field": …, "message": …}]``."""
    body = {"error": {"code": code or code_for_status(status), "message": message, **({"errors": errors} if errors else {})}}
    return jsonify(body), status, headers or {}


def _validation_message(detail: dict) -> str:
    """Flatten APIFlask's ``{location: {field: [messages]}}`` into one line (the first problems)."""
    parts = (f"{location if field == '_schema' else field}: {plain(message)}"
             for location, fields in (detail or {}).items() for field, messages in fields.items()
             for message in messages)
    return listed(parts) or "invalid input"


def _field_errors(detail: dict) -> list[dict]:
    """Each problem of APIFlask's ``{location: {field: [messages]}}`` (a field of none: null)."""
    return [{"field": None if field == "_schema" else field, "message": plain(message)}
            for fields in (detail or {}).values() for field, messages in fields.items() for message in messages]


#: The API's QR Code writes, by endpoint, and whether their body is partial (an update).
_QRCODE_WRITES = {"api.create": False, "api.upsert": False, "api.update": True}


def _every_problem_of_the_qrcode() -> list[CodeQRError]:
    """On a QR Code write the schema refused, every problem of its body: the schema's and
    those the service finds in the fields it let through (a taken key, colours too alike).
    These checks read the app's settings and the QR Codes the key's owner sees (``folders``)."""
    update = _QRCODE_WRITES.get(request.endpoint or "")
    if update is None:
        return []
    ref = (request.view_args or {}).get("ref") if update else None
    actor = g.get("flask_httpauth_user")  # the key's actor (``api.views.verify_token``), as ``auth.current_user`` reads it
    ctx = for_actor(actor) if isinstance(actor, Actor) else for_visitor()
    return every_problem(request.get_json(silent=True), ctx, editing=ref, update=update,
                         taken=request.endpoint != "api.upsert")


def register(app) -> None:
    @app.error_processor
    def api_error(error: HTTPError):
        if error.status_code == 422 and error.detail:
            problems = _every_problem_of_the_qrcode()
            if problems:
                refusal = InvalidInputs.of(problems)
                return error_response(422, refusal.message, errors=refusal.field_errors())
            return error_response(422, _validation_message(error.detail), errors=_field_errors(error.detail))
        return error_response(error.status_code, error.message or "error", headers=error.headers)

    @app.errorhandler(CodeQRError)
    def service_error(error: CodeQRError):
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if error.status == 503 else {}
        if _wants_json():
            return error_response(error.status, error.message, error.code, headers, errors=error.field_errors())
        return render_template("error.html", status=error.status, message=error.message), error.status, headers

    for unavailable in UNAVAILABLE:
        @app.errorhandler(unavailable)
        def database_error(error):
            log.warning("database unavailable on %s %s: %s", request.method, request.path, first_line(error))
            return service_error(DatabaseUnavailable(DATABASE_AWAY))

    @app.before_request
    def refuse_until_the_database_is_ready():
        if app.extensions["codeqr"].database.ready or request.blueprint in _ALWAYS_ANSWERED or request.endpoint == "static":
            return
        raise DatabaseUnavailable(DATABASE_AWAY)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.response is not None:  # an answer made for the occasion (a refused sign-in page)
            return error.response
        if _wants_json():
            headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
            return error_response(error.code or 500, error.description or error.name, headers=headers)
        if error.code == 404 and request.blueprint == "web":
            # Inside the app: its own page, with its navigation, not the one for people who scanned.
            return render_template("error.html", status=404, message=IN_APP_NOT_FOUND), 404
        if error.code == 404:
            # Whoever runs CodeQR is told where short links are served when they asked another
            # host; the public is not.
            state, host = app.extensions["codeqr"], request.host.lower()
            unserved = host not in state.hosts and state.served_domains.domain_of(host) is None
            served = app.config["CODEQR_DOMAINS"] if unserved and from_this_machine(request) else None
            return render_template("404.html", served=served, asked=request.host), 404
        return render_template("error.html", status=error.code, message=error.description), error.code

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unhandled error on %s %s (request %s)", request.method, request.path,
                      request.environ.get("codeqr.request_id"))
        if _wants_json():
            return error_response(500, "internal server error")
        return render_template("error.html", status=500, message="Something went wrong on our side."), 500
