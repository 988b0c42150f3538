"""``codeqr serve`` as it runs for real: slow clients that do not stop the short links,
metrics that never fail a request, a metrics folder kept in the instance and cleaned after
a crash."""

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.routing import IntegerConverter

from codeqr.operations import instruments, requestlog
from codeqr.operations.serving import MetricsFolder
from servers import CODEQR, clean_env, free_port, wait_until_answering


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
def serve(tmp_path):
    """Start ``codeqr serve`` on a fresh instance with these settings: (base URL, server, instance)."""
    started = []

    def _serve(**settings):
        instance = tmp_path / "instance"
        port = free_port()
        # Its output to a file: a pipe nobody reads would fill with request lines and stop it.
        server = subprocess.Popen([CODEQR, "--instance", str(instance), "serve", "--port", str(port)],
                                  env=clean_env(**settings), cwd=tmp_path,
                                  stdout=(tmp_path / "serve.log").open("w"), stderr=subprocess.STDOUT)
        started.append(server)
        base = f"http://127.0.0.1:{port}"
        wait_until_answering(f"{base}/healthz", server)
        return base, server, instance

    yield _serve
    for server in started:
        server.terminate()
        server.wait(timeout=60)


@pytest.fixture
def served(serve):
    """``codeqr serve`` with two workers."""
    return serve(CODEQR_SERVE_WORKERS="2")


def _short_link(base: str, instance: Path) -> dict:
    made = subprocess.run([CODEQR, "--instance", str(instance), "create-api-key", "t"], env=clean_env(),
                          check=True, capture_output=True, text=True, timeout=120)
    secret = made.stdout.strip().splitlines()[-1]
    return requests.post(f"{base}/api/qrcodes", json={"url": "https://example.com/slow"},
                         headers={"Authorization": f"Bearer {secret}"}, timeout=10).json()


