"""Destinations that break (``links.health``): real local HTTP servers answering 200, 404, 500,
redirects, slowly, or refusing HEAD; the SSRF guard of every fetch; two failures make a
destination broken and the hook fires once; a shared URL is fetched once; the limit per host."""

import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from api_client import authorized_client
from clock import Clock
from codeqr import db, hookimpl
from codeqr.accounts import apikeys
from codeqr.context import for_operator
from codeqr.domain import filters
from codeqr.domain.models import DestinationCheck, QRCode
from codeqr.links import health
from codeqr.operations import safe_fetch
from web_client import signed_in


class Site:
    """A real HTTP server on 127.0.0.1: each path answers what the test set, per method
    (``(status, headers)``, or a callable for a slow one); every request is counted."""

    def __init__(self):
        self.answers: dict[str, dict[str, tuple[int, dict]]] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.delay = 0.0
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def _answer(self):
                site.requests.append((self.command, self.path, dict(self.headers)))
                if self.path.startswith("/slow"):
                    time.sleep(site.delay)
                by_method = site.answers.get(self.path, {"*": (404, {})})
                status, headers = by_method.get(self.command, by_method.get("*", (404, {})))
                body = b"x" if self.command == "GET" else b""
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    if self.command == "GET":
                        self.wfile.write(body)
                except OSError:
                    pass

            do_GET = do_HEAD = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def set(self, path: str, status: int, method: str = "*", **headers) -> None:
        self.answers.setdefault(path, {})[method] = (status, headers)

    def asked(self, path: str | None = None) -> list[tuple[str, str]]:
        return [(method, where) for method, where, _ in self.requests if path is None or where == path]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Told:
    """Records the destination hooks."""

    __name__ = "told"

    def __init__(self):
        self.broken: list[dict] = []
        self.fixed: list[dict] = []

    @hookimpl
    def codeqr_destination_broken(self, app, qrcode, url, status, since):
        self.broken.append({"id": qrcode["id"], "title": qrcode["title"], "url": url, "status": status,
                            "since": since})

    @hookimpl
    def codeqr_destination_fixed(self, app, qrcode, url, status):
        self.fixed.append({"id": qrcode["id"], "url": url, "status": status})


@pytest.fixture
def site(monkeypatch):
    site = Site()
    # The first hop of this test's server is allowed; a redirect never is (the guard's own rule).
    monkeypatch.setattr(safe_fetch, "TEST_FIRST_HOPS", frozenset({("127.0.0.1", site.port)}))
    yield site
    site.stop()


