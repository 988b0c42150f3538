"""docs/deploy.md's multi-server setup, for real: two ``codeqr serve`` processes on one
PostgreSQL database, Redis and SeaweedFS. A QR Code made through one is served through the
other, scans are exact across both, a rate limit is shared, and an import started on one
is finished by the other after the first is killed."""

import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from codeqr import db
from codeqr.context import for_operator
from codeqr.domain.models import ImportJob, QRCode
from codeqr.jobs import csv_import
from decode import decode
from servers import CODEQR, clean_env, free_port, wait_until_answering

DOMAIN = "qr.scale.test"
ROWS = 3000

pytestmark = [pytest.mark.postgres, pytest.mark.s3]


class Server:
    """One ``codeqr serve`` (a gunicorn master and its workers) with the shared settings."""

    def __init__(self, settings: dict, folder: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = clean_env(**settings, CODEQR_INSTANCE_PATH=str(folder))
        # Its log goes to a file: a pipe nobody reads fills with request lines and stalls the server.
        self.log = folder.with_suffix(".log")
        with self.log.open("w") as log:
            self.process = subprocess.Popen([CODEQR, "serve", "--port", str(self.port)], env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        answer = wait_until_answering(f"{self.url}/readyz", self.process)
        assert answer.status_code == 200, self.log.read_text()

    def get(self, path: str, **kwargs):
        return requests.get(self.url + path, headers={"Host": DOMAIN, **kwargs.pop("headers", {})},
                            allow_redirects=False, timeout=30, **kwargs)

    def kill(self) -> None:
        """``kill -9`` of the master and every worker at once: a machine that died."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)


@pytest.fixture
def settings(postgres_database, redis_url, s3_settings) -> dict:
    return {
        "CODEQR_DATABASE_URL": postgres_database,
        "CODEQR_SECRET_KEY": "one secret for every server",
        "CODEQR_DEFAULT_DOMAIN": DOMAIN,
        "CODEQR_RATE_LIMIT_STORAGE_URL": redis_url,
        "CODEQR_RATE_LIMIT_API": "20 per minute",
        "CODEQR_JOB_LEASE_SECONDS": "2",
        "CODEQR_SERVE_WORKERS": "2",
        **s3_settings,
    }


@pytest.fixture
def servers(settings, tmp_path):
    started = []

    def start(name: str) -> Server:
        started.append(Server(settings, tmp_path / name))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def _key(server: Server, name: str) -> dict:
    made = subprocess.run([CODEQR, "create-api-key", name], env=server.env, capture_output=True, text=True,
                          check=True)
    return {"Authorization": f"Bearer {made.stdout.strip().splitlines()[-1]}"}


def test_two_servers_share_codes_scans_images_and_limits(servers):
    one, two = servers("one"), servers("two")
    key = _key(one, "scale")
    qr = requests.post(f"{one.url}/api/qrcodes", json={"url": "https://example.com/both"}, headers=key,
                       timeout=30).json()
    assert qr["shortLink"] == f"http://{DOMAIN}/{qr['key']}"
    image = two.get(f"/qr/{qr['id']}.png")  # rendered by two, into the shared bucket
    assert decode(image.content, image.headers["Content-Type"]) == [qr["shortLink"]]
    assert one.get(f"/qr/{qr['id']}.png").content == image.content

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda n: (one, two)[n % 2].get(f"/{qr['key']}").status_code, range(400)))
    assert answers == [302] * 400
    for server in (one, two):
        assert requests.get(f"{server.url}/api/qrcodes/{qr['id']}", headers=key, timeout=30).json()["scans"] == 400
        counted = requests.get(f"{server.url}/api/analytics", params={"qrcodeId": qr["id"], "bots": "include"},
                               headers=key, timeout=30).json()
        assert counted == {"scans": 400}

    limited = _key(two, "limited")  # 20 per minute, wherever the requests land
    statuses = [requests.get(f"{(one, two)[n % 2].url}/api/qrcodes/count", headers=limited, timeout=30).status_code
                for n in range(30)]
    assert statuses.count(200) == 20 and statuses.count(429) == 10


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_an_import_started_on_a_server_that_dies_is_finished_by_the_other(servers, make_app, settings):
    app = make_app(CODEQR_DATABASE_URL=settings["CODEQR_DATABASE_URL"], CODEQR_JOB_WORKER=False)

    def job() -> ImportJob:
        with app.app_context():
            found = db.session.get(ImportJob, job_id)
            db.session.expunge(found)
            return found

    first = servers("first")
    with app.app_context():
        job_id = csv_import.start([{"url": f"https://example.com/row/{n}"} for n in range(ROWS)], "rows.csv",
                                  for_operator()).id
    first.get("/healthz")  # the runner of each worker started with it; one of them takes the job
    deadline = time.monotonic() + 120
    while job().processed < 200:
        assert time.monotonic() < deadline, "the first server did not take the import up"
        time.sleep(0.05)
    second = servers("second")
    first.kill()
    stopped_at = job()
    assert stopped_at.status == "running" and stopped_at.processed < ROWS

    deadline = time.monotonic() + 300
    while (finished := job()).status != "done":
        assert time.monotonic() < deadline, f"the import stopped at {finished.processed} rows"
        time.sleep(0.2)
    with app.app_context():
        stored = db.session.scalar(db.select(db.func.count()).select_from(QRCode))
        distinct = db.session.scalar(db.select(db.func.count(db.distinct(QRCode.url))))
    assert (finished.processed, finished.created, finished.failed) == (ROWS, ROWS, 0)
    assert stored == distinct == ROWS and finished.attempts == 2
    assert second.get("/healthz").status_code == 200
