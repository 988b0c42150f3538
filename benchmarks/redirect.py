"""Redirect throughput of CodeQR (counting scans) against a constant Flask 302 route.

Both apps run under the same gunicorn (2 sync workers, 127.0.0.1) and are driven by
the same wrk command, alternating round by round, so the ratio codeqr/reference is
measured in one run on one machine. Afterwards the script checks that the scans
stored in the database match the 302 responses wrk received.

The machine may be shared: for each wrk run the script also measures the CPU time
that other processes took (``/proc``), leaves rounds where that exceeded
``--max-foreign`` out of the medians, and prints the CPU time per request of each
side (server, PostgreSQL backends of the benchmark database, wrk), a cross-check that
interference hardly moves.

    .venv/bin/python benchmarks/redirect.py                 # SQLite (WAL) in a temp folder
    .venv/bin/python benchmarks/redirect.py --db postgres   # a fresh database, dropped after
    ... --app raw              # the floor: the same UPDATE on a bare Flask route (bench_apps.raw)
    ... --pg-async-commit      # the benchmark database gets synchronous_commit = off

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

HERE = Path(__file__).resolve().parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
GUNICORN = [sys.executable, "-m", "gunicorn", "--chdir", str(HERE), "-w", "2", "-k", "sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(port: int, server: subprocess.Popen, timeout: float = 30) -> None:
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
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, open("/proc/stat").readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def wrk(server: subprocess.Popen, port: int, db_name: str | None, seconds: int, connections: int,
        keys_file: Path) -> dict:
    """Run wrk once; return its counts (requests, duration_us, errors), req/s, CPU time
    per request of the benchmark's processes (``cpu_us``), and the share of the
    machine's CPUs used by other processes meanwhile (``foreign``)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(HERE / "random_keys.lua"),
               f"http://127.0.0.1:{port}", "--", str(keys_file)]
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


