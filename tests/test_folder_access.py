"""Who sees and changes the QR Codes of a folder (issue 24): a member outside a folder sees
nothing of it, in the API, the pages, analytics, exports and imports; a folder open to read
is seen but not changed; an upsert finds only what its caller sees.

The route checks enumerate the URL maps: a new route taking a QR Code is checked too."""

import json
import re

import pytest
from sqlalchemy import select

from api_client import authorized_client
from codeqr import db
from codeqr.accounts.permissions import actor_of_user
from codeqr.context import for_actor, for_operator
from codeqr.domain import qrcodes
from codeqr.domain.models import ExportJob, QRCode, User
from codeqr.errors import Conflict
from codeqr.jobs import csv_import
from folder_people import key_of, organise, signed_in

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: What stands for each path parameter beside the QR Code's (the hidden code's old link is "hidden-old").
PARAMETERS = {"key": "hidden-old", "fmt": "png"}


@pytest.fixture
def org_app(make_app):
    """An app with the people and folders of ``folder_people`` (no CSRF tokens to fetch: test_web
    checks that every form needs one)."""
    app = make_app(WTF_CSRF_ENABLED=False, CODEQR_PROXY_FIX=1)
    app.org = organise(app)
    return app


def _stored(app, qr_id: str) -> str:
    """The QR Code as the operator reads it (everything it holds)."""
    with app.app_context():
        return qrcodes.get(qr_id, for_operator()).model_dump_json()


