"""Bulk create: what its request pays, and what its job pays (the checks and the insert).

    .venv/bin/python benchmarks/bulk.py           # 100 plain, then 100 styled 1024 px items; 3 rounds
    .venv/bin/python benchmarks/bulk.py --quick   # a smoke run, 3 items, 1 round: no results

In a temporary instance folder (SQLite), its job runner on, through the test client: each round
sends ``POST /api/qrcodes/bulk`` with ``Prefer: respond-async`` and times the request (the body's
validation and the job's row: 202), then the job until it is done, after one warm-up bulk create (each item's image decoded,
then one insert); the reference in the same run is ``GET /api/qrcodes/count``. Medians.
"""

import json
import statistics
import tempfile
import time

import smoke
from codeqr import create_app
from codeqr.accounts import apikeys
from codeqr.context import for_operator

STYLED = {"pattern": "rounded", "eyeShape": "rounded", "fgGradient": {"type": "linear", "colors": ["#1d4ed8", "#7c3aed"]}}


def main() -> None:
    items, rounds = smoke.sizes(__doc__, quick=(3, 1), full=(100, 3))
    folder = tempfile.mkdtemp(prefix="codeqr-bulk-")
    app = create_app({"INSTANCE_PATH": folder, "CODEQR_DATABASE_URL": f"sqlite:///{folder}/codeqr.db",
                      "CODEQR_RATE_LIMIT_ENABLED": False, "CODEQR_ANALYTICS_WORKER": False})
    with app.app_context():
        secret = apikeys.create("bench", ctx=for_operator())[1]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    warm_up = client.post("/api/qrcodes/bulk", json=[{"url": "https://example.com/warm-up"}], headers=headers)
    assert warm_up.status_code == 200, warm_up.get_data(as_text=True)  # the runner's thread started, the code loaded
    print(f"{items} items a request, {rounds} round(s); medians")
    for name, design in (("plain", {}), ("styled", STYLED)):
        requests, jobs, references = [], [], []
        for round_ in range(rounds):
            body = [{"url": f"https://example.com/{name}/{round_}/{i}", "size": 1024, **design} for i in range(items)]
            started = time.perf_counter()
            answer = client.post("/api/qrcodes/bulk", json=body, headers={**headers, "Prefer": "respond-async"})
            requests.append(time.perf_counter() - started)
            assert answer.status_code == 202, answer.get_data(as_text=True)
            while (job := client.get(answer.headers["Location"], headers=headers).get_json())["status"] != "done":
                assert job["status"] != "failed", job["message"]
                time.sleep(0.01)
            jobs.append(time.perf_counter() - started)
            assert all("key" in result for result in job["results"]), json.dumps(job["results"])[:500]
            started = time.perf_counter()
            client.get("/api/qrcodes/count", headers=headers)
            references.append(time.perf_counter() - started)
        request, job_time, reference = (statistics.median(values) for values in (requests, jobs, references))
        print(f"{name:>6}: request {request * 1000:7.1f} ms ({request / reference:5.1f}x the count's "
              f"{reference * 1000:.1f} ms); job done after {job_time:6.2f} s")
    app.extensions["codeqr"].jobs.stop()


if __name__ == "__main__":
    main()
