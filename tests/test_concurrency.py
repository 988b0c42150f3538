"""Several processes at once: exact scan counts and one QR Code per upserted url."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from workers import scan_many, upsert_each

PROCESSES = 4


def _shared_config(app):
    keep = ("INSTANCE_PATH", "CODEQR_DATABASE_URL", "CODEQR_DEFAULT_DOMAIN", "CODEQR_DOMAINS", "CODEQR_STORAGE_PATH")
    return {"TESTING": True, **{name: app.config[name] for name in keep if name in app.config},
            "INSTANCE_PATH": app.instance_path}


def _run(function, args_for_each):
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(PROCESSES)
    with ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
        futures = [pool.submit(function, *args, barrier) for args in args_for_each]
        return [future.result(timeout=300) for future in futures]


def test_200_concurrent_scans_count_exactly_200(app, api):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    config = _shared_config(app)
    results = _run(scan_many, [(config, qr["key"], 200 // PROCESSES)] * PROCESSES)
    assert [status for statuses in results for status in statuses] == [302] * 200
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] == 200


def test_concurrent_upserts_of_a_new_url_create_exactly_one(app, api, api_key):
    urls = [f"https://example.com/launch/{i}" for i in range(15)]
    config = _shared_config(app)
    results = _run(upsert_each, [(config, api_key, urls)] * PROCESSES)
    for index, url in enumerate(urls):
        statuses = sorted(result[index] for result in results)
        assert statuses == [200] * (PROCESSES - 1) + [201], (url, statuses)
    stored = sorted(qr["url"] for qr in api.get("/api/qrcodes?pageSize=100").get_json())
    assert stored == sorted(urls)
