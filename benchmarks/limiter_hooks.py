"""In one process, the redirect's cost with rate limits off and on, in turn.

Each round builds a fresh SQLite instance, follows one short link 300 times to warm
up, then 3,000 times through Flask's test client; it prints microseconds per redirect.
With limits on, Flask-Limiter's request hooks must not reach the short links.

    .venv/bin/python benchmarks/limiter_hooks.py
    .venv/bin/python benchmarks/limiter_hooks.py --quick   # a smoke run, one round of 50: no results
"""

import tempfile
import time

import smoke
from codeqr import create_app
from codeqr.context import for_operator
from codeqr.domain import writes
from codeqr.domain.schemas import QRCodeCreate


def per_redirect(limits: bool, count: int, warmup: int) -> float:
    app = create_app({"INSTANCE_PATH": tempfile.mkdtemp(), "CODEQR_DEFAULT_DOMAIN": "localhost",
                      "CODEQR_ANALYTICS": "off", "CODEQR_ANALYTICS_WORKER": False,
                      "CODEQR_RATE_LIMIT_ENABLED": limits})
    with app.app_context():
        key = writes.create(QRCodeCreate(url="https://example.com/"), ctx=for_operator()).key
    client = app.test_client()
    for _ in range(warmup):
        client.get("/" + key)
    start = time.perf_counter()
    for _ in range(count):
        client.get("/" + key)
    return (time.perf_counter() - start) / count * 1e6


def main() -> None:
    rounds, count, warmup = smoke.sizes(__doc__, quick=(1, 50, 10), full=(3, 3000, 300))
    for limits in (False, True) * rounds:
        print(f"rate limits {'on ' if limits else 'off'}: {per_redirect(limits, count, warmup):.0f} µs per redirect",
              flush=True)


if __name__ == "__main__":
    main()
