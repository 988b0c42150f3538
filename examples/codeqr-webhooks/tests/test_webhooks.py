"""Webhooks against a real local HTTP receiver: signed events, retries, records, never in the way."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from codeqr_webhooks import sender_for
from codeqr_webhooks.models import Delivery
from sqlalchemy import select

from codeqr import create_app, db
from codeqr.accounts import apikeys
from codeqr.context import for_operator

SECRET = "s3cret-for-tests"


class Receiver:
    """An HTTP server on loopback that records POSTs; it can fail or hold requests."""

    def __init__(self):
        self.requests = []
        self.fail_first = 0
        self.status = 200
        self.release = threading.Event()
        self.release.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.release.wait(10)
                receiver.requests.append((self.headers, body))
                failing = len(receiver.requests) <= receiver.fail_first
                self.send_response(500 if failing else receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self):
        return [json.loads(body) for _, body in self.requests]


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.release.set()
    receiver.server.shutdown()


@pytest.fixture
def make_app(tmp_path, receiver):
    apps = []

    def _make(**overrides):
        app = create_app({
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "CODEQR_DATABASE_URL": f"sqlite:///{tmp_path / 'codeqr.db'}",
            "CODEQR_DEFAULT_DOMAIN": "localhost",
            "CODEQR_WEBHOOKS_URLS": [receiver.url],
            "CODEQR_WEBHOOKS_SECRET": SECRET,
            "CODEQR_WEBHOOKS_BACKOFF_SECONDS": 0.05,
            "CODEQR_DESTINATION_CHECKS": False,  # tests reach no site on the internet
            **overrides,
        })
        apps.append(app)
        return app

    yield _make
    for app in apps:
        app.extensions["codeqr"].enrichment.stop()  # scans are enriched (and told) in a thread


def _client(app):
    with app.app_context():
        _, secret = apikeys.create("t", ctx=for_operator())
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def _settle(app, timeout=15):
    sender = sender_for(app)
    deadline = time.monotonic() + timeout
    while not sender.idle():
        assert time.monotonic() < deadline, "deliveries did not finish"
        time.sleep(0.02)


IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.4 Mobile/15E148 Safari/604.1")


def _wait_for(receiver, event_type: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while event_type not in [event["type"] for event in receiver.events()]:
        assert time.monotonic() < deadline, f"no {event_type} event arrived"
        time.sleep(0.05)


def _deliveries(app):
    with app.app_context():
        return list(db.session.scalars(select(Delivery).order_by(Delivery.id)))


def test_every_lifecycle_event_arrives_signed(make_app, receiver):
    app = make_app()
    client = _client(app)
    qr = client.post("/api/qrcodes", json={"url": "https://example.com/a"}).get_json()
    client.patch(f"/api/qrcodes/{qr['id']}", json={"title": "T"})
    client.get(f"/{qr['key']}", headers={"User-Agent": IPHONE})
    _wait_for(receiver, "qrcode.scanned")  # sent by the enrichment thread, after the redirect
    client.delete(f"/api/qrcodes/{qr['id']}")
    _settle(app)
    assert sorted(event["type"] for event in receiver.events()) == sorted(
        ["qrcode.created", "qrcode.updated", "qrcode.scanned", "qrcode.deleted"])
    scanned = next(event for event in receiver.events() if event["type"] == "qrcode.scanned")
    assert scanned["data"]["qrcode"] == {key: qr[key] for key in ("id", "domain", "key", "url")}
    interaction = scanned["data"]["interaction"]
    assert (interaction["qrcodeId"], interaction["device"], interaction["os"]) == (qr["id"], "mobile", "iOS")
    for headers, body in receiver.requests:
        expected = hmac.new(SECRET.encode(), headers["X-CodeQR-Timestamp"].encode() + b"." + body,
                            hashlib.sha256).hexdigest()
        assert headers["X-CodeQR-Signature"] == f"sha256={expected}"
        assert headers["X-CodeQR-Event"] == json.loads(body)["type"]
    updated = next(event for event in receiver.events() if event["type"] == "qrcode.updated")
    assert updated["data"]["changes"] == {"title": [None, "T"]}
    assert {d.status for d in _deliveries(app)} == {"delivered"}


def test_failures_are_retried_with_backoff(make_app, receiver):
    receiver.fail_first = 2
    app = make_app()
    _client(app).post("/api/qrcodes", json={"url": "https://example.com/a"})
    _settle(app)
    assert len(receiver.requests) == 3
    [delivery] = _deliveries(app)
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 3, 200)


def test_a_delivery_that_keeps_failing_is_recorded_as_failed(make_app, receiver):
    receiver.status = 503
    app = make_app(CODEQR_WEBHOOKS_MAX_ATTEMPTS=3)
    _client(app).post("/api/qrcodes", json={"url": "https://example.com/a"})
    _settle(app)
    [delivery] = _deliveries(app)
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 3, 503)
    result = app.test_cli_runner().invoke(args=["webhook-deliveries", "--failed"])
    listed = result.output
    assert result.exception is None, repr(result.exception)
    assert "qrcode.created\tfailed\t3 attempt(s)\t503" in listed


def test_unreachable_receiver_is_recorded(make_app):
    app = make_app(CODEQR_WEBHOOKS_URLS=["http://127.0.0.1:9/closed"], CODEQR_WEBHOOKS_MAX_ATTEMPTS=2)
    _client(app).post("/api/qrcodes", json={"url": "https://example.com/a"})
    _settle(app)
    [delivery] = _deliveries(app)
    assert delivery.status == "failed" and delivery.attempts == 2 and "Connection" in delivery.error


def test_redirect_answers_while_the_receiver_is_still_busy(make_app, receiver):
    app = make_app()
    client = _client(app)
    qr = client.post("/api/qrcodes", json={"url": "https://example.com/a"}).get_json()
    _settle(app)
    receiver.release.clear()  # the receiver now holds every request
    response = client.get(f"/{qr['key']}")
    assert response.status_code == 302
    assert [event["type"] for event in receiver.events()] == ["qrcode.created"]  # scan not delivered yet
    receiver.release.set()
    _wait_for(receiver, "qrcode.scanned")
    _settle(app)
    assert [event["type"] for event in receiver.events()] == ["qrcode.created", "qrcode.scanned"]


def test_plugin_is_listed_and_quiet_without_urls(make_app, receiver):
    app = make_app(CODEQR_WEBHOOKS_URLS=[])
    assert "webhooks 0.1.0" in app.test_cli_runner().invoke(args=["plugins"]).output
    _client(app).post("/api/qrcodes", json={"url": "https://example.com/a"})
    _settle(app)  # the hooks ran before the answer: whatever they queued has been sent and recorded now
    assert receiver.requests == [] and _deliveries(app) == []


def test_a_destination_that_breaks_is_sent_once(make_app, receiver, monkeypatch):
    """The receiver itself as a QR Code's destination: it answers HEAD and GET with 501, so
    two checks make it broken, and the hook sends it once."""
    from codeqr.links import health
    from codeqr.operations import safe_fetch

    monkeypatch.setattr(safe_fetch, "TEST_FIRST_HOPS", frozenset({("127.0.0.1", receiver.server.server_port)}))
    app = make_app(CODEQR_DESTINATION_CHECKS=True, CODEQR_JOB_WORKER=False,
                   CODEQR_WEBHOOKS_EVENTS=["destination.broken", "destination.fixed"])
    qr = _client(app).post("/api/qrcodes", json={"url": receiver.url, "title": "Menu"}).get_json()
    with app.app_context():
        for _ in range(3):  # the first fails, the second makes it broken, the third tells nobody again
            health.sweep(for_operator(app), qrcode_id=qr["id"])
    _settle(app)
    [event] = receiver.events()
    assert event["type"] == "destination.broken"
    data = event["data"]
    assert (data["qrcode"]["id"], data["qrcode"]["title"], data["url"], data["status"]) == (
        qr["id"], "Menu", receiver.url, 501)
    assert data["since"].endswith("Z")
