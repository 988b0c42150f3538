"""Short-link redirects: explicit 302, no caching, exact counting, HEAD counts nothing."""

import pytest

from codeqr import hookimpl


@pytest.fixture
def qr(api):
    return api.post("/api/qrcodes", json={"url": "https://example.com/target?a=1&b=2"}).get_json()


def test_redirect_is_an_uncached_302_to_the_current_url(client, api, qr):
    response = client.get(f"/{qr['key']}")
    assert response.status_code == 302
    assert response.headers["Location"] == "https://example.com/target?a=1&b=2"
    assert "no-store" in response.headers["Cache-Control"] and "max-age=0" in response.headers["Cache-Control"]
    api.patch(f"/api/qrcodes/{qr['id']}", json={"url": "https://example.com/re-pointed"})
    assert client.get(f"/{qr['key']}").headers["Location"] == "https://example.com/re-pointed"


def test_scans_are_counted_and_head_counts_nothing(client, api, qr):
    for _ in range(3):
        client.get(f"/{qr['key']}")
    head = client.head(f"/{qr['key']}")
    assert head.status_code == 302 and head.headers["Location"]
    client.get(f"/qr/{qr['id']}.png")  # rendering never counts
    counted = api.get(f"/api/qrcodes/{qr['id']}").get_json()
    assert counted["scans"] == 3
    assert counted["lastScannedAt"] >= qr["createdAt"]
    assert counted["updatedAt"] == qr["updatedAt"]  # a scan is not an edit


def test_unknown_key_is_a_404_page(client, qr):
    response = client.get("/no-such-key")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert b"does not exist" in response.data
    assert client.head("/no-such-key").status_code == 404


def test_keys_are_case_sensitive(client, qr):
    assert client.get(f"/{qr['key'].swapcase()}").status_code == 404


def test_host_not_served_is_404(client, qr):
    assert client.get(f"/{qr['key']}", headers={"Host": "elsewhere.example"}).status_code == 404


def test_non_ascii_destination_is_sent_as_a_valid_uri(client, api):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/café?q=ü"}).get_json()
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["url"] == "https://example.com/café?q=ü"
    assert client.get(f"/{qr['key']}").headers["Location"] == "https://example.com/caf%C3%A9?q=%C3%BC"


class ScanRecorder:
    __name__ = "scan_recorder"

    def __init__(self):
        self.scans = []

    @hookimpl
    def codeqr_qrcode_scanned(self, app, event):
        assert app.name == "codeqr"
        self.scans.append(event)


@pytest.mark.parametrize("analytics", ["full", "off"])
def test_scanned_hook_gets_each_counted_scan(make_app, analytics):
    recorder = ScanRecorder()
    app = make_app(plugins=[recorder], CODEQR_ANALYTICS=analytics)
    client = app.test_client()
    from codeqr import apikeys

    with app.app_context():
        _, secret = apikeys.create("t")
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    qr = client.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    client.get(f"/{qr['key']}", headers={"User-Agent": "curl/8.5.0"})
    client.head(f"/{qr['key']}")
    client.get("/unknown")
    from codeqr.scans.enrichment import enrich_pending

    with app.app_context():
        enrich_pending(app)  # what the background thread (off in tests) does
    [event] = recorder.scans
    assert (event["qrcodeId"], event["domain"], event["key"], event["url"]) == (
        qr["id"], "localhost", qr["key"], "https://example.com/")
    assert event.get("device") == ("bot" if analytics == "full" else None)


def test_the_favicon_is_served_and_linked_from_every_page(client):
    from io import BytesIO

    from PIL import Image

    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.cache_control.max_age == 86400
    assert sorted(Image.open(BytesIO(icon.data)).info["sizes"]) == [(16, 16), (32, 32), (48, 48)]
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/setup").get_data(as_text=True)


def test_scans_from_many_threads_share_a_few_kept_connections(app, api, qr):
    """Threads of a worker (16 by default) share 4 kept connections at most: several servers'
    workers stay inside PostgreSQL's connection limit, and every scan is still counted."""
    from concurrent.futures import ThreadPoolExecutor

    counter = app.extensions["codeqr"].scan_counter
    with ThreadPoolExecutor(16) as pool:
        found = list(pool.map(lambda _: counter.scan(qr["domain"], qr["key"]), range(200)))
    assert found == [(qr["id"], qr["url"])] * 200
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] == 200
    assert 1 <= counter._idle.qsize() <= 4  # every connection back, and no more than 4 were made
