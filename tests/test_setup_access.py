"""The first account: /setup answers this machine, or whoever brings CODEQR_SETUP_TOKEN;
the server says at start how to make it."""

import subprocess

import pytest
import requests

from codeqr.accounts import users
from codeqr.commandline.cli import announce_setup
from codeqr.config import lan_address
from codeqr.context import for_operator
from codeqr.errors import ConfigurationError
from servers import CODEQR, clean_env, free_port, wait_until_answering
from web_client import csrf_of

TOKEN = "k3QmB7tY-setup-token-0123"
PASSWORD = "correct horse battery"
ELSEWHERE = ["203.0.113.5", "10.0.0.2", "192.168.1.20", "2001:db8::1"]


def _client(app, address: str, **headers):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.environ_base.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
    return client


def _no_users(app) -> bool:
    with app.app_context():
        return not users.has_users()


@pytest.mark.parametrize("address", ELSEWHERE)
def test_setup_refuses_other_machines_without_the_right_token(make_app, address):
    # Without CSRF: a visitor can take a valid token from any page; the refusal must not rest on it.
    app = make_app(CODEQR_SETUP_TOKEN=TOKEN, WTF_CSRF_ENABLED=False)
    client = _client(app, address)
    assert client.get("/").headers["Location"] == "/setup"
    for path in ("/setup", "/setup?token=", "/setup?token=wrong", f"/setup?token={TOKEN[:-1]}",
                 f"/setup?token={TOKEN}x", f"/setup?token={TOKEN.upper()}"):
        page = client.get(path)
        assert page.status_code == 403, path
        assert "codeqr create-user YOUR-EMAIL" in page.get_data(as_text=True)
        posted = client.post(path, data={"email": "intruder@example.com", "password": PASSWORD})
        assert posted.status_code == 403, path
    assert _no_users(app)


@pytest.mark.parametrize("address", ELSEWHERE)
def test_setup_opens_to_other_machines_with_the_right_token(make_app, address):
    app = make_app(CODEQR_SETUP_TOKEN=TOKEN)
    client = _client(app, address)
    path = f"/setup?token={TOKEN}"
    made = client.post(path, data={"email": "admin@example.com", "password": PASSWORD,
                                   "csrf_token": csrf_of(client, path)})
    assert made.status_code == 302
    assert not _no_users(app)
    assert client.get(path).headers["Location"] == "/login"  # gone once an account exists


def test_without_a_token_setting_no_token_opens_setup(make_app):
    app = make_app()
    for path in ("/setup", "/setup?token=", "/setup?token=None"):
        assert _client(app, "203.0.113.5").get(path).status_code == 403


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_setup_answers_this_machine_without_a_token(make_app, address):
    app = make_app()
    client = _client(app, address)
    made = client.post("/setup", data={"email": "admin@example.com", "password": PASSWORD,
                                       "csrf_token": csrf_of(client, "/setup")})
    assert made.status_code == 302 and not _no_users(app)


def test_a_proxy_on_this_machine_does_not_make_its_clients_local(make_app):
    app = make_app()
    assert _client(app, "127.0.0.1", x_forwarded_for="203.0.113.5").get("/setup").status_code == 403
    app = make_app(CODEQR_PROXY_FIX=1)
    assert _client(app, "127.0.0.1", x_forwarded_for="127.0.0.1").get("/setup").status_code == 403
    # A proxy that forwards without saying so (nginx's plain proxy_pass) is not this machine either.
    assert _client(app, "127.0.0.1").get("/setup").status_code == 403


def test_start_says_how_to_make_the_first_account_until_there_is_one(make_app, capsys):
    announce_setup(make_app(CODEQR_SETUP_TOKEN=TOKEN))
    said = capsys.readouterr().err
    assert "no account yet" in said and "codeqr create-user EMAIL" in said
    assert f"/setup?token={TOKEN}" in said
    app = make_app()
    announce_setup(app)
    said = capsys.readouterr().err
    assert "/setup in a browser on this machine (set CODEQR_SETUP_TOKEN" in said and "token=" not in said
    with app.app_context():
        users.create("admin@example.com", PASSWORD, role="admin", ctx=for_operator())
    announce_setup(app)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("token", "says"), [("short", "must be at least 16 characters"),
                                             (12345678901234567, "expected text")])
def test_a_setup_token_too_short_to_resist_guessing_stops_the_app(make_app, token, says):
    with pytest.raises(ConfigurationError, match=f"^CODEQR_SETUP_TOKEN: {says}") as error:
        make_app(CODEQR_SETUP_TOKEN=token)
    assert str(token) not in str(error.value)  # a secret is not repeated


def test_codeqr_serve_prints_the_setup_link_and_setup_answers_only_loopback_or_the_token(tmp_path):
    address = lan_address()  # a client connecting to it from here is not on loopback either
    if address is None:
        pytest.skip("this machine has no address but loopback to be reached from")
    port = free_port()
    server = subprocess.Popen([CODEQR, "--instance", str(tmp_path / "instance"), "serve", "--host", "0.0.0.0",
                               "--port", str(port)],
                              env=clean_env(CODEQR_SERVE_WORKERS="1", CODEQR_SETUP_TOKEN=TOKEN), cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/healthz", server)
        statuses = {url: requests.get(url, timeout=10, allow_redirects=False).status_code for url in (
            f"http://{address}:{port}/setup", f"http://{address}:{port}/setup?token=wrong",
            f"http://{address}:{port}/setup?token={TOKEN}", f"http://127.0.0.1:{port}/setup")}
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert list(statuses.values()) == [403, 403, 200, 200], statuses
    assert "CodeQR: no account yet: make the first (admin) one with 'codeqr create-user EMAIL'" in output
    assert f"/setup?token={TOKEN}" in output
