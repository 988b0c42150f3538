"""In one process, the redirect's cost without and with the security headers, in turn.

Each round builds a fresh SQLite instance, follows one short link 300 times to warm up,
then 3,000 times through Flask's test client; it prints microseconds per redirect and the
ratio of the two. "Without" removes the one hook ``security_headers.install`` adds.

    .venv/bin/python benchmarks/security_headers.py
    .venv/bin/python benchmarks/security_headers.py --quick   # a smoke run, one round of 50: no results
"""

import statistics
import tempfile
import time

import smoke
from codeqr import create_app
from codeqr.context import for_operator
from codeqr.domain import writes
from codeqr.domain.schemas import QRCodeCreate


def per_redirect(headers: bool, count: int, warmup: int) -> float:
    app = create_app({"INSTANCE_PATH": tempfile.mkdtemp(), "CODEQR_DEFAULT_DOMAIN": "localhost",
                      "CODEQR_ANALYTICS": "off", "CODEQR_ANALYTICS_WORKER": False, "CODEQR_REQUEST_LOG": False})
    if not headers:
        hooks = app.after_request_funcs[None]
        hooks[:] = [hook for hook in hooks if hook.__name__ != "add_security_headers"]
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
    turns, count, warmup = smoke.sizes(__doc__, quick=(1, 50, 10), full=(5, 3000, 300))
    rounds: dict[bool, list[float]] = {False: [], True: []}
    for headers in (False, True) * turns:  # in turn: a busy machine slows both alike
        rounds[headers].append(per_redirect(headers, count, warmup))
        print(f"security headers {'on ' if headers else 'off'}: {rounds[headers][-1]:.0f} µs per redirect", flush=True)
    print(f"on/off (medians): {statistics.median(rounds[True]) / statistics.median(rounds[False]):.3f}")


if __name__ == "__main__":
    main()
