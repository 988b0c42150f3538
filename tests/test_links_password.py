"""A QR Code's password page (issue 23): the right password counts the scan once and is
remembered for a while; a wrong one counts nothing; CSRF, rate limits per code and per
address, and no password in any log line, URL or event. The 410 page, and the landing
page's files behind the password and the expiry."""

import logging
import re
import secrets
from datetime import timedelta

import pytest

from api_client import authorized_client
from clock import Clock
from codeqr.context import for_operator

PASSWORD = "Tr0ub4dor-&-3"
DESTINATION = "https://example.com/members?from=qr"
BASE_SETTINGS = {"WTF_CSRF_ENABLED": True, "CODEQR_ROUTING_CACHE_SECONDS": 0.001}


def _api(app):
    from codeqr.accounts import apikeys

    with app.app_context():
        _, secret = apikeys.create(f"links {secrets.token_hex(4)}", ctx=for_operator())
    return authorized_client(app, secret)


def _token(page) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, "the password page has no CSRF token"
    return found.group(1)


def _give(client, key: str, password: str, query: str = "", site: str = ""):
    """Open the password page of ``key`` (on ``site``, ``http://host``) and post ``password`` with its CSRF token."""
    page = client.get(f"{site}/{key}{query}")
    assert page.status_code == 200, page.status_code
    return client.post(f"{site}/{key}{query}", data={"password": password, "csrf_token": _token(page)})


def _scans(api, qr) -> int:
    return api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"]


def _events(app, qr_id: str) -> list[tuple]:
    """Each scan of the code, enriched, as the events table keeps it: its step and url."""
    from codeqr import db
    from codeqr.scans.enrichment import enrich_pending
    from codeqr.scans.models import ScanEvent

    with app.app_context():
        while enrich_pending(app, wait=True):
            pass
        rows = db.session.query(ScanEvent).filter_by(qrcode_id=qr_id).order_by(ScanEvent.id).all()
        return [(row.step, row.url) for row in rows]


@pytest.fixture
def app(make_app):
    return make_app(**BASE_SETTINGS)


@pytest.fixture
def api(app):
    return _api(app)


@pytest.fixture
def locked(api):
    return api.post("/api/qrcodes", json={"url": DESTINATION, "password": PASSWORD}).get_json()


def test_the_page_asks_and_the_right_password_counts_the_scan_once(app, api, locked):
    visitor = app.test_client()
    page = visitor.get(f"/{locked['key']}")
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    html = page.get_data(as_text=True)
    assert 'type="password"' in html and f'action="/{locked["key"]}"' in html and "password-error" not in html
    assert visitor.head(f"/{locked['key']}").status_code == 200
    assert _scans(api, locked) == 0  # a page that asks counts nothing

    wrong = visitor.post(f"/{locked['key']}", data={"password": "tr0ub4dor-&-3", "csrf_token": _token(page)})
    assert wrong.status_code == 401
    assert "That password is not right. Check it and try again." in wrong.get_data(as_text=True)
    assert 'aria-invalid="true"' in wrong.get_data(as_text=True)
    assert visitor.post(f"/{locked['key']}", data={"password": PASSWORD * 1000,
                                                  "csrf_token": _token(wrong)}).status_code == 401
    assert _scans(api, locked) == 0

    right = visitor.post(f"/{locked['key']}", data={"password": PASSWORD, "csrf_token": _token(wrong)})
    assert right.status_code == 302 and right.headers["Location"] == DESTINATION
    # The page's form may be answered by a redirect anywhere; that redirect sends what the scan's would.
    assert "form-action 'self' https: http:;" in page.headers["Content-Security-Policy"]
    assert right.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert _scans(api, locked) == 1

    again = visitor.get(f"/{locked['key']}")  # remembered: a reload goes straight on, and counts
    assert again.status_code == 302 and again.headers["Location"] == DESTINATION
    assert app.test_client().get(f"/{locked['key']}").status_code == 200  # another browser is asked
    assert _scans(api, locked) == 2
    assert _events(app, locked["id"]) == [("url", DESTINATION), ("url", DESTINATION)]


