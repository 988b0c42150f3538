"""Whether a request comes from this machine itself: such a request may be told more
(which domains are served) and read more (``/metrics`` and ``/readyz``'s details without a
token)."""

import hmac
import ipaddress

from flask import Request

#: Headers a reverse proxy adds: a proxy on this machine passes on requests from anywhere.
_PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-Ip")


def from_this_machine(request: Request) -> bool:
    """A loopback client address, and no sign of a proxy in between."""
    try:
        loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:  # a Unix socket, or no address at all
        return False
    return loopback and not any(name in request.headers for name in _PROXY_HEADERS)


def sent_token(request: Request, token: str | None) -> bool:
    """Whether ``token`` is set and the request carries it (``Authorization: Bearer``)."""
    if not token:
        return False
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").encode()
    return hmac.compare_digest(sent, token.encode())


def trusted_with_details(request: Request, token: str | None) -> bool:
    """Whether the request may read how the instance runs and where (``/metrics``, hosts and
    ports in ``/readyz``): with ``token`` (``CODEQR_METRICS_TOKEN``) set, if it sends it, this
    machine's requests too (another user's process is no more trusted than a remote one);
    without, if it comes from this machine through no proxy."""
    return sent_token(request, token) if token else from_this_machine(request)
