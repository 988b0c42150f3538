"""Scans of QR Codes with link options, through the redirect (issue 23): each step of the
decision for real user agents and addresses of several countries (behind a trusted proxy),
their order, the expiry's boundary, an A/B split over 2,000 visitors, UTM and the
forwarded query, options edited through the API, HEAD; counts equal events."""

import secrets
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from api_client import authorized_client
from codeqr.context import for_operator

AGENTS = {
    "iphone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Version/17.4 Mobile/15E148 Safari/604.1",
    "android": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/124.0.6367.82 Mobile Safari/537.36",
    "windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/124.0.0.0 Safari/537.36",
    "mac": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
           "Version/17.4 Safari/605.1.15",
}
#: Real public addresses and the country iptocc gives each (checked by hand against it).
ADDRESSES = {"DE": "194.25.2.129", "US": "8.8.8.8", "JP": "133.242.0.3", "FR": "80.67.169.12"}
SITE = "https://example.com/site"


def _url(name: str) -> str:
    return f"https://example.com/{name}"


class FrozenClock:
    """The app's time, standing still where a test puts it."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def _api(app):
    from codeqr.accounts import apikeys

    with app.app_context():
        _, secret = apikeys.create(f"links {secrets.token_hex(4)}", ctx=for_operator())
    return authorized_client(app, secret)


def _scan(client, key: str, agent: str = "windows", country: str = "US", method: str = "get", query: str = ""):
    return getattr(client, method)(f"/{key}{query}", headers={"User-Agent": AGENTS[agent],
                                                              "X-Forwarded-For": ADDRESSES[country]})


def _decided(app, qr_id: str) -> list[tuple]:
    """The code's scans as their events keep them, enriched: (step, rule, variant, url, country)."""
    from codeqr import db
    from codeqr.scans.enrichment import enrich_pending
    from codeqr.scans.models import ScanEvent

    with app.app_context():
        while enrich_pending(app, wait=True):
            pass
        rows = db.session.query(ScanEvent).filter_by(qrcode_id=qr_id).order_by(ScanEvent.id).all()
        return [(row.step, row.rule, row.variant, row.url, row.country) for row in rows]


def _scans(api, qr) -> int:
    return api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"]


@pytest.fixture
def app(make_app):
    return make_app(CODEQR_PROXY_FIX=1)


@pytest.fixture
def api(app):
    return _api(app)


def test_iptocc_places_the_addresses_as_written():
    import iptocc

    assert {country: iptocc.country_code(address) for country, address in ADDRESSES.items()} == {
        "DE": "DE", "US": "US", "JP": "JP", "FR": "FR"}


#: (agent, country) -> (where it goes, step, rule) for the code made in the test below.
STEPS = [
    ("windows", "JP", _url("japan"), "rule", 1),  # a rule, before anything else
    ("android", "JP", _url("japan"), "rule", 1),
    ("mac", "US", _url("mac"), "rule", 2),
    ("mac", "DE", _url("mac"), "rule", 2),  # rules before geo
    ("iphone", "DE", _url("germany"), "geo", None),  # geo before the phone's own
    ("windows", "DE", _url("germany"), "geo", None),
    ("iphone", "US", _url("ios"), "ios", None),
    ("android", "FR", _url("android"), "android", None),
    ("windows", "US", SITE, "url", None),
    ("iphone", "FR", _url("ios"), "ios", None),
]


def test_each_step_decides_for_real_visitors_in_its_order(app, api):
    qr = api.post("/api/qrcodes", json={
        "url": SITE, "ios": _url("ios"), "android": _url("android"), "geo": {"de": _url("germany")},
        "rules": [{"attribute": "country", "operator": "equals", "value": "jp", "url": _url("japan")},
                  {"attribute": "device", "operator": "equals", "value": "Mac OS", "url": _url("mac")}],
    }).get_json()
    assert qr.get("geo") == {"DE": _url("germany")}, qr
    client = app.test_client()
    for agent, country, location, _, _ in STEPS:
        answer = _scan(client, qr["key"], agent, country)
        assert (answer.status_code, answer.headers["Location"]) == (302, location), (agent, country)
    assert _scans(api, qr) == len(STEPS)
    assert _decided(app, qr["id"]) == [(step, rule, None, location, country)
                                       for _, country, location, step, rule in STEPS]


