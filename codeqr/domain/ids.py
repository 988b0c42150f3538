"""Identifiers: cuid-shaped ids, random short-link keys, API key material."""

import hashlib
import secrets
import string

from cuid2 import Cuid

_cuid = Cuid(length=24)
_KEY_ALPHABET = string.ascii_letters + string.digits


def new_id() -> str:
    """Return a new QR Code id: ``c`` + 24 lowercase base-36 characters."""
    return "c" + _cuid.generate()


def new_key() -> str:
    """Return a random short-link key: 12 alphanumerics + ``-qr``."""
    return "".join(secrets.choice(_KEY_ALPHABET) for _ in range(12)) + "-qr"


def new_api_key() -> str:
    """Return a new secret API key (shown once, never stored)."""
    return "cqr_" + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Return the SHA-256 hex digest under which an API key is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def url_hash(url: str) -> str:
    """Return the digest under which a url is indexed (urls may exceed index limits)."""
    return hashlib.sha256(url.encode()).hexdigest()


def url_fingerprint(domain: str, url: str) -> str:
    """Return the digest that makes an upserted (domain, url) pair unique."""
    return hashlib.sha256(f"{domain}\n{url}".encode()).hexdigest()
