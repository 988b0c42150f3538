"""Public routes, no credentials: short-link redirects, landing pages and their files, rendered images."""

from functools import partial

from flask import Blueprint, abort, current_app, request
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from ..contents import payload_of, shows_page
from ..context import for_visitor, the_app
from ..design import logos
from ..domain import qrcodes
from ..domain.timeutil import isoformat, utcnow
from ..errors import StorageUnavailable
from ..links.decide import decide
from ..persistence.extensions import csrf
from ..state import AppState, app_state
from . import landing, passwords
from .counter import DECISION_COLUMNS, LANDING_PAGE_URL, Routing
from .routes import Route
from .visit import VISITOR_COOKIE, VISITOR_COOKIE_DAYS, visit_of

bp = Blueprint("public", __name__)

#: Browsers and proxies must ask again every time: the destination can change.
NO_CACHE = {
    "Cache-Control": "no-store, no-cache, must-revalidate, max-age=0, private",
    "Pragma": "no-cache",
    "Expires": "0",
}


@bp.route("/<key>", methods=["GET", "HEAD", "POST"])
def redirect(key: str):
    """Send the visitor where the QR Code's link goes; count the scan and store its event (GET
    only; a POST is the password page's form, answered as the redirect is: ``unlock``)."""
    if request.method == "POST":
        return unlock(key)
    state = app_state()
    domain = served_domain(key)
    route = state.routes.get(domain, key)
    visit = None
    if route is None and request.method == "GET" and not state.redirect_hook_used:
        # The hot path: a code without link options is counted and found in one statement.
        visit = state.visits.read(request) if state.visits.records_events else None
        routing = state.scan_counter.scan(domain, key, visit)
        if routing is not None:
            after_scan(state, visit, domain, key, routing, None)
            return _answer(key, routing, None)
    if route is None:
        route = state.routes.load(domain, key)  # link options, an alias, a plugin to ask, or HEAD
        if route is None:
            return not_found(state, domain)
    return routed(state, domain, key, route, visit)


def not_found(state: AppState, domain: str) -> Response:
    """A key no QR Code has: where the domain sends it (its ``notFoundUrl``), or a 404."""
    kept = state.served_domains.of(domain)
    if kept is None or kept.not_found_url is None:
        abort(404)
    return Response(status=302, headers={"Location": kept.not_found_url, **NO_CACHE})


def routed(state: AppState, domain: str, key: str, route: Route, visit: dict | None, unlocked: bool = False) -> Response:
    """Answer a scan of ``domain``/``key`` whose ``route`` is known: decided by its link options
    (``links.decide``), then a plugin's ``codeqr_redirect``; counted unless it is a HEAD or
    waits for a password (``unlocked``: the visitor just gave it)."""
    routing, decision = route.routing, None
    counts = request.method != "HEAD"  # a GET, or the password page's POST
    if counts and visit is None and state.visits.records_events:
        visit = state.visits.read(request)
    if route.link is not None:
        unlocked = unlocked or (route.link.has_password and passwords.unlocked(routing))
        visitor = state.visits.visitor(request, visit, state.agents, unlocked)
        decision = decide(route.link, visitor, state.clock())
        if decision.step == "password":
            return passwords.page(key, routing)
    landing_page = shows_page(routing.type, routing.use_display_page) and (decision is None or decision.step == "url")
    sent_url = None if landing_page else decision.destination if decision is not None else routing.url
    if state.redirect_hook_used and sent_url:
        sent_url = plugins_choice(state, route.domain, route.key, routing, sent_url) or sent_url
    if counts:
        decided = {"step": decision.step, "rule": decision.rule, "variant": decision.variant} if decision else {}
        counted = state.scan_counter.scan(route.domain, route.key, visit,
                                          LANDING_PAGE_URL if sent_url is None and not landing_page else sent_url,
                                          decided=dict.fromkeys(DECISION_COLUMNS) | decided, decided_on=routing)
        if counted is None:
            # Changed since this server kept its route (its options, its key, its link given to
            # another code), or deleted: read and decided anew, the password asked again if it
            # was the code as kept that the visitor unlocked.
            fresh = state.routes.load(domain, key)
            if fresh is None or fresh.routing == routing:
                abort(404)
            return routed(state, domain, key, fresh, visit, unlocked and fresh.routing.id == routing.id
                          and fresh.routing.link == routing.link)
        state.routes.seen(domain, key, route)
        after_scan(state, visit, route.domain, route.key, counted, sent_url)
    if decision is not None and decision.gone:
        return passwords.gone(key)
    response = _answer(key, routing, sent_url)
    if decision is not None and decision.variant is not None and request.cookies.get(VISITOR_COOKIE) != visitor.identity:
        # Keeps them on this variant beyond the day their visitor hash lasts (``visit.VisitReader.visitor``).
        response.set_cookie(VISITOR_COOKIE, visitor.identity or "", max_age=VISITOR_COOKIE_DAYS * 86400,
                            httponly=True, samesite="Lax", secure=request.is_secure)
    return response


