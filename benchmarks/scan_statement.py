"""The redirect's statement alone: time per scan of ``ScanCounter.scan``, counting only
(``CODEQR_ANALYTICS=off``) and counting with the scan stored in the inbox (the other
modes), called in one process, without HTTP, over N QR Codes. (PostgreSQL commits them without waiting for the WAL flush,
``CODEQR_SCAN_ASYNC_COMMIT``: one scan after another would otherwise time the disk.)

Blocks of each kind are taken in turn, so the ratio stored ÷ count-only is measured in
one run. To compare two versions of the code, run this same file against each
checkout (``--code PATH``) in one command: their blocks are interleaved too, each
version in its own process on its own fresh database.

    .venv/bin/python benchmarks/scan_statement.py                       # SQLite (WAL)
    .venv/bin/python benchmarks/scan_statement.py --db postgres
    .venv/bin/python benchmarks/scan_statement.py --code ../old-checkout --code .   # two versions, in turn
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import make_url

import smoke

DOMAIN = "qr.bench.example"


def serve_blocks(db: str, postgres_url: str, codes: int, block: int) -> None:
    """Child process: seed, then answer each line read ("count" or "store") with the µs per scan of one block."""
    with tempfile.TemporaryDirectory(prefix="codeqr-scan-statement-") as folder:
        _serve_blocks(Path(folder), db, postgres_url, codes, block)


def _serve_blocks(instance: Path, db: str, postgres_url: str, codes: int, block: int) -> None:
    from codeqr import create_app
    from codeqr.scans.counter import VISIT_COLUMNS  # what this version's scans carry

    url = postgres_url if db == "postgres" else f"sqlite:///{instance / 'codeqr.db'}"
    app = create_app({"INSTANCE_PATH": str(instance), "CODEQR_DATABASE_URL": url, "CODEQR_DEFAULT_DOMAIN": DOMAIN,
                      "CODEQR_ANALYTICS_WORKER": False, "CODEQR_JOB_WORKER": True,  # the bulk create's job
                      # PostgreSQL: no wait for the WAL flush, or one scan after another measures the disk
                      "CODEQR_SCAN_ASYNC_COMMIT": True, "CODEQR_BULK_WAIT_SECONDS": 600})  # a busy machine
    # Seeded through the command line and the API, which every version compared has.
    secret = app.test_cli_runner().invoke(args=["create-api-key", "bench"]).output.split()[-1]
    client = app.test_client()
    keys = []
    for start in range(0, codes, 100):
        items = [{"url": f"https://shop.example/p/{index}", "key": f"bench{index:06d}"}
                 for index in range(start, min(start + 100, codes))]
        made = client.post("/api/qrcodes/bulk", json=items, headers={"Authorization": f"Bearer {secret}"})
        assert made.status_code == 200, made.get_data(as_text=True)
        keys += [item["key"] for item in items]
    app.extensions["codeqr"].jobs.stop()  # seeded: no runner beside the measured scans
    counter = app.extensions["codeqr"].scan_counter
    rng = random.Random(5)
    visit = dict.fromkeys(VISIT_COLUMNS) | {
        "timestamp": datetime.now(UTC), "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)",
        "language": "en", "country": "FR", "visitor": "0" * 32}
    import codeqr

    print("ready", Path(codeqr.__file__).resolve().parent.parent, flush=True)  # which code answers
    for line in sys.stdin:
        stored = line.strip() == "store"
        started = time.perf_counter()
        for _ in range(block):
            assert counter.scan(DOMAIN, rng.choice(keys), visit if stored else None) is not None
        print(f"{(time.perf_counter() - started) / block * 1e6:.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--code", action="append", help="a checkout of CodeQR to measure (repeatable; default: this one)")
    parser.add_argument("--codes", type=int, default=1000, help="QR Codes seeded (random keys scanned)")
    parser.add_argument("--block", type=int, default=2000, help="scans per block")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the child process
    smoke.add_option(parser)
    args = parser.parse_args()
    if args.serve:
        return serve_blocks(args.db, args.postgres_url, args.codes, args.block)
    if args.quick:
        args.codes, args.block, args.rounds = 20, 50, 1
    smoke.announce(args.quick)

    checkouts = [Path(code).resolve() for code in args.code or [Path(__file__).resolve().parent.parent]]
    children, databases = [], []
    try:
        for number, checkout in enumerate(checkouts):
            database = args.postgres_url
            if args.db == "postgres":
                import psycopg

                name = f"codeqr_scan_statement_{os.getpid()}_{number}"
                with psycopg.connect(args.postgres_url, autocommit=True) as connection:
                    connection.execute(f'CREATE DATABASE "{name}"')
                databases.append(name)
                database = make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
            command = [sys.executable, str(Path(__file__).resolve()), "--serve", "--db", args.db,
                       "--postgres-url", database, "--codes", str(args.codes), "--block", str(args.block)]
            # Each checkout's own code: its folder first on the path (it need not be installed).
            env = {**os.environ, "PYTHONPATH": str(checkout)}
            child = subprocess.Popen(command, cwd=checkout, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
            children.append(child)
            assert child.stdout is not None
            ready = child.stdout.readline().split()
            assert ready == ["ready", str(checkout)], f"{checkout} did not start with its own code: {ready}"
        times: dict[tuple[int, str], list[float]] = {}
        for _ in range(args.rounds):
            for kind in ("count", "store"):
                for number, child in enumerate(children):
                    assert child.stdin is not None and child.stdout is not None
                    child.stdin.write(kind + "\n")
                    child.stdin.flush()
                    times.setdefault((number, kind), []).append(float(child.stdout.readline()))
    finally:
        for child in children:
            if child.stdin:
                child.stdin.close()
            child.wait()
        for name in databases:
            import psycopg

            with psycopg.connect(args.postgres_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"{args.db}; {args.codes} QR Codes; {args.rounds} rounds of {args.block} scans of each kind, in turn")
    medians = {key: statistics.median(values) for key, values in times.items()}
    for number, checkout in enumerate(checkouts):
        count, store = medians[(number, "count")], medians[(number, "store")]
        print(f"{checkout.name}: count only {count:7.1f} µs a scan, count + inbox {store:7.1f} µs; "
              f"stored ÷ count-only time {store / count:.3f}")
    if len(checkouts) == 2:
        for kind in ("count", "store"):
            print(f"{kind}: {checkouts[1].name} ÷ {checkouts[0].name} time {medians[(1, kind)] / medians[(0, kind)]:.3f}")
    print(json.dumps({f"{checkouts[number].name}:{kind}": value for (number, kind), value in medians.items()}))


if __name__ == "__main__":
    sys.exit(main())
