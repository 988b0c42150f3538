"""Rate limits: the API per key and per address, sign-in per account and per address,
in memory and in a Redis shared by several processes."""

import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from api_client import authorized_client
from codeqr.accounts import apikeys, users
from codeqr.accounts.ratelimits import LIMIT_SETTINGS, client_address
from codeqr.context import for_operator
from codeqr.errors import ConfigurationError
from workers import api_gets

URL = "https://example.com/landing"
PASSWORD = "correct horse battery"


def _limited_app(make_app, **settings):
    return make_app(CODEQR_RATE_LIMIT_ENABLED=True, WTF_CSRF_ENABLED=False, **settings)


def _key(app, name="k") -> str:
    with app.app_context():
        return apikeys.create(name, ctx=for_operator())[1]


def test_the_api_answers_429_with_its_headers_once_a_key_has_used_its_limit(make_app):
    app = _limited_app(make_app, CODEQR_RATE_LIMIT_API="3 per minute")
    api = authorized_client(app, _key(app))
    for remaining in (2, 1, 0):
        response = api.get("/api/qrcodes/count")
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == response.headers["X-RateLimit-Limit"] == "3"
        assert response.headers["RateLimit-Remaining"] == response.headers["X-RateLimit-Remaining"] == str(remaining)
        assert 0 < int(response.headers["RateLimit-Reset"]) <= 60
        assert float(response.headers["X-RateLimit-Reset"]) > time.time()
        assert "Retry-After" not in response.headers
    refused = api.post("/api/qrcodes", json={"url": URL})
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["code"] == "rate_limit_exceeded"
    assert error["message"].startswith("too many requests from this API key: the limit is 3 per 1 minute")
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"
    other = authorized_client(app, _key(app, "other"))
    assert other.get("/api/qrcodes/count").get_json() == 0  # the refused create stored nothing
    assert app.test_client().get("/api/qrcodes/count").status_code == 401  # no key: its own counter


def test_the_api_limits_each_client_address_across_keys(make_app):
    app = _limited_app(make_app, CODEQR_RATE_LIMIT_API="100 per minute", CODEQR_RATE_LIMIT_API_PER_ADDRESS="4 per minute")
    statuses = [authorized_client(app, _key(app, f"k{i}")).get("/api/qrcodes/count").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    elsewhere = authorized_client(app, _key(app, "far"))
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert elsewhere.get("/api/qrcodes/count").status_code == 200


def test_short_links_and_images_are_never_limited(make_app):
    app = _limited_app(make_app, CODEQR_RATE_LIMIT_API="1 per minute", CODEQR_RATE_LIMIT_API_PER_ADDRESS="1 per minute")
    qr = authorized_client(app, _key(app)).post("/api/qrcodes", json={"url": URL}).get_json()
    client = app.test_client()
    for _ in range(5):
        scan = client.get("/" + qr["key"])
        assert scan.status_code == 302 and "RateLimit-Limit" not in scan.headers
        assert client.get(f"/qr/{qr['id']}.svg").status_code == 200


@pytest.fixture
def sign_in(make_app):
    """An app with an account, and a function that tries to sign in to it."""
    app = _limited_app(make_app)
    with app.app_context():
        users.create("owner@example.com", PASSWORD, role="admin", ctx=for_operator())
    checks = []
    real = users.authenticate

    def counted(email, password):
        checks.append(email)
        return real(email, password)

    def attempt(password, email="owner@example.com", address="192.0.2.1"):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return client.post("/login", data={"email": email, "password": password})

    attempt.checks = checks
    attempt.app = app
    users.authenticate, restore = counted, real
    yield attempt
    users.authenticate = restore


def test_failed_sign_ins_hold_their_address_out_of_the_account_before_its_password_is_checked(sign_in):
    assert [sign_in("wrong").status_code for _ in range(5)] == [200] * 5
    locked = sign_in(PASSWORD)  # the right password, after five wrong ones
    assert locked.status_code == 429
    text = locked.get_data(as_text=True)
    assert "Too many sign-in attempts. Try again in 1 minute." in text and 'name="password"' in text
    assert len(sign_in.checks) == 5  # the sixth attempt never reached the password hash
    assert sign_in(PASSWORD, email="  OWNER@example.com ").status_code == 429  # the same account, however written
    assert sign_in(PASSWORD, address="203.0.113.9").status_code == 302  # the owner elsewhere is not held
    assert sign_in("wrong", email="someone@example.com").status_code == 200  # other accounts are not locked


def test_successful_sign_ins_do_not_count_against_the_account(sign_in):
    assert [sign_in(PASSWORD).status_code for _ in range(8)] == [302] * 8


def test_one_address_trying_many_accounts_is_stopped(sign_in):
    statuses = [sign_in("wrong", email=f"user{i}@example.com").status_code for i in range(21)]
    assert statuses == [200] * 20 + [429]
    assert len(sign_in.checks) == 20
    assert sign_in(PASSWORD, address="198.51.100.1").status_code == 302  # the owner elsewhere still gets in


def test_the_login_page_itself_is_not_limited(sign_in):
    for _ in range(25):
        sign_in("wrong", email=f"flood{_}@example.com")
    assert sign_in.app.test_client().get("/login", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 200


def test_an_ipv6_client_is_counted_by_its_64_block(app):
    with app.test_request_context(environ_base={"REMOTE_ADDR": "2001:db8:1:2:aaaa::1"}):
        first = client_address()
    with app.test_request_context(environ_base={"REMOTE_ADDR": "2001:db8:1:2:bbbb::9"}):
        assert client_address() == first == "2001:db8:1:2::/64"
    with app.test_request_context(environ_base={"REMOTE_ADDR": "::ffff:192.0.2.5"}):
        assert client_address() == "192.0.2.5"


@pytest.mark.parametrize("setting", sorted(LIMIT_SETTINGS))
def test_a_limit_that_does_not_parse_stops_the_app_naming_the_setting(make_app, setting):
    with pytest.raises(ConfigurationError, match=f"{setting}='lots': not a rate limit"):
        _limited_app(make_app, **{setting: "lots"})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_two_processes_share_the_limit_through_redis(make_app, redis_url):
    app = _limited_app(make_app, CODEQR_RATE_LIMIT_STORAGE_URL=redis_url, CODEQR_RATE_LIMIT_API="10 per minute",
                       CODEQR_RATE_LIMIT_API_PER_ADDRESS="100000 per minute")
    key = _key(app)
    config = {name: app.config[name] for name in app.config if name.startswith("CODEQR_")}
    config |= {"TESTING": True, "INSTANCE_PATH": app.instance_path}
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(2)
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        futures = [pool.submit(api_gets, config, key, 8, barrier) for _ in range(2)]
        statuses = [status for future in futures for status in future.result(timeout=120)]
    assert sorted(statuses) == [200] * 10 + [429] * 6  # in memory, each process would allow 10


def test_with_redis_away_the_limits_hold_in_each_process(make_app, caplog):
    caplog.set_level(logging.WARNING)
    app = _limited_app(make_app, CODEQR_RATE_LIMIT_STORAGE_URL="redis://127.0.0.1:1/0", CODEQR_RATE_LIMIT_API="2 per minute")
    api = authorized_client(app, _key(app))
    assert [api.get("/api/qrcodes/count").status_code for _ in range(3)] == [200, 200, 429]
    assert "falling back to in-memory storage" in caplog.text
