"""Scan events and the analytics API: what a scan records, counts that equal events,
time buckets in a time zone, breakdowns, unique visitors, CSV, privacy modes."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from api_client import authorized_client
from clock import Clock
from codeqr.accounts.permissions import OPERATOR
from codeqr.context import for_operator
from codeqr.scans.counter import VISIT_COLUMNS

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.4 Mobile/15E148 Safari/604.1")
ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/124.0.6367.82 Mobile Safari/537.36")
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"
EDGE = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
        "Safari/537.36 Edg/124.0.2478.80")
IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
        "Mobile/15E148 Safari/604.1")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
FACEBOOK = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
SLACK = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
CURL = "curl/8.5.0"

#: user agent -> (device, browser, os, bot), as the packages' maintained rules have them
AGENTS = [
    (IPHONE, ("mobile", "Mobile Safari", "iOS", False)),
    (ANDROID, ("mobile", "Chrome Mobile", "Android", False)),
    (FIREFOX, ("desktop", "Firefox", "Windows", False)),
    (EDGE, ("desktop", "Edge", "Windows", False)),
    (IPAD, ("tablet", "Mobile Safari", "iOS", False)),
    (GOOGLEBOT, ("bot", "Googlebot", None, True)),
    (FACEBOOK, ("bot", "FacebookBot", None, True)),
    (SLACK, ("bot", "Slackbot-LinkExpanding", None, True)),
    (CURL, ("bot", "curl", None, True)),
]


@pytest.fixture
def analytics_app(make_app):
    return make_app(CODEQR_PROXY_FIX=1)


@pytest.fixture
def analytics_api(analytics_app):
    return _api_client(analytics_app)


def _api_client(app):
    """A client of ``app``'s API with a key of the operator's."""
    from codeqr.accounts import apikeys

    with app.app_context():
        _, secret = apikeys.create("analytics", ctx=for_operator())
    return authorized_client(app, secret)


def _scan(client, key, agent=IPHONE, address="81.2.69.160", **headers):
    response = client.get(f"/{key}", headers={"User-Agent": agent, "X-Forwarded-For": address, **headers})
    assert response.status_code == 302
    return response


def _events(api, **params):
    return api.get("/api/events", query_string={"interval": "all", "bots": "include", **params}).get_json()


def test_each_user_agent_gives_its_device_browser_os_and_bot_flag(analytics_api):
    qr = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    for agent, _ in AGENTS:
        _scan(analytics_api, qr["key"], agent=agent)
    found = [(event["device"], event["browser"], event["os"], event["bot"]) for event in _events(analytics_api)]
    assert sorted(found, key=str) == sorted((expected for _, expected in AGENTS), key=str)


@pytest.mark.parametrize("address,country", [("81.2.69.160", "GB"), ("8.8.8.8", "US"), ("193.0.6.139", "NL"),
                                             ("200.160.2.3", "BR"), ("202.12.29.205", "AU"),
                                             ("2001:67c:2e8:22::c100:68b", "NL")])
def test_the_country_comes_from_the_forwarded_address(analytics_api, address, country):
    qr = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    _scan(analytics_api, qr["key"], address=address)
    [event] = _events(analytics_api)
    assert event["country"] == country
    assert address not in str(event)  # never stored


def test_city_and_region_come_from_a_geoip_database(make_app, tmp_path):
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-City")
    writer.insert_network(IPSet(["81.2.69.0/24"]), {"country": {"iso_code": "GB"},
                                                    "subdivisions": [{"names": {"en": "England"}}],
                                                    "city": {"names": {"en": "London"}}})
    path = tmp_path / "cities.mmdb"
    writer.to_db_file(str(path))
    app = make_app(CODEQR_PROXY_FIX=1, CODEQR_GEOIP_DATABASE=str(path))
    from codeqr.accounts import apikeys

    with app.app_context():
        _, secret = apikeys.create("t", ctx=for_operator())
    api = authorized_client(app, secret)
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    _scan(api, qr["key"], address="81.2.69.160")
    _scan(api, qr["key"], address="8.8.8.8")  # not in the database: country only
    events = sorted(_events(api), key=lambda event: event["country"])
    assert [(e["country"], e["region"], e["city"]) for e in events] == [("GB", "England", "London"), ("US", None, None)]
    cities = api.get("/api/analytics?groupBy=cities&interval=24h").get_json()
    assert cities == [{"city": "London", "country": "GB", "scans": 1}, {"city": None, "country": None, "scans": 1}]


def test_an_unreadable_geoip_database_stops_the_app(make_app, tmp_path):
    from codeqr.errors import ConfigurationError

    (tmp_path / "bad.mmdb").write_bytes(b"not a database")
    with pytest.raises(ConfigurationError, match="CODEQR_GEOIP_DATABASE="):
        make_app(CODEQR_GEOIP_DATABASE=str(tmp_path / "bad.mmdb"))


def test_referer_language_and_what_the_event_keeps(analytics_api):
    qr = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    _scan(analytics_api, qr["key"], Referer="https://news.example.org/story?id=7", **{"Accept-Language": "de-DE,de;q=0.9"})
    [event] = _events(analytics_api)
    assert (event["referer"], event["refererHost"], event["language"]) == (
        "https://news.example.org/story?id=7", "news.example.org", "de")
    assert (event["qrcodeId"], event["domain"], event["key"], event["url"]) == (
        qr["id"], qr["domain"], qr["key"], "https://example.com/")
    assert event["timestamp"].endswith("Z") and len(event["visitor"]) == 32


def test_every_scan_is_one_event_and_head_unknown_and_refused_are_none(analytics_api):
    qr = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    for _ in range(3):
        _scan(analytics_api, qr["key"])
    analytics_api.head(f"/{qr['key']}")
    analytics_api.get("/no-such-key")
    assert analytics_api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] == 3
    assert len(_events(analytics_api)) == 3
    assert analytics_api.get("/api/analytics?groupBy=count").get_json() == {"scans": 3}


def test_bots_are_counted_but_left_out_of_analytics_unless_asked(analytics_api):
    qr = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    _scan(analytics_api, qr["key"], agent=IPHONE)
    _scan(analytics_api, qr["key"], agent=GOOGLEBOT)
    assert analytics_api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] == 2
    assert analytics_api.get("/api/analytics?groupBy=count").get_json() == {"scans": 1}
    assert analytics_api.get("/api/analytics?groupBy=count&bots=include").get_json() == {"scans": 2}
    devices = analytics_api.get("/api/analytics?groupBy=devices&bots=include").get_json()
    assert devices == [{"device": "bot", "scans": 1}, {"device": "mobile", "scans": 1}]


def test_filters_and_breakdowns(analytics_api):
    first = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/a", "title": "A"}).get_json()
    second = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/b"}).get_json()
    for agent, address in [(IPHONE, "81.2.69.160"), (IPHONE, "8.8.8.8"), (FIREFOX, "8.8.8.8")]:
        _scan(analytics_api, first["key"], agent=agent, address=address)
    _scan(analytics_api, second["key"], agent=ANDROID, address="193.0.6.139")

    def get(**params):
        return analytics_api.get("/api/analytics", query_string=params).get_json()

    assert get(groupBy="countries") == [{"country": "US", "scans": 2}, {"country": "GB", "scans": 1},
                                        {"country": "NL", "scans": 1}]
    assert get(groupBy="devices", qrcodeId=first["id"]) == [{"device": "mobile", "scans": 2},
                                                            {"device": "desktop", "scans": 1}]
    assert get(groupBy="count", country="us") == {"scans": 2}
    assert get(groupBy="count", device="mobile", country="US") == {"scans": 1}
    assert get(groupBy="browsers", os="Android") == [{"browser": "Chrome Mobile", "scans": 1}]
    assert get(groupBy="count", domain="localhost", key=second["key"]) == {"scans": 1}
    top = get(groupBy="top_qrcodes")
    assert top == [{"id": first["id"], "key": first["key"], "domain": "localhost", "title": "A", "scans": 3},
                   {"id": second["id"], "key": second["key"], "domain": "localhost", "title": None, "scans": 1}]
    assert get(groupBy="top_urls") == [{"url": "https://example.com/a", "scans": 3},
                                       {"url": "https://example.com/b", "scans": 1}]
    assert get(groupBy="count", qrcodeId="ext_nothing") == {"error": {"code": "not_found",
                                                                      "message": "no QR Code 'ext_nothing'"}}


def _record(app, key: str, moments: list[datetime], agent=IPHONE, visitor=None):
    """Store scans at chosen times through the redirect's own counter (the clock aside)."""
    state = app.extensions["codeqr"]
    with app.app_context():
        for moment in moments:
            visit = dict.fromkeys(VISIT_COLUMNS) | {"timestamp": moment, "user_agent": agent, "country": "DE",
                                                     "visitor": visitor}
            assert state.scan_counter.scan("localhost", key, visit) is not None


