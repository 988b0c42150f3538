"""The web UI: Jinja pages behind a login, built on the same services as the API."""

from flask import Blueprint

bp = Blueprint("web", __name__)
# Not part of the API spec. APIFlask reads this attribute of every blueprint that
# has before_request functions, plain Flask blueprints included.
bp.enable_openapi = False

from . import account, imports, keys, qrcodes  # noqa: E402,F401  (views register on bp)
