"""What an analytics read may cost (a time frame, a number of points, a time per
statement) and answers over empty, future or reversed time frames: 200 or 422, never 5xx."""

import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import insert

from api_client import authorized_client
from codeqr.accounts import apikeys, users
from codeqr.analytics.schemas import GROUP_BY, INTERVALS
from codeqr.context import for_operator
from codeqr.errorhandlers import RETRY_AFTER_SECONDS

URL = "https://example.com/landing"
PASSWORD = "correct horse battery"
#: The request that stalled every short link: 84,000 monthly buckets.
HUGE = {"start": "1970-01-01T00:00:00Z", "end": "9000-12-31T00:00:00Z", "groupBy": "timeseries"}


def _viewer_key(app) -> str:
    with app.app_context():
        viewer = users.create("viewer@example.com", PASSWORD, role="viewer", ctx=for_operator())
        return apikeys.create("viewer", owner=viewer, scope="read_only", ctx=for_operator())[1]


def _admin_key(app) -> str:
    with app.app_context():
        return apikeys.create("admin", ctx=for_operator())[1]


def _error(response) -> str:
    return response.get_json()["error"]["message"]


def test_a_time_series_of_84000_points_is_422_naming_the_limit(make_app):
    app = make_app()
    viewer = authorized_client(app, _viewer_key(app))
    refused = viewer.get("/api/analytics", query_string=HUGE)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "unprocessable_entity"
    assert "36,525 days" in _error(refused)  # the time frame is refused first, for every groupBy
    for group_by in GROUP_BY:
        response = viewer.get("/api/analytics", query_string=HUGE | {"groupBy": group_by})
        assert response.status_code == 422 and "36,525 days" in _error(response), group_by
    # Within the span, the number of points: monthly from 1970, 1,000 points end in May 2053.
    most = {"groupBy": "timeseries", "start": "1970-01-01T00:00:00Z", "end": "2053-05-01T00:00:00Z"}
    assert len(viewer.get("/api/analytics", query_string=most).get_json()) == 1000
    one_more = viewer.get("/api/analytics", query_string=most | {"end": "2053-05-01T00:00:01Z"})
    assert one_more.status_code == 422 and "more than 1,000 points" in _error(one_more)


def test_the_limits_are_settings_and_the_web_page_answers_422_with_them(make_app):
    app = make_app(CODEQR_ANALYTICS_MAX_BUCKETS=10, CODEQR_ANALYTICS_MAX_SPAN_DAYS=7, WTF_CSRF_ENABLED=False)
    api = authorized_client(app, _admin_key(app))
    assert "more than 10 points" in _error(api.get("/api/analytics?groupBy=timeseries&interval=24h"))  # hours
    assert "at most 7 days" in _error(api.get("/api/analytics?groupBy=countries&interval=30d"))
    assert api.get("/api/analytics?groupBy=countries&interval=7d").status_code == 200
    assert api.get("/api/analytics?groupBy=timeseries&interval=7d").status_code == 200  # 8 days
    browser = _signed_in(app)
    page = browser.get("/analytics?interval=30d")
    assert page.status_code == 422 and b"at most 7 days" in page.data
    page = browser.get("/analytics?interval=24h")
    assert page.status_code == 422 and b"more than 10 points" in page.data
    assert browser.get("/analytics?interval=7d").status_code == 200


def _signed_in(app):
    client = app.test_client()
    with app.app_context():
        if not users.has_users():
            users.create("admin@example.com", PASSWORD, role="admin", ctx=for_operator())
    response = client.post("/login", data={"email": "admin@example.com", "password": PASSWORD})
    assert response.status_code == 302
    return client


# -- a time limit per statement --------------------------------------------------------


def _seed_events(app, qr_id: str, count: int) -> None:
    """``count`` scan events of ``qr_id`` over the last 30 days, written directly."""
    from codeqr.persistence.database import begin_write
    from codeqr.persistence.extensions import db
    from codeqr.scans.models import ScanEvent

    now = datetime.now(UTC)
    with app.app_context():
        rows = [{"timestamp": now - timedelta(minutes=number % 43000), "qrcode_id": qr_id,
                 "domain": "localhost", "key": "k", "url": URL, "bot": False, "country": "GB",
                 "visitor": f"{number % 5000:032x}"} for number in range(count)]
        with begin_write():
            db.session.execute(insert(ScanEvent), rows)


@pytest.fixture
def slow_reads(make_app, caplog):
    """An app whose analytics reads may take 1 ms, with 60,000 events to read."""
    caplog.set_level(logging.CRITICAL)
    app = make_app(CODEQR_ANALYTICS_TIMEOUT_SECONDS=0.001, WTF_CSRF_ENABLED=False)
    api = authorized_client(app, _admin_key(app))
    qr = api.post("/api/qrcodes", json={"url": URL}).get_json()
    _seed_events(app, qr["id"], 60_000)
    return app, api, qr