def _enrich(app) -> None:
    """Move every waiting scan to the events, as the background thread (off in tests) does."""
    from codeqr.scans.enrichment import enrich_pending

    with app.app_context():
        while enrich_pending(app, wait=True):
            pass


def test_daily_buckets_follow_a_dst_change_in_berlin(analytics_app, analytics_api):
    qr = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    # Berlin moves from +01:00 to +02:00 at 01:00 UTC on 29 March 2026.
    _record(analytics_app, qr["key"], [
        datetime(2026, 3, 28, 22, 59, tzinfo=UTC),  # 23:59 on the 28th in Berlin
        datetime(2026, 3, 28, 23, 0, tzinfo=UTC),  # 00:00 on the 29th
        datetime(2026, 3, 29, 21, 59, tzinfo=UTC),  # 23:59 on the 29th (now +02:00)
        datetime(2026, 3, 29, 22, 0, tzinfo=UTC),  # 00:00 on the 30th
        datetime(2026, 3, 31, 12, 0, tzinfo=UTC),
    ])
    series = analytics_api.get("/api/analytics", query_string={
        "groupBy": "timeseries", "start": "2026-03-28T00:00:00", "end": "2026-04-01T00:00:00",
        "timezone": "Europe/Berlin"}).get_json()
    assert series == [
        {"start": "2026-03-27T23:00:00.000Z", "scans": 1},
        {"start": "2026-03-28T23:00:00.000Z", "scans": 2},  # a 23-hour day
        {"start": "2026-03-29T22:00:00.000Z", "scans": 1},
        {"start": "2026-03-30T22:00:00.000Z", "scans": 1},
    ]
    utc = analytics_api.get("/api/analytics", query_string={
        "groupBy": "timeseries", "start": "2026-03-28T00:00:00Z", "end": "2026-04-01T00:00:00Z"}).get_json()
    assert [point["scans"] for point in utc] == [2, 2, 0, 1]  # the empty day is there too


