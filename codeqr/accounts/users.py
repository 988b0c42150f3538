"""People who use the web UI: the first one is set up, the others added by an admin or the CLI.

Managing users (add, change role, deactivate, reset password) needs the ``users``
permission; an instance always keeps one active admin.
"""

import re

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..context import Context
from ..domain.models import User
from ..errors import Conflict, Forbidden, InvalidInput, InvalidInputs, NotFound
from ..persistence.database import begin_write
from ..persistence.extensions import db
from .permissions import DEFAULT_ROLE, ROLES, Permission, Role

MIN_PASSWORD = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SESSION_ID = re.compile(r"(\d{1,18})\.(\d{1,18})", re.ASCII)
# Checked against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not a real password")


def has_users() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(User)))


def _password_problem(password: str) -> InvalidInput | None:
    if len(password) < MIN_PASSWORD:
        return InvalidInput(f"must be at least {MIN_PASSWORD} characters", "password",
                            sentence=f"Choose a password of at least {MIN_PASSWORD} characters.")
    return None


def _role_problem(role: str) -> InvalidInput | None:
    if role not in ROLES:
        return InvalidInput(f"must be one of {', '.join(ROLES)}", "role",
                            sentence=f"Choose one of the roles: {', '.join(ROLES)}.")
    return None


def _email_problem(email: str) -> InvalidInput | None:
    if not _EMAIL.match(email) or len(email) > 254:
        return InvalidInput("is not a valid email address", "email",
                            sentence="Enter an email address like name@example.com.")
    return None


def create(email: str, password: str, role: str = DEFAULT_ROLE, *, ctx: Context) -> User:
    """Create a user; the email is the login name (case-insensitive)."""
    ctx.actor.require(Permission.USERS)
    email = email.strip().lower()
    InvalidInputs.raise_any(_email_problem(email), _password_problem(password), _role_problem(role))
    user = User(email=email, password_hash=generate_password_hash(password), role=role)
    try:
        with begin_write():
            db.session.add(user)
    except IntegrityError:
        raise Conflict(f"{email} already has an account", "email",
                       sentence=f"{email} already has an account.") from None
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the user if the email and password match, else None (never saying which was
    wrong). A deactivated user with the right password is told so (``Forbidden``): only
    someone who knows the password learns it."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    if not user.is_active:
        raise Forbidden("this account is deactivated",
                        sentence="This account is deactivated: ask an admin of CodeQR to reactivate it.")
    return user


def get(session_id: str) -> User | None:
    """The active user a session names (``User.get_id``: id and session generation); None
    once that session has ended (signed out, new password, deactivated) or is malformed."""
    match = _SESSION_ID.fullmatch(session_id)
    if match is None:
        return None  # a session from before generations (or none of ours): it has ended
    user = db.session.get(User, int(match[1]))
    if user is None or not user.is_active or user.session_generation != int(match[2]):
        return None
    return user


def end_sessions(ctx: Context) -> None:
    """Sign ``ctx.actor`` out everywhere: every session of theirs ends, on every server."""
    with begin_write():
        _end_sessions_of(ctx.actor.user_id)


def _end_sessions_of(user_id: int | None) -> None:
    """Bump the user's session generation (an atomic increment, never read-modify-write)."""
    db.session.execute(update(User).where(User.id == user_id)
                       .values(session_generation=User.session_generation + 1)
                       .execution_options(synchronize_session="fetch"))


def by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user {email.strip()!r}")
    return user


def by_id(user_id: int, ctx: Context) -> User | None:
    ctx.actor.require(Permission.USERS)
    return db.session.get(User, user_id)


def first_admin() -> User | None:
    """The admin who has been there longest (None before anyone signed up)."""
    return db.session.scalar(select(User).where(User.role == Role.ADMIN).order_by(User.id).limit(1))


def list_users(ctx: Context) -> list[User]:
    ctx.actor.require(Permission.USERS)
    return list(db.session.scalars(select(User).order_by(User.email)))


def _change(user_id: int, ctx: Context, change) -> User:
    """Apply ``change(user)`` in one transaction; refuse it if no active admin would be left."""
    ctx.actor.require(Permission.USERS)
    with begin_write():
        user = db.session.get(User, user_id)
        if user is None:
            raise NotFound("no user with this id")
        change(user)
        db.session.flush()
        admins = select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.deactivated_at.is_(None))
        if not db.session.scalar(admins):
            raise Conflict("CodeQR needs at least one active admin: make someone else admin first")
    return user


def set_role(user_id: int, role: str, ctx: Context) -> User:
    InvalidInputs.raise_any(_role_problem(role))
    return _change(user_id, ctx, lambda user: setattr(user, "role", role))


def set_active(user_id: int, active: bool, ctx: Context) -> User:
    """Deactivate (they cannot sign in, their sessions end, their API keys stop working) or
    reactivate a user (sessions ended stay ended)."""
    if not active and user_id == ctx.actor.user_id:
        raise Conflict("you cannot deactivate yourself", sentence="You cannot deactivate your own account: ask another admin.")

    def change(user: User) -> None:
        user.deactivated_at = None if active else ctx.now()
        if not active:
            _end_sessions_of(user.id)

    return _change(user_id, ctx, change)


def change_own_password(current: str, new: str, ctx: Context) -> User:
    """Change the password of whoever acts, given their current one; every session of
    theirs ends (the view signs the browser they used in again)."""
    user = db.session.get(User, ctx.actor.user_id) if ctx.actor.user_id is not None else None
    if user is None:
        raise NotFound("no user with this id")
    wrong = None if check_password_hash(user.password_hash, current) else InvalidInput(
        "is not your current password", "current_password", sentence="This is not your current password.")
    InvalidInputs.raise_any(wrong, _password_problem(new))
    with begin_write():
        user.password_hash = generate_password_hash(new)
        _end_sessions_of(user.id)
    return user


def reset_password(user_id: int, password: str, ctx: Context) -> User:
    """Give a user a new password; every session of theirs ends (whoever changed their own
    password is signed in again by the view)."""
    InvalidInputs.raise_any(_password_problem(password))

    def change(user: User) -> None:
        user.password_hash = generate_password_hash(password)
        _end_sessions_of(user.id)

    return _change(user_id, ctx, change)
