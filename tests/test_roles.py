"""Roles (admin, member, viewer) and key scopes (all, read_only), in the API, the UI and the CLI.

The write checks enumerate the URL maps: a new route must be classified, or a test fails."""

import re

import pytest
from sqlalchemy import func, select

from api_client import authorized_client
from codeqr import db
from codeqr.accounts import apikeys, users
from codeqr.context import for_operator
from codeqr.domain import qrcodes, writes
from codeqr.domain.models import ApiKey, QRCode, User
from codeqr.domain.schemas import QRCodeCreate

PASSWORD = "a long enough password"
URL = "https://example.com/roles"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: UI posts a viewer may make: nothing changes but their own session, keys, theme or downloads.
VIEWER_MAY_POST = {"/login", "/logout", "/setup", "/keys", "/keys/<int:key_id>/revoke", "/qrcodes/preview", "/export",
                   "/theme", "/account/password",
                   "/<key>"}  # a short link's password page: anyone scanning may answer it


@pytest.fixture
def people(make_app):
    """An app with an admin, a member and a viewer, and a QR Code (no CSRF tokens to fetch:
    test_web checks that every form needs one)."""
    app = make_app(WTF_CSRF_ENABLED=False)
    with app.app_context():
        accounts = {role: users.create(f"{role}@example.com", PASSWORD, role=role, ctx=for_operator())
                    for role in ("admin", "member", "viewer")}
        app.people = {role: user.id for role, user in accounts.items()}
        app.qr = writes.create(QRCodeCreate(url=URL, key="kept"), ctx=for_operator()).api()
    return app


def _key(app, role: str, scope: str = "all") -> str:
    with app.app_context():
        owner = db.session.get(User, app.people[role])
        return apikeys.create(f"{role}-{scope}", owner=owner, scope=scope, ctx=for_operator())[1]


def _signed_in(app, role: str):
    client = app.test_client()
    assert client.post("/login", data={"email": f"{role}@example.com", "password": PASSWORD}).status_code == 302
    return client


def _rows(app) -> tuple:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (QRCode, ApiKey, User)) + (
            qrcodes.get(app.qr["id"], for_operator()).model_dump_json(),)


def _api_writes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = rule.rule.replace("<ref>", app.qr["id"])
            for method in sorted(rule.methods & WRITE_METHODS):
                yield method, path


@pytest.mark.parametrize("role, scope", [("admin", "read_only"), ("member", "read_only"), ("viewer", "all")])
def test_every_api_write_refuses_a_read_only_key_or_a_viewer(people, role, scope):
    api = authorized_client(people, _key(people, role, scope))
    before = _rows(people)
    writes = list(_api_writes(people))
    assert len(writes) >= 6
    body = {"url": URL + "/new", "title": "changed"}
    bulk = {"POST": [body], "PATCH": {"qrcodeIds": [people.qr["id"]], "data": {"archived": True}}}
    for method, path in writes:
        response = api.open(path + ("?ids=" + people.qr["id"] if path.endswith("/bulk") and method == "DELETE" else ""),
                            method=method, json=bulk.get(method) if path.endswith("/bulk") else body)
        assert response.status_code == 403, (method, path)
        assert response.get_json()["error"]["code"] == "forbidden"
    assert _rows(people) == before
    assert api.get(f"/api/qrcodes/{people.qr['id']}").status_code == 200  # reading is allowed
    assert api.get("/api/analytics?groupBy=count").status_code == 200


def test_a_read_only_key_says_why(people):
    api = authorized_client(people, _key(people, "admin", "read_only"))
    message = api.post("/api/qrcodes", json={"url": URL}).get_json()["error"]["message"]
    assert message == "this API key is read-only: it cannot change QR Codes"


@pytest.mark.parametrize("role", ["admin", "member"])
def test_keys_of_admins_and_members_with_scope_all_write(people, role):
    api = authorized_client(people, _key(people, role))
    assert api.post("/api/qrcodes", json={"url": URL + "/" + role}).status_code == 201


def _ui_posts(app):
    values = {"qr_id": app.qr["id"], "user_id": app.people["admin"], "key_id": 1, "key": app.qr["key"],
              "slug": "localhost"}
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith("/api/"):
            path = rule.rule
            for name in rule.arguments:
                path = re.sub(rf"<(\w+:)?{name}>", str(values[name]), path)
            yield rule.rule, path