def test_hourly_buckets_and_edges_inside_a_quarter_hour(analytics_app, analytics_api):
    qr = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    moments = [datetime(2026, 5, 4, 10, minute, second, tzinfo=UTC) for minute, second in
               [(0, 0), (7, 30), (14, 59), (15, 0), (52, 10)]] + [datetime(2026, 5, 4, 12, 5, tzinfo=UTC)]
    _record(analytics_app, qr["key"], moments)

    def count(start, end):
        return analytics_api.get("/api/analytics", query_string={"start": start, "end": end}).get_json()["scans"]

    assert count("2026-05-04T10:07:30Z", "2026-05-04T10:52:10Z") == 3  # start included, end excluded
    assert count("2026-05-04T10:07:31Z", "2026-05-04T12:05:01Z") == 4
    assert count("2026-05-04T09:00:00Z", "2026-05-04T13:00:00Z") == 6
    series = analytics_api.get("/api/analytics", query_string={
        "groupBy": "timeseries", "start": "2026-05-04T10:10:00Z", "end": "2026-05-04T12:10:00Z"}).get_json()
    assert series == [{"start": "2026-05-04T10:00:00.000Z", "scans": 3},
                      {"start": "2026-05-04T11:00:00.000Z", "scans": 0},
                      {"start": "2026-05-04T12:00:00.000Z", "scans": 1}]
    devices = analytics_api.get("/api/analytics", query_string={
        "groupBy": "devices", "start": "2026-05-04T10:10:00Z", "end": "2026-05-04T12:10:00Z"}).get_json()
    assert devices == [{"device": "mobile", "scans": 4}]


