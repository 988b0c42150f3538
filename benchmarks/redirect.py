"""Redirect throughput of CodeQR (counting scans) against a constant Flask 302 route.

The reference and CodeQR with each ``CODEQR_ANALYTICS`` mode asked for (default:
off, anonymous, full) run under the same gunicorn (2 sync workers, 127.0.0.1) and
are driven by the same wrk command, in turn round by round, so each ratio
mode/reference is measured in one run on one machine. The CodeQR servers share one
database. After each run the script itself enriches what the servers' threads left
in the inbox (they pause between partial batches) and counts that time in the run's
throughput: what the server sustains with its analytics kept up. Afterwards the
script checks that the scans stored match the 302 responses wrk received, and
that the events stored match the scans of the modes that record them.

The machine may be shared: for each wrk run the script also measures the CPU time
that other processes took (``/proc``), leaves rounds where that exceeded
``--max-foreign`` out of the medians, and prints the CPU time per request of each
side (server, PostgreSQL backends of the benchmark database, wrk), a cross-check that
interference hardly moves.

    .venv/bin/python benchmarks/redirect.py                 # SQLite (WAL) in a temp folder
    .venv/bin/python benchmarks/redirect.py --db postgres   # a fresh database, dropped after
    ... --analytics full       # one mode only
    ... --app raw              # the floor: the same UPDATE on a bare Flask route (bench_apps.raw)
    ... --pg-async-commit      # the benchmark database gets synchronous_commit = off
    ... --quick                # a smoke run (20 QR Codes, full only, one 1 s round): no results

Needs ``wrk`` on PATH (Debian: ``apt-get install wrk``).
"""

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import smoke
from codeqr.context import for_operator

