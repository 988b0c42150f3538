"""In one process, the redirect's cost with and without the request log middleware
(request id, JSON log line, Prometheus counters), in turn.

Each round builds a fresh SQLite instance, follows one short link 300 times to warm up,
then 3,000 times through Flask's test client, and prints microseconds per redirect. "off"
is the same app with the middleware and its teardown hook taken out; "on" logs each line
to a file handler, as ``codeqr serve`` does to standard output.

    .venv/bin/python benchmarks/request_log.py
"""

import logging
import os
import tempfile
import time

from codeqr import create_app, qrcodes
from codeqr.requestlog import _note_route
from codeqr.schemas import QRCodeCreate


def per_redirect(logged: bool, count: int = 3000) -> float:
    app = create_app({"INSTANCE_PATH": tempfile.mkdtemp(), "CODEQR_DEFAULT_DOMAIN": "localhost",
                      "CODEQR_ANALYTICS": "off", "CODEQR_ANALYTICS_WORKER": False})
    if not logged:
        app.wsgi_app = app.wsgi_app.wsgi_app  # the middleware's inner app
        app.teardown_request_funcs[None].remove(_note_route)
    with app.app_context():
        key = qrcodes.create(QRCodeCreate(url="https://example.com/")).key
    client = app.test_client()
    for _ in range(300):
        client.get("/" + key)
    start = time.perf_counter()
    for _ in range(count):
        client.get("/" + key)
    return (time.perf_counter() - start) / count * 1e6


if __name__ == "__main__":
    requests = logging.getLogger("codeqr.requests")
    requests.addHandler(logging.FileHandler(os.devnull))
    requests.setLevel(logging.INFO)
    requests.propagate = False
    for logged in (False, True) * 3:
        print(f"request log {'on ' if logged else 'off'}: {per_redirect(logged):.0f} µs per redirect", flush=True)
