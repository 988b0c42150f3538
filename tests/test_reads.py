"""Reads count the scans still waiting to be enriched, exactly, and never write:
every GET that reads analytics answers the same before and after the enrichment."""

import inspect
import re
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from api_client import authorized_client
from codeqr import db
from codeqr.scans.counter import VISIT_COLUMNS

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.4 Mobile/15E148 Safari/604.1")
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
CURL = "curl/8.5.0"
WRITES = ("INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE")
PASSWORD = "correct horse battery"


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def api(app):
    from codeqr.accounts import apikeys
    from codeqr.context import for_operator

    with app.app_context():
        _, secret = apikeys.create("reads", ctx=for_operator())
    return authorized_client(app, secret)


@pytest.fixture
def browser(app):
    """A client signed in as the first (admin) user."""
    client = app.test_client()
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/setup").get_data(as_text=True))
    response = client.post("/setup", data={"email": "admin@example.com", "password": PASSWORD,
                                           **({"csrf_token": found.group(1)} if found else {})})
    assert response.status_code == 302
    client.get(response.location)  # the welcome, shown once
    return client


def _record(app, key: str, moments: list[datetime], agent: str | None = IPHONE, country="DE", visitor=None):
    """Store scans at chosen times through the redirect's own counter."""
    state = app.extensions["codeqr"]
    with app.app_context():
        for moment in moments:
            visit = dict.fromkeys(VISIT_COLUMNS) | {
                "timestamp": moment, "user_agent": agent, "referer": "https://news.example/a",
                "referer_host": "news.example", "language": "de", "country": country, "city": "Berlin", "visitor": visitor}
            assert state.scan_counter.scan("localhost", key, visit) is not None


def _enrich(app) -> None:
    from codeqr.scans.enrichment import enrich_pending

    with app.app_context():
        while enrich_pending(app, wait=True):
            pass


def _waiting(app) -> int:
    from codeqr.scans.models import PendingScan

    with app.app_context():
        return db.session.query(PendingScan).count()


class _Writes:
    """The write statements the app's engine runs while in the ``with`` block."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.seen: list[str] = []

    def _look(self, conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(WRITES) or "FOR UPDATE" in statement.upper():
            self.seen.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._look)
        return self.seen

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._look)


def _scanned(app, api):
    """Two QR Codes with scans in the rollups (enriched) and scans waiting, some of them
    with user agents never parsed, one with none."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    hot = api.post("/api/qrcodes", json={"url": "https://example.com/hot"}).get_json()
    quiet = api.post("/api/qrcodes", json={"url": "https://example.com/quiet"}).get_json()
    _record(app, hot["key"], [now - timedelta(days=day, hours=3) for day in (1, 2, 9, 20)], visitor="a")
    _record(app, quiet["key"], [now - timedelta(days=3)], agent=FIREFOX, country="FR", visitor="b")
    _enrich(app)
    # Waiting: an agent already parsed, new ones (a bot among them), none; at the edges and inside whole hours.
    _record(app, hot["key"], [now - timedelta(days=day, hours=5) for day in (0, 1, 4)], visitor="a")
    _record(app, hot["key"], [now - timedelta(minutes=1), now - timedelta(days=2)], agent=GOOGLEBOT, country="US")
    _record(app, quiet["key"], [now - timedelta(hours=30)], agent=CURL, country="FR", visitor="c")
    _record(app, quiet["key"], [now - timedelta(days=6)], agent=None, country=None, visitor="c")
    _record(app, quiet["key"], [now - timedelta(days=8)], agent=FIREFOX, country="FR", visitor="b")
    assert _waiting(app) == 8
    return hot, quiet


def _questions(hot, quiet) -> list[dict]:
    from codeqr.analytics.dimensions import BY_GROUP

    groups = ["count", "timeseries", *BY_GROUP]
    variants = [{}, {"bots": "include"}, {"unique": "true"}, {"qrcodeId": hot["id"]}, {"qrcodeId": quiet["id"]},
                {"device": "desktop"}, {"country": "FR", "bots": "include"}, {"interval": "all"},
                {"interval": "24h", "timezone": "Europe/Berlin"}]
    return [{"groupBy": group, "interval": "30d", **variant} for group in groups for variant in variants]


def _answers(api, questions) -> list:
    answers = []
    for question in questions:
        response = api.get("/api/analytics", query_string=question)
        assert response.status_code == 200, (question, response.get_json())
        answers.append(response.get_json())
    for listing in ({"interval": "all", "bots": "include"}, {"interval": "all", "qrcodeId": "hot"}):
        answers.append(api.get("/api/events", query_string=listing).get_json())
        answers.append(api.get("/api/events", query_string={**listing, "format": "csv"}).get_data(as_text=True))
    return answers


def test_the_api_counts_waiting_scans_as_after_their_enrichment_and_writes_nothing(app, api):
    hot, quiet = _scanned(app, api)
    questions = _questions(hot, quiet)
    with _Writes(app) as writes:
        before = _answers(api, questions)
    assert writes == []
    assert _waiting(app) == 8  # left where they wait
    _enrich(app)
    assert _waiting(app) == 0
    assert before == _answers(api, questions)
    assert before[0] == {"scans": 10}  # 5 enriched, 5 waiting (Googlebot and curl are bots, left out)


