"""A QR Code's organising fields (issue 24): tags given by id or name, a folder, archived,
comments and who made it; migration 0014 keeps the codes made before."""

from sqlalchemy import func, select, text

from codeqr import db
from codeqr.accounts import apikeys
from codeqr.context import for_operator
from codeqr.domain.models import Folder, FolderUser, Tag, User

URL = "https://example.com/"


def _tag(app, name: str, color: str = "blue") -> str:
    with app.app_context():
        tag = Tag(name=name, color=color)
        db.session.add(tag)
        db.session.commit()
        return tag.id


def _folder(app, name: str, access_level=None, users=()) -> str:
    with app.app_context():
        folder = Folder(name=name, access_level=access_level)
        db.session.add(folder)
        db.session.flush()
        db.session.add_all(FolderUser(folder_id=folder.id, user_id=user) for user in users)
        db.session.commit()
        return folder.id


def test_tags_are_given_by_id_and_by_name_and_new_names_make_tags(app, api):
    shop = _tag(app, "Shop", "green")
    answer = api.post("/api/qrcodes", json={"url": URL, "tagIds": shop, "tagNames": ["summer", "SHOP"]})
    assert answer.status_code == 201, answer.json
    tags = answer.json["tags"]
    assert (tags[0]["name"], tags[0]["color"]) == ("Shop", "green")
    assert [tag["name"] for tag in tags] == ["Shop", "summer"]  # "SHOP" is the tag Shop: no second one
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tag)) == 2
    summer = tags[1]["id"]
    assert tags[1]["color"] in ("red", "yellow", "green", "blue", "purple", "pink", "brown")

    changed = api.patch(f"/api/qrcodes/{answer.json['id']}", json={"tagIds": [summer]})
    assert [tag["name"] for tag in changed.json["tags"]] == ["summer"]
    assert changed.json["updatedAt"] > answer.json["updatedAt"]
    same = api.patch(f"/api/qrcodes/{answer.json['id']}", json={"tagNames": "Summer"})
    assert same.json["updatedAt"] == changed.json["updatedAt"]  # the same tags: nothing changed
    untouched = api.patch(f"/api/qrcodes/{answer.json['id']}", json={"title": "t"})
    assert [tag["name"] for tag in untouched.json["tags"]] == ["summer"]  # not sent: kept
    cleared = api.patch(f"/api/qrcodes/{answer.json['id']}", json={"tagIds": []})
    assert cleared.json["tags"] == []


def test_the_hook_hears_the_tags_change(make_app):
    heard = []

    class Listener:
        from codeqr.plugin_api import hookimpl

        @hookimpl
        def codeqr_qrcode_updated(self, app, qrcode, changes):
            heard.append(changes)

    app = make_app(plugins=[Listener()])
    with app.app_context():
        _, secret = apikeys.create("tests", ctx=for_operator())
    from api_client import authorized_client

    api = authorized_client(app, secret)
    created = api.post("/api/qrcodes", json={"url": URL, "tagNames": ["a"]}).json
    api.patch(f"/api/qrcodes/{created['id']}", json={"tagNames": ["b", "a"]})
    assert heard == [{"tags": [["a"], ["a", "b"]]}]


def test_unknown_tags_and_folders_are_refused_with_their_field(app, api):
    missing = "c" + "0" * 24
    answer = api.post("/api/qrcodes", json={"url": URL, "tagIds": [missing], "folderId": missing})
    assert answer.status_code == 422
    assert {error["field"] for error in answer.json["error"]["errors"]} == {"tagIds", "folderId"}
    for body in ({"tagIds": ["not an id"]}, {"tagNames": [""]}, {"tagNames": ["x" * 51]},
                 {"tagNames": [f"t{n}" for n in range(51)]}, {"tagNames": ["a\x00b"]}, {"comments": "a\x07"},
                 {"archived": "yes"}, {"folderId": 5}):
        refused = api.post("/api/qrcodes", json={"url": URL, **body})
        assert refused.status_code == 422, (body, refused.json)
    code = api.post("/api/qrcodes", json={"url": URL}).json["id"]
    refused = api.patch(f"/api/qrcodes/{code}", json={"tagIds": [missing], "tagNames": ["new"]})
    assert refused.status_code == 422 and refused.json["error"]["errors"][0]["field"] == "tagIds"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tag)) == 0  # nothing half-written


def test_folder_archived_comments_and_maker_are_kept(app, api):
    folder = _folder(app, "Catalog", access_level="write")
    created = api.post("/api/qrcodes", json={"url": URL, "folderId": folder, "archived": True,
                                             "comments": "printed on the 2027 flyer"})
    assert created.status_code == 201, created.json
    assert (created.json["folderId"], created.json["archived"], created.json["comments"]) == (
        folder, True, "printed on the 2027 flyer")
    assert created.json["userId"] is None  # the key was made at the machine
    moved = api.patch(f"/api/qrcodes/{created.json['id']}", json={"folderId": None, "archived": False})
    assert (moved.json["folderId"], moved.json["archived"]) == (None, False)


def test_a_member_can_file_only_into_folders_they_may_change(app):
    from api_client import authorized_client

    with app.app_context():
        member = User(email="m@example.org", password_hash="x", role="member")
        db.session.add(member)
        db.session.commit()
        member_id = member.id
        _, secret = apikeys.create("theirs", member, ctx=for_operator())
    api = authorized_client(app, secret)
    theirs = _folder(app, "Theirs", users=[member_id])
    shown = _folder(app, "Shown", access_level="read")
    hidden = _folder(app, "Hidden")
    filed = api.post("/api/qrcodes", json={"url": URL, "folderId": theirs})
    assert filed.status_code == 201 and filed.json["userId"] == member_id
    read_only = api.post("/api/qrcodes", json={"url": URL, "folderId": shown})
    assert read_only.status_code == 422
    assert read_only.json["error"]["errors"][0]["field"] == "folderId"
    assert "may not change" in read_only.json["error"]["message"]
    unseen = api.post("/api/qrcodes", json={"url": URL, "folderId": hidden})
    assert unseen.status_code == 422
    assert "no folder" in unseen.json["error"]["message"]  # a folder not shown to them reads as none


def test_migration_0014_keeps_the_codes_made_before(app):
    from schema_versions import migrate_from

    with app.app_context():
        migrate_from("0013", "INSERT INTO qrcodes (id, type, static, use_display_page, url, url_hash, domain, key, "
                             "use_as_template, default_template, design, scans, created_at, updated_at) VALUES "
                             f"('c{'1' * 24}', 'url', false, true, '{URL}', 'h', 'go.example.org', 'old', false, false, "
                             "'{}', 3, '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
        row = db.session.execute(text("SELECT archived, comments, folder_id, user_id, scans FROM qrcodes")).one()
    assert tuple(row) == (False, None, None, None, 3)
