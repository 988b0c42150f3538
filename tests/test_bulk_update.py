"""The bulk update (``PATCH /api/qrcodes/bulk``, issue 24): one change for up to 100 QR Codes,
each answered in its place; and the bulk delete with tags and folders."""

import base64
import io
from typing import Annotated

import pytest
from PIL import Image
from pydantic import Field
from sqlalchemy import func, select

from api_client import authorized_client
from codeqr import db, hookimpl
from codeqr.accounts import apikeys
from codeqr.context import for_operator
from codeqr.domain.models import Folder, FolderUser, QRCode, QRCodeTag, Tag, User

URL = "https://example.com/"
MISSING = "c" + "0" * 24


def _codes(api, count: int, **body) -> list[dict]:
    made = [api.post("/api/qrcodes", json={"url": f"{URL}{index}", **body}) for index in range(count)]
    assert all(answer.status_code == 201 for answer in made), [answer.json for answer in made]
    return [answer.json for answer in made]


def _bulk(api, ids, data):
    return api.patch("/api/qrcodes/bulk", json={"qrcodeIds": ids, "data": data})


def _stored(app, code_id: str) -> QRCode:
    with app.app_context():
        row = db.session.get(QRCode, code_id)
        db.session.expunge(row)
        return row


def _tag_counts(app) -> dict[str, int]:
    """How many QR Codes carry each tag, read from the table itself."""
    with app.app_context():
        rows = db.session.execute(select(Tag.name, func.count(QRCodeTag.qrcode_id))
                                  .join(QRCodeTag, QRCodeTag.tag_id == Tag.id, isouter=True).group_by(Tag.name))
        return {name: count for name, count in rows}


def _folder(app, name: str, access_level=None, users=()) -> str:
    with app.app_context():
        folder = Folder(name=name, access_level=access_level)
        db.session.add(folder)
        db.session.flush()
        db.session.add_all(FolderUser(folder_id=folder.id, user_id=user) for user in users)
        db.session.commit()
        return folder.id


def test_valid_refused_and_unknown_codes_are_answered_each_in_the_order_sent(app, api):
    plain, grey, other = _codes(api, 3)
    grey = api.patch(f"/api/qrcodes/{grey['id']}", json={"bgColor": "#dddddd", "externalId": "grey"}).json
    other = api.patch(f"/api/qrcodes/{other['id']}", json={"externalId": "other"}).json
    # #888888 is dark enough on white (3.54:1) but not on #dddddd (2.61:1): that code alone is refused.
    sent = [other["id"], "ext_grey", MISSING, plain["id"], "ext_nobody", other["id"]]
    answer = _bulk(api, sent, {"fgColor": "#888888", "archived": True})
    assert answer.status_code == 200, answer.json
    results = answer.json
    assert len(results) == 5  # the repeated id answered once, where it came first
    assert [result.get("id") or result["qrcodeId"] for result in results] == [
        other["id"], "ext_grey", MISSING, plain["id"], "ext_nobody"]
    assert (results[0]["fgColor"], results[0]["archived"]) == ("#888888", True)
    assert (results[3]["fgColor"], results[3]["archived"]) == ("#888888", True)
    assert results[1]["error"]["code"] == "unprocessable_entity"
    assert [error["field"] for error in results[1]["error"]["errors"]] == ["fgColor"]
    assert "contrast 2.61:1" in results[1]["error"]["message"]
    assert results[2]["error"]["code"] == results[4]["error"]["code"] == "not_found"
    kept = _stored(app, grey["id"])  # refused whole: not archived either
    assert (kept.archived, kept.design["fg_color"]) == (False, "#000000")
    assert api.get(f"/api/qrcodes/{grey['id']}").json["updatedAt"] == grey["updatedAt"]
    assert api.get(f"/api/qrcodes/{plain['id']}").json["archived"] is True