def test_the_page_works_on_a_short_link_domain_of_its_own(app, api):
    qr = api.post("/api/qrcodes", json={"url": DESTINATION, "password": PASSWORD,
                                        "domain": "go.example.org"}).get_json()
    visitor = app.test_client()
    assert visitor.get(f"/{qr['key']}").status_code == 404  # not a link of the app's own domain
    right = _give(visitor, qr["key"], PASSWORD, site="http://go.example.org")
    assert right.status_code == 302 and right.headers["Location"] == DESTINATION
    assert visitor.get(f"http://go.example.org/{qr['key']}").headers["Location"] == DESTINATION
    assert _scans(api, qr) == 2


def test_a_post_without_its_csrf_token_checks_no_password_and_counts_nothing(app, api, locked):
    visitor = app.test_client()
    visitor.get(f"/{locked['key']}")
    refused = visitor.post(f"/{locked['key']}", data={"password": PASSWORD})
    assert refused.status_code == 400
    assert "This form expired: it was open too long. Enter the password again." in refused.get_data(as_text=True)
    forged = visitor.post(f"/{locked['key']}", data={"password": PASSWORD, "csrf_token": "forged"})
    assert forged.status_code == 400
    assert _scans(api, locked) == 0


def test_the_unlock_is_for_this_password_this_code_and_an_hour(make_app):
    clock = Clock()
    app = make_app(clock=clock, **BASE_SETTINGS)
    api = _api(app)
    locked = api.post("/api/qrcodes", json={"url": DESTINATION, "password": PASSWORD}).get_json()
    other = api.post("/api/qrcodes", json={"url": "https://example.com/other", "password": PASSWORD}).get_json()
    visitor = app.test_client()
    right = _give(visitor, locked["key"], PASSWORD)
    assert right.status_code == 302
    cookie = right.headers["Set-Cookie"]
    assert cookie.startswith("codeqr_unlocked=") and PASSWORD not in cookie
    assert {"Max-Age=3600", f"Path=/{locked['key']}", "HttpOnly", "SameSite=Lax"} <= set(cookie.split("; "))
    assert visitor.get(f"/{locked['key']}").status_code == 302
    assert visitor.get(f"/{other['key']}").status_code == 200  # each code asks for itself
    api.patch(f"/api/qrcodes/{locked['id']}", json={"password": "a new one"})
    assert visitor.get(f"/{locked['key']}").status_code == 200  # a new password locks it again
    assert _give(visitor, locked["key"], "a new one").status_code == 302
    assert visitor.get(f"/{locked['key']}").status_code == 302
    value = visitor.get_cookie("codeqr_unlocked", path=f"/{locked['key']}").value
    stranger = app.test_client()
    stranger.set_cookie("codeqr_unlocked", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"), path=f"/{locked['key']}")
    assert stranger.get(f"/{locked['key']}").status_code == 200  # a tampered cookie unlocks nothing
    clock.advance(minutes=59)
    assert visitor.get(f"/{locked['key']}").status_code == 302
    clock.advance(minutes=2)  # its signature is an hour old: asked again (the browser would have dropped it)
    assert visitor.get(f"/{locked['key']}").status_code == 200


def test_the_password_comes_before_the_expiry_and_an_expired_scan_is_counted_on_the_410_page(make_app):
    clock = Clock()
    app = make_app(clock=clock, **BASE_SETTINGS)
    api = _api(app)
    now = clock()
    ending = (now + timedelta(minutes=5)).isoformat()
    locked = api.post("/api/qrcodes", json={"url": DESTINATION, "password": PASSWORD, "expiresAt": ending}).get_json()
    clock.advance(minutes=10)
    visitor = app.test_client()
    assert visitor.get(f"/{locked['key']}").status_code == 200  # asked first, expired or not
    gone = _give(visitor, locked["key"], PASSWORD)
    assert gone.status_code == 410 and "no-store" in gone.headers["Cache-Control"]
    html = gone.get_data(as_text=True)
    assert "<h1>This link has expired</h1>" in html
    assert "<title>This link has expired · CodeQR</title>" in html and "/static/app.css" in html  # the instance's look
    assert _scans(api, locked) == 1
    assert _events(app, locked["id"]) == [("expired", "")]


def test_the_landing_pages_file_is_behind_its_password_and_its_expiry(make_app):
    clock = Clock()
    app = make_app(clock=clock, **BASE_SETTINGS)
    api = _api(app)
    card = {"type": "vcard", "vcard": {"firstName": "Ada", "lastName": "Lovelace"}}
    ending = (clock() + timedelta(minutes=5)).isoformat()
    locked = api.post("/api/qrcodes", json=card | {"password": PASSWORD}).get_json()
    expiring = api.post("/api/qrcodes", json=card | {"expiresAt": ending}).get_json()
    assert locked.get("key"), locked
    visitor = app.test_client()
    assert visitor.get(f"/{locked['key']}/contact.vcf").status_code == 404
    assert visitor.get(f"/{expiring['key']}/contact.vcf").status_code == 200
    assert _give(visitor, locked["key"], PASSWORD).status_code == 200  # its landing page
    assert "BEGIN:VCARD" in visitor.get(f"/{locked['key']}/contact.vcf").get_data(as_text=True)
    clock.advance(minutes=5)  # the very instant it expires
    assert visitor.get(f"/{expiring['key']}/contact.vcf").status_code == 410
    assert visitor.get(f"/{expiring['key']}").status_code == 410
    assert _scans(api, locked) == 1 and _scans(api, expiring) == 1


def test_the_password_never_reaches_a_log_line_a_url_or_an_event(make_app, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    app = make_app(CODEQR_PROXY_FIX=1, CODEQR_REQUEST_LOG=True, **BASE_SETTINGS)
    api = _api(app)
    secret = f"never-{secrets.token_hex(6)}"
    locked = api.post("/api/qrcodes", json={"url": DESTINATION, "password": secret, "forwardQuery": True,
                                            "utm_source": "poster"}).get_json()
    assert "password" not in locked and locked["hasPassword"] is True
    visitor = app.test_client()
    headers = {"X-Forwarded-For": "8.8.8.8", "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"}
    page = visitor.get(f"/{locked['key']}?ref=flyer", headers=headers)
    assert f'action="/{locked["key"]}?ref=flyer"' in page.get_data(as_text=True)  # the query goes back with it
    wrong = visitor.post(f"/{locked['key']}?ref=flyer", headers=headers,
                         data={"password": secret + "?", "csrf_token": _token(page)})
    assert wrong.status_code == 401 and secret not in wrong.get_data(as_text=True)
    right = visitor.post(f"/{locked['key']}?ref=flyer", headers=headers,
                         data={"password": secret, "csrf_token": _token(wrong)})
    assert right.status_code == 302
    assert right.headers["Location"] == "https://example.com/members?from=qr&utm_source=poster&ref=flyer"
    assert _events(app, locked["id"]) == [("url", "https://example.com/members?from=qr&utm_source=poster&ref=flyer")]
    events = api.get("/api/events", query_string={"interval": "all", "bots": "include"}).get_data(as_text=True)
    read = api.get(f"/api/qrcodes/{locked['id']}").get_data(as_text=True)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert '"method": "POST"' in logged and f'"path": "/{locked["key"]}"' in logged  # the request lines are there
    printed = capsys.readouterr()
    for text in (events, read, logged, printed.out, printed.err, right.headers["Location"], str(right.headers)):
        assert secret not in text


LIMITS = {"CODEQR_RATE_LIMIT_LINK_PASSWORD_PER_ADDRESS": "3 per minute", "CODEQR_RATE_LIMIT_LINK_PASSWORD": "5 per hour"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_wrong_passwords_are_limited_per_address_and_per_code(make_app, request, storage):
    url = request.getfixturevalue("redis_url") if storage == "redis" else "memory://"
    app = make_app(CODEQR_PROXY_FIX=1, CODEQR_RATE_LIMIT_ENABLED=True, CODEQR_RATE_LIMIT_STORAGE_URL=url,
                   **LIMITS, **BASE_SETTINGS)
    api = _api(app)
    locked = api.post("/api/qrcodes", json={"url": DESTINATION, "password": PASSWORD}).get_json()
    other = api.post("/api/qrcodes", json={"url": DESTINATION, "password": PASSWORD}).get_json()

    def attempts(address: str, password: str, count: int = 1, key: str = locked["key"]) -> list:
        visitor = app.test_client()
        visitor.environ_base["HTTP_X_FORWARDED_FOR"] = address
        answers = [_give(visitor, key, password) for _ in range(count)]
        return [answer.status_code for answer in answers], answers[-1]

    assert attempts("203.0.113.7", "wrong", 3)[0] == [401, 401, 401]
    statuses, refused = attempts("203.0.113.7", PASSWORD)  # held: even the right one is not checked
    assert statuses == [429] and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Too many wrong passwords. Try again in 1 minute." in refused.get_data(as_text=True)
    assert attempts("203.0.113.7", PASSWORD, key=other["key"])[0] == [302]  # another code: its own count
    assert attempts("198.51.100.20", "wrong", 2)[0] == [401, 401]  # the code's 5th wrong one
    statuses, refused = attempts("192.0.2.30", PASSWORD)  # a new address: the code's bound holds it
    assert statuses == [429] and 3000 <= int(refused.headers["Retry-After"]) <= 3600
    assert "Try again in 60 minutes." in refused.get_data(as_text=True)
    assert _scans(api, locked) == 0 and _scans(api, other) == 1


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_browser_gives_the_password_and_sees_the_410_page(page, live_app):
    """In chromium: the sentence beside the field, the right password, the reload not asked
    again; the 410 page in the instance's look."""
    from browser import SHOTS, create_qrcode

    live, app = live_app
    arrived = f"{live}/healthz"  # a destination chromium can reach here
    locked = create_qrcode(app, url=arrived, password=PASSWORD)
    ended = create_qrcode(app, url=arrived, expiresAt="2001-01-01T00:00:00Z")
    page.goto(f"/{locked.key}")
    page.fill("#password", "not it")
    page.click("button[type=submit]")
    assert page.locator("#password-error").inner_text() == "That password is not right. Check it and try again."
    assert page.get_attribute("#password", "aria-describedby") == "password-error"
    page.screenshot(path=SHOTS / "links-password-wrong.png", full_page=True)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(arrived)
    page.goto(f"/{locked.key}")
    assert page.url == arrived  # remembered
    answer = page.goto(f"/{ended.key}")
    assert answer is not None and answer.status == 410
    assert page.locator("h1").inner_text() == "This link has expired"
    assert page.locator("header .brand").count() == 1  # the instance's header
    page.screenshot(path=SHOTS / "links-gone.png", full_page=True)


def test_the_page_the_visitor_came_from_decides_after_the_password_too(app, api):
    qr = api.post("/api/qrcodes", json={"url": DESTINATION, "password": PASSWORD, "rules": [
        {"attribute": "referrer", "operator": "equals", "value": "news.example", "url": "https://example.com/news"}]}
    ).get_json()
    client = app.test_client()
    page = client.get(f"/{qr['key']}", headers={"Referer": "https://www.news.example/story?id=7"})
    kept = re.search(r'name="referer" value="([^"]+)"', page.get_data(as_text=True))
    assert kept and kept.group(1) == "https://www.news.example/story?id=7"
    answer = client.post(f"/{qr['key']}", headers={"Referer": f"http://localhost/{qr['key']}"},
                         data={"password": PASSWORD, "csrf_token": _token(page), "referer": kept.group(1)})
    assert answer.headers["Location"] == "https://example.com/news"
    events = api.get("/api/events", query_string={"qrcodeId": qr["id"]}).get_json()
    assert [event["refererHost"] for event in events] == ["www.news.example"]
