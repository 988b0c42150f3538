"""Analytics answers with many scans: time of each answer of ``GET /api/analytics``
over 90 days, on a fresh database seeded with N scan events over M QR Codes.

Seeding writes the QR Codes, the events (spread over ``--days`` days, a few QR Codes
much more popular than the rest, 3 % bots) and the rollups, with the enrichment's own
code: ``rollups.add`` for each chunk of events, then ``rollups.close_days`` (the
rollups of popular QR Codes per past day).
Then each answer runs ``--repeat`` times through ``analytics.queries`` (what the API
calls, without HTTP); the script prints the median and the 95th percentile.

The yardstick, timed the same way in the same run: a breakdown by country read from
the events themselves (``SELECT country, count(*) … GROUP BY country`` over the 90
days), what an answer costs without rollups.

    .venv/bin/python benchmarks/analytics.py                                  # SQLite, 1,000,000 events
    .venv/bin/python benchmarks/analytics.py --db postgres --events 10000000  # a fresh database, dropped after

With ``--stall``, the seeded database is served instead by gunicorn (2 workers, sync or
with ``--stall-threads`` threads each; ``wsgi:app``), and the script measures short-link latency (sequential GETs of random
seeded keys) alone, then while 4 threads send the heaviest analytics reads a key could
ask for (``STALL_READS``) in a loop: p50 / p95 of each, and the reads' statuses.

    .venv/bin/python benchmarks/analytics.py --stall --events 300000

With ``--waiting N``, each answer is timed twice in the same run: with the inbox empty,
then with N scans waiting in it (the last hour's, a tenth of their user agents never
parsed), which every answer counts beside the events without moving them.

    .venv/bin/python benchmarks/analytics.py --waiting 50000

With ``--quick`` (and with ``--stall --quick``), a smoke run: 2,000 events over 50 QR Codes,
one run of each answer; its figures are not results.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import smoke

GROUPS = ["count", "timeseries", "countries", "cities", "devices", "browsers", "os", "referers", "languages",
          "top_qrcodes", "top_urls"]
COUNTRIES = ["US", "DE", "GB", "FR", "NL", "BR", "IN", "JP", "ES", "IT", "CA", "AU", "PL", "SE", "MX"]
AGENTS = [("mobile", "Mobile Safari", "17", "iOS", "17"), ("mobile", "Chrome Mobile", "124", "Android", "14"),
          ("mobile", "Samsung Internet", "24", "Android", "13"), ("tablet", "Mobile Safari", "17", "iOS", "17"),
          ("desktop", "Chrome", "124", "Windows", "10"), ("desktop", "Firefox", "125", "Windows", "10"),
          ("desktop", "Safari", "17", "Mac OS X", "10"), ("desktop", "Edge", "124", "Windows", "10")]
BOTS = [("bot", "Googlebot", "2", None, None), ("bot", "FacebookBot", "1", None, None)]
REFERERS = [None] * 7 + ["www.instagram.com", "t.co", "www.google.com", "news.example.org", "mail.example.com"]
LANGUAGES = ["en", "de", "fr", "es", "pt", "ja", "nl", "it", "pl", "sv"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(function, repeat: int) -> tuple[float, float]:
    """Median and 95th percentile, in ms, of ``repeat`` calls (after one warm-up call)."""
    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), percentile(times, 0.95)


def seed_qrcodes(count: int) -> list[tuple[str, str, str]]:
    """Insert ``count`` QR Codes; return (id, key, url) of each."""
    from codeqr.domain.ids import new_id, url_hash
    from codeqr.domain.models import QRCode
    from codeqr.domain.schemas import Design
    from codeqr.persistence.database import begin_write, driver_time, executemany
    from codeqr.persistence.extensions import db

    # Rows go to the driver as they are (``executemany``): the design as its JSON text.
    design = json.dumps(Design(bg_color="#ffffff", fg_color="#000000", size=1024, level="M", margin=4,
                               show_logo=False).stored())
    now = driver_time(db.engine.dialect)(datetime.now(UTC))
    rows, made = [], []
    for index in range(count):
        qr_id, key, url = new_id(), f"bench{index:07d}-qr", f"https://shop.example/product/{index}"
        made.append((qr_id, key, url))
        rows.append({"id": qr_id, "type": "url", "content": None, "static": False, "use_display_page": True,
                     "url": url, "url_hash": url_hash(url), "upsert_slot": None, "domain": "qr.bench.example",
                     "key": key, "title": f"Product {index}", "external_id": None, "use_as_template": False,
                     "default_template": False, "archived": False, "comments": None, "folder_id": None,
                     "user_id": None,
                     "design": design, "scans": 0, "last_scanned_at": None, "created_at": now, "updated_at": now})
    with begin_write():
        for start in range(0, count, 5000):
            executemany(QRCode.__table__.insert(), rows[start:start + 5000])
    return made


def seed_organisation(codes) -> tuple[str, str]:
    """Give the QR Codes 20 tags (one each, a second to every third) and 10 folders (none to
    every eleventh); return the ids of the first tag and the first folder."""
    from codeqr.domain.models import Folder, QRCode, QRCodeTag, Tag
    from codeqr.persistence.database import begin_write, executemany
    from codeqr.persistence.extensions import db

    tags = [Tag(name=f"tag {index}", color="blue") for index in range(20)]
    folders = [Folder(name=f"folder {index}", access_level="write") for index in range(10)]
    with begin_write():
        db.session.add_all([*tags, *folders])
    pairs = [{"qrcode_id": qr_id, "tag_id": tags[index % 20].id} for index, (qr_id, _, _) in enumerate(codes)]
    pairs += [{"qrcode_id": qr_id, "tag_id": tags[(index + 7) % 20].id}
              for index, (qr_id, _, _) in enumerate(codes) if index % 3 == 0]
    with begin_write():
        for start in range(0, len(pairs), 5000):
            executemany(QRCodeTag.__table__.insert(), pairs[start:start + 5000])
        for number, folder in enumerate(folders):
            chosen = [qr_id for index, (qr_id, _, _) in enumerate(codes) if index % 11 == number]
            for start in range(0, len(chosen), 500):
                db.session.execute(db.update(QRCode).where(QRCode.id.in_(chosen[start:start + 500]))
                                   .values(folder_id=folder.id))
    return tags[0].id, folders[0].id


def events(codes: list[tuple[str, str, str]], count: int, days: int, chunk: int):
    """Yield chunks of events: times spread over ``days``, QR Codes drawn with a long tail."""
    rng = random.Random(7)
    end = datetime.now(UTC)
    span = days * 86400
    visitors = [f"{rng.getrandbits(128):032x}" for _ in range(max(1, count // 3))]
    for start in range(0, count, chunk):
        batch = []
        for event_id in range(start + 1, min(start + chunk, count) + 1):
            qr_id, key, url = codes[int(len(codes) * rng.random() ** 3)]  # the first QR Codes are the popular ones
            device, browser, browser_version, system, system_version = (
                rng.choice(BOTS) if rng.random() < 0.03 else rng.choice(AGENTS))
            referer_host = rng.choice(REFERERS)
            batch.append(SimpleNamespace(
                id=event_id, timestamp=end - timedelta(seconds=rng.random() * span), qrcode_id=qr_id,
                domain="qr.bench.example", key=key, url=url, user_agent=None,
                referer=f"https://{referer_host}/" if referer_host else None, referer_host=referer_host,
                language=rng.choice(LANGUAGES), country=rng.choice(COUNTRIES), region=None, city=None,
                visitor=rng.choice(visitors), device=device, browser=browser, browser_version=browser_version,
                os=system, os_version=system_version, bot=device == "bot"))
        yield batch


def seed_waiting(codes, count: int) -> None:
    """Leave ``count`` scans of the last hour in the inbox, as the redirect stores them."""
    from sqlalchemy import insert

    from codeqr.persistence.database import begin_write, driver_time, executemany
    from codeqr.persistence.extensions import db
    from codeqr.scans.models import PendingScan

    rng = random.Random(11)
    time_of = driver_time(db.engine.dialect)
    now = datetime.now(UTC)
    agents = [f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_{minor} like Mac OS X) Mobile/15E148 Safari/604.1"
              for minor in range(9)] + [None]
    rows = []
    for _ in range(count):
        qr_id, key, url = codes[int(len(codes) * rng.random() ** 3)]
        # One scan in ten has a user agent seen nowhere else: the read parses it itself.
        agent = rng.choice(agents) if rng.random() < 0.9 else f"BenchPhone/{rng.getrandbits(40):x}"
        rows.append({"timestamp": time_of(now - timedelta(seconds=rng.random() * 3600)), "qrcode_id": qr_id,
                     "domain": "qr.bench.example", "key": key, "url": url, "user_agent": agent,
                     "referer": None, "referer_host": None, "language": rng.choice(LANGUAGES),
                     "country": rng.choice(COUNTRIES), "region": None, "city": None,
                     "visitor": f"{rng.getrandbits(128):032x}"})
    with begin_write():
        for start in range(0, count, 5000):
            executemany(insert(PendingScan.__table__), rows[start:start + 5000])


def seed_events(codes, count: int, days: int) -> None:
    from sqlalchemy import func, insert, select

    from codeqr.analytics import rollups
    from codeqr.analytics.models import QRCodeRolledDay
    from codeqr.persistence.database import begin_write, driver_time, executemany
    from codeqr.persistence.extensions import db
    from codeqr.scans.models import ScanEvent

    table = ScanEvent.__table__
    columns = [column.name for column in table.columns]
    time_of = driver_time(db.engine.dialect)
    started = time.monotonic()
    for batch in events(codes, count, days, 100_000):
        # Columns the events gained since (link options, continent) are left empty, as a plain code's are.
        rows = [{name: getattr(event, name, None) for name in columns} | {"timestamp": time_of(event.timestamp)}
                for event in batch]
        with begin_write():
            if db.engine.dialect.name == "postgresql":
                cursor = db.session.connection().connection.driver_connection.cursor()
                with cursor.copy(f"COPY scan_events ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[name] for name in columns])
            else:
                executemany(insert(table), rows)
            rollups.add(ScanEvent.id.between(batch[0].id, batch[-1].id))
        print(f"  {batch[-1].id:,} events ({time.monotonic() - started:.0f} s)", flush=True)
    with begin_write():
        closed = rollups.close_days(datetime.now(UTC).date(), most=days + 1)
        popular = db.session.scalar(select(func.count()).select_from(QRCodeRolledDay))
    print(f"  {len(closed)} days closed; {popular:,} days of a QR Code with rollups of its own "
          f"({time.monotonic() - started:.0f} s)", flush=True)
    if db.engine.dialect.name == "postgresql":
        with begin_write():  # COPY gave the ids: the events' sequence goes on after them (--stall scans)
            db.session.execute(db.text("SELECT setval(pg_get_serial_sequence('scan_events', 'id'), "
                                       "(SELECT max(id) FROM scan_events))"))
        # What autovacuum does in a running instance: the chunks' upserts left dead rows.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


#: What a read-only key may ask that costs most: the 84,000-point series that stalled every
#: short link, and the longest series of unique visitors (every event read) within the limits.
STALL_READS = [
    "/api/analytics?groupBy=timeseries&start=1970-01-01T00:00:00Z&end=9000-12-31T00:00:00Z",
    "/api/analytics?groupBy=timeseries&unique=true&start=1970-01-01T00:00:00Z&end=2053-05-01T00:00:00Z",
]


def stall(env: dict, codes: list, seconds: float, threads_per_worker: int) -> None:
    """Short-link latency under gunicorn alone, then beside 4 threads of STALL_READS."""
    import subprocess
    import threading

    import requests

    port = _free_port()
    root = Path(__file__).resolve().parent.parent
    workers = ["-k", "sync"] if threads_per_worker == 1 else ["-k", "gthread", "--threads", str(threads_per_worker)]
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", *workers, "-b", f"127.0.0.1:{port}",
                               "--timeout", "120", "wsgi:app"], cwd=root, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, server)
        rng = random.Random(3)

        def redirects(until: float) -> list[float]:
            times = []
            while time.monotonic() < until:
                started = time.perf_counter()
                response = requests.get(f"{base}/{rng.choice(codes)[1]}", headers={"Host": "qr.bench.example"},
                                        allow_redirects=False, timeout=60)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 302, response.status_code
            return times

        redirects(time.monotonic() + 3)  # warm-up: both workers loaded
        alone = redirects(time.monotonic() + seconds)
        stop, reads = threading.Event(), []

        def reader(number: int) -> None:
            while not stop.is_set():
                path = STALL_READS[number % len(STALL_READS)]
                started = time.perf_counter()
                status = requests.get(base + path, headers={"Authorization": f"Bearer {env['BENCH_KEY']}"},
                                      timeout=120).status_code
                reads.append((path == STALL_READS[0], status, (time.perf_counter() - started) * 1000))

        readers = [threading.Thread(target=reader, args=(number,)) for number in range(4)]
        for thread in readers:
            thread.start()
        time.sleep(0.5)
        beside = redirects(time.monotonic() + seconds)
        stop.set()
        for thread in readers:
            thread.join()
    finally:
        server.terminate()
        server.wait()
    kind = "sync" if threads_per_worker == 1 else f"gthread, {threads_per_worker} threads each"
    print(f"\ngunicorn: 2 workers ({kind})")
    print(f"short links, {seconds:g} s each (ms)    p50      p95   requests")
    for label, times in (("alone", alone), ("with 4 analytics readers", beside)):
        print(f"  {label:30s} {statistics.median(times):8.1f} {percentile(times, 0.95):8.1f} {len(times):6d}")
    for huge in (True, False):
        found = [(status, ms) for big, status, ms in reads if big == huge]
        statuses = sorted({status for status, _ in found})
        print(f"  reads {'84,000 points' if huge else 'unique visitors, 1,000 months'}: {len(found)} answered, "
              f"statuses {statuses}, p50 {statistics.median([ms for _, ms in found]):.0f} ms")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(base: str, server) -> None:
    import requests

    for _ in range(600):
        if server.poll() is not None:
            sys.exit("gunicorn exited")
        try:
            requests.get(base + "/healthz", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.1)
    sys.exit("gunicorn did not answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--codes", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365, help="the events are spread over this many days")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--waiting", type=int, default=0,
                        help="time each answer again with this many scans waiting in the inbox")
    parser.add_argument("--stall", action="store_true", help="short-link latency beside heavy analytics reads")
    parser.add_argument("--stall-seconds", type=float, default=15)
    parser.add_argument("--stall-threads", type=int, default=1, help="threads per gunicorn worker (1: sync workers)")
    smoke.add_option(parser)
    args = parser.parse_args()
    if args.quick:
        args.events, args.codes, args.days, args.repeat, args.stall_seconds = 2000, 50, 30, 1, 1
        args.waiting = 200  # the waiting scans' path runs too, so it cannot rot
    smoke.announce(args.quick)

    instance = Path(tempfile.mkdtemp(prefix="codeqr-analytics-"))
    db_name = f"codeqr_analytics_{os.getpid()}"
    base_url = args.postgres_url.rsplit("/", 1)[0]
    url = f"{base_url}/{db_name}" if args.db == "postgres" else f"sqlite:///{instance / 'codeqr.db'}"
    if args.db == "postgres":
        import psycopg

        with psycopg.connect(args.postgres_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{db_name}"')
    try:
        from codeqr import create_app
        from codeqr.accounts.permissions import OPERATOR
        from codeqr.analytics import queries
        from codeqr.analytics.limits import ReadLimits
        from codeqr.analytics.schemas import AnalyticsQuery
        from codeqr.persistence.extensions import db
        from codeqr.state import app_state

        app = create_app({"INSTANCE_PATH": str(instance), "CODEQR_DATABASE_URL": url,
                          "CODEQR_DEFAULT_DOMAIN": "qr.bench.example", "CODEQR_ANALYTICS_WORKER": False,
                          "CODEQR_DATABASE_TIMEOUT_SECONDS": 600})  # seeding: big statements
        with app.app_context():
            print(f"seeding {args.codes:,} QR Codes and {args.events:,} events over {args.days} days ({args.db})",
                  flush=True)
            codes = seed_qrcodes(args.codes)
            seed_events(codes, args.events, args.days)
            if args.stall:
                from codeqr.accounts import apikeys
                from codeqr.context import for_operator

                secret = apikeys.create("bench", scope="read_only", ctx=for_operator())[1]
                db.session.remove()
                db.engine.dispose()
                env = {**os.environ, "CODEQR_INSTANCE_PATH": str(instance), "CODEQR_DATABASE_URL": url,
                       "CODEQR_DEFAULT_DOMAIN": "qr.bench.example", "CODEQR_REQUEST_LOG": "0",
                       "CODEQR_RATE_LIMIT_ENABLED": "0", "BENCH_KEY": secret}
                stall(env, codes, args.stall_seconds, args.stall_threads)
                return

            limits = ReadLimits.from_config(app.config)

            def answer(group_by, **filters):
                query = AnalyticsQuery.model_validate({"groupBy": group_by, "interval": "90d", **filters})
                return lambda: (queries.analytics(query, limits, app_state().agents, OPERATOR), db.session.rollback())

            since = datetime.now(UTC) - timedelta(days=90)
            raw = db.text("SELECT country, count(*) FROM scan_events WHERE timestamp >= :since AND NOT bot "
                          "GROUP BY country")
            since_value = since.replace(tzinfo=None) if args.db == "postgres" else since.strftime(
                "%Y-%m-%d %H:%M:%S.%f")
            yardstick = timed(lambda: (db.session.execute(raw, {"since": since_value}).all(),
                                       db.session.rollback()), args.repeat)
            hot, typical = codes[0][0], codes[len(codes) // 2][0]
            tag, folder = seed_organisation(codes)
            questions = [(group, group, {}) for group in GROUPS] + [
                ("tags", "tags", {}), ("folders", "folders", {}), ("count, one tag", "count", {"tagIds": tag}),
                ("timeseries, one folder", "timeseries", {"folderId": folder})] + [
                (f"{group}, {label}", group, {"qrcodeId": qr_id})
                for label, qr_id in (("the most scanned QR Code", hot), ("a typical QR Code", typical))
                for group in ("timeseries", "devices")]
            empty = {label: timed(answer(group, **filters), args.repeat) for label, group, filters in questions}
            print(f"\n{args.repeat} runs each, interval=90d; median / p95 in ms (target p95 < 300)")
            print(f"  {'yardstick: countries from the events':40s} {yardstick[0]:8.1f} {yardstick[1]:8.1f}")
            for label, (median, p95) in empty.items():
                print(f"  {label:40s} {median:8.1f} {p95:8.1f}   p95 / yardstick p95 = {p95 / yardstick[1]:.3f}")
            if args.waiting:
                seed_waiting(codes, args.waiting)
                print(f"\nthe same with {args.waiting:,} scans waiting in the inbox: median / p95 in ms, "
                      "and the median's ratio to the empty inbox's")
                for label, group, filters in questions:
                    median, p95 = timed(answer(group, **filters), args.repeat)
                    print(f"  {label:40s} {median:8.1f} {p95:8.1f}   {median / empty[label][0]:6.2f}")
            db.session.remove()
            db.engine.dispose()
    finally:
        if args.db == "postgres":
            import psycopg

            with psycopg.connect(args.postgres_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
