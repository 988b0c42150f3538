"""Redirect latency during a sign-in flood: can password hashing starve the short links?

CodeQR runs under gunicorn (2 sync workers, SQLite in a temp folder). One client
follows a short link over and over (its p50 and p95 are the figures), first alone, then
while 8 threads send 2,000 sign-ins with wrong passwords, each with a valid session and
CSRF token (what an attacker scripting the form sends). The flood's answers tell how many
attempts reached the password check (200: the form again) and how many the rate limits
refused before it (429). Each setting runs in the same run, in turn:

- ``off``: ``CODEQR_RATE_LIMIT_ENABLED=false`` (the state the attack run found),
- ``memory``: the default limits, counted in each worker,
- ``redis``: the default limits, counted in Redis for both workers.

    .venv/bin/python benchmarks/login_flood.py [--redis redis://127.0.0.1:6379/0]
    .venv/bin/python benchmarks/login_flood.py --quick   # a smoke run, 8 sign-ins each: no results
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

sys.path.insert(0, os.path.dirname(__file__))
import smoke
from redirect import GUNICORN, free_port, wait_ready

DOMAIN = "localhost"
FLOOD_THREADS = 8


def seed(instance: str) -> str:
    """An account and one QR Code in a new instance; return the QR Code's key."""
    os.environ.update(CODEQR_INSTANCE_PATH=instance, CODEQR_DEFAULT_DOMAIN=DOMAIN,
                      CODEQR_ANALYTICS_WORKER="false")
    from codeqr import create_app
    from codeqr.accounts import users
    from codeqr.context import for_operator
    from codeqr.domain import writes
    from codeqr.domain.schemas import QRCodeCreate

    app = create_app()
    with app.app_context():
        users.create("owner@example.com", "the right password", role="admin", ctx=for_operator())
        return writes.create(QRCodeCreate(url="https://example.com/"), ctx=for_operator()).key


def redirect_latencies(port: int, key: str, stop: threading.Event, until: int | None = None) -> list[float]:
    """Follow the short link until ``stop`` (or ``until`` times); return each latency in ms."""
    session, times = requests.Session(), []
    while not stop.is_set() and (until is None or len(times) < until):
        start = time.perf_counter()
        response = session.get(f"http://127.0.0.1:{port}/{key}", headers={"Host": DOMAIN}, allow_redirects=False)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 302, response.status_code
    return times


def flood(port: int, attempts: int) -> dict[int, int]:
    """``attempts`` wrong sign-ins from 8 threads, each with its own session and CSRF token."""
    local = threading.local()
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def attempt(number: int) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            page = local.session.get(f"http://127.0.0.1:{port}/login", headers={"Host": DOMAIN}).text
            local.token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = local.session.post(
            f"http://127.0.0.1:{port}/login", headers={"Host": DOMAIN}, allow_redirects=False,
            data={"csrf_token": local.token, "email": f"user{number % 50}@example.com", "password": "guess"})
        with lock:
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    with ThreadPoolExecutor(FLOOD_THREADS) as pool:
        list(pool.map(attempt, range(attempts)))
    return statuses


def percentiles(times: list[float]) -> str:
    cuts = statistics.quantiles(times, n=100)
    return f"p50 {statistics.median(times):.1f} ms, p95 {cuts[94]:.1f} ms ({len(times)} redirects)"


def run(setting: str, redis_url: str, attempts: int, alone_count: int) -> None:
    with tempfile.TemporaryDirectory() as instance:
        key = seed(instance)
        env = os.environ | {"CODEQR_INSTANCE_PATH": instance, "CODEQR_DEFAULT_DOMAIN": DOMAIN,
                            "CODEQR_RATE_LIMIT_ENABLED": str(setting != "off").lower()}
        if setting == "redis":
            env["CODEQR_RATE_LIMIT_STORAGE_URL"] = redis_url
        port = free_port()
        server = subprocess.Popen([*GUNICORN, "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                                   "bench_apps:codeqr()"], env=env)
        try:
            wait_ready(port, server)
            alone = redirect_latencies(port, key, threading.Event(), until=alone_count)
            stop = threading.Event()
            with ThreadPoolExecutor(1) as pool:
                during = pool.submit(redirect_latencies, port, key, stop)
                started = time.monotonic()
                statuses = flood(port, attempts)
                seconds = time.monotonic() - started
                stop.set()
                during = during.result()
        finally:
            server.terminate()
            server.wait()
    checked = statuses.get(200, 0)
    print(f"{setting:>6}: alone {percentiles(alone)}; during the flood {percentiles(during)}; "
          f"flood {attempts} in {seconds:.1f} s: {checked} reached the password check, "
          f"{statuses.get(429, 0)} refused with 429, other {sorted(set(statuses) - {200, 429})}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--settings", default="off,memory,redis")
    smoke.add_option(parser)
    args = parser.parse_args()
    attempts, alone_count = (8, 20) if args.quick else (2000, 1000)
    smoke.announce(args.quick)
    for setting in args.settings.split(","):
        run(setting, args.redis, attempts, alone_count)


if __name__ == "__main__":
    main()