def postgres(server_url: str, *statements: str) -> None:
    """Run statements on the server (CREATE/DROP/ALTER DATABASE need autocommit)."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def seed(count: int) -> tuple[object, list[str]]:
    """Build the app from the environment and create ``count`` QR Codes; return app and keys."""
    from codeqr import create_app, qrcodes

    app = create_app()
    keys = []
    with app.app_context():
        for start in range(0, count, 100):
            items = [{"url": f"https://example.com/page/{i}"} for i in range(start, min(start + 100, count))]
            results = qrcodes.bulk_create(items)
            failed = [r for r in results if "error" in r]
            if failed:
                sys.exit(f"seeding failed: {failed[0]}")
            keys += [r["key"] for r in results]
    return app, keys


def total_scans(app) -> int:
    from sqlalchemy import func, select

    from codeqr.extensions import db
    from codeqr.models import QRCode

    with app.app_context():
        total = db.session.scalar(select(func.coalesce(func.sum(QRCode.scans), 0)))
        db.session.remove()
        db.engine.dispose()  # let the database be dropped afterwards
    return int(total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a server where the benchmark may create and drop a database")
    parser.add_argument("--app", choices=["codeqr", "raw"], default="codeqr",
                        help="what to compare with the reference: the CodeQR app, or only its UPDATE")
    parser.add_argument("--pg-async-commit", action="store_true",
                        help="ALTER DATABASE … SET synchronous_commit = off (a crash may lose the last scans)")
    parser.add_argument("--codes", type=int, default=1000, help="QR Codes seeded (random keys requested)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run (max 60)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--max-foreign", type=float, default=0.10,
                        help="leave out of the medians a round in which other processes used more "
                             "than this share of the CPUs (default 0.10)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian/Ubuntu: apt-get install -y wrk); nothing measured")
    args.seconds = min(args.seconds, 60)

    instance = Path(tempfile.mkdtemp(prefix="codeqr-bench-"))
    codeqr_port, reference_port = free_port(), free_port()
    db_name = f"codeqr_bench_{os.getpid()}"
    base_url = args.postgres_url.rsplit("/", 1)[0]
    os.environ["CODEQR_INSTANCE_PATH"] = str(instance)
    os.environ["CODEQR_DEFAULT_DOMAIN"] = f"127.0.0.1:{codeqr_port}"
    os.environ["CODEQR_DATABASE_URL"] = (
        f"{base_url}/{db_name}" if args.db == "postgres" else f"sqlite:///{instance / 'codeqr.db'}"
    )
    servers = []
    try:
        if args.db == "postgres":
            postgres(args.postgres_url, f'CREATE DATABASE "{db_name}"')
            if args.pg_async_commit:
                postgres(args.postgres_url, f'ALTER DATABASE "{db_name}" SET synchronous_commit = off')
        app, keys = seed(args.codes)
        keys_file = instance / "keys.txt"
        keys_file.write_text("\n".join(keys) + "\n")
        setting = ", synchronous_commit=off" if args.db == "postgres" and args.pg_async_commit else ""
        print(f"app: {args.app}; database: {args.db}{setting}; {len(keys)} QR Codes; gunicorn -w 2 sync; "
              f"wrk -t1 -c{args.connections} -d{args.seconds}s, {args.rounds} rounds", flush=True)

        log = (instance / "gunicorn.log").open("w")
        for port, target in ((reference_port, "bench_apps:reference()"), (codeqr_port, f"bench_apps:{args.app}()")):
            servers.append(subprocess.Popen(GUNICORN + ["-b", f"127.0.0.1:{port}", target],
                                            stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy()))
            wait_ready(port, servers[-1])

        tested = args.app
        runs = {"reference": [], tested: []}
        pg_name = db_name if args.db == "postgres" else None
        servers_by_name = {"reference": (servers[0], reference_port, None), tested: (servers[1], codeqr_port, pg_name)}
        for name in runs:  # warm-up: imports, pools, page cache (counted for the scan check)
            runs[name].append(wrk(*servers_by_name[name], 2, args.connections, keys_file) | {"warmup": True})
        for round_number in range(1, args.rounds + 1):
            for name in runs:
                runs[name].append(wrk(*servers_by_name[name], args.seconds, args.connections, keys_file))
            ref, cqr = runs["reference"][-1], runs[tested][-1]
            print(f"round {round_number}: reference {ref['rps']:8.0f} req/s   {tested} {cqr['rps']:8.0f} req/s   "
                  f"ratio {cqr['rps'] / ref['rps']:.3f}   CPU/request {ref['cpu_us']:.0f} / {cqr['cpu_us']:.0f} us   "
                  f"other processes {ref['foreign']:.0%} / {cqr['foreign']:.0%}", flush=True)

        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        servers.clear()

        rounds = list(zip(runs["reference"][1:], runs[tested][1:]))
        quiet = [pair for pair in rounds if max(r["foreign"] for r in pair) <= args.max_foreign]
        if not quiet:
            print(f"WARNING: other processes used > {args.max_foreign:.0%} of the CPUs in every round; "
                  "the medians below are of disturbed rounds")
        chosen = quiet or rounds
        ref = statistics.median(r["rps"] for r, _ in chosen)
        cqr = statistics.median(c["rps"] for _, c in chosen)
        ratio = statistics.median(c["rps"] / r["rps"] for r, c in chosen)
        cpu_ratio = statistics.median(r["cpu_us"] / c["cpu_us"] for r, c in rounds)
        print(f"median of {len(chosen)} of {len(rounds)} rounds: reference {ref:8.0f} req/s   "
              f"{tested} {cqr:8.0f} req/s   ratio {ratio:.3f} (median of the rounds' ratios)")
        print(f"CPU time per request, reference/{tested} (median of all rounds): {cpu_ratio:.3f}")

        # Every request asked for an existing key: each response wrk counted
        # without a status error is a 302, hence one scan. Requests in flight when wrk
        # stopped (at most one per connection per run) reach the server uncounted by wrk.
        codeqr_runs = runs[tested]
        redirects = sum(r["requests"] - r["status"] for r in codeqr_runs)
        status_errors = sum(r["status"] for r in codeqr_runs)
        lost = sum(r["read"] + r["write"] + r["timeout"] for r in codeqr_runs)
        slack = args.connections * len(codeqr_runs) + lost
        scans = total_scans(app)
        exact = "exact" if scans == redirects else f"+{scans - redirects} in flight at wrk's stops"
        print(f"scan check: {redirects} redirects seen by wrk, {scans} scans stored ({exact}); "
              f"status errors {status_errors}, socket errors/timeouts {lost}")
        if status_errors or not 0 <= scans - redirects <= slack:
            sys.exit(f"scan count mismatch: expected {redirects}..{redirects + slack}, got {scans}")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        if args.db == "postgres":
            postgres(args.postgres_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
