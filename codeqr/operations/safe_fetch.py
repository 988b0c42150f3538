"""Fetch a URL a user gave, server-side, without letting it reach inside our network (SSRF).

Every hop's host is resolved once and refused unless each of its addresses is public
(not loopback, private, link-local, CGNAT, multicast, unspecified, reserved, nor a cloud
metadata address, nor an IPv6 form embedding one of those); the connection goes to the
very address checked (no second lookup a DNS rebinding could answer differently), with
the URL's host name sent as Host and TLS SNI and checked against the certificate. At most
``MAX_REDIRECTS`` redirects, each hop checked again; ``MAX_BYTES`` of body and
``TIMEOUT_SECONDS`` in all, a slow body included. https only, unless the caller allows
http (the ``CODEQR_FETCH_ALLOW_HTTP`` setting for logos). URLs with a user name or
password are refused. Every refusal is one ``FetchRefused`` with a sentence for people,
and its ``kind`` for machines (``KINDS``).

``fetch`` GETs a whole body (a logo); ``probe`` asks for none (``HEAD``, or a ``GET`` of
one byte) and answers the last hop's status: the destination checks (``links.health``).
"""

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import NamedTuple
from urllib.parse import quote, urljoin, urlsplit

MAX_BYTES = 1024 * 1024
TIMEOUT_SECONDS = 5.0
MAX_REDIRECTS = 3
_CHUNK = 64 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}
_TOO_LONG = "Downloading took too long: the site is too slow or the file too large."

#: Cloud metadata services, named in the refusal (each is link-local or private already).
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
#: IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))

#: ``(host, port)`` pairs a first hop may reach although they are not public: for tests
#: ONLY, which patch it for the duration of one test. No setting nor input fills it, and
#: a redirect never uses it: only the first hop of a fetch.
TEST_FIRST_HOPS: frozenset[tuple[str, int]] = frozenset()

_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="safe-fetch-dns")


#: What went wrong, for machines: the URL itself, its name not found, a private address,
#: too slow, TLS, the connection, redirects, an answer other than asked, a body too large.
KINDS = ("invalid", "dns", "private", "timeout", "tls", "connection", "redirects", "status", "size")


class FetchRefused(Exception):
    """The URL was not fetched, or not whole; ``str()`` is a sentence for people, ``kind``
    one of ``KINDS``."""

    def __init__(self, message: str, kind: str = "invalid"):
        super().__init__(message)
        self.kind = kind


class Fetched(NamedTuple):
    url: str  # the last hop's URL
    content_type: str  # as the server declared it (never trusted for the type)
    body: bytes


class Probed(NamedTuple):
    status: int  # the last hop's
    url: str  # the last hop's URL


def public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``address`` is a public unicast address (an IPv6 form embedding an IPv4
    address is judged by that address too)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is None and any(address in network for network in _NAT64):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and int(address) >> 32 == 0:  # ::a.b.c.d, the old "compatible" form
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not public_address(embedded):
            return False
    return not (address in METADATA_ADDRESSES or not address.is_global or address.is_multicast or address.is_private
                or address.is_reserved or address.is_loopback or address.is_link_local or address.is_unspecified)


def fetch(url: str, *, allow_http: bool = False, max_bytes: int | None = None,
          timeout: float | None = None) -> Fetched:
    """GET ``url`` under the rules of this module (``max_bytes`` and ``timeout``: this
    module's limits unless given); raise ``FetchRefused`` otherwise (a status other
    than 200 too)."""
    deadline = time.monotonic() + (TIMEOUT_SECONDS if timeout is None else timeout)
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    response, connection, url = _follow(url, "GET", {"Accept": "image/*"}, allow_http, deadline)
    try:
        if response.status != 200:
            raise FetchRefused(f"{_site(url)} answered {response.status} {response.reason}: the image could not be "
                               "downloaded.", "status")
        return Fetched(url, response.getheader("Content-Type") or "", _body(response, connection, max_bytes, deadline))
    except (OSError, http.client.HTTPException) as error:
        raise _failed(url, error, deadline) from None
    finally:
        response.close()
        connection.release()


def probe(url: str, method: str = "HEAD", *, headers: dict[str, str] | None = None, allow_http: bool = True,
          timeout: float | None = None, admit: Callable[[str], None] | None = None) -> Probed:
    """Send ``method`` (``HEAD``, or a ``GET`` with ``headers`` such as a ``Range``) to ``url``
    under the rules of this module, following its redirects, and answer the last hop's
    status without reading its body. ``admit(host)`` is called before each request (a
    limit per host raises there). ``FetchRefused`` when no answer came."""
    deadline = time.monotonic() + (TIMEOUT_SECONDS if timeout is None else timeout)
    response, connection, url = _follow(url, method, headers or {}, allow_http, deadline, admit)
    response.close()
    connection.release()
    return Probed(response.status, url)


def _follow(url: str, method: str, headers: dict[str, str], allow_http: bool, deadline: float,
            admit: Callable[[str], None] | None = None):
    """Send ``method`` to ``url`` and to each redirect's (each hop checked again): the last
    hop's response, its connection (for the caller to release) and its URL."""
    for hop in range(MAX_REDIRECTS + 1):
        if admit is not None:
            admit((urlsplit(url).hostname or "").lower())
        response, connection = _request(url, method, headers, allow_http, deadline, first=hop == 0)
        if response.status not in _REDIRECTS:
            return response, connection, url
        location = response.getheader("Location")
        response.close()
        connection.release()
        if not location:
            raise FetchRefused(f"{_site(url)} answered with a redirect that says nowhere to go.", "redirects")
        url = urljoin(url, location)
    raise FetchRefused(f"The address redirects more than {MAX_REDIRECTS} times: give the image's own address.",
                       "redirects")