def test_the_password_then_the_expiry_come_before_every_other_step(make_app):
    clock = FrozenClock(datetime(2030, 6, 1, 12, 0, tzinfo=UTC))
    app = make_app(CODEQR_PROXY_FIX=1, clock=clock)
    api = _api(app)
    everything = {"url": SITE, "ios": _url("ios"), "geo": {"DE": _url("germany")}, "expiresAt": "2030-06-01T13:00:00Z",
                  "expiredUrl": _url("ended"), "rules": [{"split": [{"url": _url("a"), "weight": 50},
                                                                    {"url": _url("b"), "weight": 50}]}]}
    locked = api.post("/api/qrcodes", json=everything | {"password": "sesame"}).get_json()
    ending = api.post("/api/qrcodes", json=everything).get_json()
    client = app.test_client()
    assert _scan(client, locked["key"], "iphone", "DE").status_code == 200  # the password page
    assert _scan(client, ending["key"], "iphone", "DE").headers["Location"] in (_url("a"), _url("b"))
    clock.moment = datetime(2030, 6, 1, 13, 0, tzinfo=UTC)
    assert _scan(client, locked["key"], "iphone", "DE").status_code == 200  # still: the password first
    assert _scan(client, ending["key"], "iphone", "DE").headers["Location"] == _url("ended")
    assert _scans(api, locked) == 0
    decided = _decided(app, ending["id"])
    assert [row[:2] for row in decided] == [("rule", 1), ("expired", None)]
    assert decided[1][2:4] == (None, _url("ended"))


def test_the_expiry_starts_at_its_very_instant(make_app):
    clock = FrozenClock(datetime(2030, 1, 1, tzinfo=UTC))
    app = make_app(CODEQR_PROXY_FIX=1, clock=clock)
    api = _api(app)
    moved = api.post("/api/qrcodes", json={"url": SITE, "expiresAt": "2030-01-01T10:00:00+01:00",
                                           "expiredUrl": _url("ended")}).get_json()
    gone = api.post("/api/qrcodes", json={"url": SITE, "expiresAt": "2030-01-01T09:00:00Z"}).get_json()
    client = app.test_client()
    clock.moment = datetime(2030, 1, 1, 8, 59, 59, 999000, tzinfo=UTC)  # a millisecond before both
    assert _scan(client, moved["key"]).headers["Location"] == SITE
    assert _scan(client, gone["key"]).headers["Location"] == SITE
    clock.moment = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)  # 10:00 in +01:00 is 09:00 UTC
    assert _scan(client, moved["key"]).headers["Location"] == _url("ended")
    expired = _scan(client, gone["key"])
    assert expired.status_code == 410 and "This link has expired" in expired.get_data(as_text=True)
    assert [row[0] for row in _decided(app, moved["id"])] == ["url", "expired"]
    assert [row[0::3] for row in _decided(app, gone["id"])] == [("url", SITE), ("expired", "")]
    assert _scans(api, moved) == 2 and _scans(api, gone) == 2


VISITORS = 2000
WEIGHTS = {_url("a"): 20, _url("b"): 30, _url("c"): 50}


# SQLite only: the split is decided in memory, the same on either database (both count
# every other test's scans), and 2,200 scans cost PostgreSQL three times as long.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_ab_split_shares_2000_visitors_by_its_weights_and_keeps_each_on_their_variant(app, api):
    qr = api.post("/api/qrcodes", json={"url": SITE, "rules": [
        {"split": [{"url": url, "weight": weight} for url, weight in WEIGHTS.items()]}]}).get_json()
    client = app.test_client(use_cookies=False)  # each a visitor of their own: none keeps another's cookie
    agents = list(AGENTS.values())

    def visit(number: int) -> str:
        headers = {"X-Forwarded-For": f"198.18.{number // 250}.{number % 250 + 1}",
                   "User-Agent": agents[number % len(agents)].replace("17_4", f"17_{number % 7}")}
        answer = client.get(f"/{qr['key']}", headers=headers)
        assert answer.status_code == 302
        return answer.headers["Location"]

    first = [visit(number) for number in range(VISITORS)]
    shares = {url: 100 * count / VISITORS for url, count in Counter(first).items()}
    assert set(shares) == set(WEIGHTS)
    for url, weight in WEIGHTS.items():
        assert abs(shares[url] - weight) <= 3, shares
    again = list(range(0, VISITORS, 10))
    assert [visit(number) for number in again] == [first[number] for number in again]  # sticky
    counted = VISITORS + len(again)
    assert _scans(api, qr) == counted
    decided = _decided(app, qr["id"])
    assert len(decided) == counted
    variants = {_url("a"): 1, _url("b"): 2, _url("c"): 3}
    assert Counter(row[:4] for row in decided) == Counter(
        ("rule", 1, variants[url], url) for url in first + [first[number] for number in again])


