"""A body sent without a length (``Transfer-Encoding: chunked``) over CODEQR_MAX_BODY_BYTES is
a 413, as one with a declared length is: through the test client, Werkzeug's server and
``codeqr serve`` (gunicorn), on the API and on pages. Nothing is stored."""

import http.client
import io
import json
import subprocess
import threading

import pytest
from werkzeug.serving import make_server

from codeqr.context import for_operator
from servers import CODEQR, clean_env, free_port, wait_until_answering

LIMIT = 2000
SMALL = json.dumps({"url": "https://example.com/small", "title": "x" * 100}).encode()
LARGE = json.dumps({"url": "https://example.com/large", "title": "x" * 5 * LIMIT}).encode()
FORM = b"email=a%40example.com&password=" + b"p" * 5 * LIMIT


def _chunks(body: bytes, size: int = 512):
    for start in range(0, len(body), size):
        yield body[start:start + size]


def _send(port: int, path: str, body: bytes, content_type: str, headers=None) -> tuple[int, str, bytes]:
    """POST ``body`` chunked (no Content-Length) over a real connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", path, body=_chunks(body), encode_chunked=True,
                           headers={"Content-Type": content_type, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def _api_key(app) -> str:
    from codeqr.accounts import apikeys

    with app.app_context():
        return apikeys.create("chunked", ctx=for_operator())[1]


def _count(app) -> int:
    from sqlalchemy import func, select

    from codeqr import db
    from codeqr.domain.models import QRCode

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(QRCode))


def test_the_test_client_gets_a_413_for_a_chunked_body_over_the_limit(make_app):
    app = make_app(CODEQR_MAX_BODY_BYTES=LIMIT)
    client = app.test_client()
    chunked = {"headers": {"Transfer-Encoding": "chunked", "Authorization": f"Bearer {_api_key(app)}"},
               "environ_base": {"wsgi.input_terminated": True}, "content_type": "application/json"}
    large = client.post("/api/qrcodes", input_stream=io.BytesIO(LARGE), **chunked)
    assert large.status_code == 413 and large.get_json()["error"]["code"] == "payload_too_large"
    assert _count(app) == 0
    assert client.post("/api/qrcodes", input_stream=io.BytesIO(SMALL), **chunked).status_code == 201


@pytest.fixture
def werkzeug_server(make_app):
    """The test app under Werkzeug's own server (which passes chunked bodies on unterminated)."""
    app = make_app(CODEQR_MAX_BODY_BYTES=LIMIT, WTF_CSRF_ENABLED=True)
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port, app
    server.shutdown()


def test_werkzeugs_server_answers_413_on_the_api_and_on_pages(werkzeug_server):
    port, app = werkzeug_server
    key = {"Authorization": f"Bearer {_api_key(app)}"}
    status, kind, body = _send(port, "/api/qrcodes", LARGE, "application/json", key)
    assert (status, kind) == (413, "application/json")
    assert json.loads(body)["error"]["code"] == "payload_too_large"
    status, kind, body = _send(port, "/login", FORM, "application/x-www-form-urlencoded")
    assert status == 413 and kind.startswith("text/html") and b"<html" in body
    assert _count(app) == 0
    assert _send(port, "/api/qrcodes", SMALL, "application/json", key)[0] == 201


def test_codeqr_serve_answers_413_to_a_chunked_body_over_the_limit(tmp_path):
    instance = tmp_path / "instance"
    env = clean_env(CODEQR_INSTANCE_PATH=str(instance), CODEQR_MAX_BODY_BYTES=str(LIMIT),
                    CODEQR_SERVE_WORKERS="1", CODEQR_RATE_LIMIT_ENABLED="0")
    made = subprocess.run([CODEQR, "create-api-key", "chunked"], env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    key = {"Authorization": f"Bearer {made.stdout.strip().splitlines()[-1]}"}
    port = free_port()
    server = subprocess.Popen([CODEQR, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/healthz", server)
        status, kind, body = _send(port, "/api/qrcodes", LARGE, "application/json", key)
        assert (status, kind) == (413, "application/json")
        assert json.loads(body)["error"]["code"] == "payload_too_large"
        assert _send(port, "/login", FORM, "application/x-www-form-urlencoded")[0] == 413
        status, _, body = _send(port, "/api/qrcodes", SMALL, "application/json", key)
        assert status == 201, body
        assert json.loads(body)["url"] == "https://example.com/small"
    finally:
        server.terminate()
        server.wait(timeout=60)
