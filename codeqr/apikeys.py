"""API keys: created once, stored as SHA-256, checked in constant time."""

import hmac
from datetime import timedelta

from sqlalchemy import or_, select, update

from .database import begin_write
from .errors import InvalidInput, NotFound
from .extensions import db
from .ids import hash_secret, new_api_key
from .models import ApiKey
from .timeutil import utcnow

#: last_used_at is written at most this often per key, to keep API calls read-only.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


def create(name: str) -> tuple[ApiKey, str]:
    """Create a key named ``name``; return it and its secret (never stored)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("must be 1 to 100 characters", "name")
    secret = new_api_key()
    with begin_write():
        key = ApiKey(name=name, prefix=secret[:12], secret_hash=hash_secret(secret))
        db.session.add(key)
    return key, secret


def revoke(name_or_prefix: str) -> int:
    """Revoke the active keys with this name or prefix; return how many."""
    with begin_write():
        keys = list(
            db.session.scalars(
                select(ApiKey).where(
                    or_(ApiKey.name == name_or_prefix, ApiKey.prefix == name_or_prefix),
                    ApiKey.revoked_at.is_(None),
                )
            )
        )
        if not keys:
            raise NotFound(f"no active API key named {name_or_prefix!r}")
        for key in keys:
            key.revoked_at = utcnow()
    return len(keys)


def revoke_by_id(key_id: int) -> None:
    with begin_write():
        key = db.session.get(ApiKey, key_id)
        if key is None or key.revoked_at is not None:
            raise NotFound("no active API key with this id")
        key.revoked_at = utcnow()


def list_keys() -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.created_at)))


def verify(secret: str) -> ApiKey | None:
    """Return the active key matching ``secret``, recording its use."""
    digest = hash_secret(secret)
    key = db.session.scalar(select(ApiKey).where(ApiKey.secret_hash == digest))
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.secret_hash, digest):
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_RESOLUTION:
        with begin_write():
            db.session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    return key