def test_a_change_that_would_not_scan_on_one_code_refuses_it_alone_decoded_before_the_write(app, api, monkeypatch):
    from codeqr.design import verify
    from codeqr.domain import field_checks

    decodes = []

    def spy(spec, renderer=None):
        decodes.append((spec.text, bool(db.session.info.get("codeqr_writing"))))
        return verify.verify(spec, renderer)

    plain = _codes(api, 1)[0]
    # Light modules on a dark background need the quiet zone: at margin 0 the paper around
    # the image merges with them (tests/test_design_scans.py); dark on white does not.
    dark = api.post("/api/qrcodes", json={"url": URL, "bgColor": "#111827", "fgColor": "#ffffff"}).json
    monkeypatch.setattr(field_checks, "verify", spy)
    answer = _bulk(api, [dark["id"], plain["id"]], {"margin": 0})
    assert [error["field"] for error in answer.json[0]["error"]["errors"]] == ["margin"]
    assert "does not scan" in answer.json[0]["error"]["message"]
    assert answer.json[1]["margin"] == 0
    assert api.get(f"/api/qrcodes/{dark['id']}").json == dark
    assert sorted(decodes) == sorted([(dark["shortLink"], False), (plain["shortLink"], False)])  # none in the write


def test_tags_are_added_removed_and_set_on_50_codes(app, api):
    codes = _codes(api, 20, tagNames=["old"]) + _codes(api, 30)
    ids = [code["id"] for code in codes]
    for code in codes[:10]:
        api.patch(f"/api/qrcodes/{code['id']}", json={"tagNames": ["old", "keep"]})
    assert _tag_counts(app) == {"old": 20, "keep": 10}

    answer = _bulk(api, ids, {"addTagNames": ["Summer"], "removeTagNames": ["OLD"]})
    assert answer.status_code == 200 and all("id" in result for result in answer.json)
    assert _tag_counts(app) == {"old": 0, "keep": 10, "Summer": 50}  # one new tag, on all 50
    assert [tag["name"] for tag in answer.json[0]["tags"]] == ["keep", "Summer"]
    assert [tag["name"] for tag in answer.json[49]["tags"]] == ["Summer"]

    keep, summer = (tag["id"] for tag in answer.json[0]["tags"])
    _bulk(api, ids[25:], {"addTagIds": [keep]})
    assert _tag_counts(app)["keep"] == 10 + 25
    _bulk(api, ids[:25], {"removeTagIds": summer})  # one id alone, as tagIds takes it
    assert _tag_counts(app)["Summer"] == 25
    # Set: codes 0-4 carried keep (and no longer Summer): now only "only".
    answer = _bulk(api, ids[:5], {"tagNames": ["only"]})
    assert [tag["name"] for tag in answer.json[0]["tags"]] == ["only"]
    assert _tag_counts(app) == {"old": 0, "keep": 30, "Summer": 25, "only": 5}
    # Removing what a code does not carry changes nothing (updatedAt stays).
    again = _bulk(api, ids[:5], {"removeTagIds": [summer]})
    assert again.json[0]["updatedAt"] == answer.json[0]["updatedAt"]


def test_a_tag_named_beyond_a_to_z_is_found_to_add_and_remove(app, api):
    codes = _codes(api, 2, tagNames=["Été"])
    ids = [code["id"] for code in codes]
    assert _tag_counts(app) == {"Été": 2}
    _bulk(api, ids, {"removeTagNames": ["Été"], "addTagNames": ["Größe"]})
    assert _tag_counts(app) == {"Été": 0, "Größe": 2}
    _bulk(api, ids[:1], {"addTagNames": ["Été"]})  # the tag there, not a second one
    assert _tag_counts(app) == {"Été": 1, "Größe": 2}


def test_a_code_that_would_carry_too_many_tags_is_refused_alone(app, api):
    full, light = _codes(api, 2)
    api.patch(f"/api/qrcodes/{full['id']}", json={"tagNames": [f"t{number}" for number in range(50)]})
    answer = _bulk(api, [full["id"], light["id"]], {"addTagNames": ["fresh"]})
    assert answer.json[0]["error"]["errors"] == [{"field": "addTagNames",
                                                  "message": "this QR Code would carry 51 tags, at most 50"}]
    assert [tag["name"] for tag in answer.json[1]["tags"]] == ["fresh"]
    assert _tag_counts(app)["fresh"] == 1


def test_many_codes_are_archived_and_unarchived(app, api):
    codes = _codes(api, 30)
    bystander = _codes(api, 1)[0]
    ids = [code["id"] for code in codes]
    answer = _bulk(api, ids, {"archived": True, "comments": "spring flyer, withdrawn"})
    assert [result["archived"] for result in answer.json] == [True] * 30
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QRCode).where(QRCode.archived.is_(True))) == 30
        assert db.session.scalar(select(func.count()).select_from(QRCode)
                                 .where(QRCode.comments == "spring flyer, withdrawn")) == 30
    assert _stored(app, bystander["id"]).archived is False
    assert api.get(f"/api/qrcodes/{ids[0]}").json["archived"] is True
    _bulk(api, ids[:10], {"archived": False, "comments": None})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QRCode).where(QRCode.archived.is_(True))) == 20
        assert db.session.scalar(select(func.count()).select_from(QRCode).where(QRCode.comments.is_(None))) == 11


