"""The tags' API (issue 24): made, listed, changed and deleted; names unique whatever their case,
colours of CodeQR's list only; a tag's change or deletion leaves its QR Codes (and their updatedAt)."""

from sqlalchemy import func, select

from api_client import authorized_client, person_with_key
from clock import Clock
from codeqr import db
from codeqr.domain.models import QRCodeTag, Tag

URL = "https://example.com/"
#: CodeQR's colours, written out here (not read from the code under test).
COLORS = {"red", "yellow", "green", "blue", "purple", "pink", "brown"}
MISSING = "c" + "0" * 24


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_tag_is_made_listed_changed_and_deleted(app, api):
    shop = api.post("/api/tags", json={"name": "Shop", "color": "green"})
    assert shop.status_code == 201, shop.json
    assert set(shop.json) == {"id", "name", "color"}
    assert (shop.json["name"], shop.json["color"]) == ("Shop", "green")
    summer = api.post("/api/tags", json={"tag": " summer "})  # CodeQR's older name of the field; trimmed
    assert summer.status_code == 201 and summer.json["name"] == "summer"
    assert summer.json["color"] in COLORS  # none given: one of the list
    api.post("/api/tags", json={"name": "apple", "color": "red"})
    assert [tag["name"] for tag in api.get("/api/tags").json] == ["apple", "Shop", "summer"]  # by name, any case

    changed = api.patch(f"/api/tags/{shop.json['id']}", json={"name": "Store", "color": "pink"})
    assert changed.status_code == 200
    assert changed.json == {"id": shop.json["id"], "name": "Store", "color": "pink"}
    recoloured = api.patch(f"/api/tags/{shop.json['id']}", json={"color": "blue"})
    assert recoloured.json["name"] == "Store" and recoloured.json["color"] == "blue"
    assert api.patch(f"/api/tags/{shop.json['id']}", json={}).json == recoloured.json

    assert api.delete(f"/api/tags/{shop.json['id']}").json == {"id": shop.json["id"]}
    assert [tag["name"] for tag in api.get("/api/tags").json] == ["apple", "summer"]
    for answer in (api.delete(f"/api/tags/{shop.json['id']}"), api.patch(f"/api/tags/{MISSING}", json={"color": "red"})):
        assert answer.status_code == 404 and answer.json["error"]["code"] == "not_found"


def test_names_are_unique_whatever_their_case(app, api):
    shop = api.post("/api/tags", json={"name": "Shop"}).json
    other = api.post("/api/tags", json={"name": "Other"}).json
    for body in ({"name": "shop"}, {"name": "SHOP", "color": "red"}, {"tag": " Shop"}):
        taken = api.post("/api/tags", json=body)
        assert taken.status_code == 409, body
        assert taken.json["error"]["errors"][0]["field"] == "name"
        assert "exists already" in taken.json["error"]["message"]
    renamed = api.patch(f"/api/tags/{other['id']}", json={"name": "sHoP"})
    assert renamed.status_code == 409 and renamed.json["error"]["errors"][0]["field"] == "name"
    assert api.get("/api/tags").json == [other, shop]  # nothing changed
    assert api.patch(f"/api/tags/{shop['id']}", json={"name": "SHOP"}).json["name"] == "SHOP"  # its own name, another case
    assert _count(app, Tag) == 2


def test_colours_not_in_the_list_and_blank_names_are_refused(app, api):
    for body, field in (({"name": "x", "color": "orange"}, "color"), ({"name": "x", "color": "Red"}, "color"),
                        ({"name": "x", "color": "#ff0000"}, "color"), ({"color": "red"}, "name"),
                        ({"name": "   "}, "name"), ({"name": ""}, "name"), ({"name": "x" * 51}, "name"),
                        ({"name": "a\x00b"}, None), ({"name": "x", "size": 5}, "size")):
        refused = api.post("/api/tags", json=body)
        assert refused.status_code in (400, 422), body  # a NUL byte is refused before the body is read
        if field is not None:
            assert refused.status_code == 422 and field in {error["field"] for error in refused.json["error"]["errors"]}, body
    assert _count(app, Tag) == 0
    tag = api.post("/api/tags", json={"name": "x"}).json
    refused = api.patch(f"/api/tags/{tag['id']}", json={"color": "black"})
    assert refused.status_code == 422 and refused.json["error"]["errors"][0]["field"] == "color"
    assert api.get("/api/tags").json == [tag]


