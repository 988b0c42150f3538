"""People who use the web UI: the first one is set up, the others added by an admin or the CLI."""

import re

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .database import begin_write
from .errors import Conflict, InvalidInput
from .extensions import db
from .models import User

MIN_PASSWORD = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not a real password")


def has_users() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(User)))


def create(email: str, password: str, admin: bool = False) -> User:
    """Create a user; the email is the login name (case-insensitive)."""
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise InvalidInput("is not a valid email address", "email")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"must be at least {MIN_PASSWORD} characters", "password")
    user = User(email=email, password_hash=generate_password_hash(password), is_admin=admin)
    try:
        with begin_write():
            db.session.add(user)
    except IntegrityError:
        raise Conflict(f"{email} already has an account", "email") from None
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the user if the email and password match, else None (never saying which was wrong)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def get(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None
