"""The JSON API under /api: one blueprint per app, made with the app's QR Code classes."""

from apiflask import APIBlueprint

from ..domain.schemas import QRCodeSchemas
from ..errorhandlers import refuse_nul_bytes
from .analytics import add_analytics_routes
from .domains import add_domain_routes
from .organise import add_organise_routes
from .replace import add_replace_routes
from .templates import add_template_routes
from .views import add_qrcode_routes


def build_blueprint(schemas: QRCodeSchemas) -> APIBlueprint:
    """The API's blueprint for an app whose QR Codes are ``schemas``."""
    bp = APIBlueprint("api", __name__, url_prefix="/api", tag="QR Codes")
    bp.before_request(refuse_nul_bytes)
    add_qrcode_routes(bp, schemas)
    add_organise_routes(bp)
    add_analytics_routes(bp)
    add_template_routes(bp)
    add_domain_routes(bp)
    add_replace_routes(bp)
    return bp


__all__ = ["build_blueprint"]