def test_every_ui_change_refuses_a_viewer(people):
    viewer = _signed_in(people, "viewer")
    before = _rows(people)
    form = {"url": URL + "/new", "email": "new@example.com", "password": PASSWORD, "role": "admin", "name": "x",
            "key": "new", "fg_color": "#000000", "bg_color": "#ffffff", "size": "256", "level": "M", "margin": "4"}
    refused = []
    for rule, path in _ui_posts(people):
        if rule in VIEWER_MAY_POST:
            continue
        response = viewer.post(path, data=form)
        assert response.status_code == 403, path
        assert "Your role (viewer) cannot" in response.get_data(as_text=True)  # the error page writes a sentence
        refused.append(rule)
    assert len(refused) >= 8  # new, edit, delete, import, users, role, deactivate, reactivate, password
    assert _rows(people) == before
    for page in ("/qrcodes/new", f"/qrcodes/{people.qr['id']}/edit", "/import", "/users"):
        assert viewer.get(page).status_code == 403, page  # the form is not even shown
    listing = viewer.get("/qrcodes").get_data(as_text=True)
    assert 'href="/qrcodes/new"' not in listing and 'href="/users"' not in listing
    assert "Edit</a>" not in viewer.get(f"/qrcodes/{people.qr['id']}").get_data(as_text=True)


def test_a_member_manages_qrcodes_and_only_their_own_keys(people):
    admin_key = _key(people, "admin")
    member = _signed_in(people, "member")
    assert member.get("/users").status_code == 403
    assert member.post("/qrcodes/new", data={"url": URL + "/m", "size": "256", "level": "M", "margin": "4",
                                             "fg_color": "#000000", "bg_color": "#ffffff"}).status_code == 302
    member.post("/keys", data={"name": "mine", "scope": "read_only"})
    page = member.get("/keys").get_data(as_text=True)
    assert "mine" in page and "Read only" in page and "admin-all" not in page
    with people.app_context():
        admins = db.session.scalar(select(ApiKey).where(ApiKey.name == "admin-all"))
    member.post(f"/keys/{admins.id}/revoke")
    assert authorized_client(people, admin_key).get("/api/qrcodes/count").status_code == 200  # not revoked


def test_an_admin_sees_and_revokes_every_key_and_manages_users(people):
    member_key = _key(people, "member")
    admin = _signed_in(people, "admin")
    page = admin.get("/keys").get_data(as_text=True)
    assert "member-all" in page and "member@example.com" in page
    key_id = re.search(r"/keys/(\d+)/revoke", page).group(1)
    admin.post(f"/keys/{key_id}/revoke")
    assert authorized_client(people, member_key).get("/api/qrcodes/count").status_code == 401

    assert admin.post("/users", data={"email": "New@Example.com", "password": PASSWORD, "role": "viewer"}).status_code == 302
    assert "new@example.com can now sign in as viewer." in admin.get("/users").get_data(as_text=True)
    viewer_id = people.people["viewer"]
    admin.post(f"/users/{viewer_id}/role", data={"role": "member"})
    with people.app_context():
        assert db.session.get(User, viewer_id).role == "member"
    admin.post(f"/users/{viewer_id}/password", data={"password": "another long password"})
    assert people.test_client().post("/login", data={"email": "viewer@example.com",
                                                     "password": "another long password"}).status_code == 302


def test_a_deactivated_user_is_signed_out_and_their_keys_stop(people):
    key = _key(people, "member")
    member = _signed_in(people, "member")
    admin = _signed_in(people, "admin")
    asked = admin.get(f"/users/{people.people['member']}/deactivate").get_data(as_text=True)
    assert "Deactivate member@example.com?" in asked and member.get("/qrcodes").status_code == 200  # asked, not done
    assert member.get(f"/users/{people.people['admin']}/deactivate").status_code == 403
    admin.post(f"/users/{people.people['member']}/deactivate")
    assert admin.get(f"/users/{people.people['member']}/deactivate").status_code == 302  # nothing left to ask
    assert member.get("/qrcodes").status_code == 302  # the session ends with the account
    refused = people.test_client().post("/login", data={"email": "member@example.com", "password": PASSWORD})
    assert refused.status_code == 200 and "This account is deactivated" in refused.get_data(as_text=True)
    guessed = people.test_client().post("/login", data={"email": "member@example.com", "password": "a wrong guess"})
    assert "Wrong email or password." in guessed.get_data(as_text=True)  # said only with the right password
    assert authorized_client(people, key).get("/api/qrcodes/count").status_code == 401
    admin.post(f"/users/{people.people['member']}/reactivate")
    assert authorized_client(people, key).get("/api/qrcodes/count").status_code == 200