@pytest.fixture
def clock():
    clock = Clock()
    clock.set(datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    return clock


@pytest.fixture
def told():
    return Told()


@pytest.fixture
def app(make_app, clock, told):
    # No runner thread: each test runs the checks itself, at the times it sets.
    return make_app(plugins=[told], clock=clock, CODEQR_DESTINATION_CHECKS=True, CODEQR_JOB_WORKER=False,
                    CODEQR_DESTINATION_CHECKS_PER_HOST_PER_MINUTE=1000)


def _sweep(app, clock, owner="tests") -> int:
    """Read which codes use which URL, then a day later (every URL due), run the checks as the
    runner's chore does."""
    with app.app_context():
        health.sync_links(for_operator(app))
        clock.advance(hours=24, seconds=1)
        return health.sweep(for_operator(app), owner=owner)


def _state(api, qr_id) -> list[dict]:
    response = api.get(f"/api/qrcodes/{qr_id}/destinations")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["destinations"]


def _code(api, url, **fields) -> str:
    response = api.post("/api/qrcodes", json={"url": url, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


# -- what is checked ----------------------------------------------------------------------------


def test_every_destination_of_a_code_is_listed_once_from_its_stored_row(api, app):
    qr = _code(api, "https://example.com/main", expiredUrl="https://example.com/expired",
               ios="https://apps.apple.com/app", android="https://play.google.com/app",
               geo={"DE": "https://example.de/", "fr": "https://example.fr/"},
               rules=[{"attribute": "country", "operator": "equals", "value": "NL", "url": "https://example.nl/"},
                      {"split": [{"url": "https://a.example.com/", "weight": 50},
                                 {"url": "https://example.com/main", "weight": 50}]}])
    with app.app_context():
        urls = health.destinations(db.session.get(QRCode, qr))
    assert urls == ["https://example.com/main", "https://example.com/expired", "https://apps.apple.com/app",
                    "https://play.google.com/app", "https://example.de/", "https://example.fr/",
                    "https://example.nl/", "https://a.example.com/"]


def test_every_url_field_of_a_qrcode_is_a_destination(api, app):
    """Each field of the shared Url type, found in the spec (as the credentials test finds them):
    a URL option added later is checked without a word here."""
    from test_url_credentials import HOLDING, _url_fields

    fields = [field for field in _url_fields() if field != "url"]
    assert {"expiredUrl", "ios", "android", "geo", "rules"} <= set(fields)
    for field in fields:
        target = f"https://{field.lower()}.example.com/"
        qr = _code(api, "https://example.com/", **{field: HOLDING.get(field, lambda url: url)(target)})
        with app.app_context():
            assert target in health.destinations(db.session.get(QRCode, qr)), field


def test_static_codes_and_codes_without_a_url_have_no_destinations(api, app):
    static = _code(api, "https://example.com/printed", static=True)
    text = api.post("/api/qrcodes", json={"type": "text", "text": "https://example.com/not-a-link"}).get_json()["id"]
    with app.app_context():
        assert health.destinations(db.session.get(QRCode, static)) == []
        assert health.destinations(db.session.get(QRCode, text)) == []
        assert health.sweep(for_operator(app)) == 0
        assert db.session.scalars(select(DestinationCheck.url)).all() == []


# -- how it answers ----------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "status", "ok"), [("/ok", 200, True), ("/gone", 404, False),
                                                     ("/error", 500, False), ("/removed", 410, False)])
def test_a_status_is_recorded_and_two_failures_make_a_destination_broken(api, app, clock, site, path, status, ok):
    site.set(path, status)
    qr = _code(api, site.url(path))
    assert _state(api, qr)[0]["state"] == "unchecked"
    _sweep(app, clock)
    first = _state(api, qr)[0]
    assert (first["state"], first["status"], first["error"]) == ("ok", status, None)  # one failure is noise
    assert first["checkedAt"].startswith("2026-12-04T10:00:01")
    assert first["lastOkAt"] == (first["checkedAt"] if ok else None)
    _sweep(app, clock)
    second = _state(api, qr)[0]
    assert second["state"] == ("ok" if ok else "broken")
    assert second["brokenSince"] == (None if ok else first["checkedAt"])  # since the first failed check
    # HEAD first; an answer of 400 or more is asked again with a GET of one byte.
    expected = [("HEAD", path)] if ok else [("HEAD", path), ("GET", path)]
    assert site.asked() == expected * 2


def test_a_server_refusing_head_is_asked_for_one_byte(api, app, clock, site):
    site.set("/nohead", 405, method="HEAD")
    site.set("/nohead", 206, method="GET")
    qr = _code(api, site.url("/nohead"))
    _sweep(app, clock)
    assert _state(api, qr)[0]["status"] == 206
    assert site.asked() == [("HEAD", "/nohead"), ("GET", "/nohead")]
    assert site.requests[1][2]["Range"] == "bytes=0-0"


def test_a_redirect_chain_to_a_404_is_followed_to_its_end(api, app, clock, site, monkeypatch):
    monkeypatch.setattr(safe_fetch, "public_address", lambda address: True)  # every hop on this loopback server
    site.set("/a", 301, Location="/b")
    site.set("/b", 302, Location=site.url("/gone"))
    site.set("/gone", 404)
    qr = _code(api, site.url("/a"))
    _sweep(app, clock)
    _sweep(app, clock)
    found = _state(api, qr)[0]
    assert (found["state"], found["status"], found["finalUrl"]) == ("broken", 404, site.url("/gone"))
    assert found["sentence"] == "This destination answered 404 since 4 Dec 2026."


def test_a_redirect_to_a_private_address_is_refused_and_not_followed(api, app, clock, site):
    site.set("/inside", 302, Location=f"http://127.0.0.1:{site.port}/ok")  # only the first hop is allowed
    site.set("/ok", 200)
    qr = _code(api, site.url("/inside"))
    _sweep(app, clock)
    _sweep(app, clock)
    found = _state(api, qr)[0]
    assert (found["state"], found["status"], found["error"]) == ("broken", None, "private")
    assert found["sentence"] == "This destination is on a private network since 4 Dec 2026."
    assert ("HEAD", "/ok") not in site.asked() and ("GET", "/ok") not in site.asked()


def test_a_destination_on_a_private_network_is_never_asked(api, app, clock):
    qr = _code(api, "http://10.20.30.40/admin")  # an address literal: no DNS, and nothing sent
    _sweep(app, clock)
    assert _state(api, qr)[0]["error"] == "private"


def test_a_slow_server_times_out(api, app, clock, site, monkeypatch):
    monkeypatch.setattr(health, "TIMEOUT_SECONDS", 0.5)
    site.delay = 2.0
    site.set("/slow", 200)
    qr = _code(api, site.url("/slow"))
    started = time.monotonic()
    _sweep(app, clock)
    assert time.monotonic() - started < 1.8  # no GET after a timeout: it would wait as long again
    assert _state(api, qr)[0]["error"] == "timeout"
    assert site.asked() == [("HEAD", "/slow")]


# -- once, and told once ----------------------------------------------------------------------------


def test_a_url_shared_by_30_codes_is_fetched_once_and_each_code_is_told_once(api, app, clock, site, told):
    site.set("/shared", 404)
    codes = [_code(api, site.url("/shared"), title=f"Code {index}") for index in range(30)]
    assert _sweep(app, clock) == 1
    assert site.asked() == [("HEAD", "/shared"), ("GET", "/shared")]
    assert told.broken == []  # one failure: not yet
    _sweep(app, clock)
    assert len(site.asked()) == 4
    assert sorted(call["id"] for call in told.broken) == sorted(codes)
    first = _state(api, codes[0])[0]
    call = next(call for call in told.broken if call["id"] == codes[7])
    assert call == {"id": codes[7], "title": "Code 7", "url": site.url("/shared"), "status": 404,
                    "since": first["brokenSince"]}
    assert call["since"].startswith("2026-12-04T10:00:01")
    _sweep(app, clock)  # still broken: nobody is told again
    assert len(told.broken) == 30
    site.set("/shared", 200)
    _sweep(app, clock)
    assert sorted(call["id"] for call in told.fixed) == sorted(codes)
    assert {call["status"] for call in told.fixed} == {200}
    assert _state(api, codes[3])[0]["state"] == "ok"


def test_a_code_made_with_a_url_already_broken_is_told_too(api, app, clock, site, told):
    site.set("/gone", 404)
    first = _code(api, site.url("/gone"))
    _sweep(app, clock)
    _sweep(app, clock)
    later = _code(api, site.url("/gone"))
    clock.advance(minutes=1)
    with app.app_context():
        health.sweep(for_operator(app))  # nothing due: the links are read, the new code told
    assert [call["id"] for call in told.broken] == [first, later]


def test_a_url_checked_by_one_process_is_not_taken_by_another(api, app, clock, site):
    site.set("/ok", 200)
    _code(api, site.url("/ok"))
    with app.app_context():
        ctx = for_operator(app)
        health.sync_links(ctx)
        assert health._claim("process-a", ctx.now()) is None  # not due yet
        clock.advance(hours=25)
        now = ctx.now()
        taken = health._claim("process-a", now)
        assert taken is not None
        assert health._claim("process-b", now) is None  # leased to process-a
        assert health._claim("process-b", now + health.LEASE * 2) == taken  # process-a died: its lease ran out


def test_the_requests_to_one_host_are_limited_per_minute(make_app, clock, site):
    app = make_app(clock=clock, CODEQR_DESTINATION_CHECKS=True, CODEQR_JOB_WORKER=False,
                   CODEQR_DESTINATION_CHECKS_PER_HOST_PER_MINUTE=3)
    api = authorized_client(app, _key(app))
    for path in ("/a", "/b", "/c", "/d", "/e"):
        site.set(path, 200)
        _code(api, site.url(path))
    _sweep(app, clock)
    assert len(site.requests) == 3  # counted at the server
    with app.app_context():
        assert health.sweep(for_operator(app)) == 0  # the same minute: nothing more
    assert len(site.requests) == 3
    clock.advance(seconds=61)
    with app.app_context():
        assert health.sweep(for_operator(app)) == 2
    assert sorted(path for _, path in site.asked()) == ["/a", "/b", "/c", "/d", "/e"]


def _key(app) -> str:
    with app.app_context():
        return apikeys.create("tests", ctx=for_operator())[1]


def test_checks_spread_over_the_period_by_the_urls_hash():
    start = datetime(2026, 12, 3, tzinfo=UTC)
    from datetime import timedelta

    period = timedelta(hours=24)
    slots = [health.next_slot(f"{index:064x}"[::-1], start, period) for index in range(1, 2000, 7)]
    assert all(start < slot <= start + period for slot in slots)
    hours = {slot.hour for slot in slots}
    assert len(hours) == 24  # every hour of the day has some
    # The same URL keeps its moment: the next period's slot is a period later.
    assert health.next_slot("abcdef" + "0" * 58, slots[0], period) - health.next_slot(
        "abcdef" + "0" * 58, slots[0] - period, period) == period


def test_the_checks_do_nothing_when_turned_off(make_app, clock, site):
    app = make_app(clock=clock, CODEQR_JOB_WORKER=False)  # the tests' default: off
    api = authorized_client(app, _key(app))
    qr = _code(api, site.url("/ok"))
    _sweep(app, clock)
    assert site.requests == []
    body = api.get(f"/api/qrcodes/{qr}/destinations").get_json()
    assert body["checksEnabled"] is False and body["destinations"][0]["state"] == "unchecked"


# -- the filter, the page, the command, the settings -------------------------------------------------


def test_destination_condition_selects_broken_ok_and_unchecked(api, app, clock, site):
    for path, status in (("/ok", 200), ("/gone", 404), ("/ok2", 200)):
        site.set(path, status)
    broken = _code(api, site.url("/gone"))
    fine = _code(api, site.url("/ok"))
    mixed = _code(api, site.url("/ok"), ios=site.url("/gone"))
    _code(api, "https://example.com/static", static=True)
    _sweep(app, clock)
    _sweep(app, clock)
    waiting = _code(api, site.url("/ok"), android=site.url("/never-checked"))
    with app.app_context():
        health.sync_links(for_operator(app))

        def matching(status):
            return set(db.session.scalars(select(QRCode.id).where(filters.destination_condition(status))))

        assert matching("broken") == {broken, mixed}
        assert matching("ok") == {fine}
        assert matching("unchecked") == {waiting}
        with pytest.raises(ValueError):
            filters.destination_condition("fine")  # type: ignore[arg-type]


def test_the_detail_page_says_since_when_a_destination_is_broken(make_app, clock, site, told):
    app = make_app(clock=clock, WTF_CSRF_ENABLED=True, CODEQR_DESTINATION_CHECKS=True, CODEQR_JOB_WORKER=False)
    browser = signed_in(app)
    api = authorized_client(app, _key(app))
    site.set("/gone", 404)
    qr = _code(api, site.url("/gone"))
    page = browser.get(f"/qrcodes/{qr}").get_data(as_text=True)
    assert "This destination has not been checked yet." in page
    _sweep(app, clock)
    _sweep(app, clock)
    page = browser.get(f"/qrcodes/{qr}").get_data(as_text=True)
    assert "This destination answered 404 since 4 Dec 2026." in page


def test_the_command_checks_one_code_now(api, app, site):
    site.set("/ok", 200)
    qr = _code(api, site.url("/ok"))
    result = app.test_cli_runner().invoke(args=["check-destinations", "--id", qr])
    assert result.exit_code == 0, result.output
    assert "Checked 1 destination." in result.output
    assert f"{site.url('/ok')}\tok\tThis destination answered 200 when last checked (3 Dec 2026)." in result.output
    assert site.asked() == [("HEAD", "/ok")]


def test_the_route_answers_404_for_an_unknown_code(api):
    response = api.get("/api/qrcodes/cmissing0000000000000000000/destinations")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("name", "value"), [("CODEQR_DESTINATION_CHECK_HOURS", "0.5"),
                                             ("CODEQR_DESTINATION_CHECKS_PER_HOST_PER_MINUTE", "0")])
