"""Whether a request comes from this machine itself: such a request may be told more
(which domains are served) and read more (``/metrics`` without a token)."""

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