def test_expiry_utm_design_and_a_template_apply_to_each(app, api):
    template = api.post("/api/qrcodes", json={"url": URL, "useAsTemplate": True, "fgColor": "#1e3a8a",
                                              "pattern": "dots", "eyeShape": "circle"}).json
    codes = _codes(api, 3)
    answer = _bulk(api, [code["id"] for code in codes], {
        "templateId": template["id"], "pattern": "rounded", "utm_campaign": "spring",
        "expiresAt": "2031-01-01T00:00:00+00:00", "expiredUrl": "https://example.com/over"})
    for result in answer.json:
        assert (result["fgColor"], result["eyeShape"], result["pattern"]) == ("#1e3a8a", "circle", "rounded")
        assert (result["utm_campaign"], result["expiredUrl"]) == ("spring", "https://example.com/over")
        assert result["expiresAt"].startswith("2031-01-01T00:00:00")
        assert result["url"] == {code["id"]: code["url"] for code in codes}[result["id"]]  # each keeps its own


def test_a_logo_sent_is_taken_in_and_shown_by_each_code(app, api):
    image = io.BytesIO()
    Image.new("RGBA", (64, 64), (255, 0, 0, 255)).save(image, format="PNG")
    logo = "data:image/png;base64," + base64.b64encode(image.getvalue()).decode()
    codes = _codes(api, 3)
    answer = _bulk(api, [code["id"] for code in codes], {"logo": logo})
    assert answer.status_code == 200, answer.json
    names = {result["logo"] for result in answer.json}
    assert len(names) == 1 and names.pop().startswith("logo-")
    # A logo sent is a logo shown, at the level a logo needs (as a single update does).
    assert {(result["showLogo"], result["level"]) for result in answer.json} == {(True, "H")}


def test_the_fields_each_code_has_its_own_of_are_refused_with_why(app, api):
    code = _codes(api, 1)[0]
    answer = _bulk(api, [code["id"]], {"url": URL, "key": "menu", "domain": "go.example.org", "externalId": "x",
                                       "type": "text", "text": "hi", "password": "secret", "title": "t",
                                       "fgColor": "#000000"})
    assert answer.status_code == 422
    why = {error["field"]: error["message"] for error in answer.json["error"]["errors"]}
    assert set(why) == {"data.url", "data.key", "data.domain", "data.externalId", "data.type", "data.text",
                        "data.password", "data.title"}
    assert why["data.password"] == "a password protects one QR Code: set it with that QR Code's update"
    assert why["data.url"] == "what a QR Code holds is its own: change it with that QR Code's update"
    assert _stored(app, code["id"]).url == URL + "0"


@pytest.mark.parametrize("data, field", [
    ({}, "data"),
    ({"addTagIds": None}, "data"),
    ({"tagNames": ["a"], "addTagNames": ["b"]}, "addTagNames"),
    ({"addTagIds": [MISSING]}, "addTagIds"),
    ({"removeTagIds": [MISSING]}, "removeTagIds"),
    ({"tagIds": [MISSING]}, "tagIds"),
    ({"addTagNames": ["Same"], "removeTagNames": ["same"]}, "removeTagNames"),
    ({"folderId": MISSING}, "folderId"),
    ({"templateId": MISSING}, "templateId"),
    ({"size": 5000}, "data.size"),
    ({"nonsense": 1}, "data.nonsense"),
])
def test_a_change_that_is_wrong_for_all_refuses_the_whole_request(app, api, data, field):
    codes = _codes(api, 2)
    answer = _bulk(api, [code["id"] for code in codes], data)
    assert answer.status_code == 422, answer.json
    assert field in [error["field"] for error in answer.json["error"]["errors"]]
    assert api.get(f"/api/qrcodes/{codes[0]['id']}").json["updatedAt"] == codes[0]["updatedAt"]
    assert _tag_counts(app) == {}  # no tag made by a refused request


