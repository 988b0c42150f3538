"""Several processes at once: exact scan counts and one QR Code per upserted url."""

import multiprocessing
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from workers import scan_forever, scan_many, upsert_each

PROCESSES = 4


def _shared_config(app):
    keep = ("INSTANCE_PATH", "CODEQR_DATABASE_URL", "CODEQR_DEFAULT_DOMAIN", "CODEQR_DOMAINS", "CODEQR_STORAGE_PATH")
    return {"TESTING": True, "CODEQR_ANALYTICS_WORKER": False, **{name: app.config[name] for name in keep if name in app.config},
            "INSTANCE_PATH": app.instance_path}


def _run(function, args_for_each):
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(PROCESSES)
    with ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
        futures = [pool.submit(function, *args, barrier) for args in args_for_each]
        return [future.result(timeout=300) for future in futures]


def _stored_scans(app, qr_id: str) -> int:
    """Scans stored for a QR Code: waiting in the inbox, or moved to the events."""
    from codeqr import db
    from codeqr.scans.models import PendingScan, ScanEvent

    with app.app_context():
        return sum(db.session.scalar(db.select(db.func.count()).select_from(table).where(table.qrcode_id == qr_id))
                   for table in (PendingScan, ScanEvent))


def _events_of(app, qr_id: str) -> int:
    from codeqr import db
    from codeqr.scans.models import ScanEvent

    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(ScanEvent).where(ScanEvent.qrcode_id == qr_id))


def test_500_concurrent_scans_count_exactly_500_with_500_events(app, api):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    _run(scan_many, [(_shared_config(app), qr["key"], 5)] * PROCESSES)  # scans before: the count adds to them
    config = _shared_config(app)
    results = _run(scan_many, [(config, qr["key"], 500 // PROCESSES)] * PROCESSES)
    assert [status for statuses in results for status in statuses] == [302] * 500
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] == 520
    assert _stored_scans(app, qr["id"]) == 520
    assert api.get("/api/analytics?groupBy=count").get_json() == {"scans": 520}  # waiting scans counted
    from codeqr.scans.enrichment import enrich_pending

    with app.app_context():
        while enrich_pending(app, wait=True):  # what the background thread (off in tests) does
            pass
    assert _events_of(app, qr["id"]) == 520


def test_a_worker_killed_in_a_burst_leaves_counts_equal_to_events(app, api):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    context = multiprocessing.get_context("spawn")
    burst = context.Process(target=scan_forever, args=(_shared_config(app), qr["key"]))
    burst.start()
    deadline = time.monotonic() + 60
    while api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] < 100:
        assert time.monotonic() < deadline and burst.is_alive(), "the burst did not get going"
        time.sleep(0.05)
    os.kill(burst.pid, signal.SIGKILL)
    burst.join()
    scans = api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"]
    assert scans >= 100 and _stored_scans(app, qr["id"]) == scans


def test_concurrent_upserts_of_a_new_url_create_exactly_one(app, api, api_key):
    urls = [f"https://example.com/launch/{i}" for i in range(15)]
    config = _shared_config(app)
    results = _run(upsert_each, [(config, api_key, urls)] * PROCESSES)
    for index, url in enumerate(urls):
        statuses = sorted(result[index] for result in results)
        assert statuses == [200] * (PROCESSES - 1) + [201], (url, statuses)
    stored = sorted(qr["url"] for qr in api.get("/api/qrcodes?pageSize=100").get_json())
    assert stored == sorted(urls)



@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_writers_wait_for_their_turn_on_a_file_lock(make_app, database_url):
    """A scan waits while another process holds ``<database>-writers`` (a lock of
    another open file, as a process has), and is counted once it is released."""
    import fcntl
    import threading

    from codeqr.context import for_operator
    from codeqr.domain import qrcodes, writes
    from codeqr.domain.schemas import QRCodeCreate

    app = make_app()
    with app.app_context():
        qr = writes.create(QRCodeCreate(url="https://example.com/"), ctx=for_operator())
    counted = threading.Event()

    def scan():
        with app.app_context():
            app.extensions["codeqr"].scan_counter.scan("localhost", qr.key)
        counted.set()

    with open(database_url.removeprefix("sqlite:///") + "-writers", "a") as other_process:
        fcntl.flock(other_process, fcntl.LOCK_EX)
        scanner = threading.Thread(target=scan)
        scanner.start()
        waited = not counted.wait(0.5)
        fcntl.flock(other_process, fcntl.LOCK_UN)
    assert waited and counted.wait(10)
    scanner.join()
    with app.app_context():
        assert qrcodes.get(qr.id, for_operator()).scans == 1
