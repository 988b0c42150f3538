"""The folders' API (issue 24): made, read, changed and deleted; names unique whatever their case;
who sees a folder (admins all, members those open to everyone and those given them) and who changes
it (admins, and its people whose role changes QR Codes); deleting a folder keeps its QR Codes."""

from sqlalchemy import func, select

from api_client import authorized_client, person_with_key
from codeqr import db
from codeqr.domain.models import Folder, FolderUser

URL = "https://example.com/"
MISSING = "c" + "0" * 24


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_folder_is_made_read_changed_and_deleted(app, api):
    member_id, _ = person_with_key(app, "member")
    made = api.post("/api/folders", json={"name": " Catalog "})
    assert made.status_code == 201, made.json
    folder = made.json
    assert set(folder) == {"id", "name", "accessLevel", "userIds", "createdAt", "updatedAt"}
    # The key was made at the machine: its admin is no person to give the folder to.
    assert (folder["name"], folder["accessLevel"], folder["userIds"]) == ("Catalog", None, [])
    assert api.get(f"/api/folders/{folder['id']}").json == folder

    changed = api.patch(f"/api/folders/{folder['id']}", json={"name": "Spring catalog", "accessLevel": "read",
                                                              "userIds": [member_id]}).json
    assert (changed["name"], changed["accessLevel"], changed["userIds"]) == ("Spring catalog", "read", [member_id])
    assert changed["updatedAt"] > folder["updatedAt"] and changed["createdAt"] == folder["createdAt"]
    assert api.patch(f"/api/folders/{folder['id']}", json={}).json == changed  # nothing sent, nothing moves
    same = api.patch(f"/api/folders/{folder['id']}", json={"name": "Spring catalog", "userIds": [member_id]}).json
    assert same == changed
    closed = api.patch(f"/api/folders/{folder['id']}", json={"accessLevel": None, "userIds": []}).json
    assert (closed["accessLevel"], closed["userIds"]) == (None, [])
    assert api.get("/api/folders").json == [closed]

    assert api.delete(f"/api/folders/{folder['id']}").json == {"id": folder["id"]}
    for answer in (api.get(f"/api/folders/{folder['id']}"), api.delete(f"/api/folders/{folder['id']}"),
                   api.patch(f"/api/folders/{MISSING}", json={"name": "x"})):
        assert answer.status_code == 404
    assert api.get("/api/folders").json == []
    assert _count(app, FolderUser) == 0


def test_names_are_unique_whatever_their_case(app, api):
    catalog = api.post("/api/folders", json={"name": "Catalog"}).json
    other = api.post("/api/folders", json={"name": "Other"}).json
    for body in ({"name": "catalog"}, {"name": "CATALOG", "accessLevel": "write"}):
        taken = api.post("/api/folders", json=body)
        assert taken.status_code == 409 and taken.json["error"]["errors"][0]["field"] == "name"
        assert "exists already" in taken.json["error"]["message"]
    renamed = api.patch(f"/api/folders/{other['id']}", json={"name": "cAtAlOg"})
    assert renamed.status_code == 409 and renamed.json["error"]["errors"][0]["field"] == "name"
    assert api.get("/api/folders").json == [catalog, other]
    assert api.patch(f"/api/folders/{catalog['id']}", json={"name": "CATALOG"}).json["name"] == "CATALOG"


def test_bad_bodies_are_refused_with_their_field_and_store_nothing(app, api):
    member_id, _ = person_with_key(app, "member")
    for body, field in (({"name": "x", "accessLevel": "admin"}, "accessLevel"),
                        ({"name": "x", "userIds": [member_id, 424242]}, "userIds"),
                        ({"name": "x", "userIds": [str(member_id)]}, "userIds"),
                        ({"name": "x", "userIds": [0]}, "userIds"),
                        ({"name": "  "}, "name"), ({"name": "x" * 191}, "name"), ({"name": "a\nb"}, "name"),
                        ({}, "name"), ({"name": "x", "color": "red"}, "color")):
        refused = api.post("/api/folders", json=body)
        assert refused.status_code == 422, body
        assert field in {error["field"].split(".")[0] for error in refused.json["error"]["errors"]}, (body, refused.json)
    assert _count(app, Folder) == 0
    folder = api.post("/api/folders", json={"name": "x"}).json
    refused = api.patch(f"/api/folders/{folder['id']}", json={"name": "y", "userIds": [424242]})
    assert refused.status_code == 422 and refused.json["error"]["errors"][0]["field"] == "userIds"
    assert api.get(f"/api/folders/{folder['id']}").json == folder  # the name did not change either