#: What a slow client sends first, and then a byte (or a header line) at a time.
_SLOW = {
    "headers": (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n", b"X-Slow: 1\r\n"),
    "body": ((b"POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
              b"Content-Length: 100000\r\n\r\nemail="), b"a"),
}


def _drip(port: int, kind: str, until: float, every: float, ends: list) -> None:
    """Drip a request until ``until``; when the server ends it, note what it said and start again."""
    first, more = _SLOW[kind]
    while time.monotonic() < until:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(first)
            try:
                while time.monotonic() < until:
                    time.sleep(every)
                    sock.sendall(more)
                    if sock.recv(64, socket.MSG_DONTWAIT | socket.MSG_PEEK) == b"":
                        break  # closed by the server
            except BlockingIOError:
                continue  # nothing said yet: still reading us
            except OSError:
                pass
            try:
                ends.append((kind, sock.recv(64)))
            except OSError:
                ends.append((kind, b""))


def _slow_clients(port: int, count: int, seconds: float, every: float) -> tuple[list, list]:
    until = time.monotonic() + seconds
    ends: list = []
    threads = [threading.Thread(target=_drip, args=(port, kind, until, every, ends), daemon=True)
               for kind in ("headers", "body") for _ in range(count // 2)]
    for thread in threads:
        thread.start()
    return threads, ends


def test_twenty_slow_clients_leave_the_short_links_answering(serve):
    # The report's test: 20 clients dripping for 30 s. The defaults as shipped, but a worker
    # timeout shorter than the drip: under the old sync workers each slow client held a
    # whole worker, the probes timed out, and gunicorn killed the workers at this timeout.
    base, server, instance = serve(CODEQR_SERVE_TIMEOUT_SECONDS="5")
    qr = _short_link(base, instance)
    workers = _workers(server)
    threads, _ = _slow_clients(int(base.rsplit(":", 1)[1]), 20, seconds=30, every=1.0)
    time.sleep(1)  # every slow client connected and started
    # Each probe must be answered within its client's timeout (an exception otherwise): under
    # the old sync workers they waited behind the slow clients, and timed out. (How fast they
    # are answered beside slow clients is a figure for a benchmark, not this test.)
    answered = 0
    while any(thread.is_alive() for thread in threads) and answered < 2000:
        answer = requests.get(f"{base}/{qr['key']}", allow_redirects=False, timeout=10)
        assert answer.status_code == 302
        answered += 1
        time.sleep(0.02)
    for thread in threads:
        thread.join(timeout=30)
    assert answered >= 20  # probes ran while the slow clients dripped
    assert _workers(server) == workers  # none killed


def test_a_request_that_does_not_arrive_in_time_is_cut(serve):
    base, _, _ = serve(CODEQR_SERVE_HEADER_TIMEOUT_SECONDS="2", CODEQR_SERVE_BODY_TIMEOUT_SECONDS="2",
                       CODEQR_SERVE_THREADS="2", CODEQR_SERVE_WORKERS="1")
    threads, ends = _slow_clients(int(base.rsplit(":", 1)[1]), 2, seconds=9, every=0.5)
    for thread in threads:
        thread.join(timeout=30)
    said = {kind: [end for k, end in ends if k == kind] for kind in _SLOW}
    # Each cut at its deadline (2 s, checked every second) and started again: two or more times in 9 s.
    assert len(said["headers"]) >= 2 and all(end == b"" for end in said["headers"])
    assert len(said["body"]) >= 2 and all(end.startswith(b"HTTP/1.1 400") for end in said["body"])
    # Two threads, both taken by slow clients again and again: the redirect still gets its turn.
    assert requests.get(f"{base}/healthz", timeout=10).status_code == 200


def _get(sock: socket.socket, path: str) -> bytes:
    """One request on an open connection; the whole answer (read by its Content-Length)."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(65536) or pytest.fail("the server closed the connection")
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")))
    while len(body) < length:
        body += sock.recv(65536) or pytest.fail("the server closed the connection")
    return answer


def test_idle_connections_wait_without_a_thread(serve):
    # One worker of two threads, and more idle connections than threads: some that have
    # sent nothing yet, some kept alive between requests. Were they holding threads, nothing
    # would be answered before the header deadline freed them: every client here gives up
    # long before it (a timeout a third of the deadline), so such a wait fails the test.
    header_deadline, patience = 12, 4
    base, _, _ = serve(CODEQR_SERVE_THREADS="2", CODEQR_SERVE_WORKERS="1",
                       CODEQR_SERVE_HEADER_TIMEOUT_SECONDS=str(header_deadline))
    port = int(base.rsplit(":", 1)[1])
    silent = [socket.create_connection(("127.0.0.1", port), timeout=patience) for _ in range(6)]
    kept = [socket.create_connection(("127.0.0.1", port), timeout=patience) for _ in range(6)]
    try:
        for sock in kept:
            assert _get(sock, "/healthz").startswith(b"HTTP/1.1 200")
        # Each still open, and answering its next request on the same connection.
        for sock in kept:
            assert _get(sock, "/healthz").startswith(b"HTTP/1.1 200")
        # Meanwhile new clients are answered: the idle connections hold no thread.
        assert requests.get(f"{base}/healthz", timeout=patience).status_code == 200
        # Past gunicorn's keep-alive time (2 s) and the header deadline, looked at every
        # second, the server closes them: each read ends, none waits past its timeout.
        for sock in kept + silent:
            sock.settimeout(header_deadline + 10)
            assert sock.recv(1) == b""
    finally:
        for sock in kept + silent:
            sock.close()


def test_a_client_that_stops_reading_is_dropped(serve):
    # One thread, and a client that asks, with a small receive buffer, for a big file (static,
    # so written from a file) eight times in one go, more than the kernel's buffers hold
    # (4 MB at most), and then reads nothing: while the answers are stuck, the thread is too.
    # The send timeout drops the client and frees the thread for the next request; without
    # it, that request waits until its own timeout and fails.
    base, _, _ = serve(CODEQR_SERVE_THREADS="1", CODEQR_SERVE_WORKERS="1", CODEQR_SERVE_SEND_TIMEOUT_SECONDS="2")
    port = int(base.rsplit(":", 1)[1])
    path = "/static/swagger-ui-bundle.js"
    size = len(requests.get(f"{base}{path}", timeout=30).content)
    with socket.socket() as stalled:
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.settimeout(30)
        stalled.connect(("127.0.0.1", port))
        stalled.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode() * 8)
        stalled.recv(1, socket.MSG_PEEK)  # the answer has begun
        assert requests.get(f"{base}/healthz", timeout=30).status_code == 200
        # The stalled client finds its answers cut: the connection closed before their end.
        received = 0
        while chunk := stalled.recv(65536):
            received += len(chunk)
        assert 0 < received < 8 * size


def test_a_worker_out_of_files_answers_again_once_connections_close(tmp_path):
    # Far more connections at once than the worker may open files: those it cannot take wait
    # in the backlog, and when they close it answers again (its taking thread neither dies
    # holding the turn nor spins).
    port = free_port()
    log = tmp_path / "serve.log"
    # prlimit (util-linux, as essential as the shell here) sets the limit the workers inherit.
    server = subprocess.Popen(["prlimit", "--nofile=256", CODEQR, "--instance", str(tmp_path / "instance"),
                               "serve", "--port", str(port)],
                              env=clean_env(CODEQR_SERVE_WORKERS="1"), cwd=tmp_path,
                              stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_answering(f"{base}/healthz", server)
        silent = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(400)]
        deadline = time.monotonic() + 30
        while "Cannot take a connection now" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "Cannot take a connection now" in log.read_text()
        for sock in silent:
            sock.close()
        assert requests.get(f"{base}/healthz", timeout=30).status_code == 200
        assert "worker stops" not in log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=60)


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


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # make_app only lists the routes
def test_workers_restarted_without_the_metrics_folder_answer_every_route(served, make_app):
    base, server, instance = served
    folder = instance / "metrics" / str(server.pid)
    assert folder.is_dir()  # in the instance, not under /tmp
    qr = _short_link(base, instance)

    # A cleaner of old files removes the folder; then both workers die and are restarted.
    subprocess.run(["rm", "-rf", str(instance / "metrics")], check=True)
    killed = _workers(server)
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    _wait_for_new_workers(server, killed, base)

    redirect = requests.get(f"{base}/{qr['key']}", allow_redirects=False, timeout=10)
    assert redirect.status_code == 302 and redirect.headers["Location"] == "https://example.com/slow"
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
    monkeypatch.setattr(instruments, "_said_dropped", False)  # said once per process: this test's process
    with caplog.at_level(logging.WARNING, logger="codeqr.operations.instruments"):
        assert client.get(f"/{qr['key']}").status_code == 302
        assert client.get("/readyz").status_code == 200
        assert client.get("/healthz").status_code == 200
    said = [record for record in caplog.records if record.name == "codeqr.operations.instruments"]
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


def test_idle_background_threads_take_no_write_turn(make_app):
    """Each worker's job runner and scan enricher look for work every few seconds: when
    there is none, they must not take SQLite's one write turn (scans would wait behind it)."""
    from sqlalchemy import event

    from codeqr import db
    from codeqr.domain.models import ExportJob, ImportJob
    from codeqr.domain.timeutil import utcnow
    from codeqr.jobs.runner import claim
    from codeqr.scans.enrichment import enrich_pending

    app = make_app(CODEQR_JOB_WORKER=False)
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        assert [claim(model, "idle-runner", 30, utcnow()) for model in (ImportJob, ExportJob)] == [None, None]
        assert enrich_pending(app) == 0
        db.session.remove()
    writes = [s for s in statements if s.lstrip().upper().startswith(("BEGIN IMMEDIATE", "UPDATE", "INSERT", "DELETE"))
              or "FOR UPDATE" in s.upper()]
    assert statements and not writes


def test_the_metrics_folder_of_a_server_killed_with_sigkill_goes_at_the_next_start(serve, tmp_path):
    instance = tmp_path / "instance"
    port = free_port()
    killed = subprocess.Popen([CODEQR, "--instance", str(instance), "serve", "--port", str(port)],
                              env=clean_env(CODEQR_SERVE_WORKERS="1"), cwd=tmp_path, start_new_session=True,
                              stdout=(tmp_path / "killed.log").open("w"), stderr=subprocess.STDOUT)
    wait_until_answering(f"http://127.0.0.1:{port}/metrics", killed)
    left = instance / "metrics" / str(killed.pid)
    assert any(left.glob("counter_*.db"))
    os.killpg(killed.pid, signal.SIGKILL)  # master and workers at once: nothing cleans up
    killed.wait()
    assert left.is_dir()

    _, server, _ = serve(CODEQR_SERVE_WORKERS="1")
    assert not left.exists()
    assert [folder.name for folder in (instance / "metrics").iterdir()] == [str(server.pid)]