def test_a_visitor_keeps_their_variant_the_next_day_by_their_cookie(make_app):
    clock = FrozenClock(datetime(2030, 3, 2, 12, tzinfo=UTC))
    app = make_app(CODEQR_PROXY_FIX=1, clock=clock)
    qr = _api(app).post("/api/qrcodes", json={"url": SITE, "rules": [
        {"split": [{"url": url, "weight": weight} for url, weight in WEIGHTS.items()]}]}).get_json()
    first_day, days_after, cookies = [], [], []
    for number in range(40):
        browser = app.test_client()  # one phone's browser, its cookies kept
        headers = {"X-Forwarded-For": f"198.18.7.{number + 1}", "User-Agent": AGENTS["iphone"]}
        clock.moment = datetime(2030, 3, 2, 12, tzinfo=UTC)
        answer = browser.get(f"/{qr['key']}", headers=headers)
        cookie = answer.headers["Set-Cookie"]
        assert cookie.startswith("codeqr_visitor=") and "HttpOnly" in cookie and "Max-Age=31536000" in cookie
        cookies.append(cookie)
        first_day.append(answer.headers["Location"])
        clock.moment = datetime(2030, 3, 9, 12, tzinfo=UTC)  # a week on: another day's visitor hash
        again = browser.get(f"/{qr['key']}", headers=headers)
        assert "Set-Cookie" not in again.headers
        days_after.append(again.headers["Location"])
    assert days_after == first_day
    assert len(set(first_day)) > 1  # the visitors were spread, not all sent one way
    # The cookie is no event's visitor hash (the events API shows those), and a cookie of
    # another shape is replaced by one that keeps the visitor's variant.
    kept = {cookie.split("=", 1)[1].split(";", 1)[0] for cookie in cookies}
    _decided(app, qr["id"])  # enriched
    with app.app_context():
        from codeqr import db
        from codeqr.scans.models import ScanEvent

        hashes = {row.visitor for row in db.session.query(ScanEvent).filter_by(qrcode_id=qr["id"])}
    assert None not in hashes and len(kept) == 40 and not kept & hashes
    clock.moment = datetime(2030, 3, 2, 12, tzinfo=UTC)  # the first day again: the same daily hash
    browser = app.test_client()
    browser.set_cookie("codeqr_visitor", "x")
    assert browser.get(f"/{qr['key']}", headers={"X-Forwarded-For": "198.18.7.1",
                                                  "User-Agent": AGENTS["iphone"]}).headers["Set-Cookie"].split(";")[0] \
        == cookies[0].split(";")[0]


@pytest.mark.parametrize("destination,utm,expected", [
    ("https://shop.example/p?color=red&size=m", {"utm_source": "poster", "utm_medium": "print"},
     "https://shop.example/p?color=red&size=m&utm_source=poster&utm_medium=print"),
    ("https://shop.example/p#reviews", {"utm_campaign": "spring sale"},
     "https://shop.example/p?utm_campaign=spring+sale#reviews"),
    ("https://shop.example/p?a=1#top", {"utm_source": "poster"}, "https://shop.example/p?a=1&utm_source=poster#top"),
    ("https://shop.example/?utm_source=newsletter&id=7&utm_source=again", {"utm_source": "poster"},
     "https://shop.example/?utm_source=poster&id=7"),
])
def test_utm_parameters_join_the_destinations_query_and_keep_its_fragment(app, api, destination, utm, expected):
    qr = api.post("/api/qrcodes", json={"url": destination} | utm).get_json()
    assert _scan(app.test_client(), qr["key"]).headers["Location"] == expected
    assert _decided(app, qr["id"])[0][:4] == ("url", None, None, expected)


def test_the_scans_own_query_is_forwarded_only_when_asked(app, api):
    forwarding = api.post("/api/qrcodes", json={"url": "https://shop.example/p?a=1#top", "utm_source": "poster",
                                                "forwardQuery": True}).get_json()
    keeping = api.post("/api/qrcodes", json={"url": "https://shop.example/p?a=1#top", "utm_source": "poster"}).get_json()
    client = app.test_client()
    query = "?ref=mail&utm_source=newsletter&name=J%C3%BCrgen"
    assert _scan(client, forwarding["key"], query=query).headers["Location"] == \
        "https://shop.example/p?a=1&utm_source=newsletter&ref=mail&name=J%C3%BCrgen#top"
    assert _scan(client, keeping["key"], query=query).headers["Location"] == \
        "https://shop.example/p?a=1&utm_source=poster#top"


