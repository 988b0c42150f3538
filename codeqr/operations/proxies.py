"""Trusting the reverse proxies in front (``CODEQR_PROXY_FIX``): Werkzeug's ``ProxyFix``,
and a warning when requests arrive without the headers those proxies would add.

The setting must match what is in front: a request that reaches CodeQR past its proxies
can send its own ``X-Forwarded-For``, which is then believed, so the client chooses the
address that sign-in limits and analytics see. Such a request usually shows itself by
not having the header at all (a browser or probe going straight to the server): the first
one is logged, once per process.
"""

import logging

from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)


class TrustedProxies:
    """WSGI middleware: ``ProxyFix`` for ``hops`` proxies, checking the first requests for
    the ``X-Forwarded-For`` entries they add."""

    def __init__(self, wsgi_app, hops: int):
        self.hops, self.warned = hops, False
        self.fixed = ProxyFix(wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    def __call__(self, environ, start_response):
        if not self.warned:
            self._check(environ)
        return self.fixed(environ, start_response)

    def _check(self, environ) -> None:
        entries = [entry for entry in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
        if len(entries) < self.hops:
            self.warned = True
            log.warning(
                "CODEQR_PROXY_FIX=%d, but a request (%s %s from %s) came with %d X-Forwarded-For "
                "entries: it did not pass through %d proxies. A client that reaches CodeQR past its proxies "
                "chooses the address that sign-in limits see; make CodeQR reachable only through them, and "
                "set CODEQR_PROXY_FIX to the number of proxies in front (0 for none). Said once per process.",
                self.hops, environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), environ.get("REMOTE_ADDR"),
                len(entries), self.hops)
