"""Failed sign-ins bound guessing without locking the owner out: one address is held out
of the account by its own failures, all new devices together by the account's bound (a
botnet rotating addresses), and a browser that signed in before only by its own.
In memory and in Redis (whose counters outlive a test: names and addresses are this run's)."""

import secrets

import pytest

from codeqr.accounts import users
from codeqr.accounts.known_devices import COOKIE
from codeqr.context import for_operator

PASSWORD = "correct horse battery"
LIMITS = {
    "CODEQR_RATE_LIMIT_LOGIN_PER_ACCOUNT_AND_ADDRESS": "5 per minute",
    "CODEQR_RATE_LIMIT_LOGIN_PER_ACCOUNT": "12 per day",
    "CODEQR_RATE_LIMIT_LOGIN_PER_ADDRESS": "20 per minute",
}
PER_ADDRESS, PER_ACCOUNT, ALL_ATTEMPTS = 5, 12, 20  # as written in LIMITS


class Accounts:
    """An app with accounts of this run's own, browsers at addresses of its own, and the
    password checks made."""

    def __init__(self, app, monkeypatch):
        self.app, self.run, self.checks = app, secrets.token_hex(2), []
        self.owner, self.other = f"owner-{self.run}@example.com", f"other-{self.run}@example.com"
        with app.app_context():
            for email in (self.owner, self.other):
                users.create(email, PASSWORD, role="admin", ctx=for_operator())
        check = users.authenticate
        monkeypatch.setattr(users, "authenticate", lambda *args: self.checks.append(args) or check(*args))

    def address(self, number: int) -> str:
        return f"2001:db8:{self.run}:{number:x}::1"  # a /64 of its own: one client address

    def browser(self, number: int):
        client = self.app.test_client()
        client.environ_base["REMOTE_ADDR"] = self.address(number)
        return client

    def attempt(self, browser, password: str, email: str | None = None):
        return browser.post("/login", data={"email": email or self.owner, "password": password})

    def botnet(self, email: str, first: int, count: int = PER_ACCOUNT + 8) -> list[int]:
        """One wrong password from each of ``count`` new addresses."""
        return [self.attempt(self.browser(first + n), "wrong", email).status_code for n in range(count)]


@pytest.fixture(params=["memory", "redis"])
def accounts(request, make_app, monkeypatch):
    storage = request.getfixturevalue("redis_url") if request.param == "redis" else "memory://"
    app = make_app(CODEQR_RATE_LIMIT_ENABLED=True, WTF_CSRF_ENABLED=False, CODEQR_RATE_LIMIT_STORAGE_URL=storage,
                   **LIMITS)
    return Accounts(app, monkeypatch)


pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_an_attacker_is_held_out_of_the_account_but_the_owner_elsewhere_signs_in(accounts):
    attacker = accounts.browser(1)
    statuses = [accounts.attempt(attacker, "wrong").status_code for _ in range(12)]
    assert statuses == [200] * PER_ADDRESS + [429] * (12 - PER_ADDRESS)
    assert len(accounts.checks) == PER_ADDRESS  # refused attempts never reach the password check
    assert accounts.attempt(attacker, PASSWORD).status_code == 429  # held, even with the right password
    assert accounts.attempt(accounts.browser(2), PASSWORD).status_code == 302  # the owner, elsewhere
    held = accounts.attempt(attacker, "wrong")
    assert held.status_code == 429 and 0 < int(held.headers["Retry-After"]) <= 60
    assert "Too many sign-in attempts. Try again in 1 minute." in held.get_data(as_text=True)


def test_rotating_addresses_get_a_bounded_number_of_guesses_and_a_known_device_still_signs_in(accounts):
    known = accounts.browser(0)
    assert accounts.attempt(known, PASSWORD).status_code == 302  # the owner's browser: known from now on
    statuses = accounts.botnet(accounts.owner, first=1)
    assert statuses == [200] * PER_ACCOUNT + [429] * (len(statuses) - PER_ACCOUNT)
    assert len(accounts.checks) == 1 + PER_ACCOUNT
    new_device = accounts.attempt(accounts.browser(100), PASSWORD)  # even the owner's, on a new device
    assert new_device.status_code == 429 and len(accounts.checks) == 1 + PER_ACCOUNT
    text = new_device.get_data(as_text=True)
    assert "Too many failed sign-ins to this account from new devices." in text
    assert "or from a device that has signed in to it before" in text
    assert accounts.attempt(known, PASSWORD).status_code == 302
    known.environ_base["REMOTE_ADDR"] = accounts.address(1)  # moved to one of the attackers' addresses
    assert accounts.attempt(known, PASSWORD).status_code == 302


def test_a_known_device_behind_the_attackers_address_signs_in_and_is_held_by_its_own_failures(accounts):
    owner = accounts.browser(1)
    assert accounts.attempt(owner, PASSWORD).status_code == 302
    attacker = accounts.browser(1)  # the same address (one office, one NAT), no cookie
    attempts = [accounts.attempt(attacker, "wrong", f"x{n}-{accounts.run}@example.com") for n in range(ALL_ATTEMPTS)]
    assert [answer.status_code for answer in attempts] == [200] * (ALL_ATTEMPTS - 1) + [429]  # the owner's counted
    assert accounts.attempt(attacker, PASSWORD).status_code == 429
    assert accounts.attempt(owner, PASSWORD).status_code == 302
    own_failures = [accounts.attempt(owner, "wrong").status_code for _ in range(PER_ADDRESS + 1)]
    assert own_failures == [200] * PER_ADDRESS + [429]


def test_the_known_device_cookie_counts_only_signed_and_for_its_own_account(accounts):
    owner = accounts.browser(0)
    assert accounts.attempt(owner, PASSWORD).status_code == 302
    cookie = owner.get_cookie(COOKIE)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    accounts.botnet(accounts.owner, first=1)
    accounts.botnet(accounts.other, first=1000)
    assert accounts.attempt(owner, PASSWORD, accounts.other).status_code == 429  # known to the owner's account only
    forged = accounts.browser(2000)
    forged.set_cookie(COOKIE, cookie.value[:-2] + ("AA" if not cookie.value.endswith("AA") else "BB"))
    assert accounts.attempt(forged, PASSWORD).status_code == 429
    assert accounts.attempt(owner, PASSWORD).status_code == 302


def test_guessing_the_current_password_on_a_stolen_session_is_held_like_a_sign_in(accounts):
    browser = accounts.browser(1)
    assert accounts.attempt(browser, PASSWORD).status_code == 302
    browser.delete_cookie(COOKIE)  # the thief's browser is not the owner's known device
    guesses = [browser.post("/account/password", data={"current_password": f"guess {n}", "password": "x" * 20,
                                                        "email": f"rotated-{n}@example.com"})  # not the account
               for n in range(PER_ADDRESS + 2)]
    assert [guess.status_code for guess in guesses] == [200] * PER_ADDRESS + [429] * 2
    assert "Too many sign-in attempts" in guesses[-1].get_data(as_text=True)
    held = browser.post("/account/password", data={"current_password": PASSWORD, "password": "y" * 20})
    assert held.status_code == 429  # refused before the password is checked, even the right one
    assert accounts.attempt(accounts.browser(2), PASSWORD).status_code == 302  # the owner elsewhere is not held