def test_more_than_100_distinct_ids_are_refused_and_repeats_count_once(app, api):
    distinct = [f"ext_code-{number}" for number in range(101)]
    refused = _bulk(api, distinct, {"archived": True})
    assert refused.status_code == 422
    assert refused.json["error"]["errors"] == [{"field": "qrcodeIds",
                                                "message": "at most 100 QR Codes per request (101 sent)"}]
    repeated = _bulk(api, distinct[:100] * 3, {"archived": True})
    assert repeated.status_code == 200 and len(repeated.json) == 100
    assert [result["qrcodeId"] for result in repeated.json] == distinct[:100]
    assert _bulk(api, [], {"archived": True}).status_code == 422
    assert _bulk(api, distinct[:1] * 1001, {"archived": True}).status_code == 422  # the list's own bound
    # No database query meets NUL (PostgreSQL refuses it), nor a / no id or externalId has.
    for bad in ("ext_a\x00b", "ext_a/b", "c\x1f"):
        refused = _bulk(api, [bad], {"archived": True})
        assert refused.status_code == 422 and refused.json["error"]["errors"][0]["field"] == "qrcodeIds.0", bad


def test_the_hook_hears_each_changed_code_once_after_the_commit(make_app):
    heard = []

    class Listener:
        @hookimpl
        def codeqr_qrcode_updated(self, app, qrcode, changes):
            with app.app_context():  # committed by then: the row says so
                stored = db.session.get(QRCode, qrcode["id"]).archived
            heard.append((qrcode["id"], changes, stored))

    app = make_app(plugins=[Listener()])
    with app.app_context():
        _, secret = apikeys.create("tests", ctx=for_operator())
    api = authorized_client(app, secret)
    first, second, archived, grey = _codes(api, 4)
    api.patch(f"/api/qrcodes/{archived['id']}", json={"archived": True})
    api.patch(f"/api/qrcodes/{grey['id']}", json={"bgColor": "#dddddd"})
    heard.clear()
    sent = [first["id"], second["id"], archived["id"], grey["id"], first["id"], MISSING]
    _bulk(api, sent, {"archived": True, "fgColor": "#888888"})
    assert sorted(heard, key=lambda item: item[0]) == sorted([
        (first["id"], {"archived": [False, True], "fgColor": ["#000000", "#888888"]}, True),
        (second["id"], {"archived": [False, True], "fgColor": ["#000000", "#888888"]}, True),
        (archived["id"], {"fgColor": ["#000000", "#888888"]}, True)], key=lambda item: item[0])


def test_a_read_only_key_may_not(app, api):
    code = _codes(api, 1)[0]
    with app.app_context():
        _, secret = apikeys.create("reader", scope="read_only", ctx=for_operator())
    answer = _bulk(authorized_client(app, secret), [code["id"]], {"archived": True})
    assert answer.status_code == 403
    assert answer.json["error"]["message"] == "this API key is read-only: it cannot change QR Codes"
    malformed = _bulk(authorized_client(app, secret), "not a list", {"url": 5})
    assert malformed.status_code == 403  # told first, before what the body lacks
    assert _stored(app, code["id"]).archived is False


def test_a_code_in_a_folder_the_member_may_not_change_is_answered_as_unknown(app, api):
    with app.app_context():
        member = User(email="m@example.org", password_hash="x", role="member")
        db.session.add(member)
        db.session.commit()
        member_id = member.id
        _, secret = apikeys.create("theirs", member, ctx=for_operator())
    theirs = _folder(app, "Theirs", users=[member_id])
    shown = _folder(app, "Shown", access_level="read")
    hidden = _folder(app, "Hidden")
    codes = {name: api.post("/api/qrcodes", json={"url": URL, "folderId": folder}).json["id"]
             for name, folder in (("theirs", theirs), ("shown", shown), ("hidden", hidden), ("unfiled", None))}
    member_api = authorized_client(app, secret)
    answer = member_api.patch("/api/qrcodes/bulk", json={"qrcodeIds": list(codes.values()),
                                                         "data": {"archived": True}})
    by_id = {result.get("id") or result["qrcodeId"]: result for result in answer.json}
    assert by_id[codes["theirs"]]["archived"] is True and by_id[codes["unfiled"]]["archived"] is True
    for name in ("shown", "hidden"):
        assert by_id[codes[name]]["error"] == {"code": "not_found", "message": f"no QR Code {codes[name]!r}",
                                               "errors": None}
        assert _stored(app, codes[name]).archived is False
    # Moving codes into a folder the member may only see refuses the whole request.
    moved = member_api.patch("/api/qrcodes/bulk", json={"qrcodeIds": [codes["unfiled"]], "data": {"folderId": shown}})
    assert moved.status_code == 422 and moved.json["error"]["errors"][0]["field"] == "folderId"
    moved = member_api.patch("/api/qrcodes/bulk", json={"qrcodeIds": [codes["unfiled"]], "data": {"folderId": theirs}})
    assert moved.json[0]["folderId"] == theirs