def test_unique_visitors_are_counted_once_a_day(make_app):
    clock = Clock()
    analytics_api = _api_client(make_app(clock=clock, CODEQR_PROXY_FIX=1))
    qr = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    for moment in (datetime(2026, 6, 1, 9, tzinfo=UTC), datetime(2026, 6, 1, 17, tzinfo=UTC),
                   datetime(2026, 6, 2, 9, tzinfo=UTC)):
        clock.set(moment)
        _scan(analytics_api, qr["key"])
    clock.set(datetime(2026, 6, 1, 10, tzinfo=UTC))
    _scan(analytics_api, qr["key"], agent=ANDROID)  # another visitor the first day
    frame = {"start": "2026-06-01T00:00:00Z", "end": "2026-06-04T00:00:00Z"}  # over 48 h: daily buckets
    assert analytics_api.get("/api/analytics", query_string={**frame, "unique": "true"}).get_json() == {"visitors": 3}
    assert analytics_api.get("/api/analytics", query_string=frame).get_json() == {"scans": 4}
    series = analytics_api.get("/api/analytics", query_string={**frame, "unique": "true",
                                                                "groupBy": "timeseries"}).get_json()
    assert [point["visitors"] for point in series] == [2, 1, 0]


def test_events_page_newest_first_and_csv_is_formula_safe(analytics_api):
    qr = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    _scan(analytics_api, qr["key"], Referer="=HYPERLINK(\"https://evil.example\")")
    for _ in range(4):
        _scan(analytics_api, qr["key"])
    first_page = _events(analytics_api, pageSize=2)
    second_page = _events(analytics_api, pageSize=2, page=2)
    assert len(first_page) == len(second_page) == 2
    assert first_page[0]["timestamp"] >= first_page[1]["timestamp"] >= second_page[0]["timestamp"]
    response = analytics_api.get("/api/events?interval=all", headers={"Accept": "text/csv"})
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 5 and rows[-1]["referer"] == "'=HYPERLINK(\"https://evil.example\")"
    assert rows[0]["bot"] == "false"
    assert analytics_api.get("/api/events?format=csv&interval=all").get_data(as_text=True) == response.get_data(
        as_text=True)
    assert analytics_api.get("/api/events?pageSize=1001").status_code == 422
    unknown = analytics_api.get("/api/events?format=csv&qrcodeId=cnothing")
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "not_found"


def test_the_events_csv_is_lines_any_caller_can_read_without_a_request(analytics_app, analytics_api):
    """The service gives CSV lines; making them a download is the views' job."""
    from codeqr.analytics import events
    from codeqr.analytics.schemas import EventsQuery
    from codeqr.errors import NotFound
    from codeqr.state import app_state

    qr = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    _scan(analytics_api, qr["key"])
    analytics_api.get("/api/events")  # the scan moves on to the events
    with analytics_app.app_context():  # no request here
        lines = list(events.csv_stream(EventsQuery(interval="all"), seconds=5, agents=app_state().agents, actor=OPERATOR))
        rows = list(csv.DictReader(io.StringIO("".join(lines))))
        assert [row["qrcodeId"] for row in rows] == [qr["id"]]
        with pytest.raises(NotFound):
            events.csv_stream(EventsQuery(interval="all", qrcodeId="cnothing"), seconds=5, agents=app_state().agents,
                              actor=OPERATOR)