@pytest.mark.parametrize("params", [
    {"groupBy": "timeseries", "interval": "30d", "unique": "true"},
    {"groupBy": "count", "interval": "30d", "country": "NL"},
])
def test_an_analytics_read_over_its_time_limit_answers_503_and_short_links_go_on(slow_reads, params):
    app, api, qr = slow_reads
    response = api.get("/api/analytics", query_string=params)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"
    assert "longer than 0.001 s" in _error(response)
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert app.test_client().get(f"/{qr['key']}").status_code == 302
    assert api.get(f"/api/qrcodes/{qr['id']}").status_code == 200  # the connection serves on


def test_an_events_read_and_the_web_page_over_the_time_limit_answer_503(slow_reads):
    app, api, qr = slow_reads
    response = api.get("/api/events?interval=all&country=NL")  # every event read, none matches
    assert response.status_code == 503 and response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    page = _signed_in(app).get(f"/qrcodes/{qr['id']}?interval=30d&unique=1")
    assert page.status_code == 503 and b"longer than 0.001 s" in page.data
    assert app.test_client().get(f"/{qr['key']}").status_code == 302
    assert api.get("/api/qrcodes").status_code == 200


def test_reads_within_the_time_limit_answer(make_app):
    app = make_app()
    api = authorized_client(app, _admin_key(app))
    qr = api.post("/api/qrcodes", json={"url": URL}).get_json()
    _seed_events(app, qr["id"], 2000)
    assert api.get("/api/analytics?interval=30d&unique=true").get_json() == {"visitors": 2000}
    csv_lines = api.get("/api/events?interval=all&format=csv").get_data(as_text=True).splitlines()
    assert len(csv_lines) == 2001  # read in chunks of 1,000: each chunk its own statement


# -- empty, future and reversed time frames -----------------------------------------------

SOON = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
#: Time frames a client may send, good and bad: each answers 200 or 422.
FRAMES = {
    "normal": {"interval": "30d"},
    "all": {"interval": "all"},
    "empty": {"start": "2001-01-01T00:00:00Z", "end": "2001-01-08T00:00:00Z"},
    "future start": {"start": SOON},
    "reversed": {"start": "2025-02-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"},
    "reversed, one in a time zone": {"start": "2025-01-01T05:00:00", "end": "2025-01-01T01:00:00Z",
                                     "timezone": "America/New_York"},
    "equal": {"start": "2025-01-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"},
}


@pytest.fixture
def two_codes(make_app):
    """An app with one QR Code scanned twice and one never scanned."""
    app = make_app(WTF_CSRF_ENABLED=False)
    api = authorized_client(app, _admin_key(app))
    scanned, never = (api.post("/api/qrcodes", json={"url": f"{URL}/{n}"}).get_json() for n in range(2))
    for _ in range(2):
        assert app.test_client().get(f"/{scanned['key']}").status_code == 302
    return app, api, scanned, never


def test_every_breakdown_of_every_time_frame_answers_200_or_422(two_codes):
    _, api, scanned, never = two_codes
    scopes = {"never scanned": {"qrcodeId": never["id"]}, "scanned": {"qrcodeId": scanned["id"]}, "all": {}}
    answers = {}
    for group_by in GROUP_BY:
        for frame, frame_params in FRAMES.items():
            for scope, scope_params in scopes.items():
                for unique in ("false", "true"):
                    params = {"groupBy": group_by, "unique": unique, **frame_params, **scope_params}
                    response = api.get("/api/analytics?" + urlencode(params))
                    answers[(group_by, frame, scope, unique)] = response.status_code
                    assert response.status_code in (200, 422), (params, response.get_data(as_text=True))
    statuses = {status for status in answers.values()}
    assert statuses == {200, 422}
    for frame in ("future start", "reversed", "reversed, one in a time zone", "equal"):
        assert {status for (_, f, _, _), status in answers.items() if f == frame} == {422}, frame
    counts = {scope: api.get("/api/analytics?" + urlencode({"interval": "all", **params})).get_json()
              for scope, params in scopes.items()}
    assert counts == {"never scanned": {"scans": 0}, "scanned": {"scans": 2}, "all": {"scans": 2}}
    assert api.get("/api/analytics?" + urlencode(FRAMES["future start"])).get_json()["error"]["message"] == (
        "start must be before end (now, when end is not given)")


def test_every_analytics_page_answers_for_every_interval(two_codes):
    app, _, scanned, never = two_codes
    browser = _signed_in(app)
    for interval in INTERVALS:
        for unique in ("0", "1"):
            for path in ("/analytics", f"/qrcodes/{scanned['id']}", f"/qrcodes/{never['id']}"):
                response = browser.get(f"{path}?interval={interval}&unique={unique}")
                assert response.status_code == 200, (path, interval, unique)
