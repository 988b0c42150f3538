"""A 10,000-QR-Code export at 1024 px under plain gunicorn (its defaults: 1 sync worker,
30 s timeout), through the web UI as a person uses it; optionally with the worker killed
(kill -9) in the middle. Prints how long the job took, the ZIP's size, and checks the
ZIP: every file there, every image decoding to its short link (a sample of 200 decoded
with zxing-cpp), the download's length as announced.

    .venv/bin/python benchmarks/export_big.py [--count 10000] [--kill-at 3000]
    .venv/bin/python benchmarks/export_big.py --quick   # a smoke run, 20 QR Codes: no results
"""

import argparse
import csv
import io
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import zipfile

import requests

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
import smoke
from redirect import free_port, wait_ready

DOMAIN = "localhost"
PASSWORD = "a long enough password"


def seed(instance: str, count: int) -> None:
    os.environ.update(CODEQR_INSTANCE_PATH=instance, CODEQR_DEFAULT_DOMAIN=DOMAIN, CODEQR_ANALYTICS_WORKER="false")
    from codeqr import create_app
    from codeqr.accounts import users
    from codeqr.context import for_operator
    from codeqr.domain import writes
    from codeqr.domain.schemas import QRCodeCreate

    app = create_app()
    with app.app_context():
        users.create("owner@example.com", PASSWORD, role="admin", ctx=for_operator())
        for i in range(count):
            writes.create(QRCodeCreate(url=f"https://example.com/catalog/{i}", title=f"Product {i}", size=1024),
                          ctx=for_operator())


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--kill-at", type=int, default=0, help="kill -9 the worker once this many are rendered")
    smoke.add_option(parser)
    args = parser.parse_args()
    if args.quick:
        args.count = 20
    smoke.announce(args.quick)
    with tempfile.TemporaryDirectory() as instance:
        started = time.monotonic()
        seed(instance, args.count)
        print(f"seeded {args.count} QR Codes in {time.monotonic() - started:.0f} s", flush=True)
        port = free_port()
        env = os.environ | {"CODEQR_INSTANCE_PATH": instance, "CODEQR_DEFAULT_DOMAIN": DOMAIN}
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--chdir", os.path.dirname(__file__),
                                   "-b", f"127.0.0.1:{port}", "bench_apps:codeqr()"], env=env)
        try:
            wait_ready(port, server)
            base = f"http://127.0.0.1:{port}"
            session = requests.Session()
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', session.get(base + "/login").text)[1]
            session.post(base + "/login", data={"csrf_token": token, "email": "owner@example.com", "password": PASSWORD})
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', session.get(base + "/qrcodes").text)[1]
            started = time.monotonic()
            answer = session.post(base + "/export", data={"csrf_token": token, "all": "1", "format": "png"},
                                  allow_redirects=False)
            page = base + answer.headers["Location"]
            killed = False
            while True:
                job = session.get(page + ".json").json()
                if job["status"] in ("done", "failed"):
                    break
                if args.kill_at and not killed and job["processed"] >= args.kill_at:
                    for pid in worker_pids(server.pid):
                        os.kill(pid, signal.SIGKILL)
                    killed = True
                    print(f"killed the worker (kill -9) at {job['processed']} rendered", flush=True)
                time.sleep(1)
            took = time.monotonic() - started
            print(f"export {job['status']} in {took:.0f} s ({args.count / took:.0f} QR Codes/s), "
                  f"{(job['sizeBytes'] or 0) / 1e6:.1f} MB {job['message'] or ''}", flush=True)
            download = session.get(page + ".zip")
            assert int(download.headers["Content-Length"]) == len(download.content) == job["sizeBytes"]
        finally:
            server.terminate()
            server.wait()
    check(download.content, args.count)


def check(data: bytes, count: int) -> None:
    from decode import decode

    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None, "a damaged member"
    names = archive.namelist()
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert len(names) == count + 1 and len(rows) == count, (len(names), len(rows))
    for row in random.Random(1).sample(rows, min(200, len(rows))):
        short_link, file = row["shortLink"], row["files"]
        assert decode(archive.read(file), "image/png") == [short_link], file
    print(f"ZIP checked: {len(names) - 1} images and the manifest; 200 images decoded to their short links")


if __name__ == "__main__":
    main()
