"""In one process, what the request log middleware (request id, Prometheus counters, the
JSON log line) costs each redirect.

One SQLite instance (analytics off: the redirect is one statement) and one short link,
followed by calling the WSGI app directly, in blocks of 1,000, turn by turn in three
ways: ``bare`` (the Flask app without the middleware), ``counters`` (the middleware with
its log line off, ``CODEQR_REQUEST_LOG=false``) and ``logged`` (each line written through
a stream handler to /dev/null, as ``codeqr serve`` writes it to standard output). Prints
the median microseconds per redirect of each over 15 blocks, and the differences.

    .venv/bin/python benchmarks/request_log.py
    .venv/bin/python benchmarks/request_log.py --quick   # a smoke run, one block of 20: no results
"""

import argparse
import io
import logging
import os
import statistics
import sys
import tempfile
import time

import smoke
from codeqr import create_app
from codeqr.context import for_operator
from codeqr.domain import writes
from codeqr.domain.schemas import QRCodeCreate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    smoke.add_option(parser)
    args = parser.parse_args()
    size, blocks = (20, 1) if args.quick else (1000, 15)  # redirects per block, blocks of each way
    smoke.announce(args.quick)
    requests = logging.getLogger("codeqr.requests")
    requests.addHandler(logging.StreamHandler(open(os.devnull, "w")))
    requests.setLevel(logging.INFO)
    requests.propagate = False
    app = create_app({"INSTANCE_PATH": tempfile.mkdtemp(), "CODEQR_DEFAULT_DOMAIN": "localhost",
                      "CODEQR_ANALYTICS": "off", "CODEQR_ANALYTICS_WORKER": False})
    with app.app_context():
        key = writes.create(QRCodeCreate(url="https://example.com/"), ctx=for_operator()).key
    middleware = app.wsgi_app
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": f"/{key}", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
               "HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
               "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr, "SERVER_PROTOCOL": "HTTP/1.1"}

    def start_response(status, headers, exc_info=None):
        assert status.startswith("302"), status

    def block(way: str) -> float:
        app.wsgi_app = middleware.wsgi_app if way == "bare" else middleware
        middleware.log_lines = way == "logged"
        start = time.perf_counter()
        for _ in range(size):
            for _ in app(dict(environ), start_response):
                pass
        return (time.perf_counter() - start) / size * 1e6

    ways = ("bare", "counters", "logged")
    for way in ways:  # warm up
        block(way)
    times = {way: [] for way in ways}
    for _ in range(blocks):
        for way in ways:
            times[way].append(block(way))
    medians = {way: statistics.median(values) for way, values in times.items()}
    for way in ways:
        print(f"{way:>8}: {medians[way]:.0f} µs per redirect (blocks {min(times[way]):.0f}–{max(times[way]):.0f})")
    print(f"counters and request id: +{medians['counters'] - medians['bare']:.0f} µs; "
          f"the log line: +{medians['logged'] - medians['counters']:.0f} µs")


if __name__ == "__main__":
    main()