def test_a_bad_check_setting_stops_the_app(make_app, name, value):
    from codeqr.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=name):
        make_app(**{name: value})


def test_the_job_runner_does_the_checks_as_a_chore(app, api, clock, site):
    from codeqr.jobs import kinds

    assert health.chore in [chore.run for chore in kinds.chores()]
    site.set("/ok", 200)
    qr = _code(api, site.url("/ok"))
    with app.app_context():
        assert health.chore(for_operator(app)) == 0  # reads which codes use which URL: none due yet
        clock.advance(hours=24, seconds=1)
        assert health.chore(for_operator(app)) == 1
    assert _state(api, qr)[0]["status"] == 200


def test_a_run_stops_when_its_time_is_spent(api, app, clock, site, monkeypatch):
    for path in ("/a", "/b", "/c"):
        site.set(path, 200)
        _code(api, site.url(path))
    with app.app_context():
        health.sync_links(for_operator(app))
        clock.advance(hours=25)
        assert health.sweep(for_operator(app), budget=0) == 0  # the runner's jobs come first
        assert health.sweep(for_operator(app), budget=60) == 3


def test_no_such_name_and_no_tls_are_failures_with_their_kind(api, app, clock, site, monkeypatch):
    def lookup(host, port):
        if host == "gone.example":
            raise OSError("Name or service not known")
        return ["127.0.0.1"]

    monkeypatch.setattr(safe_fetch, "lookup", lookup)
    unknown = _code(api, "https://gone.example/")
    plain = _code(api, f"https://127.0.0.1:{site.port}/ok")  # https to a server speaking plain http
    _sweep(app, clock)
    _sweep(app, clock)
    assert [(found["state"], found["error"]) for found in _state(api, unknown)] == [("broken", "dns")]
    assert [(found["state"], found["error"]) for found in _state(api, plain)] == [("broken", "tls")]
    assert _state(api, unknown)[0]["sentence"].startswith("This destination cannot be found")


