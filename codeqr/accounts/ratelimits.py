"""Rate limits (Flask-Limiter): the API per key and per client address, sign-in per
account, per account and address, and per address. Scans and images are never limited (a short
link's wrong passwords are, by ``scans.passwords`` with the settings checked here).

Sign-in failures are bounded so that guessing stays slow without locking the owner out:
failures from one address lock that address out of the account; failures from all new
devices together are bounded per account (what a botnet rotating addresses gets); a
browser that signed in to the account before (``known_devices``) is held only by its own
failures.

Counters live in memory (one process) or in Redis (``CODEQR_RATE_LIMIT_STORAGE_URL``,
shared by every process and server). A limited answer is 429 ``rate_limit_exceeded``
with ``Retry-After``; every limited route sends ``RateLimit-*`` and ``X-RateLimit-*``.
"""

import ipaddress
import math
import time
from contextlib import contextmanager
from functools import wraps

from flask import current_app, flash, request
from flask_limiter import Limiter, RequestLimit
from flask_login import current_user
from limits import parse_many

from ..domain.ids import hash_secret
from ..errorhandlers import error_response
from ..errors import ConfigurationError
from . import known_devices

#: Each setting holding limits, and what it counts.
LIMIT_SETTINGS = {
    "CODEQR_RATE_LIMIT_API": "API requests per API key",
    "CODEQR_RATE_LIMIT_API_PER_ADDRESS": "API requests per client address",
    "CODEQR_RATE_LIMIT_LOGIN_PER_ACCOUNT": "failed sign-ins per account from new devices",
    "CODEQR_RATE_LIMIT_LOGIN_PER_ACCOUNT_AND_ADDRESS": "failed sign-ins per account from one address or known device",
    "CODEQR_RATE_LIMIT_LOGIN_PER_ADDRESS": "sign-in attempts per client address",
    "CODEQR_RATE_LIMIT_LINK_PASSWORD": "wrong passwords for one QR Code (scans.passwords)",
    "CODEQR_RATE_LIMIT_LINK_PASSWORD_PER_ADDRESS": "wrong passwords for one QR Code from one client address",
}


def check_settings(config) -> None:
    """Refuse limits that do not parse, naming the setting, at start."""
    for name in LIMIT_SETTINGS:
        try:
            parse_many(config[name])
        except ValueError:
            raise ConfigurationError(
                f"{name}={config[name]!r}: not a rate limit; write e.g. '600 per minute' or "
                "'5 per minute; 20 per hour'") from None


def client_address() -> str:
    """The client's address; IPv6 by its /64, the block one client usually holds."""
    address = request.remote_addr or ""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return address
    if parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def _api_key() -> str:
    """A bearer token's hash: its own counter, whether or not the key exists (the
    per-address limit bounds guessing)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return hash_secret(token.strip()) if scheme.lower() == "bearer" and token.strip() else "none"


def _email() -> str:
    """The account a password is tried for: the signed-in person's when they change their
    own (whatever the form holds, so a stolen session guesses no faster than a sign-in
    page), else the form's."""
    if request.endpoint == "web.account_password":
        return current_user.email if current_user.is_authenticated else ""
    return request.form.get("email") or ""


def _account() -> str:
    return known_devices.account_id(_email()) if _email().strip() else ""


def _account_and_origin() -> str:
    """The account, and where the attempt comes from: the known device, else the address."""
    if not _email().strip():
        return ""
    device = known_devices.device_of(_email())
    return f"{_account()}:" + (f"device:{device}" if device else client_address())


def _not_a_post() -> bool:
    return request.method != "POST"


def _not_a_post_or_a_known_device() -> bool:
    return _not_a_post() or known_devices.device_of(_email()) is not None


def _signed_in_failed(response) -> bool:
    # A sign-in that succeeds redirects; a failed one shows the form again (200). A refused
    # one (429) checked no password: it does not count again.
    return response.status_code == 200


def _remembering_devices(view):
    """``view``, marking the browser known to the account it signs in to."""
    @wraps(view)
    def signing_in(*args, **kwargs):
        response = current_app.make_response(view(*args, **kwargs))
        if request.method == "POST" and response.status_code == 302 and current_user.is_authenticated:
            known_devices.remember(response, current_user.email)
        return response
    return signing_in


def _seconds_left(limit: RequestLimit) -> int:
    return max(1, math.ceil(limit.window.reset_time - time.time()))


def _api_breach(who: str):
    def answer(limit: RequestLimit):
        message = f"too many requests from {who}: the limit is {limit.limit}; try again in {_seconds_left(limit)} s"
        response, status, _ = error_response(429, message)
        response.status_code = status
        return response
    return answer


def _sign_in_breach(pages: dict, sentence: str, advice: str = ""):
    def answer(limit: RequestLimit):
        minutes = math.ceil(_seconds_left(limit) / 60)
        flash(f"{sentence} Try again in {minutes} minute{'s' if minutes != 1 else ''}{advice}.", "error")
        return current_app.make_response((pages[request.endpoint](), 429))
    return answer