def test_the_change_takes_every_design_field_a_plugin_adds(make_app):
    class Sticker:
        __name__ = "sticker"

        @hookimpl
        def codeqr_design_fields(self):
            return {"sticker_text": (Annotated[str, Field(max_length=40)], "")}

    app = make_app(plugins=[Sticker()])
    with app.app_context():
        _, secret = apikeys.create("tests", ctx=for_operator())
    api = authorized_client(app, secret)
    codes = _codes(api, 2)
    answer = _bulk(api, [code["id"] for code in codes], {"stickerText": "Scan for the menu"})
    assert [result["stickerText"] for result in answer.json] == ["Scan for the menu"] * 2
    spec = api.get("/api/openapi.json").json["components"]["schemas"]
    change = next(schema for name, schema in spec.items() if name.endswith("QRCodeBulkChange"))
    assert "stickerText" in change["properties"]


def test_which_fields_a_bulk_change_takes():
    """Written out by hand: a new field of the QR Code must be placed on purpose."""
    from codeqr.domain.bulk_update import allowed_fields
    from codeqr.domain.schemas import CORE

    refused = {"type", "url", "text", "email", "phone", "sms", "facetime", "whatsapp", "latlog", "wifi", "vcard",
               "event", "crypto", "pix", "epc", "gs1", "static", "use_display_page", "domain", "key", "title",
               "external_id", "use_as_template", "keep_old_link", "password"}
    assert set(allowed_fields(CORE)) == set(CORE.update.model_fields) - refused
    assert {"archived", "comments", "folder_id", "tag_ids", "template_id", "expires_at", "utm_source", "rules",
            "fg_color", "logo", "frame_text_styles", "level"} <= set(allowed_fields(CORE))


def test_the_bulk_delete_takes_the_tags_with_the_codes_and_leaves_tags_and_folders(app, api):
    folder = _folder(app, "Catalog", access_level="write")
    codes = _codes(api, 3, tagNames=["shop", "sale"], folderId=folder)
    kept = _codes(api, 1, tagNames=["shop"])[0]
    answer = api.delete(f"/api/qrcodes/bulk?ids={codes[0]['id']},{codes[1]['id']},{MISSING}")
    assert answer.json == {"deletedCount": 2}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QRCodeTag)) == 2 + 1  # codes[2]'s two, kept's one
        assert db.session.scalar(select(func.count()).select_from(Tag)) == 2
        assert db.session.get(Folder, folder) is not None
    assert _tag_counts(app) == {"shop": 2, "sale": 1}
    assert api.get(f"/api/qrcodes/{kept['id']}").json["tags"][0]["name"] == "shop"


def test_the_bulk_delete_skips_unseen_codes_and_refuses_read_only_ones_whole(app, api):
    with app.app_context():
        member = User(email="m@example.org", password_hash="x", role="member")
        db.session.add(member)
        db.session.commit()
        _, secret = apikeys.create("theirs", member, ctx=for_operator())
    shown = _folder(app, "Shown", access_level="read")
    hidden = _folder(app, "Hidden")
    filed = [api.post("/api/qrcodes", json={"url": URL, "folderId": folder}).json["id"] for folder in (shown, hidden)]
    unfiled = _codes(api, 1)[0]["id"]
    member = authorized_client(app, secret)
    refused = member.delete(f"/api/qrcodes/bulk?ids={','.join([*filed, unfiled])}")
    assert refused.status_code == 403  # one is theirs only to read: nothing is deleted
    assert all(api.get(f"/api/qrcodes/{code}").status_code == 200 for code in [*filed, unfiled])
    answer = member.delete(f"/api/qrcodes/bulk?ids={filed[1]},{unfiled}")
    assert answer.json == {"deletedCount": 1}  # the hidden one is as if it did not exist
    assert api.get(f"/api/qrcodes/{filed[1]}").status_code == 200
