"""In one process, the redirect's cost with rate limits off and on, in turn.

Each round builds a fresh SQLite instance, follows one short link 300 times to warm
up, then 3,000 times through Flask's test client; it prints microseconds per redirect.
With limits on, Flask-Limiter's request hooks must not reach the short links.

    .venv/bin/python benchmarks/limiter_hooks.py
"""

import tempfile
import time

from codeqr import create_app, qrcodes
from codeqr.schemas import QRCodeCreate
from codeqr.permissions import OPERATOR


def per_redirect(limits: bool, count: int = 3000) -> float:
    app = create_app({"INSTANCE_PATH": tempfile.mkdtemp(), "CODEQR_DEFAULT_DOMAIN": "localhost",
                      "CODEQR_ANALYTICS": "off", "CODEQR_ANALYTICS_WORKER": False,
                      "CODEQR_RATE_LIMIT_ENABLED": limits})
    with app.app_context():
        key = qrcodes.create(QRCodeCreate(url="https://example.com/"), actor=OPERATOR).key
    client = app.test_client()
    for _ in range(300):
        client.get("/" + key)
    start = time.perf_counter()
    for _ in range(count):
        client.get("/" + key)
    return (time.perf_counter() - start) / count * 1e6


if __name__ == "__main__":
    for limits in (False, True) * 3:
        print(f"rate limits {'on ' if limits else 'off'}: {per_redirect(limits):.0f} µs per redirect", flush=True)