def install(app, api_blueprint, sign_in_pages: dict) -> Limiter | None:
    """Give ``app`` its limiter, and the API and sign-in views their limits.
    ``sign_in_pages`` gives, for each sign-in endpoint, its page with an empty form:
    what a refused attempt sees, without the view (and its password hash) running."""
    config = app.config
    if not config["CODEQR_RATE_LIMIT_ENABLED"]:
        return None
    check_settings(config)
    limited_blueprints = {api_blueprint.name, *(endpoint.split(".")[0] for endpoint in sign_in_pages)}
    with _hooks_confined_to(app, limited_blueprints):
        app.after_request(_standard_headers)  # registered first, so it runs after the limiter's own
        limiter = Limiter(
            key_func=client_address,
            app=app,
            storage_uri=config["CODEQR_RATE_LIMIT_STORAGE_URL"],
            headers_enabled=True,
            in_memory_fallback_enabled=True,  # Redis away: limits hold per process, and it is logged
            key_prefix="codeqr",
            strategy="moving-window",
        )
        app.after_request(_keep_own_retry_after)  # registered after, so it runs before the limiter's
    for setting, key, who in (("CODEQR_RATE_LIMIT_API", _api_key, "this API key"),
                              ("CODEQR_RATE_LIMIT_API_PER_ADDRESS", client_address, "this client address")):
        # Shared: one budget over every route of the API, not one per route.
        limiter.shared_limit(_setting(setting), setting, key_func=key, on_breach=_api_breach(who))(api_blueprint)
    too_many = _sign_in_breach(sign_in_pages, "Too many sign-in attempts.")
    account_held = _sign_in_breach(sign_in_pages, "Too many failed sign-ins to this account from new devices.",
                                   ", or from a device that has signed in to it before")
    for endpoint in sign_in_pages:
        view = _remembering_devices(app.view_functions[endpoint])
        # All are checked before the view runs; failures alone count against the account.
        view = limiter.shared_limit(_setting("CODEQR_RATE_LIMIT_LOGIN_PER_ACCOUNT"), "sign-in-account",
                                    key_func=_account, exempt_when=_not_a_post_or_a_known_device,
                                    deduct_when=_signed_in_failed, on_breach=account_held)(view)
        view = limiter.shared_limit(_setting("CODEQR_RATE_LIMIT_LOGIN_PER_ACCOUNT_AND_ADDRESS"), "sign-in-origin",
                                    key_func=_account_and_origin, exempt_when=_not_a_post,
                                    deduct_when=_signed_in_failed, on_breach=too_many)(view)
        view = limiter.shared_limit(_setting("CODEQR_RATE_LIMIT_LOGIN_PER_ADDRESS"), "sign-in-address",
                                    key_func=client_address, exempt_when=_not_a_post_or_a_known_device,
                                    on_breach=too_many)(view)
        app.view_functions[endpoint] = view
    return limiter


@contextmanager
def _hooks_confined_to(app, blueprints: set[str]):
    """Move the request hooks the block adds to the app onto ``blueprints``: Flask-Limiter
    hooks every request, and its look-ups cost each short link ~75 µs in one process
    (``benchmarks/limiter_hooks.py``)."""
    registries = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    before = [list(registry.get(None, ())) for registry in registries]
    yield
    for registry, kept in zip(registries, before):
        added = [hook for hook in registry.get(None, ()) if hook not in kept]
        registry[None] = kept
        for name in blueprints:
            registry.setdefault(name, []).extend(added)


def _setting(name: str):
    return lambda: current_app.config[name]


def _keep_own_retry_after(response):
    """Note the answer's own ``Retry-After`` (a 503's) before Flask-Limiter replaces it
    with the time its window resets."""
    response.codeqr_retry_after = response.headers.get("Retry-After")
    return response


def _standard_headers(response):
    """Add the IETF ``RateLimit-*`` fields beside Flask-Limiter's ``X-RateLimit-*``
    (whose reset is a time, rounded up; the standard one counts whole seconds)."""
    if "X-RateLimit-Limit" in response.headers:
        response.headers["RateLimit-Limit"] = response.headers["X-RateLimit-Limit"]
        response.headers["RateLimit-Remaining"] = response.headers["X-RateLimit-Remaining"]
        reset = float(response.headers["X-RateLimit-Reset"])
        response.headers["RateLimit-Reset"] = str(max(0, int(reset - time.time())))
        own = getattr(response, "codeqr_retry_after", None)
        if own is not None:  # a 503 tells when to come back, whatever the limits say
            response.headers["Retry-After"] = own
        elif response.status_code != 429:
            response.headers.pop("Retry-After", None)  # Flask-Limiter sends it on every answer
    return response
