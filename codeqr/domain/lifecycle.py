"""The plugins' lifecycle hooks of QR Codes (created, updated, deleted), called once the
write that calls them is committed."""

import logging

from ..context import Context
from ..persistence.database import after_commit

log = logging.getLogger(__name__)


def fire(ctx: Context, hook: str, **kwargs) -> None:
    """Call a lifecycle hook with the app it runs in, after the commit (of the outermost
    transaction, when a job made this part of one). A plugin's failure is logged: the
    work is stored, and an error answer would make the client repeat it."""
    caller = getattr(ctx.state.pm.hook, hook)
    app = ctx.app

    def call():
        try:
            caller(app=app, **kwargs)
        except Exception:
            log.exception("a %s hook failed", hook)

    after_commit(call)