@pytest.mark.parametrize("params,message", [
    ({"groupBy": "planets"}, "groupBy"),
    ({"interval": "3w"}, "interval"),
    ({"timezone": "Mars/Olympus"}, "IANA time zone"),
    ({"interval": "7d", "start": "2026-01-01T00:00:00Z"}, "either interval or start/end"),
    ({"start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "start must be before end"),
    ({"event": "clicks"}, "event"),
    ({"end": "0001-01-02T00:00:00Z"}, "between the years 1970 and 9000"),
])
def test_bad_parameters_are_422(analytics_api, params, message):
    response = analytics_api.get("/api/analytics", query_string=params)
    assert response.status_code == 422 and message in response.get_json()["error"]["message"]


def test_anonymous_analytics_keep_no_visitor_nor_referer_path(make_app):
    from codeqr.accounts import apikeys

    app = make_app(CODEQR_PROXY_FIX=1, CODEQR_ANALYTICS="anonymous")
    with app.app_context():
        _, secret = apikeys.create("t", ctx=for_operator())
    api = authorized_client(app, secret)
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    _scan(api, qr["key"], Referer="https://news.example.org/private/path?user=1")
    [event] = _events(api)
    assert (event["visitor"], event["referer"], event["refererHost"], event["country"], event["device"]) == (
        None, "https://news.example.org/", "news.example.org", "GB", "mobile")
    from codeqr import db
    from codeqr.scans.models import ScanEvent

    with app.app_context():
        assert db.session.scalar(db.select(ScanEvent.user_agent)) is None  # dropped once parsed


def test_analytics_off_counts_scans_and_stores_no_event(make_app):
    from codeqr import db
    from codeqr.accounts import apikeys
    from codeqr.scans.models import ScanEvent

    app = make_app(CODEQR_ANALYTICS="off")
    with app.app_context():
        _, secret = apikeys.create("t", ctx=for_operator())
    api = authorized_client(app, secret)
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    _scan(api, qr["key"])
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ScanEvent)) == 0


def test_an_unknown_analytics_mode_stops_the_app(make_app):
    from codeqr.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="CODEQR_ANALYTICS='some': expected one of full, anonymous, off"):
        make_app(CODEQR_ANALYTICS="some")


def test_old_events_are_pruned_and_totals_stay(analytics_app, analytics_api):
    from codeqr.scans.enrichment import enrich_pending, prune

    qr = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    old = datetime.now(UTC) - timedelta(days=40)
    _record(analytics_app, qr["key"], [old, old + timedelta(minutes=1)])
    _scan(analytics_api, qr["key"])
    with analytics_app.app_context():
        while enrich_pending(analytics_app, wait=True):
            pass
        assert prune(analytics_app, 30) == 2
    assert len(_events(analytics_api)) == 1
    start = (old - timedelta(hours=1)).isoformat()
    assert analytics_api.get("/api/analytics", query_string={"start": start}).get_json() == {"scans": 3}


def test_the_background_thread_enriches_and_tells_plugins(make_app):
    """With the worker on (the default), a scan is enriched and told to plugins without any API call."""
    import time

    from codeqr import hookimpl
    from codeqr.accounts import apikeys

    class Listener:
        __name__ = "listener"
        events = []

        @hookimpl
        def codeqr_qrcode_scanned(self, app, event):
            self.events.append(event)

    listener = Listener()
    app = make_app(CODEQR_ANALYTICS_WORKER=True, plugins=[listener])
    with app.app_context():
        _, secret = apikeys.create("t", ctx=for_operator())
    api = authorized_client(app, secret)
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    _scan(api, qr["key"], agent=ANDROID)
    deadline = time.monotonic() + 15
    while not listener.events:
        assert time.monotonic() < deadline, "the scan was not enriched"
        time.sleep(0.05)
    [event] = listener.events
    assert (event["qrcodeId"], event["device"], event["browser"], event["bot"]) == (
        qr["id"], "mobile", "Chrome Mobile", False)


def test_odd_user_agents_are_stored_and_enriched(analytics_api):
    """A version longer than its column, or a NUL byte (PostgreSQL refuses it in text),
    must not stop the enrichment nor lose the scan."""
    qr = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    _scan(analytics_api, qr["key"], agent="Mozilla/5.0 (Windows NT 10.0) Chrome/" + "9" * 40 + ".0 Safari/537.36")
    _scan(analytics_api, qr["key"], agent="Mozilla/5.0 (X11; Linux x86_64)\x00 Firefox/125.0")
    assert analytics_api.get("/api/analytics?groupBy=count&bots=include").get_json() == {"scans": 2}
    versions = [event["browserVersion"] for event in _events(analytics_api)]
    assert all(version is None or len(version) <= 20 for version in versions)


