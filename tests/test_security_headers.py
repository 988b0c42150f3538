"""Security headers on every answer: every route of the URL map (with real ids, signed in
and not), error pages, short-link redirects, SVG; and templates that need no inline script
or style under the Content-Security-Policy."""

import io
import re
import time
import types

import pytest
from flask import Blueprint
from PIL import Image

from api_client import authorized_client
from codeqr import db, hookimpl
from codeqr.accounts import apikeys, users
from codeqr.context import for_operator
from codeqr.design import logos
from codeqr.domain import writes
from codeqr.domain.models import Folder, Tag, User
from codeqr.domain.schemas import QRCodeCreate
from codeqr.domain.timeutil import utcnow
from codeqr.errors import DatabaseUnavailable

PASSWORD = "a long enough password"
CHANGES = {"POST", "PUT", "PATCH", "DELETE"}


def directives(policy: str) -> dict:
    """A Content-Security-Policy as {directive: [sources]}."""
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: sources for name, *sources in parts}


def assert_secured(response, what: str) -> None:
    headers = response.headers
    assert headers.get("X-Frame-Options") == "DENY", what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert "Strict-Transport-Security" not in headers, what  # served over http
    policy = directives(headers.get("Content-Security-Policy", ""))
    assert policy.get("frame-ancestors") == ["'none'"], what
    if response.mimetype == "image/svg+xml":
        assert "sandbox" in policy and policy["default-src"] == ["'none'"], what
        assert "script-src" not in policy, what
    else:
        scripts = policy.get("script-src", policy.get("default-src"))
        assert scripts == ["'self'"], what  # no 'unsafe-inline', no 'unsafe-eval', no other host
        assert policy.get("style-src") == ["'self'"], what
        assert policy.get("object-src") == ["'none'"] and policy.get("base-uri") == ["'none'"], what
    expected = "strict-origin-when-cross-origin" if what.startswith("redirect") else "same-origin"
    assert headers.get("Referrer-Policy") == expected, what


def _wait(client, page: str) -> None:
    for _ in range(600):
        if client.get(page + ".json").get_json()["status"] in ("done", "failed"):
            return
        time.sleep(0.05)
    raise AssertionError(f"{page} did not finish")


@pytest.fixture
def site(make_app):
    """An app with an admin (signed in, with an API key), a member, QR Codes, an import and
    an export: real ids for every argument of the URL map."""
    app = make_app(WTF_CSRF_ENABLED=False)
    with app.app_context():
        admin = users.create("admin@example.com", PASSWORD, role="admin", ctx=for_operator()).id
        member = users.create("member@example.com", PASSWORD, ctx=for_operator()).id
        kept = writes.create(QRCodeCreate(url="https://example.com/kept", key="kept"), ctx=for_operator())
        spare = writes.create(QRCodeCreate(url="https://example.com/spare"), ctx=for_operator())
        writes.create(QRCodeCreate.model_validate({"type": "gs1", "url": "https://example.com/product",
                                                   "gs1": {"gtin": "09506000134352"}}), ctx=for_operator())
        _, secret = apikeys.create("headers", owner=db.session.get(User, admin), ctx=for_operator())
        spare_key, _ = apikeys.create("to revoke", owner=db.session.get(User, admin), ctx=for_operator())
        tag, folder = Tag(name="kept", color="red"), Folder(name="kept")
        db.session.add_all([tag, folder])
        db.session.commit()
        values = {"qr_id": kept.id, "ref": spare.id, "key": "kept", "fmt": "png", "filename": "app.js",
                  "field": "pattern", "value": "dots",
                  "key_id": spare_key.id, "user_id": member, "rest": "09506000134352",
                  "tag_id": tag.id, "folder_id": folder.id, "slug": "go.example.org",
                  "logo_name": logos.keep(logos.intake_bytes(_png()), app.extensions["codeqr"].images.storage, utcnow())}
    client = app.test_client()
    assert client.post("/login", data={"email": "admin@example.com", "password": PASSWORD}).status_code == 302
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    csv = b"url,title\nhttps://example.com/imported,Imported\n"
    imported = client.post("/import", data={"file": (io.BytesIO(csv), "codes.csv")}, content_type="multipart/form-data")
    exported = client.post("/export", data={"ids": kept.id, "format": "png"})
    values["import_job"], values["export_job"] = (answer.headers["Location"].rsplit("/", 1)[1]
                                                  for answer in (imported, exported))
    for answer in (imported, exported):
        _wait(client, answer.headers["Location"])
    app.values, app.signed_in = values, client
    return app


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (16, 16), (200, 0, 0, 255)).save(out, format="PNG")
    return out.getvalue()


def _path(rule, values: dict) -> str:
    path = rule.rule
    for name in rule.arguments:
        value = values[name] if name != "job_id" else values[
            "import_job" if rule.endpoint.startswith("web.import") else "export_job"]
        path = re.sub(rf"<(\w+:)?{name}>", str(value), path)
    return path


