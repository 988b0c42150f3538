"""The application factory: the one place an app is built."""

import os
from importlib.resources import files

from apiflask import APIFlask
from flask import Request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix

from jinja2 import ChoiceLoader, FileSystemLoader

from . import errorhandlers, public, web
from .api import bp as api_bp
from .config import DEFAULTS, FrozenConfig, build_config, resolve_paths
from .database import configure_engine, normalise_url, upgrade_schema
from .extensions import alembic, csrf, db, login_manager
from .pluginmanager import build_plugin_manager, collect, plugin_defaults
from .rendering import Images
from .scans import ScanCounter


class CodeQRRequest(Request):
    def on_json_loading_failed(self, error):
        raise BadRequest("the request body is not valid JSON") from error


class LazySessionInterface(SecureCookieSessionInterface):
    """Builds the signing serializer only when a session cookie came with the request:
    redirects and images (no cookie) skip that work."""

    def open_session(self, app, request):
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def create_app(test_config: dict | None = None, plugins=()) -> APIFlask:
    """Build a CodeQR app: config, plugins, database, blueprints. Config is frozen after."""
    instance_path = os.path.abspath(
        os.environ.get("CODEQR_INSTANCE_PATH") or (test_config or {}).get("INSTANCE_PATH") or "instance"
    )
    app = APIFlask(
        "codeqr",
        title="CodeQR API",
        version=_version(),
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(files("codeqr_templates")),
        json_errors=False,
        spec_path="/api/openapi.json",
        docs_path="/api/docs",
    )
    app.config.__class__ = FrozenConfig
    app.request_class = CodeQRRequest
    app.session_interface = LazySessionInterface()

    # Which plugins load depends on the config; plugin defaults then join the config.
    first_pass = build_config(instance_path, test_config, DEFAULTS)
    pm = build_plugin_manager(plugins, first_pass["CODEQR_DISABLED_PLUGINS"])
    config = build_config(instance_path, test_config, DEFAULTS | plugin_defaults(pm))
    config["CODEQR_DATABASE_URL"] = normalise_url(config["CODEQR_DATABASE_URL"] or "")
    resolve_paths(config, instance_path)
    app.config.update(config)
    app.config.update(_framework_settings(pm))
    secure = app.config["CODEQR_SCHEME"] == "https"
    app.config.update(SESSION_COOKIE_SECURE=secure, REMEMBER_COOKIE_SECURE=secure)

    state = collect(pm)
    state.storage = state.storages.pick(app.config["CODEQR_STORAGE"], "CODEQR_STORAGE")(app)
    state.overlay = state.overlays.pick(app.config["CODEQR_OVERLAY"], "CODEQR_OVERLAY")(app.config)
    state.renderers.pick(app.config["CODEQR_DEFAULT_FORMAT"], "CODEQR_DEFAULT_FORMAT")
    renderers = {name: cls(app.config) for name, cls in state.renderers.items()}
    state.images = Images(app.config, renderers, state.storage, state.overlay)
    app.extensions["codeqr"] = state

    db.init_app(app)
    alembic.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    app.jinja_loader = _template_loader(pm)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # the API authenticates with bearer keys, not cookies
    app.register_blueprint(web.bp)
    for blueprints in pm.hook.codeqr_blueprints():
        for blueprint in blueprints:
            app.register_blueprint(blueprint)
    app.register_blueprint(public.bp)
    csrf.exempt(public.bp)  # GET-only routes: spare the redirect the check
    errorhandlers.register(app)
    from . import cli

    cli.register(app)
    state.reserved_keys = frozenset(_first_segments(app))

    with app.app_context():
        configure_engine(db.engine, app.config["CODEQR_SQLITE_BUSY_TIMEOUT_MS"])
        state.scan_counter = ScanCounter(db.engine, app.config["CODEQR_SCAN_ASYNC_COMMIT"])
        if app.config["CODEQR_AUTO_MIGRATE"]:
            upgrade_schema()

    if app.config["CODEQR_PROXY_FIX"]:
        hops = app.config["CODEQR_PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    app.config.frozen = True
    return app


def _template_loader(pm) -> ChoiceLoader:
    """Plugins' template folders first (they may override), then CodeQR's own."""
    folders = [str(path) for paths in pm.hook.codeqr_template_folders() for path in paths]
    return ChoiceLoader([FileSystemLoader(folders), FileSystemLoader(str(files("codeqr_templates")))])


def _framework_settings(pm) -> dict:
    plugin_migrations = [str(path) for paths in pm.hook.codeqr_migration_locations() for path in paths]
    return {
        "ALEMBIC": {
            "script_location": str(files("codeqr") / "migrations"),
            "version_locations": plugin_migrations,
        },
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 3600},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "VALIDATION_ERROR_STATUS_CODE": 422,
        "HTTP_ERROR_SCHEMA": _ERROR_SCHEMA,
        "VALIDATION_ERROR_SCHEMA": _ERROR_SCHEMA,
        "AUTO_404_RESPONSE": True,
        "INFO": {"description": "Create, update and manage QR Codes; every error is "
                 '`{"error": {"code": …, "message": …}}`.'},
    }


_ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}


def _first_segments(app) -> set[str]:
    """First path segments of every route: keys that would shadow them are refused."""
    segments = {"api", "qr", "static", "admin", "login", "logout", "setup", "healthz", "favicon.ico", "robots.txt"}
    for rule in app.url_map.iter_rules():
        first = rule.rule.lstrip("/").split("/", 1)[0]
        if first and "<" not in first:
            segments.add(first.lower())
    return segments


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("codeqr")
    except PackageNotFoundError:
        return "0+unknown"
