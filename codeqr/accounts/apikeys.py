"""API keys: created once, stored as SHA-256, checked in constant time."""

import hmac
from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..context import Context
from ..domain.ids import hash_secret, new_api_key
from ..domain.models import ApiKey, User
from ..domain.timeutil import utcnow
from ..errors import Conflict, InvalidInput, NotFound
from ..persistence.database import begin_write
from ..persistence.extensions import db
from .permissions import SCOPES, Permission

#: last_used_at is written at most this often per key, to keep API calls read-only.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


def create(name: str, owner: User | None = None, scope: str = "all", *, ctx: Context) -> tuple[ApiKey, str]:
    """Create a key named ``name`` for ``owner`` (None: made at the machine, with an
    admin's rights); return it and its secret (never stored)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("must be 1 to 100 characters", "name",
                           sentence="Give the key a name of 1 to 100 characters, such as the program that will use it.")
    if scope not in SCOPES:
        raise InvalidInput(f"must be one of {', '.join(SCOPES)}", "scope")
    owner_id = owner.id if owner is not None else None
    if not ctx.actor.may_manage_key_of(owner_id):
        ctx.actor.require(Permission.ALL_KEYS)
    secret = new_api_key()
    taken = Conflict(f"there is already an active key named {name!r}; choose another name or revoke that one",
                     "name", sentence=f"You already have a key named “{name}”: choose another name, or revoke that key first.")
    with begin_write():
        same_name = select(ApiKey.id).where(ApiKey.name == name, ApiKey.revoked_at.is_(None),
                                            func.coalesce(ApiKey.user_id, 0) == (owner_id or 0))
        if db.session.scalar(same_name) is not None:
            raise taken
        key = ApiKey(name=name, prefix=secret[:12], secret_hash=hash_secret(secret), user_id=owner_id, scope=scope)
        db.session.add(key)
        try:
            db.session.flush()
        except IntegrityError:  # made at the same moment by another request (the unique index)
            raise taken from None
    return key, secret


def revoke(name_or_prefix: str, ctx: Context) -> int:
    """Revoke the active keys with this name or prefix, anyone's; return how many (the CLI's)."""
    ctx.actor.require(Permission.ALL_KEYS)
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
            key.revoked_at = ctx.now()
    return len(keys)


def active_key(key_id: int, ctx: Context) -> ApiKey | None:
    """The active key with this id, if ``ctx.actor`` manages it."""
    key = db.session.get(ApiKey, key_id)
    return key if key is not None and key.revoked_at is None and ctx.actor.may_manage_key_of(key.user_id) else None


def revoke_by_id(key_id: int, ctx: Context) -> None:
    with begin_write():
        key = active_key(key_id, ctx)
        if key is None:
            raise NotFound("no active API key of yours with this id")
        key.revoked_at = ctx.now()


def list_keys(ctx: Context) -> list[ApiKey]:
    """The keys ``ctx.actor`` manages: every key for an admin, their own for others."""
    keys = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if not ctx.actor.can(Permission.ALL_KEYS):
        keys = keys.where(ApiKey.user_id == ctx.actor.user_id)
    return list(db.session.scalars(keys))


def verify(secret: str) -> ApiKey | None:
    """Return the active key matching ``secret``, recording its use."""
    digest = hash_secret(secret)
    key = db.session.scalar(select(ApiKey).where(ApiKey.secret_hash == digest))
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.secret_hash, digest):
        return None
    if key.owner is not None and not key.owner.is_active:
        return None  # a deactivated user's keys stop working with them
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_RESOLUTION:
        with begin_write():
            db.session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    return key
