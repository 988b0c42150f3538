"""NUL in anything the web UI is sent, on PostgreSQL (which refuses NUL in text): every field
of every POST form the UI shows, and every path parameter of its routes, get a 400 or a
404, never a 5xx, and nothing is stored. The forms are read from the pages themselves."""

import io
import re
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from sqlalchemy import select

from codeqr import db
from test_web import _wait, create
from web_client import PASSWORD, csrf_of

pytestmark = pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                     indirect=True)
NUL = "\x00"
CSV = b"url,title\nhttps://example.com/imported,Imported\n"


class Forms(HTMLParser):
    """The POST forms of a page: (action, [(name, value, kind)]) each, as a browser would send them."""

    def __init__(self, page: str, html: str):
        super().__init__()
        self.page, self.forms, self._fields, self._select = page, [], None, None
        self.feed(html)

    @classmethod
    def of(cls, page: str, html: str) -> list:
        return cls(page, html).forms

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._fields = []
            self.forms.append((attrs.get("action") or self.page, self._fields))
        elif self._fields is None or (not attrs.get("name") and tag != "option"):
            return
        elif tag in ("input", "button", "textarea"):
            kind = attrs.get("type") or ("submit" if tag == "button" else "text")
            self._fields.append((attrs["name"], attrs.get("value") or _sample(kind), kind))  # checkboxes ticked
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select:
            self._fields.append((self._select, attrs.get("value") or "", "select"))
            self._select = None  # the first choice

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        elif tag == "select":
            self._select = None


def _sample(kind: str) -> str:
    return {"email": "someone@example.com", "password": PASSWORD + "!", "url": "https://example.com/new",
            "number": "512"}.get(kind, "sample")


def _snapshot() -> dict:
    """Every row of every table, as text: what a refused request must leave as it was."""
    return {table.name: sorted(map(str, db.session.execute(select(table)).all()))
            for table in db.metadata.sorted_tables}


@pytest.fixture
def ui(make_app):
    """A signed-in admin, with one of everything a UI route names: QR Code, key, user, jobs."""
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    client.post("/setup", data={"email": "admin@example.com", "password": PASSWORD,
                                "csrf_token": csrf_of(client, "/setup")})
    qr = create(app, url="https://example.com/kept", key="kept")
    client.post("/keys", data={"name": "kept", "csrf_token": csrf_of(client, "/keys")})
    client.post("/users", data={"email": "member@example.com", "password": PASSWORD, "role": "member",
                                "csrf_token": csrf_of(client, "/users")})
    imported = client.post("/import", data={"file": (io.BytesIO(CSV), "codes.csv"), "csrf_token": csrf_of(client, "/import")},
                           content_type="multipart/form-data").headers["Location"]
    exported = client.post("/export", data={"ids": qr["id"], "format": "png",
                                            "csrf_token": csrf_of(client, "/qrcodes")}).headers["Location"]
    for job in (imported, exported):
        assert _wait(client, job)["status"] == "done"
    keys = client.get("/keys").get_data(as_text=True)
    users = client.get("/users").get_data(as_text=True)
    values = {"qr_id": qr["id"], "key_id": re.search(r"/keys/(\d+)/revoke", keys).group(1),
              "user_id": re.findall(r"/users/(\d+)/", users)[-1], "job_id": imported.rsplit("/", 1)[1],
              "fmt": "png"}
    return app, client, values, exported.rsplit("/", 1)[1]


def _ui_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("web.")]


def _path(rule, values: dict, override: dict | None = None) -> str:
    path = rule.rule
    for name in rule.arguments:
        value = (override or {}).get(name, values.get(name))
        path = re.sub(rf"<(\w+:)?{name}>", quote(str(value), safe=""), path)
    return path


def _forms(app, client, values: dict, export_job: str) -> dict:
    """Every POST form of every page the UI shows (GET), by (action, field names)."""
    found = {}
    for rule in _ui_rules(app):
        if "GET" not in rule.methods:
            continue
        job = {"job_id": export_job} if rule.endpoint.startswith("web.export") else {}
        page = _path(rule, values, job)
        response = client.get(page)
        body = response.get_data()  # read to the end: a streamed CSV ends its request then
        response.close()
        if response.status_code == 200 and response.mimetype == "text/html":
            for action, fields in Forms.of(page, body.decode()):
                found.setdefault((action, tuple(name for name, _, _ in fields)), fields)
    return found


def _send(client, action: str, fields: list, poisoned: int):
    """Submit the form with NUL in its field number ``poisoned`` (fresh CSRF token)."""
    data, token = {}, csrf_of(client, "/keys")
    for index, (name, value, kind) in enumerate(fields):
        if name == "csrf_token":
            value = token
        if kind == "file":
            value = (io.BytesIO(CSV), "co\x00des.csv" if index == poisoned else "codes.csv")
        elif index == poisoned:
            value = value[:1] + NUL + value[1:]
        data.setdefault(name, []).append(value)
    return client.post(action, data=data, content_type="multipart/form-data" if "file" in
                       {kind for _, _, kind in fields} else "application/x-www-form-urlencoded")


def test_nul_in_any_field_of_any_form_is_refused_and_stores_nothing(ui):
    app, client, values, export_job = ui
    forms = _forms(app, client, values, export_job)
    actions = {action.split("?")[0] for action, _ in forms}
    assert {"/login", "/keys", "/export", "/users", "/import", "/qrcodes/new"} <= actions, actions
    answers = []
    for (action, names), fields in forms.items():
        for poisoned, name in enumerate(names):
            if name == "csrf_token":
                continue
            with app.app_context():
                before = _snapshot()
            response = _send(client, action, fields, poisoned)
            answers.append((action, name, response.status_code))
            assert response.status_code in (400, 404), (action, name, response.status_code)
            with app.app_context():
                assert _snapshot() == before, (action, name)
    assert len(answers) >= 25, answers
    assert client.get("/qrcodes").status_code == 200  # still signed in


def test_the_setup_form_refuses_nul_too(make_app):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    fields = dict(Forms.of("/setup", client.get("/setup").get_data(as_text=True)))["/setup"]
    for poisoned, (name, _, _) in enumerate(fields):
        if name != "csrf_token":
            assert _send_setup(client, fields, poisoned).status_code == 400, name
    assert client.get("/").headers["Location"] == "/setup"  # nobody was created


def _send_setup(client, fields, poisoned):
    token = csrf_of(client, "/setup")
    data = {name: token if name == "csrf_token" else value + (NUL if index == poisoned else "")
            for index, (name, value, _) in enumerate(fields)}
    return client.post("/setup", data=data)


def test_nul_in_a_field_name_is_refused(ui):
    _, client, _, _ = ui
    response = client.post("/keys", data={"name": "fine", "sco\x00pe": "all", "csrf_token": csrf_of(client, "/keys")})
    assert response.status_code == 400


def test_nul_in_every_path_parameter_of_the_ui_is_a_400_or_404(ui):
    app, client, values, _ = ui
    tried = 0
    for rule in _ui_rules(app):
        for name in rule.arguments:
            for method in sorted(rule.methods & {"GET", "POST"}):
                path = _path(rule, values, {name: f"a{NUL}b"})
                response = client.open(path, method=method, data={"csrf_token": csrf_of(client, "/keys")})
                assert response.status_code in (400, 404), (method, path, response.status_code)
                tried += 1
    assert tried >= 10
