"""Code run in separate processes by the concurrency tests (importable by spawn)."""

import threading
from concurrent.futures import ThreadPoolExecutor


def _app(config):
    from codeqr import create_app

    return create_app({"CODEQR_DESTINATION_CHECKS": False, **config})  # tests reach no site on the internet


def scan_many(config, key, count, barrier):
    """Scan ``key`` ``count`` times from 4 threads; return the status codes."""
    app = _app(config)
    barrier.wait()

    def one(_):
        return app.test_client().get(f"/{key}").status_code

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count)))


def scan_forever(config, key):
    """Scan ``key`` from 4 threads until killed."""
    app = _app(config)

    def loop():
        client = app.test_client()
        while True:
            client.get(f"/{key}")

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def upsert_each(config, secret, urls, barrier):
    """Upsert each url once, all processes in step; return the status codes."""
    app = _app(config)
    client = app.test_client()
    statuses = []
    for url in urls:
        barrier.wait()
        response = client.put("/api/qrcodes/upsert", json={"url": url, "title": "same"},
                              headers={"Authorization": f"Bearer {secret}"})
        statuses.append(response.status_code)
    return statuses


def api_gets(config, api_key, count, barrier):
    """Send ``count`` API requests with ``api_key`` from 4 threads; return the status codes."""
    app = _app(config)
    barrier.wait()

    def one(_):
        client = app.test_client()
        return client.get("/api/qrcodes/count", headers={"Authorization": f"Bearer {api_key}"}).status_code

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count)))


def run_jobs(config, stop_on_sigterm=False):
    """Run the job runner of a new app until killed; with ``stop_on_sigterm``, SIGTERM ends
    the process cleanly (atexit runs), as gunicorn ends a worker on a reload."""
    import signal
    import sys
    import time

    from codeqr.state import app_state

    app = _app(config)
    if stop_on_sigterm:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with app.app_context():
        app_state().jobs.wake()
    while True:
        time.sleep(0.1)
