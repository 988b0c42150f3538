"""The list's filters and sorts at catalog size: p50 and p95 of ``GET /api/qrcodes`` (a page of
20) and ``GET /api/qrcodes/count`` for each filter and sort, over N QR Codes with 20 tags, 5
folders, archived codes, comments, link options and checked destinations, seeded straight into
the tables. The yardstick, timed the same way in the same run: the default page (newest first),
a plain indexed read of as many codes; each figure is also given as a ratio to it.

Requests go through the app in this process (Flask's test client, the API key's check
included), so the figures are the app's and the database's, not a network's.

    .venv/bin/python benchmarks/catalog.py                       # SQLite, 100,000 QR Codes
    .venv/bin/python benchmarks/catalog.py --db postgres         # a fresh database, dropped after
"""

import argparse
import json
import os
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import smoke

DOMAINS = ("qr.bench.example", "go.bench.example")
COLORS = ("red", "yellow", "green", "blue", "purple", "pink", "brown")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def seed(count: int, rng: random.Random) -> dict:
    """Insert ``count`` QR Codes, 20 tags, 5 folders and destinations; return what the queries ask for."""
    from codeqr.domain.ids import new_id, url_hash
    from codeqr.domain.models import DestinationCheck, DestinationLink, Folder, QRCode, QRCodeTag, Tag
    from codeqr.domain.schemas import Design
    from codeqr.links.options import PASSWORD_HASH, stored_instant
    from codeqr.persistence.database import begin_write, driver_time, executemany, refresh_statistics
    from codeqr.persistence.extensions import db

    time_of = driver_time(db.engine.dialect)
    now = datetime.now(UTC)
    design = json.dumps(Design(bg_color="#ffffff", fg_color="#000000", size=1024, level="M", margin=4,
                               show_logo=False).stored())
    tags = [{"id": new_id(), "name": f"tag-{index:02d}", "color": COLORS[index % 7], "created_at": time_of(now),
             "updated_at": time_of(now)} for index in range(20)]
    folders = [{"id": new_id(), "name": f"Folder {index}", "access_level": "write", "created_at": time_of(now),
                "updated_at": time_of(now)} for index in range(5)]
    rows, pairs, links, checks = [], [], [], []
    for index in range(count):
        created = now - timedelta(seconds=rng.random() * 365 * 86400)
        url = f"https://shop.example/product/{index}"
        link: dict = {}
        if rng.random() < 0.1:
            link["expiresAt"] = stored_instant(now + timedelta(days=rng.randint(-60, 300)))
        if rng.random() < 0.1:
            link |= {"utm_source": rng.choice(("flyer", "poster", "box")), "utm_campaign": f"c{index % 50}"}
        if rng.random() < 0.05:
            link["ios"] = f"https://apps.example/ios/{index}"
        if rng.random() < 0.05:
            link["geo"] = {"DE": f"https://shop.example/de/{index}"}
        if rng.random() < 0.02:
            link[PASSWORD_HASH] = "scrypt:32768:8:1$bench$0"  # never checked here: any stored form

        scanned = rng.random() < 0.7
        qr_id = new_id()
        rows.append({"id": qr_id, "type": "url", "content": None, "static": rng.random() < 0.05,
                     "use_display_page": True, "url": url, "url_hash": url_hash(url), "upsert_slot": None,
                     "domain": DOMAINS[index % 2], "key": f"cat{index:07d}-qr",
                     "title": f"Product {index}" if rng.random() < 0.9 else None,
                     "external_id": f"sku-{index}" if rng.random() < 0.5 else None,
                     "use_as_template": rng.random() < 0.01, "default_template": False, "design": design,
                     "link": json.dumps(link) if link else None, "archived": rng.random() < 0.05,
                     "comments": f"batch {index % 97}" if rng.random() < 0.1 else None,
                     "folder_id": rng.choice(folders)["id"] if rng.random() < 0.6 else None,
                     "user_id": rng.choice((None, 1, 2, 3)), "scans": int(rng.random() ** 4 * 10_000) if scanned else 0,
                     "last_scanned_at": time_of(created + (now - created) * rng.random()) if scanned else None,
                     "created_at": time_of(created), "updated_at": time_of(created)})
        pairs += [{"qrcode_id": qr_id, "tag_id": tag["id"]} for tag in rng.sample(tags, rng.randint(0, 3))]
        if index % 50 == 0:  # 2 % have their destination checked, a tenth of those broken
            broken = index % 500 == 0
            links.append({"qrcode_id": qr_id, "url_hash": url_hash(url), "told_broken_at": None})
            checks.append({"url_hash": url_hash(url), "url": url, "host": "shop.example",
                           "status": 404 if broken else 200, "error": None, "final_url": url, "failures": 2 * broken,
                           "checked_at": time_of(now), "last_ok_at": None if broken else time_of(now),
                           "failing_since": time_of(now) if broken else None,
                           "broken_since": time_of(now) if broken else None, "due_at": time_of(now),
                           "lease_owner": None, "lease_until": None})
    with begin_write():
        executemany(Tag.__table__.insert(), tags)
        executemany(Folder.__table__.insert(), folders)
        for table, values in ((QRCode, rows), (QRCodeTag, pairs), (DestinationCheck, checks),
                              (DestinationLink, links)):
            for start in range(0, len(values), 5000):
                executemany(table.__table__.insert(), values[start:start + 5000])
    # Statistics, as a running instance has them (PostgreSQL's autovacuum, SQLite's hourly chore).
    if db.engine.dialect.name == "postgresql":
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
    refresh_statistics()
    return {"tag": tags[3]["id"], "tags": f"{tags[4]['id']},{tags[5]['id']}", "folder": folders[2]["id"],
            "now": now}


