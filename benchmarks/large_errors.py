"""In one process, the answers to huge invalid inputs: their size, and their time against
reading the same body as JSON (``json.loads``, the yardstick, timed in the same run).

- a 4 MB JSON object with 200,000 unknown fields, to ``POST /api/qrcodes`` and as the one
  item of ``POST /api/qrcodes/bulk`` (whose answer echoes the item, as the API promises);
- a 4.6 MB CSV whose header has 600,000 unknown columns, to the import page.

    .venv/bin/python benchmarks/large_errors.py
    .venv/bin/python benchmarks/large_errors.py --quick   # a smoke run, 2,000 fields, 6,000 columns: no results
"""

import io
import json
import tempfile
import time

import smoke
from codeqr import create_app
from codeqr.accounts import apikeys, users
from codeqr.context import for_operator


def _app():
    folder = tempfile.mkdtemp()
    return create_app({"TESTING": True, "INSTANCE_PATH": folder, "CODEQR_DEFAULT_DOMAIN": "localhost",
                       "CODEQR_RATE_LIMIT_ENABLED": False, "CODEQR_ANALYTICS_WORKER": False,
                       "WTF_CSRF_ENABLED": False})


def _timed(call, rounds: int):
    best, answer = None, None
    for _ in range(rounds):
        start = time.perf_counter()
        answer = call()
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    return answer, best


def main() -> None:
    rounds, fields, columns = smoke.sizes(__doc__, quick=(1, 2000, 6000), full=(3, 200_000, 600_000))
    app = _app()
    with app.app_context():
        _, secret = apikeys.create("bench", ctx=for_operator())
        users.create("bench@example.com", "benchmark password", role="admin", ctx=for_operator())
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.com", "password": "benchmark password"})
    body = json.dumps({"url": "https://example.com/", **{f"unknown{i:06d}": 1 for i in range(fields)}}).encode()
    _, yardstick = _timed(lambda: json.loads(body), rounds)
    api = {"content_type": "application/json", "headers": {"Authorization": f"Bearer {secret}"}}
    header = "url," + ",".join(f"c{i}" for i in range(columns))
    upload = f"{header}\nhttps://example.com/\n".encode()
    cases = {
        f"create, {fields:,} unknown fields": (len(body), lambda: client.post("/api/qrcodes", data=body, **api)),
        f"bulk, 1 item of {fields:,} unknown fields": (len(body) + 2, lambda: client.post(
            "/api/qrcodes/bulk", data=b"[" + body + b"]", **api)),
        f"import, {columns:,} unknown columns": (len(upload), lambda: client.post(
            "/import", data={"file": (io.BytesIO(upload), "wide.csv")}, content_type="multipart/form-data")),
    }
    print(f"yardstick json.loads of the {len(body) / 1e6:.2f} MB body: {yardstick:.3f} s (best of {rounds})")
    for name, (sent, call) in cases.items():
        answer, took = _timed(call, rounds)
        print(f"{name}: sent {sent / 1e6:.2f} MB -> {answer.status_code}, answer {len(answer.data):,} bytes, "
              f"{took:.2f} s = {took / yardstick:.1f}× the yardstick", flush=True)


if __name__ == "__main__":
    main()