def test_a_tag_changed_or_deleted_leaves_its_qrcodes_and_their_updated_at(app, api):
    code = api.post("/api/qrcodes", json={"url": URL, "tagNames": ["spring", "print"]}).json
    spring = next(tag for tag in code["tags"] if tag["name"] == "spring")
    api.patch(f"/api/tags/{spring['id']}", json={"name": "Autumn", "color": "brown"})
    after = api.get(f"/api/qrcodes/{code['id']}").json
    assert [tag["name"] for tag in after["tags"]] == ["Autumn", "print"]  # its QR Codes carry it as it is now
    assert after["tags"][0]["color"] == "brown"
    assert after["updatedAt"] == code["updatedAt"]
    assert api.delete(f"/api/tags/{spring['id']}").status_code == 200
    kept = api.get(f"/api/qrcodes/{code['id']}")
    assert kept.status_code == 200
    assert [tag["name"] for tag in kept.json["tags"]] == ["print"]
    assert kept.json["updatedAt"] == code["updatedAt"]
    assert _count(app, QRCodeTag) == 1


def test_the_list_pages_searches_filters_by_ids_and_sorts(make_app):
    app = make_app(clock=Clock())  # each tag a millisecond after the one before
    from codeqr.accounts import apikeys
    from codeqr.context import for_operator

    with app.app_context():
        api = authorized_client(app, apikeys.create("t", ctx=for_operator())[1])
    names = ["delta", "Alpha", "charlie", "off 50%_", "bravo", "zulu 500"]
    ids = {name: api.post("/api/tags", json={"name": name}).json["id"] for name in names}

    def listed(query: str) -> list[str]:
        answer = api.get("/api/tags" + query)
        assert answer.status_code == 200, answer.json
        return [tag["name"] for tag in answer.json]

    assert listed("") == ["Alpha", "bravo", "charlie", "delta", "off 50%_", "zulu 500"]
    assert listed("?sortOrder=desc") == ["zulu 500", "off 50%_", "delta", "charlie", "bravo", "Alpha"]
    assert listed("?sortBy=createdAt") == names
    assert listed("?sortBy=createdAt&sortOrder=desc") == names[::-1]
    assert listed("?pageSize=2&page=2") == ["charlie", "delta"]
    assert listed("?pageSize=4&page=3") == []
    assert listed("?search=A") == ["Alpha", "bravo", "charlie", "delta"]  # any case
    assert listed("?search=%25_") == ["off 50%_"]  # % and _ are themselves
    assert listed(f"?ids={ids['bravo']},{ids['delta']},{MISSING}") == ["bravo", "delta"]
    assert listed(f"?ids={ids['bravo']}&search=x") == []
    for query in ("?pageSize=101", "?page=0", "?sortBy=color", "?sortOrder=up", "?ids=" + ",".join([MISSING] * 101)):
        assert api.get("/api/tags" + query).status_code == 422, query


def test_anyone_reads_tags_and_only_who_changes_qrcodes_writes_them(app, api):
    tag = api.post("/api/tags", json={"name": "kept"}).json
    _, viewer = person_with_key(app, "viewer")
    _, read_only = person_with_key(app, "member", scope="read_only")
    _, member = person_with_key(app, "member")
    for secret in (viewer, read_only):
        other = authorized_client(app, secret)
        assert other.get("/api/tags").json == [tag]
        for answer in (other.post("/api/tags", json={"name": "new"}), other.delete(f"/api/tags/{tag['id']}"),
                       other.patch(f"/api/tags/{tag['id']}", json={"color": "red"})):
            assert answer.status_code == 403
    assert api.get("/api/tags").json == [tag]
    assert authorized_client(app, member).post("/api/tags", json={"name": "theirs"}).status_code == 201