HERE = Path(__file__).resolve().parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
DOMAIN = "qr.bench.example"
ANALYTICS_MODES = "off,anonymous,full"
GUNICORN = [sys.executable, "-m", "gunicorn", "--chdir", str(HERE), "-w", "2", "-k", "sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(port: int, server: subprocess.Popen, timeout: float = 120) -> None:
    """Wait until the server answers (a key that does not exist: no scan is counted)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn on port {port} exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/benchmark-readiness-probe")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn on port {port} did not answer within {timeout} s")


def process_seconds(pid: str) -> float:
    """CPU time (user + system) of one process, 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def benchmark_seconds(server: subprocess.Popen, db_name: str | None) -> float:
    """CPU time of a gunicorn master, its workers and (PostgreSQL) the backends serving
    our database, which show its name in their process title."""
    pids = [str(server.pid), *Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
    if db_name:
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if db_name.encode() in cmdline.read_bytes():
                    pids.append(cmdline.parent.name)
            except OSError:
                pass
    return sum(process_seconds(pid) for pid in pids)


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (all cores, /proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, open("/proc/stat").readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def wrk(server: subprocess.Popen, port: int, db_name: str | None, seconds: int, connections: int,
        keys_file: Path, close: bool = False) -> dict:
    """Run wrk once; return its counts (requests, duration_us, errors), req/s, CPU time
    per request of the benchmark's processes (``cpu_us``), and the share of the
    machine's CPUs used by other processes meanwhile (``foreign``)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(HERE / "random_keys.lua"),
               f"http://127.0.0.1:{port}", "--", str(keys_file), DOMAIN, *(["close"] if close else [])]
    before = (time.monotonic(), machine_busy_seconds(), benchmark_seconds(server, db_name), os.times())
    output = subprocess.run(command, capture_output=True, text=True, check=True,
                            timeout=seconds + 60).stdout
    after = (time.monotonic(), machine_busy_seconds(), benchmark_seconds(server, db_name), os.times())
    ours = after[2] - before[2] + sum(after[3][:4]) - sum(before[3][:4])  # + wrk and this script
    line = next(line for line in output.splitlines() if line.startswith("WRK_JSON "))
    result = json.loads(line.removeprefix("WRK_JSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["cpu_us"] = ours / max(1, result["requests"]) * 1e6
    result["foreign"] = max(0.0, after[1] - before[1] - ours) / (os.cpu_count() * (after[0] - before[0]))
    return result


def drain(app) -> float:
    """Finish at once what the servers' enrichment left in the inbox (it pauses between
    partial batches); return how long that took.

    The enrichment is part of what a scan costs: a run's sustained throughput counts
    this time too, and the next run starts on a quiet machine. ``app`` has the mode
    of the server whose scans wait."""
    from codeqr.persistence.extensions import db
    from codeqr.scans import enrichment

    start = time.monotonic()
    with app.app_context():
        while enrichment.enrich_pending(app, wait=True):
            pass
        db.session.remove()
    return time.monotonic() - start


def postgres(server_url: str, *statements: str) -> None:
    """Run statements on the server (CREATE/DROP/ALTER DATABASE need autocommit)."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def seed(count: int) -> tuple[object, list[str]]:
    """Build the app from the environment and create ``count`` QR Codes; return app and keys."""
    from codeqr import create_app
    from codeqr.domain import writes

    app = create_app()
    keys = []
    with app.app_context():
        for start in range(0, count, 100):
            items = [{"url": f"https://example.com/page/{i}"} for i in range(start, min(start + 100, count))]
            results = writes.bulk_create(items, ctx=for_operator()).root
            failed = [r for r in results if not hasattr(r, "key")]
            if failed:
                sys.exit(f"seeding failed: {failed[0]}")
            keys += [r.key for r in results]
    return app, keys


def totals(app) -> tuple[int, int]:
    """Scans counted and events stored, over every QR Code."""
    from sqlalchemy import func, select

    from codeqr.domain.models import QRCode
    from codeqr.persistence.extensions import db
    from codeqr.scans.models import ScanEvent

    with app.app_context():
        scans = db.session.scalar(select(func.coalesce(func.sum(QRCode.scans), 0)))
        events = db.session.scalar(select(func.count()).select_from(ScanEvent))
        db.session.remove()
        db.engine.dispose()  # let the database be dropped afterwards
    return int(scans), int(events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a server where the benchmark may create and drop a database")
    parser.add_argument("--app", choices=["codeqr", "raw"], default="codeqr",
                        help="what to compare with the reference: the CodeQR app, or only its UPDATE")
    parser.add_argument("--analytics", default=ANALYTICS_MODES,
                        help="CODEQR_ANALYTICS modes to measure, comma-separated (with --app codeqr)")
    parser.add_argument("--pg-async-commit", action="store_true",
                        help="ALTER DATABASE … SET synchronous_commit = off (a crash may lose the last scans)")
    parser.add_argument("--codes", type=int, default=1000, help="QR Codes seeded (random keys requested)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run (max 60)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--max-foreign", type=float, default=0.10,
                        help="leave out of the medians a round in which other processes used more "
                             "than this share of the CPUs (default 0.10)")
    smoke.add_option(parser)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian/Ubuntu: apt-get install -y wrk); nothing measured")
    args.seconds = min(args.seconds, 60)
    if args.quick:
        args.codes, args.rounds, args.seconds = 20, 1, 1
        args.analytics = "full" if args.analytics == ANALYTICS_MODES else args.analytics
    smoke.announce(args.quick)
    from codeqr import create_app
    from codeqr.persistence.extensions import db

    db_name = f"codeqr_bench_{os.getpid()}"
    if args.db == "postgres":  # before the try: its finally drops only a database that exists
        postgres(args.postgres_url, f'CREATE DATABASE "{db_name}"')
    instance = Path(tempfile.mkdtemp(prefix="codeqr-bench-"))
    reference_port = free_port()
    base_url = args.postgres_url.rsplit("/", 1)[0]
    os.environ["CODEQR_INSTANCE_PATH"] = str(instance)
    os.environ["CODEQR_DEFAULT_DOMAIN"] = DOMAIN  # every CodeQR server serves it; wrk sends it as Host
    os.environ["CODEQR_DATABASE_URL"] = (
        f"{base_url}/{db_name}" if args.db == "postgres" else f"sqlite:///{instance / 'codeqr.db'}"
    )
    # What the finally block cleans up is bound before the try, so that a failure anywhere
    # in it is the error the run ends with, not a NameError of the cleanup.
    servers: list[subprocess.Popen] = []
    drainers: dict = {}
    try:
        if args.pg_async_commit and args.db == "postgres":
            postgres(args.postgres_url, f'ALTER DATABASE "{db_name}" SET synchronous_commit = off')
        app, keys = seed(args.codes)
        keys_file = instance / "keys.txt"
        keys_file.write_text("\n".join(keys) + "\n")
        setting = ", synchronous_commit=off" if args.db == "postgres" and args.pg_async_commit else ""
        print(f"app: {args.app}; database: {args.db}{setting}; {len(keys)} QR Codes; gunicorn -w 2 sync; "
              f"wrk -t1 -c{args.connections} -d{args.seconds}s, {args.rounds} rounds", flush=True)

        modes = args.analytics.split(",") if args.app == "codeqr" else ["raw"]
        log = (instance / "gunicorn.log").open("w")
        pg_name = db_name if args.db == "postgres" else None
        targets = {"reference": ("bench_apps:reference()", None), **{
            mode: (f"bench_apps:{args.app}()", pg_name) for mode in modes}}
        endpoints = {}
        for name, (target, database) in targets.items():
            port = reference_port if name == "reference" else free_port()
            env = os.environ | ({"CODEQR_ANALYTICS": name} if name in ("off", "anonymous", "full") else {})
            servers.append(subprocess.Popen(GUNICORN + ["-b", f"127.0.0.1:{port}", target],
                                            stdout=log, stderr=subprocess.STDOUT, env=env))
            wait_ready(port, servers[-1])
            endpoints[name] = (servers[-1], port, database)

        runs = {name: [] for name in endpoints}
        warmup = 1 if args.quick else 2  # seconds
        drainers = {mode: create_app({"CODEQR_ANALYTICS": mode}) for mode in modes if mode != "off"}
        for name in runs:  # warm-up: imports, pools, page cache (counted for the scan check)
            runs[name].append(wrk(*endpoints[name], warmup, args.connections, keys_file) | {"warmup": True})
            if name in drainers:
                drain(drainers[name])
        for round_number in range(1, args.rounds + 1):
            for name in runs:
                run = wrk(*endpoints[name], args.seconds, args.connections, keys_file)
                run["drain"] = drain(drainers[name]) if name in drainers else 0.0
                # Throughput sustained with the enrichment keeping up: the run plus its catch-up.
                run["rps"] = run["requests"] / (run["duration_us"] / 1e6 + run["drain"])
                runs[name].append(run)
            ref = runs["reference"][-1]
            print(f"round {round_number}: reference {ref['rps']:6.0f} req/s" + "".join(
                f"   {mode} {runs[mode][-1]['rps']:6.0f} ({runs[mode][-1]['rps'] / ref['rps']:.3f}, "
                f"catch-up {runs[mode][-1]['drain']:.1f} s, {runs[mode][-1]['foreign']:.0%} other)"
                for mode in modes), flush=True)

        for drainer in drainers.values():
            with drainer.app_context():
                db.engine.dispose()  # let the database be dropped afterwards
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        servers.clear()

        rounds = list(zip(*(runs[name][1:] for name in runs)))  # (reference, mode…) per round
        quiet = [group for group in rounds if max(r["foreign"] for r in group) <= args.max_foreign]
        if not quiet:
            print(f"WARNING: other processes used > {args.max_foreign:.0%} of the CPUs in every round; "
                  "the medians below are of disturbed rounds")
        chosen = quiet or rounds
        ratios = {}
        for index, mode in enumerate(modes, start=1):
            ratios[mode] = statistics.median(group[index]["rps"] / group[0]["rps"] for group in chosen)
            cpu = statistics.median(group[0]["cpu_us"] / group[index]["cpu_us"] for group in rounds)
            print(f"{mode}: median {statistics.median(g[index]['rps'] for g in chosen):6.0f} req/s, "
                  f"ratio to the reference {ratios[mode]:.3f} (median of {len(chosen)} of {len(rounds)} rounds); "
                  f"CPU per request, reference/{mode}: {cpu:.3f}")
        if "off" in ratios:
            for mode in modes:
                if mode != "off":
                    print(f"{mode} / off = {ratios[mode] / ratios['off']:.3f}   (target >= 0.9)")

        # Every request asked for an existing key: each response wrk counted
        # without a status error is a 302, hence one scan. Requests in flight when wrk
        # stopped (at most one per connection per run) reach the server uncounted by wrk.
        def seen(names):
            return sum(r["requests"] - r["status"] for name in names for r in runs[name])

        codeqr_runs = [r for mode in modes for r in runs[mode]]
        status_errors = sum(r["status"] for r in codeqr_runs)
        lost = sum(r["read"] + r["write"] + r["timeout"] for r in codeqr_runs)
        slack = args.connections * len(codeqr_runs) + lost
        scans, events = totals(app)
        redirects = seen(modes)
        recorded = seen([mode for mode in modes if mode in ("anonymous", "full")])
        print(f"scan check: {redirects} redirects seen by wrk, {scans} scans stored; {recorded} redirects "
              f"of modes that record events, {events} events stored; status errors {status_errors}, "
              f"socket errors/timeouts {lost}")
        if status_errors or not 0 <= scans - redirects <= slack or not 0 <= events - recorded <= slack:
            sys.exit(f"count mismatch: scans {scans} (expected {redirects}..{redirects + slack}), "
                     f"events {events} (expected {recorded}..{recorded + slack})")
    finally:
        for drainer in drainers.values():
            with drainer.app_context():
                db.engine.dispose()  # let the database be dropped afterwards
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        if args.db == "postgres":
            postgres(args.postgres_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