def unlock(key: str) -> Response:
    """The password page's form: the right password counts the scan once and sends the
    visitor on (and remembers the unlock for a while); a wrong one shows the page again
    (401), counts nothing, and counts against the rate limits."""
    state = app_state()
    domain = served_domain(key)
    route = state.routes.load(domain, key)  # the password as stored now, not as kept a while
    if route is None:
        abort(404)
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            csrf.protect()  # the blueprint is exempt (its GETs need no token): this form is checked here
        except CSRFError:
            return passwords.page(key, route.routing, status=400,
                                  message="This form expired: it was open too long. Enter the password again.")
    if route.link is None or not route.link.has_password:
        return routed(state, domain, key, route, None)  # no password (any more): an ordinary scan
    limits = passwords.limits()
    wait = limits.wait(route.routing.id)
    if wait:
        return passwords.too_many(key, route.routing, wait)
    if not passwords.is_right(route.routing, request.form.get("password", "")):
        limits.failed(route.routing.id)
        return passwords.page(key, route.routing, wrong=True)
    response = routed(state, domain, key, route, None, unlocked=True)
    passwords.remember_unlock(response, key, route.routing)
    return response


def after_scan(state: AppState, visit: dict | None, domain: str, key: str, routing: Routing, sent_url: str | None) -> None:
    """After a scan was counted: wake the enrichment of its stored event, or, when no event is
    stored, tell plugins now, its url as an event would record it (``counter.LANDING_PAGE_URL``
    for a landing page)."""
    if visit is not None:
        state.enrichment.wake()
    elif state.scan_hook_used:
        shown = LANDING_PAGE_URL if shows_page(routing.type, routing.use_display_page) else routing.url
        state.pm.hook.codeqr_qrcode_scanned(app=the_app(), event={
            "timestamp": isoformat(utcnow()), "qrcodeId": routing.id, "domain": domain, "key": key,
            "url": sent_url or shown})


def _answer(key: str, routing: Routing, sent_url: str | None) -> Response:
    """What a scan of ``routing`` gets: a redirect to its destination (or the link a phone
    follows), or the landing page of its content."""
    if sent_url is None and shows_page(routing.type, routing.use_display_page):
        response = landing.page(routing.type, payload_of(routing.type, routing.content), key)
        response.headers.update(NO_CACHE)
        return response
    # A redirecting type's url is its destination or its content's link (``contents.lookup_text``).
    # Werkzeug turns an IRI into a URI when it writes the Location header.
    return Response(status=302, headers={"Location": sent_url or routing.url, **NO_CACHE})


def served_domain(key: str) -> str:
    """The served domain the request came to, or a 404 (another host, or a NUL in ``key``)."""
    state = app_state()
    host = request.host.lower()
    domain = state.hosts.get(host) or state.served_domains.domain_of(host)
    if domain is None or "\x00" in key:
        abort(404)
    return domain