def _request(url: str, method: str, headers: dict[str, str], allow_http: bool, deadline: float, first: bool):
    """Check one hop, connect to the address checked and send the request."""
    parts = _checked_url(url, allow_http)
    host, port = (parts.hostname or "").encode("idna").decode(), parts.port or (443 if parts.scheme == "https" else 80)
    allowed = first and (host, port) in TEST_FIRST_HOPS
    address = _resolve(host, port, deadline, allowed)
    connection: _PinnedHTTP
    if parts.scheme == "https":
        connection = _PinnedHTTPS(host, port, address, deadline)
    else:
        connection = _PinnedHTTP(host, port, address, deadline)
    try:
        # Percent-encoded as a browser would: http.client sends ASCII only.
        target = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe="/?&=%:@!$'()*+,;~[]")
        connection.request(method, target, headers={"User-Agent": "CodeQR", "Accept-Encoding": "identity", **headers})
        return connection.getresponse(), connection
    except (OSError, ValueError, http.client.HTTPException) as error:
        connection.release()
        raise _failed(url, error, deadline) from None


def _checked_url(url: str, allow_http: bool):
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # a port that is no number raises here
    except ValueError:
        raise FetchRefused("This is not a web address that can be fetched.") from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme.lower() not in schemes:
        raise FetchRefused("Only https:// addresses can be fetched." if not allow_http
                           else "Only http:// and https:// addresses can be fetched.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise FetchRefused("The address may not hold a user name or password.")
    if not parts.hostname or "%" in parts.netloc or any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise FetchRefused("This is not a web address that can be fetched.")
    try:
        parts.hostname.encode("idna")  # what DNS, SNI and the Host header will carry
    except UnicodeError:
        raise FetchRefused("This is not a web address that can be fetched.") from None
    return parts


def _resolve(host: str, port: int, deadline: float, allowed: bool) -> str:
    """The address to connect to: the first the host resolves to, when every one is public."""
    future = _resolver.submit(lookup, host, port)
    try:
        addresses = [ipaddress.ip_address(found.split("%")[0])
                     for found in future.result(timeout=max(0.0, deadline - time.monotonic()))]
    except FutureTimeout:
        raise FetchRefused(f"Finding {host} took too long.", "timeout") from None
    except (OSError, UnicodeError, ValueError):
        raise FetchRefused(f"There is no site at {host}.", "dns") from None
    if not addresses:
        raise FetchRefused(f"There is no site at {host}.", "dns")
    for address in addresses:
        if not allowed and not public_address(address):
            what = "a cloud metadata address" if address in METADATA_ADDRESSES else "a private, local or reserved address"
            raise FetchRefused(f"{host} leads to {what} ({address}): only public web addresses can be fetched.",
                                 "private")
    return str(addresses[0])


def lookup(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (the system's resolver; a test may stand in for it)."""
    return [str(item[4][0]) for item in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to ``address`` while speaking to ``host`` (its Host header), and cuts the
    connection at ``deadline``: socket timeouts bound each read, not a server that
    trickles its headers or body a byte at a time."""

    def __init__(self, host: str, port: int, address: str, deadline: float):
        super().__init__(host, port, timeout=_left(deadline))
        self.address, self.deadline = address, deadline
        self._watchdog: threading.Timer | None = None
        #: the socket, kept past http.client's own close (which comes before the body is read)
        self.raw: socket.socket | None = None

    def connect(self):
        self.sock = self.raw = socket.create_connection((self.address, self.port), self.timeout)
        self._watchdog = threading.Timer(_left(self.deadline), self._cut)
        self._watchdog.daemon = True
        self._watchdog.start()

    def _cut(self) -> None:
        try:
            if self.raw is not None:  # the TLS socket once wrapped: the plain one is detached then
                self.raw.shutdown(socket.SHUT_RDWR)  # a read blocked on it returns at once
        except OSError:
            pass  # closed already

    def release(self):
        """Stop the watchdog and close the socket: the fetch is over."""
        if self._watchdog is not None:
            self._watchdog.cancel()
        self.close()
        if self.raw is not None:
            self.raw.close()


class _PinnedHTTPS(_PinnedHTTP):
    """Also TLS to ``host``: its name is the SNI and what the certificate must name."""

    default_port = 443

    def connect(self):
        super().connect()
        context = ssl.create_default_context()  # made per fetch: it reads SSL_CERT_FILE as it is now
        self.sock = self.raw = context.wrap_socket(self.sock, server_hostname=self.host)


def _body(response, connection, max_bytes: int, deadline: float) -> bytes:
    """Read the body, at most ``max_bytes`` of it, until ``deadline``."""
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchRefused(f"The file is larger than {max_bytes // 1024:,} KB.", "size")
    chunks: list[bytes] = []
    size = 0
    while True:
        connection.raw.settimeout(_left(deadline))
        chunk = response.read1(_CHUNK)
        _left(deadline)  # the watchdog may have cut the body short
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise FetchRefused(f"The file is larger than {max_bytes // 1024:,} KB.", "size")
        chunks.append(chunk)


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchRefused(_TOO_LONG, "timeout")
    return left


def _failed(url: str, error: Exception, deadline: float) -> FetchRefused:
    if isinstance(error, TimeoutError) or time.monotonic() >= deadline:
        return FetchRefused(_TOO_LONG, "timeout")
    if isinstance(error, ssl.SSLError | ssl.CertificateError):
        return FetchRefused(f"{_site(url)} has no valid certificate for https.", "tls")
    return FetchRefused(f"{_site(url)} could not be reached.", "connection")


def _site(url: str) -> str:
    return urlsplit(url).hostname or "The site"
