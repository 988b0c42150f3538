"""The pages a scan may get instead of its destination: the password page of a QR Code
with a password, and the 410 page of one expired with nowhere to go."""

from flask import render_template
from werkzeug.wrappers import Response

from .counter import Routing

#: Browsers and proxies keep none of these pages: the code's options can change.
_NO_STORE = {"Cache-Control": "no-store, private"}


def page(key: str, routing: Routing, wrong: bool = False, status: int = 200) -> Response:
    """The password page of the short link ``key``: a form that posts the password back to it."""
    html = render_template("links/password.html", key=key, wrong=wrong)
    return Response(html, status=401 if wrong else status, headers=_NO_STORE, mimetype="text/html")


def gone(key: str) -> Response:
    """The page of a short link expired with no ``expiredUrl``: 410 Gone."""
    return Response(render_template("links/gone.html", key=key), status=410, headers=_NO_STORE,
                    mimetype="text/html")