def download(key: str, type_name: str):
    """The file a landing page offers (a contact's .vcf, an event's .ics): read, not a scan,
    so nothing is counted; only a dynamic code of ``type_name`` has it."""
    state = app_state()
    route = state.routes.load(served_domain(key), key)  # by its own link or an old one kept
    if route is None or route.routing.type != type_name:
        abort(404)
    routing, link = route.routing, route.link
    if link is not None:  # its landing page may be locked or gone: so is its file
        if link.has_password and not passwords.unlocked(routing):
            abort(404)
        if link.expires_at is not None and state.clock() >= link.expires_at:
            return passwords.gone(key)
    response = landing.download(type_name, payload_of(type_name, routing.content))
    response.headers.update(NO_CACHE)  # the content can change, as a redirect's destination can
    return response


# A key has no "/": these never take a short link's place.
for _type_name, _offered in landing.DOWNLOADS.items():
    bp.add_url_rule(f"/<key>/{_offered.file_name}", landing.download_endpoint(_type_name),
                    partial(download, type_name=_type_name), methods=["GET", "HEAD"])


def plugins_choice(state: AppState, domain: str, key: str, routing: Routing, url: str) -> str | None:
    """Ask ``codeqr_redirect`` where this scan, bound for ``url``, goes before it is counted: a
    URL, None for ``url``, or a status that refuses it here (nothing counted, no event stored)."""
    decision = state.pm.hook.codeqr_redirect(app=the_app(), id=routing.id, domain=domain, key=key,
                                             url=url, visit=visit_of(request, state.agents))
    if isinstance(decision, int):
        abort(decision)
    return decision


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask every site for it; without it each page view logs a 404."""
    response = current_app.send_static_file("favicon.ico")
    response.cache_control.max_age = 86400
    return response


@bp.get("/qr/<qr_id>.<fmt>")
def image(qr_id: str, fmt: str):
    """Serve the image of a QR Code in any registered format, cached by design hash."""
    images = app_state().images
    if fmt not in images.renderers or "\x00" in qr_id or qr_id.startswith("ext_"):
        abort(404)
    row = qrcodes.public_row_of(qr_id)  # public by design, whoever asks and whatever its folder
    if row is None:
        abort(404)
    ctx = for_visitor()
    picture = ctx.schemas.out.of_row(row, ctx.config).picture()  # its fields alone: no aliases nor tags read
    etag = images.etag(picture, fmt)
    headers = {"ETag": f'"{etag}"', "Cache-Control": "public, max-age=60, must-revalidate"}
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    location = images.location(picture, fmt, etag)
    if location is not None:
        # The URL expires (a presigned one does): the redirect itself must not be cached.
        return Response(status=302, headers={"Location": location, "ETag": f'"{etag}"', "Cache-Control": "no-store"})
    data = images.get(picture, fmt, etag)
    return Response(data, mimetype=images.renderers[fmt].media_type, headers=headers)


@bp.get(f"{logos.ROUTE}<logo_name>")
def logo(logo_name: str):
    """A QR Code's own logo, by the name its ``logo`` holds: the name is the hash of the
    bytes, so they never change and may be cached for good."""
    storage = app_state().images.storage
    if not logos.NAME.fullmatch(logo_name):
        abort(404)
    headers = {"ETag": f'"{logo_name}"', "Cache-Control": "public, max-age=31536000, immutable"}
    if request.if_none_match.contains(logo_name):
        return Response(status=304, headers=headers)
    try:
        data = storage.get(logo_name)
    except StorageUnavailable:
        raise
    except Exception as error:
        raise StorageUnavailable(f"image storage {storage.name!r} failed: {error}") from error
    if data is None:
        abort(404)
    return Response(data, mimetype="image/png", headers=headers)
