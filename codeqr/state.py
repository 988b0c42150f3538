"""The app state: what CodeQR builds once per app beside its config, and its accessor."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

import pluggy
from flask import Flask, current_app

from . import pluginmanager
from .config import host_aliases
from .domain.domains import ServedDomains
from .domain.rendering import Images
from .domain.schemas import QRCodeSchemas
from .jobs import kinds
from .jobs.runner import JobRunner
from .operations.outages import StartupWait
from .persistence.database import upgrade_schema
from .persistence.extensions import db
from .scans.agents import AgentParser
from .scans.counter import ScanCounter
from .scans.enrichment import EnrichmentWorker
from .scans.routes import Routes
from .scans.visit import VisitReader

#: First path segments kept from keys even before a route uses them.
_ALWAYS_RESERVED = {"api", "qr", "static", "admin", "login", "logout", "setup", "healthz", "readyz", "metrics",
                    "favicon.ico", "robots.txt"}


@dataclass(frozen=True)
class AppState:
    """Kept in ``app.extensions["codeqr"]``: the plugin manager and the backends it chose."""

    pm: pluggy.PluginManager
    #: the QR Code classes, with the design fields the plugins add
    schemas: QRCodeSchemas
    #: renderers by format, the chosen storage and overlay
    images: Images
    scan_counter: ScanCounter
    #: short links decided before they are counted (link options, aliases), kept a while
    routes: Routes
    #: the domains added as data, kept a while (``domain.domains``)
    served_domains: ServedDomains
    #: what a scan request tells (CODEQR_ANALYTICS), user agents, and the enrichment thread
    visits: VisitReader
    agents: AgentParser
    enrichment: EnrichmentWorker
    #: the thread that runs jobs (imports, exports) in this process
    jobs: JobRunner
    #: the schema upgrade at start, retried while the database is away
    database: StartupWait
    #: every host a short link may come on, with the served domain it means
    hosts: dict[str, str]
    #: first path segments of the app's routes: no short-link key may take one
    reserved_keys: frozenset[str]
    #: whether any plugin implements these: the redirect skips them otherwise
    scan_hook_used: bool
    redirect_hook_used: bool
    #: the time services read (``Context.now``): ``timeutil.utcnow``, or a test's clock
    clock: Callable[[], datetime]


def build_app_state(app: Flask, pm: pluggy.PluginManager, schemas: QRCodeSchemas,
                    clock: Callable[[], datetime]) -> AppState:
    """Build every registered renderer and the configured storage and overlay.

    Call it in an app context, once every blueprint is registered. A bad plugin or
    an unknown name in ``CODEQR_STORAGE``, ``CODEQR_OVERLAY`` or
    ``CODEQR_DEFAULT_FORMAT`` raises ``PluginError`` naming what is available.
    """
    config = app.config
    renderer_classes, storage_class, overlay_class = chosen_plugins(pm, config)
    storage, overlay = storage_class(config), overlay_class(config)
    renderers = {name: cls(config) for name, cls in renderer_classes.items()}
    scan_counter = ScanCounter(db.engine, config["CODEQR_SCAN_ASYNC_COMMIT"], clock)
    return AppState(
        pm=pm,
        schemas=schemas,
        images=Images(config, renderers, storage, overlay),
        scan_counter=scan_counter,
        routes=Routes(scan_counter, config["CODEQR_ROUTING_CACHE_SECONDS"]),
        served_domains=ServedDomains(config["CODEQR_ROUTING_CACHE_SECONDS"]),
        visits=VisitReader(config, clock),
        agents=AgentParser(),
        enrichment=EnrichmentWorker(app, config["CODEQR_ANALYTICS_WORKER"], config["CODEQR_SCAN_RETENTION_DAYS"]),
        jobs=JobRunner(app, pluginmanager.job_kinds(pm), enabled=config["CODEQR_JOB_WORKER"],
                       lease_seconds=config["CODEQR_JOB_LEASE_SECONDS"], clock=clock, chores=kinds.chores()),
        database=StartupWait(app, partial(upgrade_schema, app.instance_path) if config["CODEQR_AUTO_MIGRATE"] else lambda: None,
                             retry_seconds=max(1.0, config["CODEQR_DATABASE_TIMEOUT_SECONDS"])),
        hosts=host_aliases(config["CODEQR_DOMAINS"], this_machine=config["CODEQR_DEFAULT_DOMAIN"]
                           if config["CODEQR_DEVELOPMENT_DOMAIN"] else None),
        reserved_keys=frozenset(_reserved_keys(app)),
        scan_hook_used=bool(pm.hook.codeqr_qrcode_scanned.get_hookimpls()),
        redirect_hook_used=bool(pm.hook.codeqr_redirect.get_hookimpls()),
        clock=clock,
    )


def chosen_plugins(pm: pluggy.PluginManager, config) -> tuple[dict, type, type]:
    """Every renderer class, and the storage and overlay classes the config names;
    an unknown name raises ``PluginError`` naming those available."""
    renderer_classes = pluginmanager.renderers(pm)
    renderer_classes.pick(config["CODEQR_DEFAULT_FORMAT"], "CODEQR_DEFAULT_FORMAT")
    storage = pluginmanager.storages(pm).pick(config["CODEQR_STORAGE"], "CODEQR_STORAGE")
    overlay = pluginmanager.overlays(pm).pick(config["CODEQR_OVERLAY"], "CODEQR_OVERLAY")
    return renderer_classes, storage, overlay


def _reserved_keys(app: Flask) -> set[str]:
    segments = set(_ALWAYS_RESERVED)
    for rule in app.url_map.iter_rules():
        first = rule.rule.lstrip("/").split("/", 1)[0]
        if first and "<" not in first:
            segments.add(first.lower())
    return segments


def app_state() -> AppState:
    """Return the state of the current app."""
    return current_app.extensions["codeqr"]
