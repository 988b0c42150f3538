"""One JSON line per request on the ``codeqr.requests`` logger, with the request id also
sent back in ``X-Request-ID``; and the request counted in the metrics."""

import logging
import re
import secrets
import time
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii

from flask import request

from .instruments import instruments, sample_dropped

log = logging.getLogger("codeqr.requests")

#: A request id a proxy sent is kept when it looks like one (and cannot forge a log line).
_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: Methods counted by name; any other is "other" (a client chooses the method: the
#: metrics must not grow a series per invented one).
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_REDIRECT = "public.redirect"
_quote = encode_basestring_ascii


def install(app, log_lines: bool) -> None:
    """Wrap ``app``'s WSGI app (call it before ``ProxyFix`` wraps it, so the client is seen)."""
    app.teardown_request(_note_route)
    app.wsgi_app = RequestLog(app.wsgi_app, log_lines)


def _note_route(_error=None) -> None:
    # Flask lets go of the request before the answer reaches the middleware: keep its route.
    request.environ["codeqr.rule"] = request.url_rule


def _text(wsgi: str) -> str:
    """A WSGI string (bytes as latin-1) as the text the client sent (UTF-8)."""
    return wsgi if wsgi.isascii() else wsgi.encode("latin-1").decode("utf-8", "replace")


class RequestLog:
    """WSGI middleware around the Flask app: the request id, the log line, the counters."""

    def __init__(self, wsgi_app, log_lines: bool = True):
        self.wsgi_app, self.log_lines = wsgi_app, log_lines

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        sent_id = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = sent_id if _GOOD_ID.fullmatch(sent_id) else secrets.token_hex(16)
        environ["codeqr.request_id"] = request_id
        answered = []

        def start(status, headers, exc_info=None):
            answered.append(status)
            headers.append(("X-Request-ID", request_id))
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, start)
        finally:
            self._record(environ, int(answered[-1][:3]) if answered else 500, time.perf_counter() - started)

    def _record(self, environ, status: int, seconds: float) -> None:
        rule = environ.get("codeqr.rule")
        route = rule.rule if rule is not None else "unmatched"
        method = environ.get("REQUEST_METHOD", "")
        try:
            counters = instruments()
            counters.requests.labels(route, method if method in _METHODS else "other", str(status)).inc()
            if rule is not None and rule.endpoint == _REDIRECT:
                counters.redirect_seconds.observe(seconds)
                if status == 302 and method == "GET":
                    counters.scans.inc()
        except Exception:  # the answer is given already: a metric never turns it into a 500
            sample_dropped()
        if self.log_lines and log.isEnabledFor(logging.INFO):
            now = datetime.now(UTC).isoformat(timespec="milliseconds")[:-6]
            # Written out rather than json.dumps'd (a third of the cost); every string is
            # JSON-quoted, so a hostile path or host cannot break the line or forge a field.
            host, path = _text(environ.get("HTTP_HOST", "")), _text(environ.get("PATH_INFO", ""))
            line = (f'{{"time": "{now}Z", "requestId": {_quote(environ["codeqr.request_id"])}, '
                    f'"remote": {_quote(environ.get("REMOTE_ADDR") or "")}, "method": {_quote(method)}, '
                    f'"host": {_quote(host)}, "path": {_quote(path)}, "route": {_quote(route)}, '
                    f'"status": {status}, "ms": {seconds * 1000:.2f}}}')
            # A record made directly: log.info() would first walk the stack for the caller's
            # file and line, which nobody reads here.
            log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, line, (), None))