def queries(seeded: dict) -> list[tuple[str, str]]:
    """Each filter and sort, as a query string of the list (its name, then the query)."""
    before = (seeded["now"] - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    after = (seeded["now"] - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = (seeded["now"] + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    filters = [
        ("search", "search=product%204711"), ("domain", f"domain={DOMAINS[1]}"), ("key", "key=cat0004711-qr"),
        ("externalId", "externalId=sku-4711"), ("tagId", f"tagId={seeded['tag']}"), ("tagIds", f"tagIds={seeded['tags']}"),
        ("tagNames", "tagNames=tag-07,tag-08"), ("folderId", f"folderId={seeded['folder']}"),
        ("folderId=unfiled", "folderId=unfiled"), ("showArchived", "showArchived=true"), ("type", "type=url"),
        ("static", "static=true"), ("userId", "userId=2"), ("createdAfter", f"createdAfter={after}"),
        ("createdBefore", f"createdBefore={before}"), ("expiresAfter", f"expiresAfter={later}"),
        ("expiresBefore", f"expiresBefore={after}"), ("scansMin", "scansMin=5000"), ("scansMax", "scansMax=0"),
        ("lastScannedBefore", f"lastScannedBefore={before}"), ("hasTags=false", "hasTags=false"),
        ("hasComments", "hasComments=true"), ("hasExpiration", "hasExpiration=true"),
        ("hasPassword", "hasPassword=true"), ("hasGeo", "hasGeo=true"), ("hasDevice", "hasDevice=true"),
        ("hasUTM", "hasUTM=true"), ("utm_source", "utm_source=poster"), ("utm_campaign", "utm_campaign=c7"),
        ("useAsTemplate", "useAsTemplate=true"), ("destinationStatus", "destinationStatus=broken"),
        ("combined", f"tagIds={seeded['tag']}&folderId={seeded['folder']}&hasUTM=true")]
    sorts = [(f"sort={sort}", f"sort={sort}") for sort in ("updatedAt", "title", "url", "scans", "lastScannedAt")]
    sorts.append(("sort=title asc", "sort=title&order=asc"))
    return filters + sorts


def timed(client, path: str, repeat: int) -> tuple[float, float]:
    """Median and 95th percentile, in ms, of ``repeat`` GETs of ``path`` (after one warm-up)."""
    assert client.get(path).status_code == 200, path
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, (path, answer.get_data(as_text=True))
    return statistics.median(times), percentile(times, 0.95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    smoke.add_option(parser)
    args = parser.parse_args()
    if args.quick:
        args.codes, args.repeat = 500, 2
    smoke.announce(args.quick)

    instance = Path(tempfile.mkdtemp(prefix="codeqr-catalog-"))
    db_name = f"codeqr_catalog_{os.getpid()}"
    url = (f"{args.postgres_url.rsplit('/', 1)[0]}/{db_name}" if args.db == "postgres"
           else f"sqlite:///{instance / 'codeqr.db'}")
    if args.db == "postgres":
        import psycopg

        with psycopg.connect(args.postgres_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{db_name}"')
    try:
        from codeqr import create_app
        from codeqr.accounts import apikeys
        from codeqr.context import for_operator
        from codeqr.persistence.extensions import db

        app = create_app({"INSTANCE_PATH": str(instance), "CODEQR_DATABASE_URL": url,
                          "CODEQR_DEFAULT_DOMAIN": DOMAINS[0], "CODEQR_DOMAINS": [DOMAINS[1]],
                          "CODEQR_ANALYTICS_WORKER": False, "CODEQR_JOB_WORKER": False,
                          "CODEQR_RATE_LIMIT_ENABLED": False, "CODEQR_REQUEST_LOG": False,
                          "CODEQR_DESTINATION_CHECKS": False, "CODEQR_DATABASE_TIMEOUT_SECONDS": 600})
        with app.app_context():
            print(f"seeding {args.codes:,} QR Codes, 20 tags, 5 folders ({args.db})", flush=True)
            seeded = seed(args.codes, random.Random(24))
            secret = apikeys.create("bench", scope="read_only", ctx=for_operator())[1]
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        base_list = timed(client, "/api/qrcodes?pageSize=20", args.repeat)
        base_count = timed(client, "/api/qrcodes/count", args.repeat)
        print(f"yardstick: the default page p50 {base_list[0]:.1f} ms p95 {base_list[1]:.1f} ms; "
              f"the plain count p50 {base_count[0]:.1f} ms p95 {base_count[1]:.1f} ms")
        print(f"{'filter or sort':<22} {'list p50':>9} {'list p95':>9} {'÷ page':>7} {'count p95':>10} {'÷ count':>8}")
        for name, query in queries(seeded):
            listed = timed(client, f"/api/qrcodes?pageSize=20&{query}", args.repeat)
            counted = timed(client, f"/api/qrcodes/count?{query}", args.repeat) if not query.startswith("sort") \
                else None
            count_text = f"{counted[1]:10.1f} {counted[1] / base_count[1]:8.2f}" if counted else f"{'':>10} {'':>8}"
            print(f"{name:<22} {listed[0]:9.1f} {listed[1]:9.1f} {listed[1] / base_list[1]:7.2f} {count_text}",
                  flush=True)
        with app.app_context():
            db.engine.dispose()  # its connections closed before the database is dropped
    finally:
        shutil.rmtree(instance, ignore_errors=True)
        if args.db == "postgres":
            import psycopg

            with psycopg.connect(args.postgres_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
