"""The application factory: the one place an app is built."""

import os
from collections.abc import Callable
from datetime import datetime
from importlib.resources import files

from apiflask import APIFlask
from flask import Request
from flask.sessions import SecureCookieSessionInterface
from jinja2 import ChoiceLoader, FileSystemLoader
from sqlalchemy.engine import make_url
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from . import errorhandlers, web
from .accounts import ratelimits
from .api import build_blueprint
from .api.docs import bp as api_docs_bp
from .api.views import document_spec
from .commandline.app_commands import register as register_commands
from .config import DEFAULTS, FrozenConfig, build_config, check_settings, resolve_paths
from .domain.schemas import Error, inline_schema, qrcode_schemas
from .domain.timeutil import utcnow
from .instance import prepare_instance_folder
from .operations import health, metrics, requestlog, security_headers
from .operations.bodies import CappedBodies
from .operations.outages import apply_timeouts
from .operations.proxies import TrustedProxies
from .persistence.database import configure_engine, normalise_url
from .persistence.extensions import alembic, csrf, db, login_manager
from .pluginmanager import build_plugin_manager, design_fields, plugin_defaults
from .scans import public, resolver
from .state import build_app_state, chosen_plugins
from .web.account import SIGN_IN_PAGES
from .web.forms import qrcode_form

#: No CodeQR input nests deeper than a few levels; deeper bodies are refused before any
#: work (Python's parser and pydantic would otherwise hit their recursion limits).
MAX_JSON_DEPTH = 32
JSON_ONLY = "the request body must be JSON, sent with Content-Type: application/json"


class CodeQRRequest(CappedBodies, Request):
    def get_json(self, force=False, silent=False, cache=True):
        # Even when forced (APIFlask forces): a form or text/plain body, which any web page can
        # make a browser send, is not read as JSON. ``application/*+json`` is JSON too (RFC 6839).
        if not self.is_json and not silent:
            raise UnsupportedMediaType(JSON_ONLY)
        try:
            data = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError as error:
            raise BadRequest(f"the request body nests deeper than {MAX_JSON_DEPTH} levels") from error
        if _deeper_than(data, MAX_JSON_DEPTH):
            raise BadRequest(f"the request body nests deeper than {MAX_JSON_DEPTH} levels")
        return data

    def on_json_loading_failed(self, error):
        raise BadRequest("the request body is not valid JSON") from error


class CodeQRApp(APIFlask):
    """APIFlask with CodeQR's requests and a config that ``create_app`` freezes when done."""

    config_class = FrozenConfig
    config: FrozenConfig
    request_class = CodeQRRequest


def _deeper_than(data, limit: int) -> bool:
    """Whether arrays and objects in ``data`` nest more than ``limit`` levels (walked without recursion)."""
    level = [data]  # the nodes at one depth: a container among those at depth `limit` is too deep
    for _ in range(limit):
        level = [child for node in level if isinstance(node, (list, dict))
                 for child in (node.values() if isinstance(node, dict) else node)]
        if not level:
            return False
    return any(isinstance(node, (list, dict)) for node in level)


