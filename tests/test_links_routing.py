"""How the redirect reads a code's routing (issue 23): a code without link options is
counted and found by the one counting statement; the others, and aliases, are read once by
an index and then decided in memory."""

import time

import pytest
from sqlalchemy import event

from codeqr import db


def _statements(app, work):
    seen: list[str] = []

    def look(conn, cursor, statement, parameters, *args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", look)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", look)
    return seen


def test_a_scan_of_a_plain_code_is_one_statement_and_of_a_decided_one_too_once_read(app, api):
    plain = api.post("/api/qrcodes", json={"url": "https://example.com/plain"}).get_json()
    ruled = api.post("/api/qrcodes", json={"url": "https://example.com/ruled", "rules": [
        {"attribute": "country", "operator": "equals", "value": "DE", "url": "https://example.com/de"}]}).get_json()
    client = app.test_client()
    # The counter runs on a DBAPI connection of its own: count its cursors by wrapping it.
    counter = app.extensions["codeqr"].scan_counter
    executed: list[str] = []
    original = counter._fetch

    def fetch(cursor, compiled, params):
        executed.append(compiled.string.split()[0])
        return original(cursor, compiled, params)

    counter._fetch = fetch
    assert client.get(f"/{plain['key']}").status_code == 302
    assert len(executed) == 1  # counted and found in one statement
    executed.clear()
    assert client.get(f"/{ruled['key']}").status_code == 302
    assert len(executed) == 3  # tried as plain (it is not), read with its options, counted as decided
    executed.clear()
    for _ in range(5):
        assert client.get(f"/{ruled['key']}").headers["Location"] == "https://example.com/ruled"
    assert len(executed) == 5  # then decided in memory: one statement a scan
    assert _statements(app, lambda: client.get(f"/{plain['key']}")) == []  # nothing through the ORM's pool


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's query plans are what this reads
def test_reading_a_routing_by_key_or_alias_searches_by_index(app):
    counter = app.extensions["codeqr"].scan_counter
    statement = counter._resolve
    with app.app_context(), db.engine.connect() as connection:
        parameters = {"domain": "localhost", "key": "k"}
        args = tuple(parameters[name] for name in statement.positiontup) if statement.positional else parameters
        plan = [row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement.string, args)]
    assert plan and not any(step.startswith("SCAN") for step in plan), plan


def test_a_routing_confirmed_by_each_count_is_kept_while_scans_come(make_app):
    from api_client import authorized_client
    from codeqr.accounts import apikeys
    from codeqr.context import for_operator

    app = make_app(CODEQR_ROUTING_CACHE_SECONDS=0.3)
    with app.app_context():
        _, secret = apikeys.create("routing", ctx=for_operator())
    ruled = authorized_client(app, secret).post("/api/qrcodes", json={"url": "https://example.com/ruled", "rules": [
        {"attribute": "country", "operator": "equals", "value": "DE", "url": "https://example.com/de"}]}).get_json()
    counter = app.extensions["codeqr"].scan_counter
    reads: list[str] = []
    original = counter.resolve
    counter.resolve = lambda domain, key: reads.append(key) or original(domain, key)  # type: ignore[method-assign]
    client = app.test_client()
    for _ in range(8):  # 0.8 s of scans, each within the 0.3 s a routing is kept after its confirmation
        assert client.get(f"/{ruled['key']}").headers["Location"] == "https://example.com/ruled"
        time.sleep(0.1)
    assert reads == [ruled["key"]]  # read once, then confirmed by every count
    time.sleep(0.4)  # no scan for longer than it is kept: read again
    client.get(f"/{ruled['key']}")
    assert reads == [ruled["key"]] * 2


def test_a_link_given_to_another_code_is_never_counted_on_the_kept_decision(make_app):
    """A server keeps code A's routing for its link; A is given another key and its old key
    goes to code B, which asks for a password: the next scan gets B's password page, not A's
    destination, and nothing is counted to either."""
    from api_client import authorized_client
    from codeqr.accounts import apikeys
    from codeqr.context import for_operator

    app = make_app(CODEQR_ROUTING_CACHE_SECONDS=3600)
    with app.app_context():
        _, secret = apikeys.create("routing", ctx=for_operator())
    api = authorized_client(app, secret)
    first = api.post("/api/qrcodes", json={"url": "https://a.example/", "key": "shared", "ios": "https://a.example/ios"})
    client = app.test_client()
    assert client.get("/shared").headers["Location"] == "https://a.example/"
    api.patch(f"/api/qrcodes/{first.get_json()['id']}", json={"key": "moved"})
    second = api.post("/api/qrcodes", json={"url": "https://b.example/", "key": "shared", "password": "b only"})
    answer = client.get("/shared")
    assert answer.status_code == 200 and "This link is protected" in answer.get_data(as_text=True)
    assert api.get(f"/api/qrcodes/{second.get_json()['id']}").get_json()["scans"] == 0
    assert api.get(f"/api/qrcodes/{first.get_json()['id']}").get_json()["scans"] == 1
