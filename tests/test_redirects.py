"""Short-link redirects: explicit 302, no caching, exact counting, HEAD counts nothing."""

from unittest.mock import ANY

import pytest

from codeqr import hookimpl
from codeqr.context import for_operator


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
    from codeqr.accounts import apikeys

    with app.app_context():
        _, secret = apikeys.create("t", ctx=for_operator())
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
    assert found == [(qr["id"], qr["url"], "url", None, True, None, ANY)] * 200
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] == 200
    assert 1 <= counter._idle.qsize() <= 4  # every connection back, and no more than 4 were made


# codeqr_redirect: when it runs, what it is given, what it costs.

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.4 Mobile/15E148 Safari/604.1")


class Decider:
    """Refuses one key, sends another elsewhere, and keeps what each call was given."""

    __name__ = "decider"

    def __init__(self):
        self.asked = []

    @hookimpl
    def codeqr_redirect(self, id, key, url, visit):
        self.asked.append({"id": id, "url": url, "visit": visit})
        return {"refused": 410, "moved": "https://example.com/elsewhere"}.get(key)


def _plugin_app(make_app, plugins=(), **settings):
    """An app with ``plugins``, and an API client for it."""
    from api_client import authorized_client
    from codeqr.accounts import apikeys

    app = make_app(plugins=plugins, **settings)
    with app.app_context():
        _, secret = apikeys.create("redirects", ctx=for_operator())
    return app, authorized_client(app, secret)


def test_a_refused_scan_is_not_counted_nor_stored_and_a_sent_elsewhere_one_is(make_app):
    """The hook runs before the count: a refusal (410 here) counts nothing and stores no
    event; a URL it returns is where the visitor goes, counted, and what the event records."""
    _, api = _plugin_app(make_app, [Decider()])
    codes = {key: api.post("/api/qrcodes", json={"url": "https://example.com/stored", "key": key}).get_json()
             for key in ("refused", "moved")}
    assert api.get("/refused").status_code == 410
    assert api.get("/moved").headers["Location"] == "https://example.com/elsewhere"
    assert {key: api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] for key, qr in codes.items()} == {
        "refused": 0, "moved": 1}
    events = api.get("/api/events", query_string={"interval": "all", "bots": "include"}).get_json()
    assert [(event["key"], event["url"]) for event in events] == [("moved", "https://example.com/elsewhere")]


def test_the_redirect_hook_decides_on_the_visit_the_request_makes(make_app):
    from dataclasses import FrozenInstanceError

    from codeqr import Visit

    decider = Decider()
    app, api = _plugin_app(make_app, [decider], CODEQR_PROXY_FIX=1)
    api.post("/api/qrcodes", json={"url": "https://example.com/stored", "key": "moved"})
    visitor = {"User-Agent": IPHONE, "Accept-Language": "de-DE,de;q=0.9,en;q=0.8", "X-Forwarded-For": "81.2.69.160"}
    api.get("/moved", headers=visitor)
    api.head("/moved", headers=visitor)
    api.get("/moved", headers={"X-Forwarded-For": "8.8.8.8", "User-Agent": "curl/8.5.0"})
    visits = [asked["visit"] for asked in decider.asked]
    assert visits == [Visit(device="mobile", os="iOS", country="GB", language="de")] * 2 + [
        Visit(device="bot", os=None, country="US", language=None)]
    with pytest.raises(FrozenInstanceError):
        visits[0].country = "US"  # type: ignore[misc]
    parsed = app.extensions["codeqr"].agents.describe.cache_info()
    assert parsed.hits + parsed.misses == 3  # the user agent classified once per redirect


def test_without_a_redirect_plugin_no_visit_is_read(make_app):
    app, api = _plugin_app(make_app)
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/stored"}).get_json()
    api.get(f"/{qr['key']}", headers={"User-Agent": IPHONE})
    api.head(f"/{qr['key']}", headers={"User-Agent": IPHONE})
    parsed = app.extensions["codeqr"].agents.describe.cache_info()
    assert parsed.hits + parsed.misses == 0


def _record_statements(app) -> list[str]:
    """Every statement the app's database runs from now on: through its engine
    (``before_cursor_execute``) and on the scan counter's kept DBAPI connections, which
    bypass the engine (traced as the counter detaches them from the pool)."""
    import psycopg
    from sqlalchemy import event

    from codeqr import db

    statements: list[str] = []

    class TracedCursor(psycopg.Cursor):
        def execute(self, query, *args, **kwargs):
            statements.append(str(query))
            return super().execute(query, *args, **kwargs)

    def trace(dbapi_connection, _record):
        if isinstance(dbapi_connection, psycopg.Connection):
            dbapi_connection.cursor_factory = TracedCursor
        else:  # sqlite3 traces a statement again as it starts each trigger program (its
            # RETURNING is one): the same text at once is taken as the same statement (so
            # only PostgreSQL's run would see a statement repeated word for word)
            dbapi_connection.set_trace_callback(
                lambda statement: None if statements[-1:] == [statement] else statements.append(statement))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda _c, _cursor, statement, *_: statements.append(statement))
        event.listen(db.engine, "detach", trace)
    return statements


