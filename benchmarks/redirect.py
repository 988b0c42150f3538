"""Redirect throughput of CodeQR (counting scans) against a constant Flask 302 route.

The reference and CodeQR with each ``CODEQR_ANALYTICS`` mode asked for (default:
off, anonymous, full) run under the same gunicorn (2 sync workers, 127.0.0.1) and
are driven by the same wrk command, in turn round by round, so each ratio
run/reference is measured in one run on one machine. Each server is driven with the
keys of each scenario (``bench_links``): plain QR Codes, QR Codes with 20 rules none
of which matches, with an A/B split, and with a password (its page; nothing counted).
The CodeQR servers share one database. After each run the script itself enriches
what the servers' threads left in the inbox (they pause between partial batches) and
counts that time in the run's throughput: what the server sustains with its analytics
kept up. Afterwards the script checks, scenario by scenario, that the scans stored
match the 302 responses wrk received, and that the events stored match the scans of
the modes that record them.

The machine may be shared: each run is paired with a reference run just before it
(the load moves); for each wrk run the script also measures the CPU time that other
processes took (``/proc``), leaves pairs where that exceeded ``--max-foreign`` out of
the medians, and prints the CPU time per request of each side (server, PostgreSQL
backends of the benchmark database, wrk), a cross-check that interference hardly moves.

    .venv/bin/python benchmarks/redirect.py                 # SQLite (WAL) in a temp folder
    .venv/bin/python benchmarks/redirect.py --db postgres   # a fresh database, dropped after
    ... --analytics full       # one mode only
    ... --scenarios plain,rules  # some scenarios only (plain, rules, split, password)
    ... --app raw              # the floor: the same UPDATE on a bare Flask route (bench_apps.raw)
    ... --pg-async-commit      # the benchmark database gets synchronous_commit = off
    ... --quick                # a smoke run (20 + 3 × 5 QR Codes, full only, one 1 s round): no results

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

import bench_links
import smoke
from codeqr.context import for_operator

HERE = Path(__file__).resolve().parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
DOMAIN = "qr.bench.example"
ANALYTICS_MODES = "off,anonymous,full"
GUNICORN = [sys.executable, "-m", "gunicorn", "--chdir", str(HERE), "-w", "2", "-k", "sync"]
#: A user agent of those random_keys.lua sends, for the check of each scenario's answer.
PHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/17.4 Mobile/15E148 Safari/604.1")


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


def seed(counts: dict[str, int]) -> tuple[object, dict[str, dict[str, str]]]:
    """Build the app from the environment and create ``counts[scenario]`` QR Codes of each
    scenario (``bench_links``) through the API's bulk job; return the app and, by scenario,
    each key's url."""
    from codeqr import create_app
    from codeqr.jobs import bulk_create

    app = create_app()
    made: dict[str, dict[str, str]] = {}
    with app.app_context():
        for scenario, count in counts.items():
            made[scenario] = {}
            for start in range(0, count, 100):
                items = bench_links.items(scenario, start, min(100, count - start))
                job = bulk_create.wait(bulk_create.start(items, ctx=for_operator()), seconds=600)
                results = json.loads(job.results or "[]")
                failed = [r for r in results if "key" not in r]
                if job.status != "done" or failed:
                    sys.exit(f"seeding failed: {job.message or failed[0]}")
                made[scenario] |= {r["key"]: item["url"] for r, item in zip(results, items)}
    return app, made