class LazySessionInterface(SecureCookieSessionInterface):
    """Builds the signing serializer only when a session cookie came with the request:
    redirects and images (no cookie) skip that work."""

    def open_session(self, app, request):
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def create_app(test_config: dict | None = None, plugins=(), *, served_at: str | None = None,
               listing_only: bool = False, wait_for_database: bool = True,
               clock: Callable[[], datetime] = utcnow) -> CodeQRApp:
    """Build a CodeQR app: config, plugins, database, blueprints. Config is frozen after.

    ``served_at`` (``host:port``) is the address a server command listens on: without
    ``CODEQR_DEFAULT_DOMAIN``, short links use it. ``listing_only`` builds just what lists the
    commands (``codeqr --help``): nothing is written and nothing connects. Without
    ``wait_for_database`` the schema upgrade waits for the caller (``codeqr`` commands start
    it themselves, failing at once when the database is away, or not at all). ``clock`` is
    the time the services read (``Context.now``): tests give another.
    """
    instance_path = os.environ.get("CODEQR_INSTANCE_PATH") or (test_config or {}).get("INSTANCE_PATH")
    app = CodeQRApp(
        "codeqr",
        title="CodeQR API",
        version=_version(),
        # None: Flask's rule, ./instance beside the package in a checkout, and
        # <venv>/var/codeqr-instance once installed: the same folder from wherever it runs.
        instance_path=os.path.abspath(instance_path) if instance_path else None,
        instance_relative_config=True,
        template_folder=str(files("codeqr_templates")),
        json_errors=False,
        spec_path="/api/openapi.json",
        docs_path=None,  # api/docs.py serves it, from the package
    )
    app.session_interface = LazySessionInterface()

    # Which plugins load depends on the config; plugin defaults then join the config.
    instance_path = app.instance_path
    if not listing_only:
        prepare_instance_folder(instance_path)
    first_pass = build_config(instance_path, test_config, DEFAULTS)
    pm = build_plugin_manager(plugins, first_pass["CODEQR_DISABLED_PLUGINS"])
    defaults = DEFAULTS | plugin_defaults(pm)
    config = build_config(instance_path, test_config, defaults)
    check_settings(config, defaults)
    config["CODEQR_DATABASE_URL"] = normalise_url(config["CODEQR_DATABASE_URL"] or "")
    resolve_paths(config, instance_path, served_at, create_secret=not listing_only)
    app.config.update(config)
    app.config.update(_framework_settings(pm, config))
    secure = app.config["CODEQR_SCHEME"] == "https"
    app.config.update(SESSION_COOKIE_SECURE=secure, REMEMBER_COOKIE_SECURE=secure)

    db.init_app(app)
    alembic.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    app.jinja_loader = _template_loader(pm)
    schemas = qrcode_schemas(design_fields(pm))
    qrcode_form(schemas)  # built now, so a plugin's field that clashes with the form stops the app
    api_bp = build_blueprint(schemas)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_docs_bp)
    # apiflask's SpecCallbackType says dict | str in and out; it passes and takes the spec's dict.
    app.spec_processor(document_spec)  # type: ignore[arg-type]
    csrf.exempt(api_bp)  # the API authenticates with bearer keys, not cookies
    app.register_blueprint(web.bp)
    for blueprints in pm.hook.codeqr_blueprints():
        for blueprint in blueprints:
            app.register_blueprint(blueprint)
    app.register_blueprint(health.bp)  # before public: their paths are not short links
    app.register_blueprint(metrics.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(resolver.bp)
    for get_only in (public.bp, resolver.bp, health.bp, metrics.bp):  # GET-only routes: spare the redirect the check
        csrf.exempt(get_only)
    security_headers.install(app)
    errorhandlers.register(app)
    ratelimits.install(app, api_bp, SIGN_IN_PAGES)
    register_commands(app, pm)
    if listing_only:
        chosen_plugins(pm, app.config)  # a bad name is reported even then
        app.config.frozen = True
        return app

    with app.app_context():
        configure_engine(db.engine, app.config["CODEQR_SQLITE_BUSY_TIMEOUT_MS"])
        apply_timeouts(db.engine, app.config["CODEQR_DATABASE_TIMEOUT_SECONDS"])
        app.extensions["codeqr"] = build_app_state(app, pm, schemas, clock)
    state = app.extensions["codeqr"]
    if wait_for_database:
        state.database.start()
    # Each serving process runs jobs: its thread starts with the process (wsgi.py) or its first request.
    app.before_request(state.jobs.ensure_started)

    requestlog.install(app, log_lines=app.config["CODEQR_REQUEST_LOG"])
    if app.config["CODEQR_PROXY_FIX"]:
        # Flask's documented way to add WSGI middleware, though its types declare wsgi_app a method.
        app.wsgi_app = TrustedProxies(app.wsgi_app, app.config["CODEQR_PROXY_FIX"])  # type: ignore[method-assign]
    app.config.frozen = True
    return app


def _engine_options(config: dict) -> dict:
    """A pool with a connection for each thread of a serving process (its request threads,
    the job runner and the enricher): a thread never waits for another's connection."""
    options: dict = {"pool_recycle": 3600}
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or url.database not in (None, "", ":memory:"):  # memory: one shared
        options.update(pool_size=config["CODEQR_SERVE_THREADS"] + 2, max_overflow=10)
    return options


def _template_loader(pm) -> ChoiceLoader:
    """Plugins' template folders first (they may override), then CodeQR's own."""
    folders = [str(path) for paths in pm.hook.codeqr_template_folders() for path in paths]
    return ChoiceLoader([FileSystemLoader(folders), FileSystemLoader(str(files("codeqr_templates")))])


def _framework_settings(pm, config: dict) -> dict:
    plugin_migrations = [str(path) for paths in pm.hook.codeqr_migration_locations() for path in paths]
    return {
        "ALEMBIC": {
            "script_location": str(files("codeqr") / "migrations"),
            "version_locations": plugin_migrations,
        },
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(config),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "VALIDATION_ERROR_STATUS_CODE": 422,
        "HTTP_ERROR_SCHEMA": inline_schema(Error),
        "VALIDATION_ERROR_SCHEMA": inline_schema(Error),
        "AUTO_404_RESPONSE": True,
        "INFO": {"description": "Create, update and manage QR Codes; every error is "
                 '`{"error": {"code": …, "message": …}}`.'},
    }


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("codeqr")
    except PackageNotFoundError:
        return "0+unknown"
