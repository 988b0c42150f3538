"""Sessions end when they should: a session cookie saved before signing out, a new password
or a deactivation opens nothing after it, on every server of the instance."""

import pytest

from api_client import authorized_client
from codeqr import db
from codeqr.accounts import apikeys, users
from codeqr.context import for_operator
from codeqr.domain.models import User

PASSWORD = "a long enough password"
NEW_PASSWORD = "another long password"


@pytest.fixture
def people(make_app):
    """An app with an admin and a member (test_web checks that every form needs its CSRF token)."""
    app = make_app(WTF_CSRF_ENABLED=False)
    with app.app_context():
        app.people = {role: users.create(f"{role}@example.com", PASSWORD, role=role, ctx=for_operator()).id
                      for role in ("admin", "member")}
    return app


def _signed_in(app, role: str, password: str = PASSWORD):
    client = app.test_client()
    assert client.post("/login", data={"email": f"{role}@example.com", "password": password}).status_code == 302
    return client


def _saved_cookie(client) -> str:
    return client.get_cookie("session").value


def _replayed(app, cookie: str):
    """A new client (another browser, or whoever copied the cookie) sending a saved session cookie."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client


def _opens_the_list(client) -> bool:
    response = client.get("/qrcodes")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
        return False
    assert response.status_code == 200
    return True


def _key(app, role: str) -> str:
    with app.app_context():
        return apikeys.create(f"{role}-key", owner=db.session.get(User, app.people[role]), ctx=for_operator())[1]


def _key_works(app, key: str) -> bool:
    return authorized_client(app, key).get("/api/qrcodes/count").status_code == 200


def test_a_cookie_saved_before_signing_out_opens_nothing_after(people):
    browser = _signed_in(people, "member")
    cookie = _saved_cookie(browser)
    other_browser = _signed_in(people, "member")
    key = _key(people, "member")
    assert _opens_the_list(_replayed(people, cookie))
    assert browser.post("/logout").headers["Location"] == "/login"
    assert not _opens_the_list(_replayed(people, cookie))
    assert not _opens_the_list(other_browser)  # signing out ends every session of that person
    assert _key_works(people, key)  # API keys are not sessions
    assert _opens_the_list(_signed_in(people, "member"))  # and they can sign in again


def test_changing_ones_own_password_keeps_this_browser_and_ends_the_others(people):
    browser = _signed_in(people, "admin")
    cookie = _saved_cookie(browser)
    other_browser = _signed_in(people, "admin")
    key = _key(people, "admin")
    answer = browser.post(f"/users/{people.people['admin']}/password", data={"password": NEW_PASSWORD},
                          follow_redirects=True)
    assert "Your password is changed" in answer.get_data(as_text=True)
    assert _opens_the_list(browser)
    assert not _opens_the_list(other_browser)
    assert not _opens_the_list(_replayed(people, cookie))
    assert _key_works(people, key)
    assert _opens_the_list(_signed_in(people, "admin", NEW_PASSWORD))


def test_anyone_changes_their_own_password_and_stays_signed_in_only_there(people):
    browser = _signed_in(people, "member")
    cookie = _saved_cookie(browser)
    key = _key(people, "member")
    assert "Change your password" in browser.get("/qrcodes").get_data(as_text=True)
    wrong = browser.post("/account/password", data={"current_password": "not it", "password": "short"})
    assert wrong.status_code == 200
    assert "This is not your current password." in wrong.get_data(as_text=True)
    assert "at least 10 characters" in wrong.get_data(as_text=True)  # both problems at once
    assert _opens_the_list(_replayed(people, cookie))  # a refused change ends nothing
    changed = browser.post("/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD})
    assert changed.status_code == 302
    assert _opens_the_list(browser)
    assert not _opens_the_list(_replayed(people, cookie))
    assert _key_works(people, key)
    refused = people.test_client().post("/login", data={"email": "member@example.com", "password": PASSWORD})
    assert refused.status_code == 200  # the old password is gone
    assert _opens_the_list(_signed_in(people, "member", NEW_PASSWORD))


def test_a_password_reset_by_an_admin_ends_the_users_sessions(people):
    admin = _signed_in(people, "admin")
    member = _signed_in(people, "member")
    cookie = _saved_cookie(member)
    key = _key(people, "member")
    admin.post(f"/users/{people.people['member']}/password", data={"password": NEW_PASSWORD})
    assert not _opens_the_list(member)
    assert not _opens_the_list(_replayed(people, cookie))
    assert _opens_the_list(admin)  # the admin's own session is not concerned
    assert _key_works(people, key)


def test_deactivation_ends_sessions_for_good_even_after_reactivation(people):
    admin = _signed_in(people, "admin")
    member = _signed_in(people, "member")
    cookie = _saved_cookie(member)
    key = _key(people, "member")
    admin.post(f"/users/{people.people['member']}/deactivate")
    assert not _opens_the_list(_replayed(people, cookie))
    assert not _key_works(people, key)
    admin.post(f"/users/{people.people['member']}/reactivate")
    assert not _opens_the_list(_replayed(people, cookie))  # reactivating revives no old session
    assert _key_works(people, key)
    assert _opens_the_list(_signed_in(people, "member"))


def test_sessions_end_on_every_server_of_the_instance(people, make_app):
    """Two app servers on one database (and one instance folder: one secret key)."""
    other_server = make_app(WTF_CSRF_ENABLED=False)
    browser = _signed_in(people, "member")
    cookie = _saved_cookie(browser)
    assert _opens_the_list(_replayed(other_server, cookie))
    browser.post("/logout")
    assert not _opens_the_list(_replayed(other_server, cookie))
    on_other = _signed_in(other_server, "member")
    admin = _signed_in(people, "admin")
    admin.post(f"/users/{people.people['member']}/password", data={"password": NEW_PASSWORD})
    assert not _opens_the_list(on_other)


def test_a_session_from_before_generations_has_ended(people):
    with people.app_context():
        assert users.get(str(people.people["member"])) is None  # what cookies held before 0008
        member = db.session.get(User, people.people["member"])
        assert users.get(member.get_id()) is member


def test_migration_0008_keeps_users_able_to_sign_in(make_app):
    from werkzeug.security import generate_password_hash

    from schema_versions import migrate_from

    app = make_app(WTF_CSRF_ENABLED=False)
    with app.app_context():
        migrate_from(
            "0007",
            "INSERT INTO users (id, email, password_hash, role, created_at) VALUES "
            f"(1, 'admin@example.com', '{generate_password_hash(PASSWORD)}', 'admin', '2026-01-01')")
        assert db.session.get(User, 1).session_generation == 0
    assert _opens_the_list(_signed_in(app, "admin"))