def test_a_failing_scanned_hook_neither_fails_the_answer_nor_stops_the_others(make_app):
    from codeqr import hookimpl
    from codeqr.accounts import apikeys

    class Flaky:
        __name__ = "flaky"
        told = []

        @hookimpl
        def codeqr_qrcode_scanned(self, app, event):
            self.told.append(event["key"])
            if len(self.told) == 1:
                raise RuntimeError("the plugin's own bug")

    flaky = Flaky()
    app = make_app(plugins=[flaky])
    with app.app_context():
        _, secret = apikeys.create("t", ctx=for_operator())
    api = authorized_client(app, secret)
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    for _ in range(3):
        _scan(api, qr["key"])
    assert api.get("/api/analytics?groupBy=count").get_json() == {"scans": 3}
    _enrich(app)
    assert flaky.told == [qr["key"]] * 3


def test_top_lists_add_whole_weeks_days_and_the_edges(analytics_app, analytics_api):
    """Weeks (from Monday), days and the events at either edge each count once."""
    first = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/first"}).get_json()
    second = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/second"}).get_json()
    # Mon 2 Mar 2026 … Sun 29 Mar 2026: whole weeks 9–15, 16–22 March inside the frame below.
    _record(analytics_app, first["key"], [datetime(2026, 3, day, 12, tzinfo=UTC) for day in (4, 5, 10, 17, 23, 24)])
    _record(analytics_app, first["key"], [datetime(2026, 3, 4, 7, tzinfo=UTC)])  # before the frame starts
    _record(analytics_app, second["key"], [datetime(2026, 3, day, 18, tzinfo=UTC) for day in (4, 12, 13, 14, 15)])
    _record(analytics_app, second["key"], [datetime(2026, 3, 24, 20, tzinfo=UTC)])  # after the frame ends
    frame = {"start": "2026-03-04T08:00:00Z", "end": "2026-03-24T19:00:00Z"}
    top = analytics_api.get("/api/analytics", query_string={**frame, "groupBy": "top_qrcodes"}).get_json()
    assert [(item["key"], item["scans"]) for item in top] == [(first["key"], 6), (second["key"], 5)]
    urls = analytics_api.get("/api/analytics", query_string={**frame, "groupBy": "top_urls"}).get_json()
    assert urls == [{"url": "https://example.com/first", "scans": 6}, {"url": "https://example.com/second", "scans": 5}]


