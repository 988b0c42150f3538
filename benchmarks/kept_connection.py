"""The cost, on the redirect's statement, of looking whether the server hung up on the
kept PostgreSQL connection (``outages.dropped``: a poll of its socket, no round trip).

In one process, on a fresh database with one QR Code: rounds of ``ScanCounter.scan``
with the look and without it (the function swapped for one answering "no"), in turn;
prints µs per scan of each and their ratio, and the look's own cost (100,000 looks at
the kept connection, timed alone). In-process, so other load on a shared machine moves
both sides alike; the scan's time is mostly PostgreSQL's commit, so the rounds' ratio is
noisy and the look's own time is the exact figure.

    .venv/bin/python benchmarks/kept_connection.py [--scans 3000] [--rounds 5]
    .venv/bin/python benchmarks/kept_connection.py --quick   # a smoke run, 50 scans: no results
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

import smoke


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--scans", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    smoke.add_option(parser)
    args = parser.parse_args()
    looks = 100_000  # the look timed alone
    if args.quick:
        args.scans, args.rounds, looks = 50, 1, 1000
    smoke.announce(args.quick)

    import psycopg

    from codeqr import create_app
    from codeqr.context import for_operator
    from codeqr.domain import writes
    from codeqr.domain.schemas import QRCodeCreate
    from codeqr.scans import counter
    from codeqr.state import app_state

    name = f"codeqr_kept_{os.getpid()}"
    with psycopg.connect(args.postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        app = create_app({"INSTANCE_PATH": tempfile.mkdtemp(prefix="codeqr-kept-"),
                          "CODEQR_DATABASE_URL": f"{args.postgres_url.rsplit('/', 1)[0]}/{name}",
                          "CODEQR_DEFAULT_DOMAIN": "qr.bench.example", "CODEQR_ANALYTICS_WORKER": False,
                          "CODEQR_JOB_WORKER": False})
        with app.app_context():
            qr = writes.create(QRCodeCreate.model_validate({"url": "https://example.com/"}), ctx=for_operator())
            scans = app_state().scan_counter
        looking = counter.dropped
        times: dict[str, list[float]] = {"with the look": [], "without": []}
        for _ in range(args.rounds):
            for label, check in (("with the look", looking), ("without", lambda _connection: False)):
                counter.dropped = check
                started = time.perf_counter()
                for _ in range(args.scans):
                    scans.scan(qr.domain, qr.key)
                times[label].append((time.perf_counter() - started) / args.scans * 1e6)
        counter.dropped = looking
        kept = scans._connection()
        started = time.perf_counter()
        for _ in range(looks):
            looking(kept)
        look = (time.perf_counter() - started) / looks * 1e6
        for label, values in times.items():
            print(f"{label:15s} µs per scan: median {statistics.median(values):7.1f}  rounds "
                  + " ".join(f"{value:.1f}" for value in values))
        ratio = statistics.median(times["without"]) / statistics.median(times["with the look"])
        print(f"throughput with the look / without: {ratio:.3f}")
        print(f"the look alone: {look:.2f} µs, {look / statistics.median(times['without']):.4%} of a scan")
        app.extensions["codeqr"].enrichment.stop()
        app.extensions["codeqr"].database.stop()
    finally:
        with psycopg.connect(args.postgres_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
