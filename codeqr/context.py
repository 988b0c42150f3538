"""What a service is told: who acts, and the app's settings, state and clock.

Services take a ``Context`` instead of reaching for ``current_app``: the interfaces build
one (the views for the signed-in person, the CLI for the operator, the job runner for
the job's owner), so what a service acts on, and as whom, is said at each call.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from flask_login import current_user

from .accounts.permissions import OPERATOR, Actor, Role, actor_of_user
from .domain.models import User
from .domain.schemas import QRCodeSchemas
from .persistence.extensions import db

#: Whoever asks for a public page: no account, no right to write.
VISITOR = Actor(user_id=None, role=Role.VIEWER, read_only=True)

if TYPE_CHECKING:
    from .state import AppState


@dataclass(frozen=True)
class Context:
    """Who acts, in which app (its settings, plugins, images and clock)."""

    actor: Actor
    #: the app itself: what plugin hooks are given
    app: Flask

    @property
    def config(self) -> Mapping[str, Any]:
        return self.app.config

    @property
    def state(self) -> "AppState":
        return self.app.extensions["codeqr"]

    @property
    def schemas(self) -> QRCodeSchemas:
        """The app's QR Code classes (its plugins' design fields included)."""
        return self.state.schemas

    @property
    def instance_path(self) -> str:
        return self.app.instance_path

    def now(self) -> datetime:
        """The app's time (UTC, to the millisecond): tests give the app another clock."""
        return self.state.clock()


def the_app() -> Flask:
    """The current app itself, not its proxy: for threads and hooks that outlive the request."""
    return current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy's, untyped in Flask


def for_actor(actor: Actor, app: Flask | None = None) -> Context:
    """``actor`` acting in ``app`` (by default the current one)."""
    return Context(actor=actor, app=app or the_app())


def for_operator(app: Flask | None = None) -> Context:
    """The operator at the machine (the CLI): an admin's rights, said explicitly."""
    return for_actor(OPERATOR, app)


def for_request() -> Context:
    """The signed-in person of this request (the web UI)."""
    return for_actor(actor_of_user(current_user))


def for_visitor() -> Context:
    """Someone on the web, signed in or not (public images): may read, nothing more."""
    return for_actor(VISITOR)


def for_job(owner_id: int | None, app: Flask) -> Context:
    """A job's owner as they are now (the job row's ``user_id``), in ``app``."""
    return for_actor(actor_of_owner(owner_id), app)


def actor_of_owner(user_id: int | None) -> Actor:
    """Who a job acts as: its owner as they are now, so rights lost since the start are
    lost to the job too; the operator for a job started at the machine (no owner)."""
    if user_id is None:
        return OPERATOR
    user = db.session.get(User, user_id)
    if user is None:
        return Actor(user_id=user_id, role=Role.VIEWER, deactivated=True)
    return replace(actor_of_user(user), deactivated=not user.is_active)

