"""What a review of issue 24 found, each now refused or answered right: a folder or a domain
deleted while a code is saved into it, tags changed under codes their changer may not change,
a domain's root target and signed-in people, hidden codes in counts and lookups, and one code
named twice in a bulk change."""

import threading

import pytest

from api_client import authorized_client
from codeqr import db
from codeqr.context import for_operator
from codeqr.domain import domains, folders, folders_admin, writes
from codeqr.domain.models import Folder, QRCode
from folder_people import key_of, organise, signed_in


@pytest.fixture
def org_app(make_app):
    app = make_app(WTF_CSRF_ENABLED=False)
    app.org = organise(app)
    return app


def _between_checks_and_write(monkeypatch, action):
    """Run ``action`` (another request's turn) after a create's checks, before its write."""
    checked = writes._new_fields

    def then_act(*args, **kwargs):
        fields = checked(*args, **kwargs)
        action()
        return fields

    monkeypatch.setattr(writes, "_new_fields", then_act)


def test_a_code_is_not_filed_into_a_folder_deleted_after_its_checks(org_app, monkeypatch):
    org = org_app.org
    insider = authorized_client(org_app, key_of(org_app, org, "insider"))
    private = org.folders["private"]
    with org_app.app_context():
        db.session.execute(db.update(QRCode).where(QRCode.folder_id == private).values(folder_id=None))
        db.session.commit()
    _between_checks_and_write(monkeypatch, lambda: folders_admin.delete_one(private, for_operator()))
    made = insider.post("/api/qrcodes", json={"url": "https://example.com/late", "folderId": private})
    assert made.status_code == 422 and made.json["error"]["errors"][0]["field"] == "folderId"
    with org_app.app_context():
        assert db.session.scalar(db.select(QRCode).where(QRCode.url == "https://example.com/late")) is None


def test_a_code_is_not_made_on_a_domain_removed_after_its_checks(org_app, monkeypatch):
    admin = authorized_client(org_app, key_of(org_app, org_app.org, "admin"))
    assert admin.post("/api/domains", json={"slug": "go.example.net"}).status_code == 201
    _between_checks_and_write(monkeypatch, lambda: domains.delete("go.example.net", for_operator()))
    made = admin.post("/api/qrcodes", json={"url": "https://example.com/late", "domain": "go.example.net"})
    assert made.status_code == 422 and made.json["error"]["errors"][0]["field"] == "domain"


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # SQLite's writes take turns
def test_a_folder_deleted_while_a_code_is_moved_into_it_leaves_no_dangling_folder(org_app, monkeypatch):
    """PostgreSQL runs the two at once: the save reads the folder for share, so the delete waits."""
    org = org_app.org
    insider = authorized_client(org_app, key_of(org_app, org, "insider"))
    private, free = org.folders["private"], org.codes["free"]["id"]
    with org_app.app_context():
        db.session.execute(db.update(QRCode).where(QRCode.folder_id == private).values(folder_id=None))
        db.session.commit()
    checked = folders.folder_problem
    deleter: list[threading.Thread] = []

    def then_delete(folder_id, actor):
        problem = checked(folder_id, actor)
        if folder_id == private and not deleter and db.session.info.get("codeqr_writing"):  # in the write
            def delete_it():
                with org_app.app_context():
                    folders_admin.delete_one(private, for_operator())
            deleter.append(threading.Thread(target=delete_it))
            deleter[0].start()
            deleter[0].join(1)  # it waits for this save's lock on the folder
        return problem

    monkeypatch.setattr(folders, "folder_problem", then_delete)
    insider.patch(f"/api/qrcodes/{free}", json={"folderId": private})
    deleter[0].join(10)
    with org_app.app_context():
        assert db.session.get(Folder, private) is None
        assert db.session.get(QRCode, free).folder_id is None  # the delete came after and emptied it


def test_a_member_may_not_change_a_tag_carried_by_codes_they_may_not_change(org_app):
    org = org_app.org
    admin = authorized_client(org_app, key_of(org_app, org, "admin"))
    member = authorized_client(org_app, key_of(org_app, org, "member"))
    readonly, hidden = org.codes["readonly"]["id"], org.codes["hidden"]["id"]
    for ref in (readonly, hidden):
        assert admin.patch(f"/api/qrcodes/{ref}", json={"tagNames": ["vip"]}).status_code == 200
    tag_id = admin.get(f"/api/qrcodes/{readonly}").json["tags"][0]["id"]
    assert member.delete(f"/api/tags/{tag_id}").status_code == 403
    assert member.patch(f"/api/tags/{tag_id}", json={"name": "gone"}).status_code == 403
    assert [tag["name"] for tag in admin.get(f"/api/qrcodes/{hidden}").json["tags"]] == ["vip"]
    own = member.post("/api/tags", json={"name": "mine"}).json["id"]
    assert member.patch(f"/api/tags/{own}", json={"color": "red"}).status_code == 200  # on no such code
    assert admin.delete(f"/api/tags/{tag_id}").status_code == 200


def test_a_domains_root_target_sends_visitors_not_signed_in_people(org_app):
    admin = authorized_client(org_app, key_of(org_app, org_app.org, "admin"))
    assert admin.patch("/api/domains/localhost", json={"target": "https://elsewhere.example/"}).status_code == 200
    assert org_app.test_client().get("/").location == "https://elsewhere.example/"
    assert signed_in(org_app, "admin").get("/").location.endswith("/qrcodes")


def test_hidden_codes_are_not_counted_nor_found_by_info(org_app):
    org = org_app.org
    admin = authorized_client(org_app, key_of(org_app, org, "admin"))
    member = authorized_client(org_app, key_of(org_app, org, "member"))
    viewer = authorized_client(org_app, key_of(org_app, org, "viewer"))
    assert len(viewer.get("/api/qrcodes").json) == 3
    assert viewer.get("/api/domains").json[0]["qrcodes"] == 3  # the hidden one is not counted
    free = org.codes["free"]["id"]
    assert admin.patch(f"/api/qrcodes/{free}", json={"externalId": "ext_secret"}).status_code == 200
    found = member.get("/api/qrcodes/info?externalId=ext_secret")  # "secret" is the hidden code's
    assert found.status_code == 200 and found.json["id"] == free


def test_a_code_named_by_its_id_and_its_external_id_is_changed_and_answered_once(org_app):
    admin = authorized_client(org_app, key_of(org_app, org_app.org, "admin"))
    free = org_app.org.codes["free"]["id"]
    assert admin.patch(f"/api/qrcodes/{free}", json={"externalId": "fx"}).status_code == 200
    answer = admin.patch("/api/qrcodes/bulk", json={"qrcodeIds": [free, "ext_fx"], "data": {"comments": "x"}})
    assert [item["id"] for item in answer.json] == [free]


def test_only_an_admin_deletes_a_private_folder_that_still_holds_codes(org_app):
    org = org_app.org
    insider = authorized_client(org_app, key_of(org_app, org, "insider"))
    private = org.folders["private"]
    refused = insider.delete(f"/api/folders/{private}")
    assert refused.status_code == 403 and "only some people may reach" in refused.json["error"]["message"]
    assert authorized_client(org_app, key_of(org_app, org, "admin")).delete(f"/api/folders/{private}").status_code == 200
