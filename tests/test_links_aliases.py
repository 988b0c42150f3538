"""Old short links that keep working (issue 23): a key or domain changed with
``keepOldLink`` leaves the old link as an alias, which redirects and counts to the code,
is listed in ``aliases``, can be removed, and no other QR Code may take."""

import time

from sqlalchemy import event, func, select

from api_client import authorized_client
from codeqr import db
from codeqr.accounts import apikeys
from codeqr.context import for_operator
from codeqr.domain.models import Alias
from codeqr.scans.enrichment import enrich_pending
from codeqr.scans.models import ScanEvent

#: How long a server keeps a short link's routing in these tests: removals are seen after it.
CACHE_SECONDS = 0.2


def _app_and_api(make_app, **settings):
    app = make_app(CODEQR_ROUTING_CACHE_SECONDS=CACHE_SECONDS, **settings)
    with app.app_context():
        _, secret = apikeys.create("tests", ctx=for_operator())
    return app, authorized_client(app, secret)


def _events(app, qrcode_id: str) -> list[tuple[str, str]]:
    with app.app_context():
        enrich_pending(app)  # what the background thread (off in tests) does
        return [tuple(row) for row in db.session.execute(
            select(ScanEvent.domain, ScanEvent.key).where(ScanEvent.qrcode_id == qrcode_id))]


def test_an_old_key_kept_redirects_counts_to_the_code_is_listed_then_removed(make_app):
    app, api = _app_and_api(make_app)
    client = app.test_client()
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/spring", "key": "spring-sale"}).get_json()
    assert qr["aliases"] == []
    moved = api.patch(f"/api/qrcodes/{qr['id']}", json={"key": "summer-sale", "keepOldLink": True})
    assert moved.status_code == 200
    moved = moved.get_json()
    assert moved["key"] == "summer-sale" and moved["shortLink"] == "http://localhost/summer-sale"
    [alias] = moved["aliases"]
    assert {name: alias[name] for name in ("domain", "key", "shortLink")} == {
        "domain": "localhost", "key": "spring-sale", "shortLink": "http://localhost/spring-sale"}
    assert alias["createdAt"] >= qr["createdAt"] and "keepOldLink" not in moved

    old = client.get("/spring-sale")
    assert (old.status_code, old.headers["Location"]) == (302, "https://example.com/spring")
    assert client.get("/summer-sale").headers["Location"] == "https://example.com/spring"
    assert client.get("/spring-sale").status_code == 302
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] == 3
    # Each scan is the code's: its events name the code's own link, whichever was scanned.
    assert _events(app, qr["id"]) == [("localhost", "summer-sale")] * 3
    assert api.get("/api/qrcodes").get_json()[0]["aliases"] == moved["aliases"]

    removed = api.delete(f"/api/qrcodes/{qr['id']}/aliases/spring-sale")
    assert removed.status_code == 200
    assert removed.get_json()["aliases"] == [] and removed.get_json()["updatedAt"] >= moved["updatedAt"]
    again = api.delete(f"/api/qrcodes/{qr['id']}/aliases/spring-sale")
    assert again.status_code == 404
    assert again.get_json()["error"]["message"] == f"localhost/spring-sale is no old link of QR Code {qr['id']!r}"
    time.sleep(CACHE_SECONDS * 1.5)  # past what this server kept of the old link
    assert client.get("/spring-sale").status_code == 404
    assert client.get("/summer-sale").status_code == 302
    # Free again: a new QR Code may take it.
    assert api.post("/api/qrcodes", json={"url": "https://example.com/b", "key": "spring-sale"}).status_code == 201


def test_no_other_code_may_take_an_old_link(make_app):
    app, api = _app_and_api(make_app)
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/menu", "key": "menu"}).get_json()
    api.patch(f"/api/qrcodes/{qr['id']}", json={"key": "menu-2027", "keepOldLink": True})
    other = api.post("/api/qrcodes", json={"url": "https://example.com/other", "key": "other"}).get_json()
    said = "localhost/menu is an old link of another QR Code, kept working: key 'menu' cannot be used on localhost"

    created = api.post("/api/qrcodes", json={"url": "https://example.com/new", "key": "menu"})
    assert created.status_code == 409
    error = created.get_json()["error"]
    assert error["code"] == "conflict"
    assert error["message"] == said
    assert error["errors"] == [{"field": "key", "message": said}]
    updated = api.patch(f"/api/qrcodes/{other['id']}", json={"key": "menu"})
    assert updated.status_code == 409 and updated.get_json()["error"]["errors"] == [{"field": "key", "message": said}]
    upserted = api.put("/api/qrcodes/upsert", json={"url": "https://example.com/upserted", "key": "menu"})
    assert upserted.status_code == 409
    [refused] = api.post("/api/qrcodes/bulk", json=[{"url": "https://example.com/bulk", "key": "menu"}]).get_json()
    assert refused["error"]["message"].startswith("localhost/menu is an old link of another QR Code")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Alias)) == 1
    assert api.get(f"/api/qrcodes/{other['id']}").get_json()["key"] == "other"
    assert api.get("/api/qrcodes/count").get_json() == 2  # nothing was made of the refusals

    # The code itself may take it back: then it is its own link again, no alias.
    back = api.patch(f"/api/qrcodes/{qr['id']}", json={"key": "menu"}).get_json()
    assert (back["key"], back["aliases"]) == ("menu", [])