def _analytics_get_routes(app) -> list:
    """Every GET route whose view lives in a module that reads analytics (imports
    codeqr.analytics): the analytics API and pages, the QR Code pages."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        module = sys.modules[app.view_functions[rule.endpoint].__module__]
        imported = [value for value in vars(module).values()
                    if inspect.ismodule(value) or inspect.isfunction(value) or inspect.isclass(value)]
        if any(getattr(value, "__name__" if inspect.ismodule(value) else "__module__", "").startswith(
                "codeqr.analytics") for value in imported):
            routes.append(rule)
    return routes


def test_no_get_that_reads_analytics_writes_and_each_counts_waiting_scans(app, api, browser):
    hot, _ = _scanned(app, api)
    routes = _analytics_get_routes(app)
    assert {"api.analytics", "api.scan_events", "web.dashboard", "web.qrcode_detail", "web.qrcode_list",
            "web.events_csv"} <= {rule.endpoint for rule in routes}
    values = {"qr_id": hot["id"], "fmt": "svg", "job_id": "none", "field": "pattern", "value": "dots"}

    def pages() -> dict:
        answers = {}
        for rule in routes:
            path = rule.build({name: values[name] for name in rule.arguments})[1]
            client = api if rule.endpoint.startswith("api.") else browser
            response = client.get(path, query_string={"sort": "scans:7d"} if rule.endpoint == "web.qrcode_list" else {})
            answers[path] = (response.status_code, _without_times(response.get_data(as_text=True)))
        return answers

    with _Writes(app) as writes:
        before = pages()
    assert writes == []
    _enrich(app)
    assert before == pages()


def _without_times(page: str) -> str:
    """A page without what changes between two requests (tokens, the moment shown)."""
    return re.sub(r'(csrf_token"[^>]*value="|nonce="|data-now="|<time[^>]*>)[^"<]*', r"\1", page)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's query plans are what this reads
def test_every_answer_reads_the_events_by_an_index_and_one_qr_codes_by_its_own(app, api):
    """A read's conditions reach the events themselves (each half of the union with the
    waiting scans is filtered on its own): no answer reads every event, and one about a
    QR Code reads its events only. A condition on the union read every event in the time
    frame (a QR Code's answer took 755 ms on 1,000,000 events instead of 6)."""
    hot, quiet = _scanned(app, api)
    with app.app_context():
        engine = db.engine
    for question in _questions(hot, quiet):
        seen: list[tuple[str, tuple]] = []

        def look(conn, cursor, statement, parameters, *args, seen=seen):
            if "scan_events" in statement and statement.lstrip().upper().startswith(("SELECT", "WITH")):
                seen.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", look)
        try:
            assert api.get("/api/analytics", query_string=question).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", look)
        with engine.connect() as connection:
            for statement, parameters in seen:
                plan = [row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
                reads = [step for step in plan if "scan_events" in step]
                assert reads and all(step.startswith("SEARCH") for step in reads), (question, plan)
                if "qrcodeId" in question:
                    assert all("ix_scan_events_qrcode_timestamp" in step for step in reads), (question, plan)


def test_more_new_agents_waiting_than_one_union_holds_are_counted_exactly(make_app):
    # More distinct user agents never parsed than SQLite lets one UNION hold (500 selects):
    # the read gives them to its statement as one JSON parameter. Sent through the real
    # redirect (a second or two for these); the versions make each agent new while keeping
    # what the parser says of it.
    from codeqr.accounts import apikeys
    from codeqr.context import for_operator

    union_most = 500
    app = make_app()
    with app.app_context():
        _, secret = apikeys.create("reads", ctx=for_operator())
    api = authorized_client(app, secret)
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/many"}).get_json()
    sent = {"mobile": [IPHONE.replace("17_4", f"17_{minor}") for minor in range(union_most)],
            "desktop": [FIREFOX.replace("125.0", f"{major}.0") for major in range(60, 60 + union_most // 4)],
            "bot": [GOOGLEBOT.replace("2.1", f"2.{minor}") for minor in range(union_most // 4)]}
    visitor = app.test_client()
    for agents in sent.values():
        for agent in agents:
            assert visitor.get(f"/{qr['key']}", headers={"User-Agent": agent}).status_code == 302
    total = sum(len(agents) for agents in sent.values())
    assert _waiting(app) == total
    devices = api.get("/api/analytics", query_string={"groupBy": "devices", "interval": "24h"})
    assert devices.status_code == 200, devices.get_json()
    assert {row["device"]: row["scans"] for row in devices.get_json()} == {"mobile": len(sent["mobile"]),
                                                                             "desktop": len(sent["desktop"])}
    counted = api.get("/api/analytics", query_string={"groupBy": "count", "interval": "24h", "bots": "include"})
    assert counted.get_json() == {"scans": total}


def test_the_csv_of_events_read_in_small_chunks_lists_each_scan_once(app, api, monkeypatch):
    """Chunks go on from the last row listed, across the waiting scans and the events."""
    from itertools import islice

    from codeqr.analytics import events

    def csv_text() -> str:
        streamed = api.get("/api/events", query_string={"interval": "all", "bots": "include", "format": "csv"},
                           buffered=False)
        try:  # at most 100 pieces: chunks that repeat rows would stream for ever
            return b"".join(islice(streamed.response, 100)).decode()
        finally:
            streamed.close()

    _scanned(app, api)
    whole = csv_text()
    monkeypatch.setattr(events, "_CSV_CHUNK", 2)
    assert csv_text() == whole
    assert len(whole.splitlines()) == 1 + 13  # the header, then the 5 scans enriched and the 8 waiting
