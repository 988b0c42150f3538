"""The web UI: Jinja pages behind a login, built on the same services as the API."""

from datetime import datetime
from functools import wraps

from apiflask import APIBlueprint
from flask_login import current_user
from markupsafe import Markup

from ..accounts.permissions import Actor, Permission, actor_of_user
from ..contents import TYPES
from ..domain.timeutil import isoformat
from ..errorhandlers import refuse_nul_bytes
from ..jobs.statuses import JobStatus

bp = APIBlueprint("web", __name__, enable_openapi=False)  # not part of the API spec
bp.before_request(refuse_nul_bytes)


def current_actor() -> Actor:
    """The signed-in person, as the services take them."""
    return actor_of_user(current_user)


def requires(permission: Permission):
    """Refuse a page (403, before its form is shown) to whoever may not use it. The
    services check again: this only spares people a form they cannot submit."""
    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            current_actor().require(permission)
            return view(*args, **kwargs)
        return guarded
    return decorate


@bp.app_context_processor
def _job_statuses() -> dict:
    """``JobStatus.DONE`` in templates, as the services spell it."""
    return {"JobStatus": JobStatus}


@bp.app_context_processor
def _permissions() -> dict:
    """``can("WRITE_QRCODES")`` in templates: what to show the signed-in person."""
    def can(name: str) -> bool:
        return current_user.is_authenticated and current_actor().can(Permission[name])
    return {"can": can}


@bp.app_template_filter("minutes")
def minutes(value: datetime, compact: bool = False) -> Markup:
    """A moment to the minute, marked as UTC (``2025-04-27 15:09 UTC``); the page's script
    shows it in the reader's time zone, with the zone's name (``compact``: without the
    year when it is this year, for tables)."""
    return Markup('<time datetime="{}" class="local-time{}">{} UTC</time>').format(
        isoformat(value), " compact" if compact else "", value.strftime("%Y-%m-%d %H:%M"))


@bp.app_template_filter("name_of")
def name_of(qr) -> str:
    """What people call a QR Code: its title, else a few words of what it holds (the host
    it sends to, a network's name, a contact's…): a random key means nothing to them."""
    return qr.title or TYPES[qr.type].summary(qr.payload()) or qr.key


from . import account, analytics, csv_import, domains, keys, qrcodes, templates, test_scan, theme, users  # noqa: E402,F401  (views register on bp)