@pytest.mark.parametrize("analytics", ["full", "off"])
@pytest.mark.parametrize("hooked", [False, True], ids=["no plugin", "redirect plugin"])
def test_a_scan_is_one_statement_and_a_redirect_plugin_adds_one_read(make_app, analytics, hooked):
    """The scan is counted (and stored) in one statement that returns the code's routing;
    a ``codeqr_redirect`` plugin costs one read before it, which gives the hook that routing."""
    decider = Decider()
    app, api = _plugin_app(make_app, [decider] if hooked else [], CODEQR_ANALYTICS=analytics)
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/stored", "key": "moved"}).get_json()
    statements = _record_statements(app)
    response = api.get("/moved")
    verbs = [statement.split(None, 1)[0].upper() for statement in statements]
    assert verbs[:-1] == (["SELECT"] if hooked else [])
    assert verbs[-1] in ("INSERT", "WITH", "UPDATE")  # SQLite's, PostgreSQL's, or with no event
    assert response.headers["Location"] == ("https://example.com/elsewhere" if hooked else qr["url"])
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] == 1
    assert [(asked["id"], asked["url"]) for asked in decider.asked] == (
        [(qr["id"], "https://example.com/stored")] if hooked else [])


def test_the_counter_returns_the_routing_not_the_url_a_plugin_chose(app, api, qr):
    """What link rules will decide on: the code's stored routing, read in the counting
    statement, whatever URL a plugin sent the visitor to."""
    from codeqr.domain.timeutil import utcnow
    from codeqr.scans.counter import Routing

    visit = {"timestamp": utcnow(), "user_agent": None, "referer": None, "referer_host": None, "language": None,
             "country": None, "region": None, "city": None, "visitor": None, "utm_source": None, "utm_medium": None,
             "utm_campaign": None, "utm_term": None, "utm_content": None}
    counter = app.extensions["codeqr"].scan_counter
    expected = Routing(id=qr["id"], url="https://example.com/target?a=1&b=2", type="url", content=None,
                       use_display_page=True, link=None, updated_at=ANY)
    assert counter.scan(qr["domain"], qr["key"], visit, sent_url="https://example.com/chosen") == expected
    assert counter.scan(qr["domain"], qr["key"]) == expected
    assert counter.peek(qr["domain"], qr["key"]) == expected
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] == 2


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's query plans are what this reads
def test_every_scan_statement_finds_the_code_by_index(make_app):
    """Each statement of the counter reads ``qrcodes`` by an index, never by scanning every
    QR Code (a correlated subquery in SQLite's RETURNING uses none: each scan had cost a
    scan of every QR Code)."""
    from sqlalchemy.sql.compiler import Compiled

    counter = make_app().extensions["codeqr"].scan_counter
    statements = {name: value for name, value in vars(counter).items() if isinstance(value, Compiled)}
    assert {"_count", "_peek", "_record"} <= set(statements)
    connection = counter._connection()
    try:
        for name, compiled in statements.items():
            params = [None] * len(compiled.positiontup or ())
            plan = [row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + compiled.string, params)]
            assert not [step for step in plan if step.startswith("SCAN")], f"{name} scans a table: {plan}"
    finally:
        connection.close()


def test_each_scan_returns_the_routing_of_the_code_scanned_among_many(make_app):
    from codeqr.domain import writes
    from codeqr.domain.schemas import QRCodeCreate
    from codeqr.domain.timeutil import utcnow
    from codeqr.scans.counter import Routing

    app = make_app()
    with app.app_context():
        items = [{"url": f"https://example.com/p/{index}", "key": f"code-{index}"} for index in range(30)]
        made = [writes.create(QRCodeCreate.model_validate(item), ctx=for_operator()) for item in items]
    counter = app.extensions["codeqr"].scan_counter
    visit = {"timestamp": utcnow(), "user_agent": None, "referer": None, "referer_host": None, "language": None,
             "country": None, "region": None, "city": None, "visitor": None, "utm_source": None, "utm_medium": None,
             "utm_campaign": None, "utm_term": None, "utm_content": None}
    for qr in made[::7]:
        expected = Routing(id=qr.id, url=qr.url, type="url", content=None, use_display_page=True, link=None,
                           updated_at=ANY)
        assert counter.scan(qr.domain, qr.key, visit) == expected
        assert counter.scan(qr.domain, qr.key) == expected
        assert counter.peek(qr.domain, qr.key) == expected


def test_closing_the_counter_closes_its_kept_connections(app, qr):
    """The counter's connections are detached from the engine's pool: disposing of the engine
    leaves them open, so an app that goes away (each test's, here) closes them itself."""
    counter = app.extensions["codeqr"].scan_counter
    counter.scan(qr["domain"], qr["key"])
    kept = list(counter._idle.queue)
    assert kept
    counter.close()
    assert counter._idle.empty()
    import sqlite3

    import psycopg

    for connection in kept:
        with pytest.raises((sqlite3.ProgrammingError, psycopg.Error)):  # "closed", in each driver's words
            connection.cursor().execute("SELECT 1")
