"""The domain a short link carries: ``host[:port]``, checked, and written one way
(lower case, an international name in punycode, IPv6 in brackets)."""

import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit

import idna

#: One part of a name between dots, as DNS and browsers take it (RFC 1123).
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\Z")
_EXAMPLE = "qr.example.com"


def normalise_domain(value: str) -> str:
    """Return ``value`` as a served domain; raise ValueError saying what is wrong and what
    to write instead."""
    if not value.strip():
        raise ValueError(f"no domain: write one like {_EXAMPLE}, or leave it unset for the development default")
    if any(char.isspace() or unicodedata.category(char).startswith("C") for char in value):
        raise ValueError(f"a domain has no spaces or control characters: write one like {_EXAMPLE}")
    if "://" in value:
        rest = urlsplit(value).netloc.rpartition("@")[2] or _EXAMPLE
        raise ValueError(f"write the host alone, without {value.split('://')[0]}:// or a path: {rest} "
                         "(CODEQR_SCHEME says http or https)")
    if any(mark in value for mark in "/?#\\"):
        rest = re.split(r"[/?#\\]", value)[0] or _EXAMPLE
        raise ValueError("a short link is scheme://domain/key, so the domain has no path: "
                         f"write the host alone: {rest}")
    if "@" in value:
        raise ValueError(f"a domain has no user name: write the host alone: {value.rpartition('@')[2] or _EXAMPLE}")
    host, port = _split_port(value)
    return host + (f":{port}" if port else "")


def _split_port(value: str) -> tuple[str, str]:
    if value.startswith("["):
        inside, bracket, after = value[1:].partition("]")
        if not bracket or after[:1] not in ("", ":"):
            raise ValueError("write an IPv6 address in brackets, with the port after them: [2001:db8::1]:8000")
        return _ipv6(inside), _port(after[1:]) if after else ""
    if value.count(":") > 1:
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            raise ValueError(f"a domain is a host with at most one port: write one like {_EXAMPLE}:8443") from None
        raise ValueError(f"write an IPv6 address in brackets: [{value}]")
    host, colon, port = value.partition(":")
    return _host(host), _port(port) if colon else ""


def _port(port: str) -> str:
    if not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"the port must be a number from 1 to 65535, not {port!r}")
    return str(int(port))


def _ipv6(address: str) -> str:
    try:
        return f"[{ipaddress.IPv6Address(address).compressed}]"
    except ValueError:
        raise ValueError(f"{address!r} is not an IPv6 address: write one like [2001:db8::1]") from None


def _host(host: str) -> str:
    if host.endswith(".") and host.strip("."):
        raise ValueError(f"write the name without the final dot: {host.rstrip('.')}")
    labels = host.split(".")
    if "" in labels:
        raise ValueError("a name has no empty parts (two dots together, or a dot at the start): "
                         f"write one like {_EXAMPLE}")
    if all(label.isascii() and label.isdigit() for label in labels):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise ValueError(f"{host!r} is not an IPv4 address: write one like 192.0.2.10") from None
    if not host.isascii():
        try:  # UTS 46 maps what people type (capitals, full-width forms) before encoding
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as error:
            raise ValueError(f"{host!r} is not a valid international domain name ({error})") from None
    host = host.lower()
    if len(host) > 253:
        raise ValueError(f"a domain name is at most 253 characters, not {len(host)}")
    for label in host.split("."):
        if len(label) > 63:
            raise ValueError(f"a part of a name between dots is at most 63 characters: {label[:20]}… has {len(label)}")
        if not _LABEL.match(label):
            raise ValueError(f"a part of a name between dots has letters, digits and hyphens only, a hyphen at neither "
                             f"end: {label!r} is not one")
    return host
