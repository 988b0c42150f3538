"""The pages a scan may get instead of its destination: the password page of a QR Code
with a password, and the 410 page of one expired with nowhere to go; and what the
password page needs: its rate limits and the cookie that remembers an unlock.

Wrong passwords are limited per code (whoever tries: a botnet rotating addresses) and per
code and address (``CODEQR_RATE_LIMIT_LINK_PASSWORD*``), counted as sign-in failures are, in
memory or in Redis (``CODEQR_RATE_LIMIT_STORAGE_URL``). Only a wrong password counts: one
that opens the link costs nothing. Nothing here logs the password or puts it in a URL.
"""

import hashlib
import logging
import math
import time

from flask import current_app, render_template, request
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from limits import parse_many, storage, strategies
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response

from ..accounts.ratelimits import client_address
from ..links.options import MAX_PASSWORD, PASSWORD_HASH
from ..operations.security_headers import PAGE_POLICY
from .counter import Routing
from .visit import scan_referer, scanned_query

log = logging.getLogger(__name__)

#: Browsers and proxies keep none of these pages: the code's options can change.
_NO_STORE = {"Cache-Control": "no-store, private"}
#: The password page's form is answered by a redirect to the destination, wherever it is:
#: browsers hold a form's redirects to ``form-action`` too.
_PASSWORD_PAGE = _NO_STORE | {"Content-Security-Policy": PAGE_POLICY.replace("form-action 'self'",
                                                                              "form-action 'self' https: http:")}
#: The cookie that remembers a link unlocked, scoped to its path (``/<key>``).
UNLOCK_COOKIE = "codeqr_unlocked"
#: How long a visitor who gave the password is not asked again.
UNLOCK_SECONDS = 3600


def page(key: str, routing: Routing, wrong: bool = False, status: int = 200, message: str | None = None) -> Response:
    """The password page of the short link ``key``: a form that posts the password back to
    it, with the scan's own query (``forwardQuery`` and the event's UTM keep it); ``wrong``:
    the password given was not right (401); ``message`` another sentence beside the field."""
    if wrong:
        status, message = 401, "That password is not right. Check it and try again."
    query = scanned_query(request)
    html = render_template("links/password.html", key=key, query=query, referer=scan_referer(request), message=message)
    return Response(html, status=status, headers=_PASSWORD_PAGE, mimetype="text/html")


def gone(key: str) -> Response:
    """The page of a short link expired with no ``expiredUrl``: 410 Gone."""
    return Response(render_template("links/gone.html", key=key), status=410, headers=_NO_STORE,
                    mimetype="text/html")


def is_right(routing: Routing, password: str) -> bool:
    """Whether ``password`` is the code's (as its stored hash says). One longer than any a
    code takes is wrong without the cost of hashing it."""
    stored = (routing.link or {}).get(PASSWORD_HASH)
    return (isinstance(stored, str) and bool(stored) and 0 < len(password) <= MAX_PASSWORD
            and check_password_hash(stored, password))


# The unlock cookie: signed with the secret key, for one code and one password. The
# password's hash is in what is signed (as a digest), so changing it locks the link again.

class _AppTimeSigner(TimestampSigner):
    """Signs with the app's clock (``AppState.clock``), as every expiry of the app is read."""

    def get_timestamp(self) -> int:
        return int(current_app.extensions["codeqr"].clock().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="codeqr link unlocked",
                                  signer=_AppTimeSigner)


def _stamp(routing: Routing) -> str:
    stored = (routing.link or {}).get(PASSWORD_HASH) or ""
    return hashlib.sha256(f"{routing.id}\n{stored}".encode()).hexdigest()[:32]


def unlocked(routing: Routing) -> bool:
    """Whether the request carries this code's unlock, given for its password of now, within the hour."""
    token = request.cookies.get(UNLOCK_COOKIE)
    if not token:
        return False
    try:
        return _serializer().loads(token, max_age=UNLOCK_SECONDS) == _stamp(routing)
    except BadSignature:  # forged, or expired (SignatureExpired is one)
        return False


def remember_unlock(response: Response, key: str, routing: Routing) -> None:
    """Set the cookie that spares this browser the password page of ``key`` for a while."""
    response.set_cookie(UNLOCK_COOKIE, _serializer().dumps(_stamp(routing)), max_age=UNLOCK_SECONDS,
                        path=f"/{key}", secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
                        httponly=True, samesite="Lax")


class PasswordLimits:
    """Counts wrong passwords per code and per code and address (``CODEQR_RATE_LIMIT_LINK_PASSWORD*``)."""

    def __init__(self, config):
        self.enabled = bool(config["CODEQR_RATE_LIMIT_ENABLED"])
        self._per_code = parse_many(config["CODEQR_RATE_LIMIT_LINK_PASSWORD"])
        self._per_address = parse_many(config["CODEQR_RATE_LIMIT_LINK_PASSWORD_PER_ADDRESS"])
        self._url = config["CODEQR_RATE_LIMIT_STORAGE_URL"]
        self._window = strategies.MovingWindowRateLimiter(storage.storage_from_string(self._url))
        self._fallback = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def _counted(self, code_id: str):
        return [(limit, ("codeqr-link-password", code_id)) for limit in self._per_code] + [
            (limit, ("codeqr-link-password", code_id, client_address())) for limit in self._per_address]

    def _limiter(self):
        try:
            return self._window if self._window.storage.check() else None
        except Exception:  # Redis away: each process counts on its own, as the other limits do
            return None

    def wait(self, code_id: str) -> int:
        """Seconds before another password may be tried for ``code_id`` from here; 0: now."""
        if not self.enabled:
            return 0
        window = self._limiter() or self._fallback
        waits = [window.get_window_stats(limit, *keys).reset_time - time.time()
                 for limit, keys in self._counted(code_id) if not window.test(limit, *keys)]
        return max(1, math.ceil(max(waits))) if waits else 0

    def failed(self, code_id: str) -> None:
        """Count a wrong password given for ``code_id`` from this address."""
        if not self.enabled:
            return
        window = self._limiter()
        if window is None:
            log.warning("rate limit storage %s is away: wrong link passwords counted in this process", self._url)
            window = self._fallback
        for limit, keys in self._counted(code_id):
            window.hit(limit, *keys)


def limits() -> PasswordLimits:
    """The app's ``PasswordLimits``, made at its first password."""
    kept = current_app.extensions.get("codeqr_link_password_limits")
    if kept is None:
        kept = current_app.extensions["codeqr_link_password_limits"] = PasswordLimits(current_app.config)
    return kept


def too_many(key: str, routing: Routing, seconds: int) -> Response:
    """The password page, refused for now: 429 with ``Retry-After``."""
    minutes = math.ceil(seconds / 60)
    response = page(key, routing, status=429, message=f"Too many wrong passwords. Try again in {minutes} "
                                                       f"minute{'s' if minutes != 1 else ''}.")
    response.headers["Retry-After"] = str(seconds)
    return response
