"""The GS1 Digital Link resolver: ``/01/{gtin}[/10/{batch}][/21/{serial}]`` on a served
domain answers as the gs1 QR Code of that product (or, as GS1 resolvers do, of the less
specific one: the batch's, then the GTIN's). The default link redirects like any scan
(counted and recorded); ``?linkType=gs1:pip`` goes to that link of the code (its default
link when it has none); ``?linkType=all`` answers the linkset (RFC 9264), counting nothing."""

import json
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, request
from werkzeug.wrappers import Response

from ..contents import gs1, payload_of
from ..contents.stored import gs1_key
from ..state import app_state
from .counter import Routing
from .public import NO_CACHE, after_scan, plugins_choice, served_domain

bp = Blueprint("resolver", __name__)


@bp.route("/01/<path:rest>", methods=["GET", "HEAD"])
def resolve(rest: str):
    """Answer a GS1 Digital Link of a served domain."""
    state = app_state()
    domain = served_domain(rest)
    found = gs1.parse_path(_raw_path())
    if found is None:
        abort(404)
    key, routing = _most_specific(domain, *found)
    payload = payload_of("gs1", routing.content)
    link_type = request.args.get("linkType")
    if link_type == "all":
        # The instance's scheme, as in the link the code encodes (a TLS proxy may send http).
        body = gs1.linkset(payload, f"{current_app.config['CODEQR_SCHEME']}://{domain}", routing.url)
        return Response(json.dumps(body), mimetype="application/linkset+json", headers=NO_CACHE)
    target = payload.link_types.get(link_type, routing.url) if link_type else routing.url
    if state.redirect_hook_used:  # plugins decide on every scan, whichever link it came by
        target = plugins_choice(state, domain, key, routing, target) or target
    if request.method == "GET":
        visit = state.visits.read(request) if state.visits.records_events else None
        if state.scan_counter.scan(domain, key, visit, target) is None:
            abort(404)  # deleted since it was found
        after_scan(state, visit, domain, key, routing, target)
    return Response(status=302, headers={"Location": target, **NO_CACHE})


def _most_specific(domain: str, gtin: str, batch: str | None, serial: str | None) -> tuple[str, Routing]:
    """The key and routing of the most specific gs1 QR Code answering the link, or a 404."""
    state = app_state()
    for parts in dict.fromkeys(((gtin, batch, serial), (gtin, batch, None), (gtin, None, None))):
        key = gs1_key(*parts)
        routing = state.scan_counter.peek(domain, key)
        if routing is not None and routing.type == "gs1":
            return key, routing
    abort(404)


def _raw_path() -> str:
    """The request's path as sent: a batch or serial may hold an encoded ``/`` (``%2F``),
    which the decoded path would turn into another segment."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path
    return urlsplit(raw).path  # also when a client sent the absolute form (http://host/01/…)