def test_a_popular_qr_codes_closed_days_are_answered_from_its_own_rollups(analytics_app, analytics_api, monkeypatch):
    """Once a day is closed, a QR Code scanned often that day answers from rollups of
    its own: the same answers, also after its events of that day are gone (so they were
    not read), and a scan of that day enriched late is added to them."""
    from datetime import date

    from sqlalchemy import delete

    from codeqr.analytics import rollups
    from codeqr.analytics.models import QRCodeRolledDay
    from codeqr.persistence.database import begin_write
    from codeqr.persistence.extensions import db
    from codeqr.scans.models import ScanEvent

    monkeypatch.setattr(rollups, "POPULAR_DAILY_SCANS", 4)
    hot = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/hot"}).get_json()
    quiet = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/quiet"}).get_json()
    _record(analytics_app, hot["key"], [datetime(2026, 3, 2, 10, 0, tzinfo=UTC), datetime(2026, 3, 2, 11, 5, tzinfo=UTC)])
    _record(analytics_app, hot["key"], [datetime(2026, 3, 2, 10, 20, tzinfo=UTC)], agent=ANDROID)
    _record(analytics_app, hot["key"], [datetime(2026, 3, 2, 23, 50, tzinfo=UTC)], agent=GOOGLEBOT)
    _record(analytics_app, hot["key"], [datetime(2026, 3, 3, 9, 0, tzinfo=UTC)] * 2, agent=FIREFOX)
    _record(analytics_app, hot["key"], [datetime(2026, 3, 1, 18, 0, tzinfo=UTC)])  # inside the frame's first edge
    _record(analytics_app, quiet["key"], [datetime(2026, 3, 2, 12, 0, tzinfo=UTC)] * 3)
    frame = {"start": "2026-03-01T12:00:00Z", "end": "2026-03-04T00:00:00Z"}

    def answers(qr):
        asked = [{"groupBy": "count"}, {"groupBy": "count", "bots": "include"}, {"groupBy": "devices"},
                 {"groupBy": "browsers", "bots": "include"}, {"groupBy": "top_urls"},
                 {"groupBy": "timeseries", "timezone": "Europe/Berlin"}]
        return [analytics_api.get("/api/analytics", query_string={**frame, **question, "qrcodeId": qr["id"]}
                                  ).get_json() for question in asked]

    expected = [{"scans": 6}, {"scans": 7}, [{"device": "mobile", "scans": 4}, {"device": "desktop", "scans": 2}],
                [{"browser": "Mobile Safari", "scans": 3}, {"browser": "Firefox", "scans": 2},
                 {"browser": "Chrome Mobile", "scans": 1}, {"browser": "Googlebot", "scans": 1}],
                [{"url": "https://example.com/hot", "scans": 6}],
                [{"start": "2026-02-28T23:00:00.000Z", "scans": 1}, {"start": "2026-03-01T23:00:00.000Z", "scans": 3},
                 {"start": "2026-03-02T23:00:00.000Z", "scans": 2}, {"start": "2026-03-03T23:00:00.000Z", "scans": 0}]]
    assert answers(hot) == expected
    quiet_answers = answers(quiet)
    _enrich(analytics_app)
    with analytics_app.app_context():
        with begin_write():
            closed = rollups.close_days(date(2026, 3, 5), most=10)
        assert closed == [date(2026, 3, day) for day in (1, 2, 3, 4)]
        assert [(row.qrcode_id, row.day) for row in db.session.scalars(db.select(QRCodeRolledDay))] == [
            (hot["id"], date(2026, 3, 2))]  # 3 March had 2 scans, the quiet one 3: too few
        with begin_write():
            db.session.execute(delete(ScanEvent).where(ScanEvent.qrcode_id == hot["id"],
                                                       ScanEvent.timestamp >= datetime(2026, 3, 2, tzinfo=UTC),
                                                       ScanEvent.timestamp < datetime(2026, 3, 3, tzinfo=UTC)))
    assert answers(hot) == expected
    assert answers(quiet) == quiet_answers
    _record(analytics_app, hot["key"], [datetime(2026, 3, 2, 15, 0, tzinfo=UTC)], agent=ANDROID)
    assert answers(hot)[0] == {"scans": 7}  # waiting
    _enrich(analytics_app)  # enriched late
    later = answers(hot)
    assert later[0] == {"scans": 7}
    assert later[2] == [{"device": "mobile", "scans": 5}, {"device": "desktop", "scans": 2}]
    assert later[5][1] == {"start": "2026-03-01T23:00:00.000Z", "scans": 4}


def test_the_worker_closes_past_days_one_a_turn(analytics_app, analytics_api):
    """Closing holds SQLite's write lock, which scans wait for: one day a turn."""
    from codeqr.analytics.models import ClosedDay
    from codeqr.persistence.extensions import db

    qr = analytics_api.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    _record(analytics_app, qr["key"], [today - timedelta(days=2), today - timedelta(days=1)])
    assert analytics_api.get("/api/analytics?groupBy=count").get_json() == {"scans": 2}
    _enrich(analytics_app)
    worker = analytics_app.extensions["codeqr"].enrichment
    with analytics_app.app_context():
        closed = []
        for _ in range(3):
            worker._maybe_close_days()
            closed.append(sorted(day for day in db.session.scalars(db.select(ClosedDay.day))))
            db.session.remove()
    two_days_ago, yesterday = (today - timedelta(days=2)).date(), (today - timedelta(days=1)).date()
    assert closed == [[two_days_ago], [two_days_ago, yesterday], [two_days_ago, yesterday]]
    assert worker._closed_before == today.date()
