"""``codeqr serve`` as it runs for real: metrics that never fail a request, a metrics folder
kept in the instance and cleaned after a crash."""

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from servers import CODEQR, clean_env, free_port, wait_until_answering
from werkzeug.routing import IntegerConverter

from codeqr import requestlog
from codeqr.serving import MetricsFolder


def _workers(server: subprocess.Popen) -> set[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return {int(pid) for pid in children}


def _every_get_path(app, key: str) -> list[str]:
    """One path per GET route of the URL map, arguments filled in (the short link's with ``key``)."""
    urls = app.url_map.bind("localhost")
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        values = {name: 1 if isinstance(converter, IntegerConverter) else "x"
                  for name, converter in rule._converters.items()}
        if rule.endpoint == "public.redirect":
            values = {"key": key}
        paths.append(urls.build(rule.endpoint, values))
    return paths


@pytest.fixture
def served(tmp_path):
    """``codeqr serve`` with two workers on a fresh instance: (base URL, server, instance)."""
    instance = tmp_path / "instance"
    port = free_port()
    server = subprocess.Popen([CODEQR, "--instance", str(instance), "serve", "--port", str(port)],
                              env=clean_env(CODEQR_SERVE_WORKERS="2"), cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base}/healthz", server)
        yield base, server, instance
    finally:
        server.terminate()
        server.output = server.communicate(timeout=60)[0]


def _wait_for_new_workers(server: subprocess.Popen, killed: set[int], base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = _workers(server)
        if len(workers) == 2 and not workers & killed:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("gunicorn did not start new workers")
    wait_until_answering(f"{base}/healthz", server)


def test_workers_restarted_without_the_metrics_folder_answer_every_route(served, make_app):
    base, server, instance = served
    folder = instance / "metrics" / str(server.pid)
    assert folder.is_dir()  # in the instance, not under /tmp
    made = subprocess.run([CODEQR, "--instance", str(instance), "create-api-key", "t"], env=clean_env(),
                          check=True, capture_output=True, text=True, timeout=120)
    secret = made.stdout.strip().splitlines()[-1]
    qr = requests.post(f"{base}/api/qrcodes", json={"url": "https://example.com/gone"},
                       headers={"Authorization": f"Bearer {secret}"}, timeout=10).json()

    # A cleaner of old files removes the folder; then both workers die and are restarted.
    subprocess.run(["rm", "-rf", str(instance / "metrics")], check=True)
    killed = _workers(server)
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    _wait_for_new_workers(server, killed, base)

    redirect = requests.get(f"{base}/{qr['key']}", allow_redirects=False, timeout=10)
    assert redirect.status_code == 302 and redirect.headers["Location"] == "https://example.com/gone"
    assert requests.get(f"{base}/readyz", timeout=10).status_code == 200
    answers = {path: requests.get(f"{base}{path}", allow_redirects=False, timeout=30).status_code
               for path in _every_get_path(make_app(), "no-such-key")}
    assert len(answers) > 20 and not {path: status for path, status in answers.items() if status >= 500}
    metrics = requests.get(f"{base}/metrics", timeout=10)
    assert metrics.status_code == 200
    assert "codeqr_scans_total 1.0" in metrics.text  # counting again, in the folder made anew
    assert folder.is_dir()


def test_a_metrics_sample_that_cannot_be_written_never_fails_a_request(client, api, monkeypatch, caplog):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/m"}).get_json()

    def broken():
        raise FileNotFoundError("/gone/histogram_4242.db")

    monkeypatch.setattr(requestlog, "instruments", broken)
    with caplog.at_level(logging.WARNING, logger="codeqr.metrics"):
        assert client.get(f"/{qr['key']}").status_code == 302
        assert client.get("/readyz").status_code == 200
        assert client.get("/healthz").status_code == 200
    said = [record for record in caplog.records if record.name == "codeqr.metrics"]
    assert len(said) == 1 and "dropped" in said[0].getMessage()  # said once, not per request


def test_a_folder_left_by_a_killed_server_is_removed_at_the_next_start(tmp_path, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    root = tmp_path / "instance" / "metrics"
    try:
        for pid in (dead.pid, alive.pid):
            (root / str(pid)).mkdir(parents=True)
            (root / str(pid) / f"counter_{pid}.db").write_bytes(b"\0" * 16)
        with MetricsFolder(str(tmp_path / "instance")) as folder:
            assert Path(folder) == root / str(os.getpid()) and Path(folder).is_dir()
            assert not (root / str(dead.pid)).exists()  # left by a server that died
            assert (root / str(alive.pid) / f"counter_{alive.pid}.db").exists()  # another server's, running
        assert not Path(folder).exists() and "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    finally:
        alive.kill()
        alive.wait()