def test_the_last_active_admin_stays(people):
    admin = _signed_in(people, "admin")
    admin.post(f"/users/{people.people['admin']}/role", data={"role": "member"})
    assert "CodeQR needs at least one active admin" in admin.get("/users").get_data(as_text=True)
    admin.post(f"/users/{people.people['admin']}/deactivate")
    assert "You cannot deactivate your own account" in admin.get("/users").get_data(as_text=True)
    with people.app_context():
        assert db.session.get(User, people.people["admin"]).role == "admin"
    admin.post(f"/users/{people.people['member']}/role", data={"role": "admin"})
    admin.post(f"/users/{people.people['admin']}/role", data={"role": "viewer"})  # now someone else is admin
    with people.app_context():
        assert db.session.get(User, people.people["admin"]).role == "viewer"


def test_the_cli_makes_scoped_keys_for_a_user(people):
    runner = people.test_cli_runner()
    result = runner.invoke(args=["create-api-key", "reporting", "--scope", "read_only", "--user", "Member@example.com"])
    assert result.exit_code == 0, result.output
    assert "scope read_only, of member@example.com (member)" in result.output
    api = authorized_client(people, result.output.strip().splitlines()[-1])
    assert api.get("/api/qrcodes/count").status_code == 200
    assert api.post("/api/qrcodes", json={"url": URL}).status_code == 403
    missing = runner.invoke(args=["create-api-key", "x", "--user", "nobody@example.com"])
    assert missing.exit_code != 0 and "no user 'nobody@example.com'" in missing.output
    assert runner.invoke(args=["create-api-key", "x", "--scope", "everything"]).exit_code == 2
    listed = runner.invoke(args=["list-api-keys"]).output
    assert any(line.split()[:1] == ["reporting"] and line.split()[2:4] == ["read_only", "member@example.com"]
               for line in listed.splitlines())
    made = runner.invoke(args=["create-user", "v2@example.com", "--role", "viewer", "--password", PASSWORD])
    assert made.exit_code == 0 and "Created viewer v2@example.com." in made.output


def test_a_key_made_before_anyone_signed_up_acts_as_an_admin(make_app):
    app = make_app()
    result = app.test_cli_runner().invoke(args=["create-api-key", "first"])
    assert "of no user (an admin's rights)" in result.output
    api = authorized_client(app, result.output.strip().splitlines()[-1])
    assert api.post("/api/qrcodes", json={"url": URL}).status_code == 201


def test_migration_0005_keeps_admins_and_gives_existing_keys_to_the_first_admin(make_app):
    from sqlalchemy import text

    from codeqr.persistence.extensions import alembic
    from schema_versions import migrate_from

    app = make_app()
    with app.app_context():
        migrate_from(
            "0004",
            "INSERT INTO users (id, email, password_hash, is_admin, created_at) VALUES "
            "(1, 'member@example.com', 'x', false, '2026-01-01'), (2, 'boss@example.com', 'x', true, '2026-01-01')",
            "INSERT INTO api_keys (id, name, prefix, secret_hash, created_at) VALUES (1, 'old', 'p', 'h', '2026-01-01')")
        assert {user.email: user.role for user in db.session.scalars(select(User))} == {
            "member@example.com": "member", "boss@example.com": "admin"}
        key = db.session.get(ApiKey, 1)
        assert (key.owner.email, key.scope) == ("boss@example.com", "all")
        db.session.remove()
        alembic.downgrade("0004")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT email FROM users WHERE is_admin")).scalars().all() == ["boss@example.com"]
        alembic.upgrade()


def test_an_export_is_seen_by_whoever_started_it_and_by_admins(people):
    import time

    member = _signed_in(people, "member")
    started = member.post("/export", data={"ids": [people.qr["id"]], "format": "png"})
    page = started.headers["Location"]
    for _ in range(400):
        if member.get(page + ".json").get_json()["status"] == "done":
            break
        time.sleep(0.05)
    whole = member.get(page + ".zip")
    assert whole.status_code == 200
    part = member.get(page + ".zip", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.data == whole.data[:100]
    assert part.headers["Content-Range"] == f"bytes 0-99/{len(whole.data)}"
    assert _signed_in(people, "viewer").get(page + ".zip").status_code == 404
    assert _signed_in(people, "admin").get(page + ".zip").status_code == 200