def _every_request(app):
    """(method, path) for every method of every rule; changes after reading, signing out last."""
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.endpoint == "web.logout")
    reads = [("GET", _path(rule, app.values)) for rule in rules if "GET" in rule.methods]
    changes = [(method, _path(rule, app.values)) for rule in rules for method in sorted(rule.methods & CHANGES)]
    return reads + changes


def test_every_route_of_the_url_map_answers_with_the_security_headers(site):
    anonymous = site.test_client()
    statuses = set()
    requests = _every_request(site)
    assert len(requests) >= 50
    for method, path in requests:
        for client in (anonymous, site.signed_in):
            response = client.open(path, method=method, buffered=True)
            what = f"{'redirect ' if path == '/kept' and method == 'GET' else ''}{method} {path}"
            assert_secured(response, what)
            statuses.add(response.status_code)
    assert {200, 302, 401} <= statuses  # pages, redirects and refusals all seen (misses: below)


def test_every_image_format_and_svg_file_is_sandboxed(site):
    client = site.test_client()
    formats = site.extensions["codeqr"].images.renderers
    assert "svg" in formats
    for fmt in formats:
        image = client.get(f"/qr/{site.values['qr_id']}.{fmt}")
        assert image.status_code == 200
        assert_secured(image, f"GET image .{fmt}")
    svg = client.get(f"/qr/{site.values['qr_id']}.svg")
    assert "sandbox" in svg.headers["Content-Security-Policy"]
    download = site.signed_in.get(f"/qrcodes/{site.values['qr_id']}/download.svg")
    assert download.mimetype == "image/svg+xml" and "sandbox" in download.headers["Content-Security-Policy"]
    blank = client.get("/static/blank.svg")
    assert blank.mimetype == "image/svg+xml" and "sandbox" in blank.headers["Content-Security-Policy"]
    not_modified = client.get(f"/qr/{site.values['qr_id']}.png", headers={"If-None-Match": svg.headers["ETag"]})
    assert_secured(not_modified, "GET image 304")


def test_error_pages_carry_the_headers(make_app):
    def broken():
        raise RuntimeError("a bug")

    def away():
        raise DatabaseUnavailable("the database is away")

    extra = Blueprint("broken", __name__)
    extra.add_url_rule("/broken", "broken", broken)
    extra.add_url_rule("/api/broken", "api_broken", broken)
    extra.add_url_rule("/away", "away", away)
    plugin = types.ModuleType("broken")
    plugin.codeqr_blueprints = hookimpl(lambda: [extra])
    app = make_app(plugins=[plugin], CODEQR_RATE_LIMIT_ENABLED=True, CODEQR_RATE_LIMIT_API="1 per minute")
    client = app.test_client()
    with app.app_context():
        api = authorized_client(app, apikeys.create("limited", ctx=for_operator())[1])
    api.get("/api/qrcodes/count")
    answers = {
        "429": api.get("/api/qrcodes/count"),
        "503": client.get("/away"),
        "public 404": client.get("/no-such-key"),
        "API 404": client.get("/api/nothing"),
        "API 401": client.get("/api/qrcodes"),
        "405": client.get("/logout"),
        "500 page": client.get("/broken"),
        "API 500": client.get("/api/broken"),
        "400": client.get("/qr/x.png?q=%00"),
    }
    for what, answer in answers.items():
        assert answer.status_code >= 400, what
        assert_secured(answer, what)
    assert [answers[what].status_code for what in ("500 page", "API 500", "429", "503")] == [500, 500, 429, 503]


def test_a_short_links_redirect_tells_the_destination_only_the_referring_origin(site):
    client = site.test_client()
    for method in ("GET", "HEAD"):
        answer = client.open("/kept", method=method)
        assert answer.status_code == 302
        assert answer.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert_secured(answer, f"redirect {method}")


def test_hsts_only_when_served_over_https(make_app):
    for scheme in ("http", "https"):
        client = make_app(CODEQR_SCHEME=scheme).test_client()
        for path in ("/login", "/no-such-key", "/static/app.css", "/api/qrcodes"):
            hsts = client.get(path).headers.get("Strict-Transport-Security")
            if scheme == "http":
                assert hsts is None, path
            else:
                assert int(re.fullmatch(r"max-age=(\d+)", hsts)[1]) >= 180 * 24 * 3600, path


#: What the policy refuses in a page: a script in the page itself (a JSON data block is not
#: run), an event-handler attribute, a style attribute or element, a javascript: URL.
_INLINE = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>|\son[a-z]+\s*=|\sstyle\s*=|"
                     r"<style[\s>]|javascript:", re.IGNORECASE)


def test_no_page_holds_inline_script_or_style(site):
    client = site.signed_in
    pages = [path for method, path in _every_request(site)
             if method == "GET" and path != "/logout"]
    seen = 0
    for path in pages:
        answer = client.get(path, buffered=True)
        if answer.mimetype == "text/html":
            seen += 1
            found = _INLINE.findall(answer.get_data(as_text=True))
            assert not found, (path, found)
    assert seen >= 15
