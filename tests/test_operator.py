"""What an operator meets first: which instance a command uses, help that writes nothing,
short links on the address really served, and the 404 that says which domains are."""

import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from api_client import authorized_client
from codeqr.config import development_domain, host_aliases
from codeqr.context import for_operator
from servers import CODEQR, clean_env, free_port, wait_until_answering


def _codeqr(*args, cwd, **settings) -> subprocess.CompletedProcess:
    return subprocess.run([CODEQR, *args], env=clean_env(**settings), capture_output=True, text=True, cwd=cwd,
                          timeout=120)


@pytest.mark.parametrize("args", [[], ["--help"], ["create-user", "--help"], ["db", "--help"], ["serve", "--help"]])
def test_help_creates_nothing(tmp_path, args):
    instance = tmp_path / "instance"
    result = _codeqr(*args, cwd=tmp_path, CODEQR_INSTANCE_PATH=str(instance))
    assert "Usage: codeqr" in result.stdout + result.stderr
    assert list(tmp_path.iterdir()) == []


def test_every_command_says_which_instance_and_database_it_uses(tmp_path):
    result = _codeqr("--instance", "chosen", "list-api-keys", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    chosen = tmp_path / "chosen"
    assert f"CodeQR: instance {chosen}, database sqlite:///{chosen}/codeqr.db" in result.stderr
    assert (chosen / "codeqr.db").is_file() and (chosen / "secret_key").is_file()
    # The setting says the same; and a password in a database URL is never printed.
    result = _codeqr("plugins", cwd=tmp_path, CODEQR_INSTANCE_PATH=str(chosen),
                     CODEQR_DATABASE_URL="postgresql://codeqr:s3cret@127.0.0.1:1/codeqr?connect_timeout=1")
    assert f"CodeQR: instance {chosen}, database postgresql+psycopg://codeqr:***@127.0.0.1:1/codeqr" in result.stderr
    assert "s3cret" not in result.stderr + result.stdout


def test_a_key_made_from_another_folder_works_on_the_server_of_that_instance(tmp_path, make_app):
    instance = tmp_path / "instance"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    made = _codeqr("--instance", str(instance), "create-api-key", "ops", cwd=elsewhere)
    secret = made.stdout.strip().splitlines()[-1]
    app = make_app(INSTANCE_PATH=str(instance), CODEQR_DATABASE_URL=None)
    answer = app.test_client().get("/api/qrcodes", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200


@pytest.mark.parametrize("served_at, domain", [
    (None, "localhost:5000"), ("127.0.0.1:5101", "localhost:5101"), ("[::1]:8080", "localhost:8080"),
    ("qr.lan:80", "qr.lan"), ("10.0.0.7:8000", "10.0.0.7:8000"),
])
def test_the_development_domain_follows_the_address_served(served_at, domain):
    assert development_domain(served_at) == domain


@pytest.mark.parametrize("served_at", ["0.0.0.0:8000", "[::]:8000"])
def test_on_every_interface_links_use_the_network_address_else_localhost(monkeypatch, served_at):
    from codeqr import config

    monkeypatch.setattr(config, "lan_address", lambda: "192.0.2.7")
    assert development_domain(served_at) == "192.0.2.7:8000"
    monkeypatch.setattr(config, "lan_address", lambda: None)  # no network: this machine only
    assert development_domain(served_at) == "localhost:8000"


def test_this_machines_names_are_served_alike():
    hosts = host_aliases(["qr.example.com", "localhost:5101"])
    assert hosts["127.0.0.1:5101"] == hosts["[::1]:5101"] == hosts["localhost:5101"] == "localhost:5101"
    assert hosts["qr.example.com"] == "qr.example.com"
    assert "127.0.0.1:5000" not in hosts and "localhost" not in hosts


def _api(app):
    from codeqr.accounts import apikeys

    with app.app_context():
        return authorized_client(app, apikeys.create("tests", ctx=for_operator())[1])


def test_a_short_link_answers_on_every_name_of_this_machine(make_app):
    app = make_app(CODEQR_DEFAULT_DOMAIN="localhost:5101")
    api = _api(app)
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/alias"}).get_json()
    assert qr["shortLink"] == f"http://localhost:5101/{qr['key']}"
    client = app.test_client()
    for host in ("localhost:5101", "127.0.0.1:5101", "[::1]:5101"):
        assert client.get(f"/{qr['key']}", headers={"Host": host}).status_code == 302
    assert client.get(f"/{qr['key']}", headers={"Host": "127.0.0.1:5000"}).status_code == 404
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] == 3


def test_the_404_names_the_served_domains_to_this_machine_only(make_app):
    client = make_app(CODEQR_DEFAULT_DOMAIN="qr.example.com", CODEQR_DOMAINS=["go.example.com"]).test_client()
    local = client.get("/some-key", headers={"Host": "localhost:5000"})
    assert local.status_code == 404
    text = local.get_data(as_text=True)
    assert "<code>localhost:5000</code>" in text
    assert "<code>qr.example.com</code>, <code>go.example.com</code>" in text
    served = client.get("/some-key", headers={"Host": "qr.example.com"})  # a served host, a key unknown
    assert served.status_code == 404 and "served-domains" not in served.get_data(as_text=True)
    remote = client.get("/some-key", headers={"Host": "localhost:5000"}, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    proxied = client.get("/some-key", headers={"Host": "localhost:5000", "X-Forwarded-For": "203.0.113.9"})
    for page in (remote, proxied):
        assert page.status_code == 404
        assert "qr.example.com" not in page.get_data(as_text=True)
        assert "This link does not exist" in page.get_data(as_text=True)


@pytest.mark.parametrize("command", ["run", "serve"])
def test_links_of_a_server_started_on_a_port_point_at_that_port(tmp_path, command):
    port = free_port()
    counters = tmp_path / "metrics"  # the workers' shared counters (codeqr serve keeps a folder given)
    counters.mkdir()
    server = subprocess.Popen([CODEQR, "--instance", str(tmp_path / "instance"), command, "--port", str(port)],
                              env=clean_env(CODEQR_SERVE_WORKERS="2", PROMETHEUS_MULTIPROC_DIR=str(counters)),
                              cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/healthz", server)
        key = _codeqr("--instance", str(tmp_path / "instance"), "create-api-key", "t", cwd=tmp_path)
        secret = key.stdout.strip().splitlines()[-1]
        created = requests.post(f"http://127.0.0.1:{port}/api/qrcodes", json={"url": "https://example.com/port"},
                                headers={"Authorization": f"Bearer {secret}"}, timeout=10).json()
        assert created["shortLink"].startswith(f"http://localhost:{port}/")
        # The link itself, and the banner's 127.0.0.1 form of it, both redirect.
        for link in (created["shortLink"], created["shortLink"].replace("localhost", "127.0.0.1")):
            assert requests.get(link, allow_redirects=False, timeout=10).headers["Location"] == "https://example.com/port"
        # /metrics adds up every worker's counters, whichever worker answers.
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: requests.get(f"http://127.0.0.1:{port}/readyz", timeout=30), range(40)))
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert 'codeqr_http_requests_total{method="GET",route="/readyz",status="200"} 40.0' in metrics
        if command == "serve":
            assert len(list(counters.glob("counter_*.db"))) == 2  # both workers counted some
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert f"CodeQR: short links use http://localhost:{port}/ (a development default" in output


def test_at_start_codes_on_domains_not_served_are_counted_with_the_setting_that_serves_them(tmp_path, make_app,
                                                                                            database_url):
    instance = tmp_path / "instance"
    app = make_app(INSTANCE_PATH=str(instance), CODEQR_DEFAULT_DOMAIN="localhost:5000", CODEQR_DOMAINS=["go.example.org"])
    api = _api(app)
    for number in range(3):
        assert api.post("/api/qrcodes", json={"url": f"https://example.com/{number}"}).status_code == 201
    assert api.post("/api/qrcodes", json={"url": "https://example.com/go", "domain": "go.example.org"}).status_code == 201

    moved = _codeqr("--instance", str(instance), "list-api-keys", cwd=tmp_path, CODEQR_DEFAULT_DOMAIN="qr.example.com",
                    CODEQR_DATABASE_URL=database_url)
    lines = [line for line in moved.stderr.splitlines() if "not served" in line]
    assert lines == [
        "CodeQR: 3 QR Codes use the domain localhost:5000, which is not served: add it to CODEQR_DOMAINS to serve them",
        "CodeQR: 1 QR Code uses the domain go.example.org, which is not served: add it to CODEQR_DOMAINS to serve it"]
    served = _codeqr("--instance", str(instance), "list-api-keys", cwd=tmp_path, CODEQR_DEFAULT_DOMAIN="qr.example.com",
                     CODEQR_DOMAINS="localhost:5000,go.example.org", CODEQR_DATABASE_URL=database_url)
    assert served.returncode == 0 and "not served" not in served.stderr


def _answers_on(address: str) -> bool:
    """Whether ``address`` is one of this machine's own (only those can be bound)."""
    import socket

    with socket.socket() as probe:
        try:
            probe.bind((address, 0))
        except OSError:
            return False
    return True


def test_served_on_every_interface_links_use_the_network_address_and_answer_there(tmp_path):
    import ipaddress

    port = free_port()
    instance = tmp_path / "instance"
    server = subprocess.Popen([CODEQR, "--instance", str(instance), "run", "--host", "0.0.0.0", "--port", str(port)],
                              env=clean_env(), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/healthz", server)
        secret = _codeqr("--instance", str(instance), "create-api-key", "t", cwd=tmp_path).stdout.strip().splitlines()[-1]
        created = requests.post(f"http://127.0.0.1:{port}/api/qrcodes", json={"url": "https://example.com/phone"},
                                headers={"Authorization": f"Bearer {secret}"}, timeout=10).json()
        link = requests.utils.urlparse(created["shortLink"])
        address = ipaddress.ip_address(link.hostname)
        assert not address.is_loopback and not address.is_unspecified and _answers_on(link.hostname)
        assert link.port == port
        # The phone's way, and this machine's own names still.
        for url in (created["shortLink"], f"http://127.0.0.1:{port}{link.path}", f"http://localhost:{port}{link.path}"):
            assert requests.get(url, allow_redirects=False, timeout=10).headers["Location"] == "https://example.com/phone"
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert (f"CodeQR: short links use http://{link.hostname}:{port}/ (this machine's address on its network, as it "
            "listens on every interface: a phone on the same network can scan them") in output


def test_a_mistyped_setting_is_warned_once_by_a_server(tmp_path):
    port = free_port()
    counters = tmp_path / "metrics"
    counters.mkdir()
    server = subprocess.Popen([CODEQR, "--instance", str(tmp_path / "instance"), "serve", "--port", str(port)],
                              env=clean_env(CODEQR_SERVE_WORKERS="1", CODEQR_DEFAULT_DOMIAN="qr.example.com",
                                            PROMETHEUS_MULTIPROC_DIR=str(counters)),
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/healthz", server)  # the worker has built its app too
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert output.count("CODEQR_DEFAULT_DOMIAN is not a setting") == 1, output


@pytest.mark.parametrize("network, domain, words", [
    ("192.0.2.7", "192.0.2.7:8123", "this machine's address on its network, as it listens on every interface: "
                                    "a phone on the same network can scan them"),
    (None, "localhost:8123", "no network address found, so only this machine opens them"),
])
def test_the_start_line_says_why_links_use_the_address_they_use(tmp_path, monkeypatch, capsys, network, domain, words):
    from codeqr import config, create_app
    from codeqr.commandline.cli import announce_domain

    monkeypatch.setattr(config, "lan_address", lambda: network)
    for name in ("CODEQR_INSTANCE_PATH", "CODEQR_DEFAULT_DOMAIN"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)}, served_at="0.0.0.0:8123", listing_only=True)
    announce_domain(app, "0.0.0.0:8123")
    assert capsys.readouterr().err.startswith(f"CodeQR: short links use http://{domain}/ ({words}; a development default")