def _routes(app, prefix: str, parameter: str):
    """``(method, path with '{}' for the QR Code)`` of every route of ``prefix`` taking a QR Code as ``parameter``."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(prefix) and f"<{parameter}>" in rule.rule:
            path = rule.rule.replace(f"<{parameter}>", "{}")
            for name, value in PARAMETERS.items():
                path = path.replace(f"<{name}>", value)
            assert "<" not in path, f"say what stands for the parameters of {rule.rule}"
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, path


@pytest.mark.parametrize("ref", ["id", "externalId"])
def test_every_api_route_of_one_qrcode_answers_404_to_a_member_outside_its_folder(org_app, ref):
    org = org_app.org
    hidden = org.codes["hidden"]
    named = hidden["id"] if ref == "id" else "ext_" + hidden["externalId"]
    before = _stored(org_app, hidden["id"])
    routes = list(_routes(org_app, "api.", "ref"))
    assert {method for method, _ in routes} >= {"GET", "PATCH", "PUT", "DELETE"} and len(routes) >= 5
    member = authorized_client(org_app, key_of(org_app, org, "member"))
    viewer = authorized_client(org_app, key_of(org_app, org, "viewer"))
    insider = authorized_client(org_app, key_of(org_app, org, "insider"))
    nowhere = "c" + "0" * 24 if ref == "id" else "ext_nothing"
    for method, path in routes:
        answer = member.open(path.format(named), method=method, json={"title": "changed"})
        assert answer.status_code == 404, (method, path, answer.json)
        # The same answer as for a QR Code that never was.
        missing = member.open(path.format(nowhere), method=method, json={"title": "changed"})
        assert answer.get_data(as_text=True) == missing.get_data(as_text=True).replace(nowhere, named), path
        if method in ("PATCH", "PUT"):  # a body refused: every problem said, as of a QR Code that never was
            refused = member.open(path.format(named), method=method, json={"size": "big", "fgColor": "#fff"})
            never = member.open(path.format(nowhere), method=method, json={"size": "big", "fgColor": "#fff"})
            assert refused.status_code == 422
            assert refused.get_data(as_text=True) == never.get_data(as_text=True).replace(nowhere, named), path
        if method == "GET":  # a viewer may not write at all (403 for the role, before any lookup)
            assert viewer.open(path.format(named)).status_code == 404, path
            assert insider.open(path.format(named)).status_code == 200, path
    for path in ("/api/analytics?qrcodeId={}", "/api/events?qrcodeId={}",
                 "/api/analytics?groupBy=tags&qrcodeId={}"):
        assert member.get(path.format(named)).status_code == 404, path
        assert insider.get(path.format(named)).status_code == 200, path
    assert _stored(org_app, hidden["id"]) == before


def test_every_page_of_one_qrcode_answers_404_to_a_member_outside_its_folder(org_app):
    org = org_app.org
    hidden = org.codes["hidden"]["id"]
    before = _stored(org_app, hidden)
    routes = list(_routes(org_app, "web.", "qr_id"))
    assert len(routes) >= 7
    member, viewer, insider = (signed_in(org_app, name) for name in ("member", "viewer", "insider"))
    for method, path in routes:
        assert member.open(path.format(hidden), method=method, data={"title": "changed"}).status_code == 404, path
        if method == "GET":
            changing = path.endswith(("/edit", "/delete"))  # pages a viewer's role may not open: 403 first
            assert viewer.get(path.format(hidden)).status_code == (403 if changing else 404), path
            assert insider.get(path.format(hidden)).status_code == 200, path
    for path in ("/qrcodes/new?duplicate={}", "/analytics?qrcodeId={}", "/analytics/events.csv?qrcodeId={}"):
        assert member.get(path.format(hidden)).status_code == 404, path
        assert insider.get(path.format(hidden)).status_code == 200, path
    assert _stored(org_app, hidden) == before
    # Its image stays public by design: printed codes are seen by anyone.
    assert org_app.test_client().get(f"/qr/{hidden}.png").status_code == 200


def test_a_member_outside_a_folder_finds_none_of_its_codes_in_lists_of_ids(org_app):
    org = org_app.org
    hidden, free = org.codes["hidden"]["id"], org.codes["free"]["id"]
    member = authorized_client(org_app, key_of(org_app, org, "member"))
    answer = member.delete(f"/api/qrcodes/bulk?ids={hidden},ext_secret,{free}")
    assert answer.json == {"deletedCount": 1}  # the hidden one is not there for them: not counted, not deleted
    with org_app.app_context():
        assert db.session.get(QRCode, hidden) is not None and db.session.get(QRCode, free) is None
        actor = actor_of_user(db.session.get(User, org.people["member"]))
        assert qrcodes.by_ids([hidden, org.codes["shared"]["id"]], for_actor(actor)) != []
        assert [qr.id for qr in qrcodes.by_ids([hidden], for_actor(actor))] == []
    # The web's delete of ticked codes: only what they see is asked about, and deleted.
    browser = signed_in(org_app, "member")
    page = browser.post("/qrcodes/delete", data={"ids": [hidden, org.codes["shared"]["id"]]})
    assert "Hidden" not in page.get_data(as_text=True) and hidden not in page.get_data(as_text=True)
    deleted = browser.post("/qrcodes/delete", data={"ids": [hidden, org.codes["shared"]["id"]], "confirmed": 1})
    assert deleted.status_code == 302
    with org_app.app_context():
        assert db.session.get(QRCode, hidden) is not None and db.session.get(QRCode, org.codes["shared"]["id"]) is None


def test_an_export_holds_only_the_codes_its_asker_sees(org_app):
    org = org_app.org
    hidden, free = org.codes["hidden"]["id"], org.codes["free"]["id"]
    browser = signed_in(org_app, "member")
    assert browser.post("/export", data={"ids": [hidden, free], "format": "png"}).status_code == 302
    insider = signed_in(org_app, "insider")
    assert insider.post("/export", data={"ids": [hidden, free], "format": "png"}).status_code == 302
    with org_app.app_context():
        jobs = {job.user_id: [qr_id for qr_id, _ in json.loads(job.items)]
                for job in db.session.scalars(select(ExportJob))}
    assert jobs == {org.people["member"]: [free], org.people["insider"]: [hidden, free]}
    assert browser.post("/export", data={"ids": [hidden], "format": "png"}).status_code == 302  # nothing to export
    with org_app.app_context():
        assert len(db.session.scalars(select(ExportJob)).all()) == 2


def test_a_folder_open_to_read_is_seen_and_not_changed(org_app):
    org = org_app.org
    readonly, free = org.codes["readonly"]["id"], org.codes["free"]["id"]
    before = _stored(org_app, readonly)
    member = authorized_client(org_app, key_of(org_app, org, "member"))
    assert member.get(f"/api/qrcodes/{readonly}").status_code == 200
    refused = member.patch(f"/api/qrcodes/{readonly}", json={"title": "changed"})
    assert refused.status_code == 403
    assert refused.json["error"] == {"code": "forbidden",
                                     "message": f"QR Code {readonly!r} is in a folder you may only read"}
    assert member.delete(f"/api/qrcodes/{readonly}").status_code == 403
    assert member.delete(f"/api/qrcodes/{readonly}/aliases/old").status_code == 403
    assert member.delete(f"/api/qrcodes/bulk?ids={free},{readonly}").status_code == 403  # all or nothing
    assert member.get(f"/api/qrcodes/{free}").status_code == 200
    browser = signed_in(org_app, "member")
    assert browser.get(f"/qrcodes/{readonly}/edit").status_code == 403
    assert browser.post(f"/qrcodes/{readonly}/delete", data={}).status_code == 403
    detail = browser.get(f"/qrcodes/{readonly}").get_data(as_text=True)
    assert f"/qrcodes/{readonly}/edit" not in detail and "may see but not change" in detail
    assert f"/qrcodes/{free}/edit" in browser.get(f"/qrcodes/{free}").get_data(as_text=True)
    assert _stored(org_app, readonly) == before
    # A folder open to write, and one given: changed as the role allows.
    assert member.patch(f"/api/qrcodes/{org.codes['shared']['id']}", json={"title": "ours"}).status_code == 200
    insider = authorized_client(org_app, key_of(org_app, org, "insider"))
    assert insider.patch(f"/api/qrcodes/{org.codes['hidden']['id']}", json={"title": "given"}).status_code == 200
    viewer = authorized_client(org_app, key_of(org_app, org, "viewer"))
    assert viewer.patch(f"/api/qrcodes/{org.codes['shared']['id']}", json={"title": "no"}).status_code == 403


def test_an_upsert_neither_changes_nor_reveals_a_code_its_caller_does_not_see(org_app):
    org = org_app.org
    hidden = org.codes["hidden"]
    before = _stored(org_app, hidden["id"])
    member = authorized_client(org_app, key_of(org_app, org, "member"))
    # The hidden code holds the upsert slot of its url: the member gets a code of their own.
    mine = member.put("/api/qrcodes/upsert", json={"url": hidden["url"], "title": "Mine"})
    assert mine.status_code == 201, mine.json
    assert mine.json["id"] != hidden["id"] and mine.json["title"] == "Mine"
    again = member.put("/api/qrcodes/upsert", json={"url": hidden["url"], "title": "Mine again"})
    assert (again.status_code, again.json["id"]) == (200, mine.json["id"])
    # A value only the hidden code has clashes as it would for a create, without saying whose.
    clash = member.put("/api/qrcodes/upsert", json={"url": hidden["url"] + "?other", "key": "hidden"})
    assert clash.status_code == 409
    assert hidden["id"] not in clash.get_data(as_text=True) and "Hidden" not in clash.get_data(as_text=True)
    # One they see but may not change: refused, as an update is.
    readonly = member.put("/api/qrcodes/upsert", json={"url": org.codes["readonly"]["url"], "title": "x"})
    assert readonly.status_code == 403
    assert _stored(org_app, hidden["id"]) == before
    # Whoever sees the hidden code finds it (the oldest with its url).
    insider = authorized_client(org_app, key_of(org_app, org, "insider"))
    found = insider.put("/api/qrcodes/upsert", json={"url": hidden["url"], "title": "Found"})
    assert (found.status_code, found.json["id"]) == (200, hidden["id"])
    # The new QR Code form's "a QR Code with this url exists" says nothing of a hidden one.
    with org_app.app_context():
        member_ctx = for_actor(actor_of_user(db.session.get(User, org.people["member"])))
        assert qrcodes.oldest_with_url(hidden["url"], member_ctx).id == mine.json["id"]
        assert qrcodes.oldest_with_url(hidden["url"], for_operator()).id == hidden["id"]


def test_the_csv_import_does_not_update_a_code_by_an_externalid_its_caller_does_not_see(org_app):
    org = org_app.org
    before = _stored(org_app, org.codes["hidden"]["id"])
    with org_app.app_context():
        member = for_actor(actor_of_user(db.session.get(User, org.people["member"])))
        with pytest.raises(Conflict, match="externalId 'secret' is already used"):
            csv_import.import_row({"url": "https://example.com/mine", "externalId": "secret", "title": "Mine"}, member)
        insider = for_actor(actor_of_user(db.session.get(User, org.people["insider"])))
        assert csv_import.import_row({"url": "https://example.com/hidden", "externalId": "secret",
                                      "title": "Imported"}, insider) == "updated"
    assert json.loads(before)["title"] == "Hidden"
    assert json.loads(_stored(org_app, org.codes["hidden"]["id"]))["title"] == "Imported"


def _scan(client, key: str, times: int):
    for _ in range(times):
        assert client.get(f"/{key}", headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0",
                                              "X-Forwarded-For": "81.2.69.160"}).status_code == 302


def test_analytics_across_codes_count_only_the_codes_their_asker_sees(org_app):
    org = org_app.org
    visitor = org_app.test_client()
    scans = {"free": 1, "hidden": 4, "readonly": 2, "shared": 3}
    for name, times in scans.items():
        _scan(visitor, org.codes[name]["key"], times)
    keys = {name: key_of(org_app, org, name) for name in ("admin", "insider", "member", "viewer")}
    # Counted by hand: everything is 10; without the private folder, 1 + 2 + 3.
    expected = {"admin": 10, "insider": 10, "member": 6, "viewer": 6}
    for name, key in keys.items():
        api = authorized_client(org_app, key)
        assert api.get("/api/analytics?interval=all").json == {"scans": expected[name]}, name
        top = api.get("/api/analytics?interval=all&groupBy=top_qrcodes").json
        assert sum(item["scans"] for item in top) == expected[name]
        assert (org.codes["hidden"]["id"] in {item["id"] for item in top}) == (expected[name] == 10), name
        events = api.get("/api/events?interval=all").json
        assert len(events) == expected[name], name
        series = api.get("/api/analytics?interval=24h&groupBy=timeseries").json
        assert sum(point["scans"] for point in series) == expected[name], name
    dashboard = signed_in(org_app, "member").get("/analytics?interval=all").get_data(as_text=True)
    assert org.codes["hidden"]["id"] not in dashboard
    csv_lines = signed_in(org_app, "member").get("/analytics/events.csv?interval=all").get_data(as_text=True)
    assert re.findall(r"\bhidden\b", csv_lines) == [] and len(csv_lines.strip().splitlines()) == 1 + 6


def test_a_template_in_a_folder_not_given_is_neither_offered_nor_taken(org_app):
    org = org_app.org
    hidden = org.codes["hidden"]["id"]
    admin = authorized_client(org_app, key_of(org_app, org, "admin"))
    assert admin.patch(f"/api/qrcodes/{hidden}", json={"useAsTemplate": True, "fgColor": "#123456"}).status_code == 200
    member = authorized_client(org_app, key_of(org_app, org, "member"))
    taken = member.post("/api/qrcodes", json={"url": "https://example.com/t", "templateId": hidden})
    never = member.post("/api/qrcodes", json={"url": "https://example.com/t", "templateId": "c" + "0" * 24})
    assert taken.status_code == 422
    assert taken.get_data(as_text=True) == never.get_data(as_text=True).replace("c" + "0" * 24, hidden)
    assert hidden not in signed_in(org_app, "member").get("/qrcodes/new").get_data(as_text=True)
    insider = authorized_client(org_app, key_of(org_app, org, "insider"))
    made = insider.post("/api/qrcodes", json={"url": "https://example.com/t", "templateId": hidden})
    assert (made.status_code, made.json["fgColor"]) == (201, "#123456")
    assert hidden in signed_in(org_app, "insider").get("/qrcodes/new").get_data(as_text=True)
