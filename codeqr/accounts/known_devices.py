"""Known devices: a signed cookie a browser receives when it signs in to an account, so
that failed sign-ins from elsewhere (someone guessing that account's password) never
keep it out. The cookie holds a random device id and the accounts it signed in to
(as hashes); it proves nothing by itself: the password is still checked."""

import hashlib
import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "codeqr_device"
#: Accounts one browser is remembered for (the latest ones).
MAX_ACCOUNTS = 10


def account_id(email: str) -> str:
    """An account as the limits and the cookie name it: its email, normalised and hashed."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def device_of(email: str) -> str | None:
    """This browser's device id if it signed in to ``email``'s account before, else None."""
    known = _read()
    if known is None or account_id(email) not in known["accounts"]:
        return None
    return known["device"]


def remember(response, email: str) -> None:
    """Mark this browser as known to ``email``'s account (it just signed in to it)."""
    known = _read() or {"device": secrets.token_urlsafe(16), "accounts": []}
    account = account_id(email)
    accounts = [other for other in known["accounts"] if other != account][-(MAX_ACCOUNTS - 1):]
    known["accounts"] = [*accounts, account]
    response.set_cookie(COOKIE, _serializer().dumps(known), max_age=_max_age(), httponly=True, samesite="Lax",
                        secure=current_app.config["CODEQR_SCHEME"] == "https")


def _read() -> dict | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        known = _serializer().loads(raw, max_age=_max_age())
    except BadSignature:  # forged, altered, signed with an older secret key, or expired
        return None
    valid = (isinstance(known, dict) and isinstance(known.get("device"), str)
             and isinstance(known.get("accounts"), list))
    return known if valid else None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="codeqr.known-device")


def _max_age() -> int:
    return int(current_app.config["CODEQR_LOGIN_KNOWN_DEVICE_DAYS"] * 24 * 3600)
