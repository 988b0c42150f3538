"""``codeqr serve`` with its defaults against gunicorn with the 2 sync workers the other
benchmarks use, each as a ratio to the same constant Flask 302 route (2 sync workers).

Four servers on one seeded instance (analytics ``full``, the default), driven in turn
by the same wrk command round by round, as in redirect.py (whose helpers this uses):

- ``reference``: ``gunicorn -w 2 -k sync 'bench_apps:reference()'``;
- ``sync-2``: ``gunicorn -w 2 -k sync 'bench_apps:codeqr()'``, what redirect.py measures;
- ``sync-5-served``: ``gunicorn -w 5 -k sync 'bench_apps:served()'``, what ``codeqr serve``
  ran before (two workers per core plus one, sync; request lines on stdout, job thread);
  ``sync-2-served`` and ``sync-5`` (with ``--servers``) tell the worker count from the rest;
- ``serve``: the ``codeqr serve`` command itself, with its defaults.

After each run the scans the servers' enrichment threads left waiting are enriched and
that time is counted in the run's throughput (redirect.py's ``drain``). Prints req/s,
the ratio to the reference, CPU time per request and wrk's p50/p99 latency.

    .venv/bin/python benchmarks/bench_serve.py                 # SQLite (WAL) in a temp folder
    .venv/bin/python benchmarks/bench_serve.py --db postgres   # a fresh database, dropped after
    .venv/bin/python benchmarks/bench_serve.py --quick         # a smoke run (reference and serve): no results
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import smoke
from redirect import DOMAIN, GUNICORN, HERE, drain, free_port, postgres, seed, wait_ready, wrk

CODEQR = str(Path(sys.executable).with_name("codeqr"))
SERVERS = "reference,sync-2,sync-5-served,serve"
QUICK_SERVERS = "reference,serve"  # what --quick runs unless --servers says otherwise


def commands(port: int) -> dict:
    bind = ["-b", f"127.0.0.1:{port}"]
    sync5 = [arg if arg != "2" else "5" for arg in GUNICORN]
    return {
        "reference": GUNICORN + bind + ["bench_apps:reference()"],
        "sync-2": GUNICORN + bind + ["bench_apps:codeqr()"],
        "sync-2-served": GUNICORN + bind + ["bench_apps:served()"],
        "sync-5": sync5 + bind + ["bench_apps:codeqr()"],
        "sync-5-served": sync5 + bind + ["bench_apps:served()"],
        "serve": [CODEQR, "serve", "--port", str(port)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--servers", default=SERVERS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--close", action="store_true",
                        help="a new connection for every request (as a phone's scan), not kept alive")
    smoke.add_option(parser)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian/Ubuntu: apt-get install -y wrk); nothing measured")
    codes, warmup = 1000, 2  # QR Codes seeded, seconds of wrk before the rounds
    if args.quick:
        codes, warmup, args.rounds, args.seconds = 20, 1, 1, 1
        args.servers = QUICK_SERVERS if args.servers == SERVERS else args.servers
    smoke.announce(args.quick)

    db_name = f"codeqr_bench_serve_{os.getpid()}"
    if args.db == "postgres":  # before the try: its finally drops only a database that exists
        postgres(args.postgres_url, f'CREATE DATABASE "{db_name}"')
    instance = Path(tempfile.mkdtemp(prefix="codeqr-bench-serve-"))
    os.environ |= {"CODEQR_INSTANCE_PATH": str(instance), "CODEQR_DEFAULT_DOMAIN": DOMAIN,
                   "CODEQR_DATABASE_URL": (f"{args.postgres_url.rsplit('/', 1)[0]}/{db_name}"
                                           if args.db == "postgres" else f"sqlite:///{instance / 'codeqr.db'}")}
    servers, drainer = [], None
    try:
        _app, made = seed({"plain": codes})
        keys = list(made["plain"])
        keys_file = instance / "keys.txt"
        keys_file.write_text("\n".join(keys) + "\n")
        log = (instance / "servers.log").open("w")
        endpoints = {}
        for name in args.servers.split(","):
            port = free_port()
            servers.append(subprocess.Popen(commands(port)[name], stdout=log, stderr=subprocess.STDOUT, cwd=HERE))
            wait_ready(port, servers[-1])
            endpoints[name] = (servers[-1], port, db_name if args.db == "postgres" and name != "reference" else None)
        close = " (Connection: close)" if args.close else ""
        print(f"database: {args.db}; {codes} QR Codes; analytics full; wrk -t1 -c{args.connections}{close} "
              f"-d{args.seconds}s, {args.rounds} rounds; {os.cpu_count()} CPUs", flush=True)

        from codeqr import create_app
        from codeqr.persistence.extensions import db

        drainer = create_app()
        runs: dict = {name: [] for name in endpoints}
        for name in runs:  # warm-up
            wrk(*endpoints[name], warmup, args.connections, keys_file, args.close)
            drain(drainer)
        for number in range(1, args.rounds + 1):
            for name in runs:
                run = wrk(*endpoints[name], args.seconds, args.connections, keys_file, args.close)
                run["drain"] = drain(drainer) if name != "reference" else 0.0
                run["rps"] = run["requests"] / (run["duration_us"] / 1e6 + run["drain"])
                runs[name].append(run)
            reference = runs["reference"][-1]["rps"]
            print(f"round {number}: " + "   ".join(
                f"{name} {r[-1]['rps']:.0f} ({r[-1]['rps'] / reference:.3f}, p99 {r[-1]['p99_us'] / 1000:.0f} ms, "
                f"{r[-1]['foreign']:.0%} other)" for name, r in runs.items()), flush=True)
        for name, name_runs in runs.items():
            ratios = [run["rps"] / ref["rps"] for run, ref in zip(name_runs, runs["reference"])]
            print(f"{name}: median {statistics.median(r['rps'] for r in name_runs):.0f} req/s, ratio "
                  f"{statistics.median(ratios):.3f}, CPU {statistics.median(r['cpu_us'] for r in name_runs):.0f} "
                  f"µs/request, p50 {statistics.median(r['p50_us'] for r in name_runs) / 1000:.1f} ms, "
                  f"p99 {statistics.median(r['p99_us'] for r in name_runs) / 1000:.0f} ms, other processes "
                  f"{statistics.median(r['foreign'] for r in name_runs):.0%}")
        with drainer.app_context():
            db.engine.dispose()
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=60)
        if args.db == "postgres":
            postgres(args.postgres_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
