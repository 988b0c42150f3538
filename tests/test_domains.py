"""Domains as data (issue 24): admins add the domains the instance serves, each saying where
its root and unknown keys go; the settings' domains stay; a used domain cannot be removed."""

from api_client import authorized_client
from codeqr import db
from codeqr.accounts import apikeys
from codeqr.context import for_operator
from codeqr.domain.models import User

URL = "https://example.com/landing"


def _member_api(app):
    with app.app_context():
        member = User(email="member@example.org", password_hash="x", role="member")
        db.session.add(member)
        db.session.commit()
        _, secret = apikeys.create("member", member, ctx=for_operator())
    return authorized_client(app, secret)


def test_an_added_domain_is_served_its_root_and_unknown_keys_go_where_it_says(app, api, client):
    assert client.get("/nope", headers={"Host": "qr.shop.example"}).status_code == 404  # not served yet
    added = api.post("/api/domains", json={"slug": "QR.Shop.example", "target": "https://shop.example/",
                                           "notFoundUrl": "https://shop.example/missing"})
    assert added.status_code == 201, added.json
    assert added.json | {"createdAt": None, "updatedAt": None} == {
        "slug": "qr.shop.example", "target": "https://shop.example/", "notFoundUrl": "https://shop.example/missing",
        "placeholder": None, "fromSettings": False, "primary": False, "qrcodes": 0, "createdAt": None, "updatedAt": None}
    code = api.post("/api/qrcodes", json={"url": URL, "domain": "qr.shop.example", "key": "spring"})
    assert code.status_code == 201, code.json
    assert code.json["shortLink"].endswith("//qr.shop.example/spring")
    host = {"Host": "qr.shop.example"}
    scanned = client.get("/spring", headers=host)
    assert (scanned.status_code, scanned.headers["Location"]) == (302, URL)
    unknown = client.get("/autumn", headers=host)
    assert (unknown.status_code, unknown.headers["Location"]) == (302, "https://shop.example/missing")
    root = client.get("/", headers=host)
    assert (root.status_code, root.headers["Location"]) == (302, "https://shop.example/")
    assert api.get(f"/api/qrcodes/{code.json['id']}").json["scans"] == 1  # the unknown key counted nothing
    listed = api.get("/api/domains").json
    assert [(entry["slug"], entry["fromSettings"], entry["primary"], entry["qrcodes"]) for entry in listed] == [
        ("localhost", True, True, 0), ("go.example.org", True, False, 0), ("qr.shop.example", False, False, 1)]


def test_a_settings_domain_takes_urls_but_stays(app, api, client):
    changed = api.patch("/api/domains/go.example.org", json={"notFoundUrl": "https://example.org/404"})
    assert changed.status_code == 200 and changed.json["fromSettings"] is True
    unknown = client.get("/no-such-key", headers={"Host": "go.example.org"})
    assert (unknown.status_code, unknown.headers["Location"]) == (302, "https://example.org/404")
    assert client.get("/no-such-key").status_code == 404  # localhost says nothing: the 404 page
    refused = api.delete("/api/domains/go.example.org")
    assert refused.status_code == 409 and "settings" in refused.json["error"]["message"]
    assert api.post("/api/domains", json={"slug": "go.example.org"}).status_code == 409
    cleared = api.patch("/api/domains/go.example.org", json={"notFoundUrl": None})
    assert cleared.json["notFoundUrl"] is None
    assert client.get("/no-such-key", headers={"Host": "go.example.org"}).status_code == 404
    assert api.patch("/api/domains/unknown.example", json={"target": URL}).status_code == 404


def test_a_domain_in_use_cannot_be_removed_and_an_unused_one_can(app, api, client):
    api.post("/api/domains", json={"slug": "qr.used.example"})
    code = api.post("/api/qrcodes", json={"url": URL, "domain": "qr.used.example"}).json
    refused = api.delete("/api/domains/qr.used.example")
    assert refused.status_code == 409 and "1 QR Code" in refused.json["error"]["message"]
    moved = api.patch(f"/api/qrcodes/{code['id']}", json={"domain": "localhost", "keepOldLink": True})
    assert moved.status_code == 200
    still = api.delete("/api/domains/qr.used.example")  # its old link still works there
    assert still.status_code == 409 and "old link" in still.json["error"]["message"]
    api.delete(f"/api/qrcodes/{code['id']}")
    assert api.delete("/api/domains/qr.used.example").json == {"slug": "qr.used.example"}
    assert client.get(f"/{code['key']}", headers={"Host": "qr.used.example"}).status_code == 404
    gone = api.post("/api/qrcodes", json={"url": URL, "domain": "qr.used.example"})
    assert gone.status_code == 422 and gone.json["error"]["errors"][0]["field"] == "domain"


def test_only_admins_change_domains_and_bad_names_are_refused(app, api):
    member = _member_api(app)
    assert member.get("/api/domains").status_code == 200
    assert member.post("/api/domains", json={"slug": "qr.member.example"}).status_code == 403
    assert member.patch("/api/domains/localhost", json={"target": URL}).status_code == 403
    assert member.delete("/api/domains/localhost").status_code == 403
    for slug in ("", "a..b", "-a.example", "a-.example", "x" * 64 + ".example", "a b", "a/b", "ünï.example",
                 "a.example:99999999", "a.example\x00"):
        answer = api.post("/api/domains", json={"slug": slug})
        assert answer.status_code == 422, (slug, answer.json)
    for url in ("javascript:alert(1)", "https://user:pw@evil.example/", "ftp://example.com/"):
        answer = api.post("/api/domains", json={"slug": "qr.ok.example", "target": url})
        assert answer.status_code == 422 and answer.json["error"]["errors"][0]["field"] == "target"
    assert api.patch("/api/domains/localhost", json={"slug": "other.example"}).status_code == 422


def test_another_process_learns_of_a_new_domain_within_the_cache_time(make_app, api, app):
    from codeqr.domain.domains import ServedDomains

    moments = [0.0]
    other = make_app()
    object.__setattr__(other.extensions["codeqr"], "served_domains", ServedDomains(5, clock=lambda: moments[0]))
    other_client = other.test_client()
    assert other_client.get("/k", headers={"Host": "qr.late.example"}).status_code == 404  # read: none yet
    api.post("/api/domains", json={"slug": "qr.late.example", "notFoundUrl": URL})
    assert other_client.get("/k", headers={"Host": "qr.late.example"}).status_code == 404  # kept 5 s
    moments[0] = 5.1
    assert other_client.get("/k", headers={"Host": "qr.late.example"}).headers["Location"] == URL
