"""The security headers every response carries: pages, API answers and errors, images,
redirects, static files.

The Content-Security-Policy allows no inline script nor inline style (templates keep their
scripts and styles in ``static/``), no plugins, no framing. Images may come from anywhere:
a storage serving by redirect sends them from its own host (S3's presigned URLs), and an
image runs no code. An SVG is a document that could carry script when opened on its own:
it gets a policy of its own that allows nothing but its inline styles and sandboxes it.

Referrer-Policy: the UI's addresses name QR Codes, searches and jobs, so pages send no
``Referer`` to other sites (``same-origin``). A short link's redirect is different: the
policy of a redirect becomes the one the browser applies when it asks the destination, and
the destination's analytics rightly want to know which site the visitor came from. The
redirect says ``strict-origin-when-cross-origin``, the browsers' default: the destination
sees the referring site's origin, never its path, and never more than it would have seen
from a direct link (the short link itself is never the referrer).

A page may set a Content-Security-Policy of its own, which is kept (a short link's password
page: its form's answer redirects to the destination, which ``form-action`` must allow).
"""

from flask import Flask, Response, request

#: The short-link redirect (``public.redirect``): its Referrer-Policy is chosen above.
REDIRECT_ENDPOINT = "public.redirect"

PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src * data:; "
               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"
#: One year, this host only: the operator's other subdomains may not all have TLS.
HSTS = "max-age=31536000"


def install(app: Flask) -> None:
    """Add the headers to every response ``app`` gives (HSTS when it is served over https)."""
    common = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}
    if app.config["CODEQR_SCHEME"] == "https":
        common["Strict-Transport-Security"] = HSTS
    pages = {**common, "Content-Security-Policy": PAGE_POLICY, "Referrer-Policy": "same-origin"}
    svg = {**pages, "Content-Security-Policy": SVG_POLICY}
    redirect = {**pages, "Referrer-Policy": "strict-origin-when-cross-origin"}

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        if response.mimetype == "image/svg+xml":
            chosen = svg
        elif request.endpoint == REDIRECT_ENDPOINT and response.status_code == 302:
            chosen = redirect
        else:
            chosen = pages
        response.headers.update(chosen if "Content-Security-Policy" not in response.headers else
                                {name: value for name, value in chosen.items() if name != "Content-Security-Policy"})
        return response