def test_deleting_a_folder_keeps_its_qrcodes_in_no_folder(app, api):
    folder = api.post("/api/folders", json={"name": "Flyers"}).json
    other = api.post("/api/folders", json={"name": "Posters"}).json
    filed = [api.post("/api/qrcodes", json={"url": f"{URL}{n}", "folderId": folder["id"]}).json for n in range(2)]
    elsewhere = api.post("/api/qrcodes", json={"url": URL, "folderId": other["id"]}).json
    assert api.delete(f"/api/folders/{folder['id']}").status_code == 200
    for code in filed:
        kept = api.get(f"/api/qrcodes/{code['id']}")
        assert kept.status_code == 200
        assert kept.json["folderId"] is None
        assert kept.json["updatedAt"] == code["updatedAt"]
    assert api.get(f"/api/qrcodes/{elsewhere['id']}").json["folderId"] == other["id"]
    assert api.get("/api/qrcodes/count").json == 3


def test_who_sees_and_changes_which_folder(app, api):
    member_id, member_key = person_with_key(app, "member")
    viewer_id, viewer_key = person_with_key(app, "viewer")
    member, viewer = authorized_client(app, member_key), authorized_client(app, viewer_key)
    hidden = api.post("/api/folders", json={"name": "Hidden"}).json
    given = api.post("/api/folders", json={"name": "Given", "userIds": [member_id, viewer_id]}).json
    shown = api.post("/api/folders", json={"name": "Shown", "accessLevel": "read"}).json
    open_ = api.post("/api/folders", json={"name": "Open", "accessLevel": "write"}).json

    def names(client) -> list[str]:
        return [folder["name"] for folder in client.get("/api/folders").json]

    assert names(api) == ["Given", "Hidden", "Open", "Shown"]  # an admin sees every folder
    assert names(member) == ["Given", "Open", "Shown"]
    assert names(viewer) == ["Given", "Open", "Shown"]
    assert [folder["name"] for folder in member.get("/api/folders?search=N").json] == ["Given", "Open", "Shown"]
    assert [folder["name"] for folder in member.get("/api/folders?search=hid").json] == []  # not even by name
    for answer in (member.get(f"/api/folders/{hidden['id']}"), member.patch(f"/api/folders/{hidden['id']}", json={}),
                   member.delete(f"/api/folders/{hidden['id']}")):
        assert answer.status_code == 404  # not seen: not there
    assert member.get(f"/api/folders/{shown['id']}").json == shown
    assert [folder["name"] for folder in member.get("/api/folders?pageSize=2&page=2").json] == ["Shown"]

    # Changed by admins and its people whose role changes QR Codes.
    for folder in (shown, open_):
        assert member.patch(f"/api/folders/{folder['id']}", json={"name": "Mine"}).status_code == 403
        assert member.delete(f"/api/folders/{folder['id']}").status_code == 403
    assert viewer.patch(f"/api/folders/{given['id']}", json={"name": "Mine"}).status_code == 403
    assert member.patch(f"/api/folders/{given['id']}", json={"accessLevel": "read"}).json["accessLevel"] == "read"
    assert api.patch(f"/api/folders/{shown['id']}", json={"name": "Seen"}).status_code == 200
    assert viewer.post("/api/folders", json={"name": "Theirs"}).status_code == 403

    # Whoever makes a folder is one of its people; a folder of no access is theirs and the admins'.
    theirs = member.post("/api/folders", json={"name": "Theirs"}).json
    assert theirs["userIds"] == [member_id]
    assert "Theirs" in names(api) and "Theirs" not in names(viewer)
    assert member.delete(f"/api/folders/{theirs['id']}").status_code == 200
    assert member.delete(f"/api/folders/{given['id']}").status_code == 200
    assert names(api) == ["Hidden", "Open", "Seen"]