def totals(app, scenario_of: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Scans counted and events stored, by scenario (``scenario_of``: a key's)."""
    from sqlalchemy import func, select

    from codeqr.domain.models import QRCode
    from codeqr.persistence.extensions import db
    from codeqr.scans.models import ScanEvent

    found = {scenario: (0, 0) for scenario in set(scenario_of.values())}
    events = select(ScanEvent.qrcode_id, func.count().label("events")).group_by(ScanEvent.qrcode_id).subquery()
    with app.app_context():
        rows = db.session.execute(select(QRCode.key, QRCode.scans, func.coalesce(events.c.events, 0))
                                  .outerjoin(events, events.c.qrcode_id == QRCode.id))
        for key, scans, stored in rows:
            scans_before, events_before = found[scenario_of[key]]
            found[scenario_of[key]] = (scans_before + scans, events_before + stored)
        db.session.remove()
        db.engine.dispose()  # let the database be dropped afterwards
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a server where the benchmark may create and drop a database")
    parser.add_argument("--app", choices=["codeqr", "raw"], default="codeqr",
                        help="what to compare with the reference: the CodeQR app, or only its UPDATE")
    parser.add_argument("--analytics", default=ANALYTICS_MODES,
                        help="CODEQR_ANALYTICS modes to measure, comma-separated (with --app codeqr)")
    parser.add_argument("--scenarios", default=",".join(bench_links.SCENARIOS),
                        help="short links to measure, comma-separated, of " + ", ".join(bench_links.SCENARIOS)
                             + " (with --app codeqr; raw measures plain ones only)")
    parser.add_argument("--pg-async-commit", action="store_true",
                        help="ALTER DATABASE … SET synchronous_commit = off (a crash may lose the last scans)")
    parser.add_argument("--codes", type=int, default=1000, help="plain QR Codes seeded (random keys requested)")
    parser.add_argument("--link-codes", type=int, default=100,
                        help="QR Codes seeded for each scenario with link options (random keys requested)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run (max 60)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--max-foreign", type=float, default=0.10,
                        help="leave out of the medians a run in which other processes used more "
                             "than this share of the CPUs, or whose reference run did (default 0.10)")
    smoke.add_option(parser)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian/Ubuntu: apt-get install -y wrk); nothing measured")
    args.seconds = min(args.seconds, 60)
    if args.quick:
        args.codes, args.link_codes, args.rounds, args.seconds = 20, 5, 1, 1
        args.analytics = "full" if args.analytics == ANALYTICS_MODES else args.analytics
    scenarios = args.scenarios.split(",") if args.app == "codeqr" else ["plain"]
    if not set(scenarios) <= set(bench_links.SCENARIOS):
        sys.exit(f"--scenarios: each is one of {', '.join(bench_links.SCENARIOS)}")
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
        counts = {name: args.codes if name == "plain" else args.link_codes for name in scenarios}
        app, made = seed(counts | {"plain": args.codes})  # the reference requests plain keys
        keys_files = {}
        for scenario, urls in made.items():
            keys_files[scenario] = instance / f"keys-{scenario}.txt"
            keys_files[scenario].write_text("\n".join(urls) + "\n")
        setting = ", synchronous_commit=off" if args.db == "postgres" and args.pg_async_commit else ""
        print(f"app: {args.app}; database: {args.db}{setting}; QR Codes: "
              + ", ".join(f"{len(made[name])} {name}" for name in scenarios)
              + f"; gunicorn -w 2 sync; wrk -t1 -c{args.connections} -d{args.seconds}s, {args.rounds} rounds",
              flush=True)

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
        for mode in modes if args.app == "codeqr" else []:  # each scenario answered as it should
            for scenario in scenarios:  # (a HEAD counts nothing)
                key, url = next(iter(made[scenario].items()))
                bench_links.probe(endpoints[mode][1], DOMAIN, key, scenario, url, PHONE)

        # A run is (mode, scenario): the server of a mode, wrk on the keys of a scenario. Each is
        # paired with a reference run just before it: on a shared machine the load moves.
        labels = [(mode, scenario) for mode in modes for scenario in scenarios]
        runs: dict = {label: [] for label in labels}
        references: dict = {label: [] for label in labels}
        warmup = 1 if args.quick else 2  # seconds
        drainers = {mode: create_app({"CODEQR_ANALYTICS": mode}) for mode in modes if mode != "off"}

        def measure(mode: str, scenario: str, seconds: int) -> dict:
            run = wrk(*endpoints[mode], seconds, args.connections, keys_files[scenario])
            run["drain"] = drain(drainers[mode]) if mode in drainers else 0.0
            # Throughput sustained with the enrichment keeping up: the run plus its catch-up.
            run["rps"] = run["requests"] / (run["duration_us"] / 1e6 + run["drain"])
            return run

        # Warm-up: imports, pools, page cache, routes (counted for the scan check).
        measure("reference", "plain", warmup)
        for mode, scenario in labels:
            runs[mode, scenario].append(measure(mode, scenario, warmup) | {"warmup": True})
        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number}:", flush=True)
            for mode, scenario in labels:
                ref = measure("reference", "plain", args.seconds)
                run = measure(mode, scenario, args.seconds)
                references[mode, scenario].append(ref)
                runs[mode, scenario].append(run)
                print(f"  {mode + '/' + scenario:15} {run['rps']:6.0f} req/s ({run['foreign']:.0%} other), reference "
                      f"{ref['rps']:6.0f} ({ref['foreign']:.0%} other): {run['rps'] / ref['rps']:.3f}, "
                      f"catch-up {run['drain']:.1f} s", flush=True)

        for drainer in drainers.values():
            with drainer.app_context():
                db.engine.dispose()  # let the database be dropped afterwards
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        servers.clear()
        report(runs, references, labels, args.max_foreign)
        check_counts(runs, modes, scenarios, totals(app, {key: scenario for scenario, urls in made.items()
                                                          for key in urls}), args.connections)
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


