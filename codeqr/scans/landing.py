"""The landing pages a dynamic QR Code's short link answers for content a phone cannot
follow as a link: a contact, a text, an event, a payment, a place…"""

from typing import Any

from flask import render_template
from werkzeug.wrappers import Response

from ..contents import TYPES


def page(type_name: str, payload: Any) -> Response:
    """The landing page of a scan of a dynamic QR Code of ``type_name`` holding ``payload``."""
    kind = TYPES[type_name]
    return Response(render_template("landing.html", kind=kind, payload=payload), mimetype="text/html")
