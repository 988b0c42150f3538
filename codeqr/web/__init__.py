"""The web UI: Jinja pages behind a login, built on the same services as the API."""

from datetime import datetime

from flask import Blueprint

bp = Blueprint("web", __name__)
# Not part of the API spec. APIFlask reads this attribute of every blueprint that
# has before_request functions, plain Flask blueprints included.
bp.enable_openapi = False


@bp.app_template_filter("minutes")
def minutes(value: datetime) -> str:
    """A timestamp to the minute: ``2025-04-27 15:09``."""
    return value.strftime("%Y-%m-%d %H:%M")


from . import account, analytics, csv_import, keys, qrcodes  # noqa: E402,F401  (views register on bp)