def test_a_domain_change_keeps_the_old_link_and_a_deleted_code_takes_its_aliases(make_app):
    app, api = _app_and_api(make_app, CODEQR_DOMAINS=["go.example.org"])  # served beside localhost
    client = app.test_client()
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/card", "key": "card"}).get_json()
    moved = api.patch(f"/api/qrcodes/{qr['id']}", json={"domain": "go.example.org", "keepOldLink": True}).get_json()
    assert moved["shortLink"] == "http://go.example.org/card"
    assert [(alias["shortLink"]) for alias in moved["aliases"]] == ["http://localhost/card"]
    assert client.get("/card").headers["Location"] == "https://example.com/card"  # localhost: the alias
    assert client.get("/card", headers={"Host": "go.example.org"}).headers["Location"] == "https://example.com/card"
    # The same key on the other domain is another link: free there.
    assert api.post("/api/qrcodes", json={"url": "https://example.com/x", "key": "card"}).status_code == 409
    assert api.post("/api/qrcodes", json={"url": "https://example.com/x", "key": "card",
                                          "domain": "go.example.org"}).status_code == 409  # the code's own
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] == 2
    # Removed by its domain (the code's own, go.example.org, is the default).
    assert api.delete(f"/api/qrcodes/{qr['id']}/aliases/card").status_code == 404
    second = api.patch(f"/api/qrcodes/{qr['id']}", json={"key": "card-2", "keepOldLink": True}).get_json()
    assert sorted(alias["shortLink"] for alias in second["aliases"]) == [
        "http://go.example.org/card", "http://localhost/card"]

    assert api.delete(f"/api/qrcodes/{qr['id']}").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Alias)) == 0
    time.sleep(CACHE_SECONDS * 1.5)
    assert client.get("/card").status_code == 404
    assert client.get("/card", headers={"Host": "go.example.org"}).status_code == 404


def test_keep_old_link_keeps_nothing_without_a_short_link_nor_on_create(make_app):
    _, api = _app_and_api(make_app)
    created = api.post("/api/qrcodes", json={"url": "https://example.com/", "key": "fresh", "keepOldLink": True})
    assert created.status_code == 201 and created.get_json()["aliases"] == []
    wifi = api.post("/api/qrcodes", json={"type": "wifi", "key": "wifi", "wifi": {"ssid": "Cafe", "encryption": "nopass"}})
    assert wifi.get_json()["static"] is True
    renamed = api.patch(f"/api/qrcodes/{wifi.get_json()['id']}", json={"key": "wifi-2", "keepOldLink": True})
    assert renamed.get_json()["aliases"] == []  # a static code's image holds no short link to keep
    kept = api.patch(f"/api/qrcodes/{created.get_json()['id']}", json={"title": "Same link", "keepOldLink": True})
    assert kept.get_json()["aliases"] == []
    refused = api.patch(f"/api/qrcodes/{created.get_json()['id']}", json={"keepOldLink": "yes"})
    assert refused.status_code == 422 and refused.get_json()["error"]["errors"][0]["field"] == "keepOldLink"


def test_a_page_of_codes_reads_their_aliases_in_one_query(make_app):
    app, api = _app_and_api(make_app)
    for number in range(3):
        qr = api.post("/api/qrcodes", json={"url": f"https://example.com/{number}", "key": f"old-{number}"}).get_json()
        api.patch(f"/api/qrcodes/{qr['id']}", json={"key": f"new-{number}", "keepOldLink": True})
    statements = []
    with app.app_context():
        engine = db.engine

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        page = api.get("/api/qrcodes?sort=createdAt&order=asc").get_json()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [[alias["key"] for alias in qr["aliases"]] for qr in page] == [["old-0"], ["old-1"], ["old-2"]]
    assert len([statement for statement in statements if "FROM aliases" in statement]) == 1


def test_an_old_link_kept_by_a_server_follows_its_code_when_the_code_moves_again(make_app):
    """A server keeps an alias's route (its code's own link) for a while: when the code's
    key changes meanwhile, a scan of the alias finds the code anew, it does not 404."""
    app, api = _app_and_api(make_app)
    client = app.test_client()
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/poster", "key": "poster-1"}).get_json()
    api.patch(f"/api/qrcodes/{qr['id']}", json={"key": "poster-2", "keepOldLink": True})
    assert client.get("/poster-1").status_code == 302  # now kept by this server
    api.patch(f"/api/qrcodes/{qr['id']}", json={"key": "poster-3", "keepOldLink": True})
    assert client.get("/poster-1").headers["Location"] == "https://example.com/poster"
    assert client.get("/poster-2").headers["Location"] == "https://example.com/poster"
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] == 3


def test_an_old_link_of_a_contact_offers_its_file_too(make_app):
    app, api = _app_and_api(make_app)
    qr = api.post("/api/qrcodes", json={"type": "vcard", "key": "card-old",
                                        "vcard": {"firstName": "Ada", "lastName": "Lovelace"}}).get_json()
    api.patch(f"/api/qrcodes/{qr['id']}", json={"key": "card-new", "keepOldLink": True})
    client = app.test_client()
    assert client.get("/card-old").status_code == 200  # the landing page, under the old link
    kept = client.get("/card-old/contact.vcf")
    assert kept.status_code == 200 and "Lovelace" in kept.get_data(as_text=True)
    assert client.get("/card-new/contact.vcf").status_code == 200