def test_options_edited_through_the_api_decide_the_next_scans(make_app):
    # Kept for an hour: still, no scan is counted on the kept options once they changed; the
    # count finds the code changed, and the scan is decided anew on what is stored now.
    app = make_app(CODEQR_PROXY_FIX=1, CODEQR_ROUTING_CACHE_SECONDS=3600)
    api = _api(app)
    qr = api.post("/api/qrcodes", json={"url": SITE, "ios": _url("ios")}).get_json()
    client = app.test_client()
    assert _scan(client, qr["key"], "iphone").headers["Location"] == _url("ios")
    api.patch(f"/api/qrcodes/{qr['id']}", json={"ios": _url("ios-2"), "geo": {"US": _url("us")}})
    # A HEAD counts nothing: it may answer from the kept options, for the hour they are kept.
    assert _scan(client, qr["key"], "iphone", method="head").headers["Location"] == _url("ios")
    assert _scan(client, qr["key"], "iphone").headers["Location"] == _url("us")  # the very first scan after
    assert _scan(client, qr["key"], "iphone", method="head").headers["Location"] == _url("us")  # kept anew
    assert _scan(client, qr["key"], "iphone", "DE").headers["Location"] == _url("ios-2")
    api.patch(f"/api/qrcodes/{qr['id']}", json={"ios": None, "geo": None})  # no options left
    assert _scan(client, qr["key"], "iphone").headers["Location"] == SITE
    assert _scan(client, qr["key"], "iphone", "DE").headers["Location"] == SITE
    assert [row[0] for row in _decided(app, qr["id"])] == ["ios", "geo", "ios", None, None]

    # Kept a tenth of a second: after that, even a HEAD is answered from the new options.
    quick = make_app(CODEQR_PROXY_FIX=1, CODEQR_ROUTING_CACHE_SECONDS=0.1)
    quick_api = _api(quick)
    other = quick_api.post("/api/qrcodes", json={"url": SITE, "android": _url("android")}).get_json()
    client = quick.test_client()
    assert _scan(client, other["key"], "android").headers["Location"] == _url("android")
    quick_api.patch(f"/api/qrcodes/{other['id']}", json={"android": _url("android-2")})
    time.sleep(0.15)
    assert _scan(client, other["key"], "android", method="head").headers["Location"] == _url("android-2")


def test_a_head_never_counts(make_app):
    clock = FrozenClock(datetime(2030, 1, 1, tzinfo=UTC))
    app = make_app(CODEQR_PROXY_FIX=1, clock=clock)
    api = _api(app)
    ruled = api.post("/api/qrcodes", json={"url": SITE, "rules": [
        {"attribute": "country", "operator": "equals", "value": "FR", "url": _url("fr")}]}).get_json()
    locked = api.post("/api/qrcodes", json={"url": SITE, "password": "sesame"}).get_json()
    ending = api.post("/api/qrcodes", json={"url": SITE, "expiresAt": "2030-01-01T00:00:01Z"}).get_json()
    client = app.test_client()
    head = _scan(client, ruled["key"], country="FR", method="head")
    assert (head.status_code, head.headers["Location"]) == (302, _url("fr"))
    assert _scan(client, locked["key"], method="head").status_code == 200
    clock.moment += timedelta(seconds=1)
    assert _scan(client, ending["key"], method="head").status_code == 410
    assert [_scans(api, qr) for qr in (ruled, locked, ending)] == [0, 0, 0]
    assert [_decided(app, qr["id"]) for qr in (ruled, locked, ending)] == [[], [], []]


def test_a_raw_utf8_query_is_read_as_the_text_it_is(app, api):
    qr = api.post("/api/qrcodes", json={"url": SITE, "forwardQuery": True, "rules": [
        {"attribute": "utm_source", "operator": "equals", "value": "café", "url": _url("cafe")}]}).get_json()
    client = app.test_client(use_cookies=False)
    for query in ("?utm_source=caf%C3%A9", "?utm_source=café"):  # percent-encoded, and sent raw
        environ = {"QUERY_STRING": query[1:].encode().decode("latin-1")}  # as a WSGI server passes raw bytes
        answer = client.get(f"/{qr['key']}", environ_overrides=environ)
        assert answer.headers["Location"] == _url("cafe") + "?utm_source=caf%C3%A9", query