def report(runs: dict, references: dict, labels: list[tuple[str, str]], max_foreign: float) -> None:
    """Print each run's median throughput and ratio to the reference run before it, over the
    rounds where neither run shared the CPUs with more than ``max_foreign`` of other work;
    then each scenario against the plain key of its mode."""
    ratios = {}
    for label in labels:
        pairs = list(zip(references[label], runs[label][1:]))
        quiet = [(ref, run) for ref, run in pairs if max(ref["foreign"], run["foreign"]) <= max_foreign]
        chosen = quiet or pairs
        ratios[label] = statistics.median(run["rps"] / ref["rps"] for ref, run in chosen)
        cpu = statistics.median(ref["cpu_us"] / run["cpu_us"] for ref, run in pairs)
        print(f"{'/'.join(label)}: median {statistics.median(run['rps'] for _, run in chosen):6.0f} req/s, "
              f"ratio to the reference {ratios[label]:.3f} (median of {len(chosen)} of {len(pairs)} rounds"
              f"{'' if quiet else f'; WARNING: other processes used > {max_foreign:.0%} in every round'}); "
              f"CPU per request, reference/this: {cpu:.3f}")
    for mode, scenario in labels:
        if scenario != "plain" and (mode, "plain") in ratios:
            print(f"{mode}/{scenario} ÷ {mode}/plain = {ratios[mode, scenario] / ratios[mode, 'plain']:.3f}")
    for mode, scenario in labels:
        if mode != "off" and ("off", scenario) in ratios:
            print(f"{mode}/{scenario} ÷ off/{scenario} = {ratios[mode, scenario] / ratios['off', scenario]:.3f}"
                  + ("   (target >= 0.9)" if scenario == "plain" else ""))


def check_counts(runs: dict, modes: list[str], scenarios: list[str], stored: dict[str, tuple[int, int]],
                 connections: int) -> None:
    """Exit with an error unless, for each scenario, the scans stored are the 302s wrk saw (none
    for the password page) and the events stored are those of the modes that record them.

    Every request asked for an existing key: each response wrk counted without a status error
    is a 302 (a scan) or, for a password, the page (nothing counted). Requests in flight when
    wrk stopped (at most one per connection per run) reach the server uncounted by wrk."""
    failures = []
    for scenario in scenarios:
        ran = {mode: runs[mode, scenario] for mode in modes}
        every = [run for mode_runs in ran.values() for run in mode_runs]
        answered = sum(run["requests"] - run["status"] for run in every)
        status_errors = sum(run["status"] for run in every)
        lost = sum(run["read"] + run["write"] + run["timeout"] for run in every)
        counted = scenario in bench_links.COUNTED
        slack = connections * len(every) + lost if counted else 0
        redirects = answered if counted else 0
        recorded = sum(run["requests"] - run["status"] for mode in modes if mode in ("anonymous", "full")
                       for run in ran[mode]) if counted else 0
        scans, events = stored.get(scenario, (0, 0))
        print(f"scan check, {scenario}: {answered} answers seen by wrk ({'302s' if counted else 'password pages'}), "
              f"{scans} scans stored; {recorded} of modes that record events, {events} events stored; "
              f"status errors {status_errors}, socket errors/timeouts {lost}")
        if status_errors or not 0 <= scans - redirects <= slack or not 0 <= events - recorded <= slack:
            failures.append(f"{scenario}: scans {scans} (expected {redirects}..{redirects + slack}), "
                            f"events {events} (expected {recorded}..{recorded + slack}), "
                            f"status errors {status_errors}")
    if failures:
        sys.exit("count mismatch: " + "; ".join(failures))


if __name__ == "__main__":
    main()