def test_migration_0015_goes_down_and_up_again(app, api, clock, site):
    from sqlalchemy import inspect

    from schema_versions import downgrade_schema, migrate_from

    site.set("/ok", 200)
    _code(api, site.url("/ok"))
    with app.app_context():
        downgrade_schema("0014")
        assert "destination_checks" not in inspect(db.engine).get_table_names()
        migrate_from("0014")
        assert {"destination_checks", "destination_links", "destination_hosts"} <= set(
            inspect(db.engine).get_table_names())
    assert _sweep(app, clock) == 1


def test_a_catalog_of_thousands_of_destinations_is_read_in_batches(app):
    from codeqr.domain.ids import url_hash

    urls = [f"https://shop.example.com/product/{index}" for index in range(1200)]
    with app.app_context():
        db.session.add_all(QRCode(type="url", static=False, url=url, url_hash=url_hash(url), domain="localhost",
                                  key=f"p{index}", design={}, link={"ios": url + "/ios"})
                           for index, url in enumerate(urls))
        db.session.commit()
        health.sync_links(for_operator(app))
        assert db.session.query(DestinationCheck).count() == 2400
        assert {check.host for check in db.session.query(DestinationCheck)} == {"shop.example.com"}


def test_the_limit_per_host_holds_for_every_process_together(make_app, clock, site):
    settings = {"clock": clock, "CODEQR_DESTINATION_CHECKS": True, "CODEQR_JOB_WORKER": False,
                "CODEQR_DESTINATION_CHECKS_PER_HOST_PER_MINUTE": 3}
    first, second = make_app(**settings), make_app(**settings)  # two processes of one instance: one database
    api = authorized_client(first, _key(first))
    codes = []
    for path in ("/a", "/b", "/c", "/d", "/e"):
        site.set(path, 200)
        codes.append(_code(api, site.url(path)))
    with first.app_context():
        health.sync_links(for_operator(first))
    clock.advance(hours=25)
    with first.app_context():
        for code in codes[:2]:  # this process spends two of the minute's three
            assert health.sweep(for_operator(first), qrcode_id=code) == 1
    with second.app_context():
        assert health.sweep(for_operator(second), budget=60, sync=False) == 1  # the other, one
    assert len(site.requests) == 3


def test_a_job_queued_in_this_process_stops_the_checks(api, app, clock, site):
    for path in ("/a", "/b"):
        site.set(path, 200)
        _code(api, site.url(path))
    runner = app.extensions["codeqr"].jobs
    with app.app_context():
        health.sync_links(for_operator(app))
        clock.advance(hours=25)
        runner._signal.set()  # what ``wake`` does when a bulk create is queued here
        assert runner.wanted()
        assert health.chore(for_operator(app)) == 0  # the job first
        runner._signal.clear()
        assert health.chore(for_operator(app)) == 2
