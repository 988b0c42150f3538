"""Services are told their context: no module but the interfaces and the app's wiring
reaches for ``current_app`` or ``app_state()``; the app's clock is the one services read."""

import ast
import importlib.util
import pkgutil
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

import codeqr
from clock import Clock
from codeqr import db
from codeqr.accounts import apikeys, users
from codeqr.context import for_operator
from codeqr.domain import writes
from codeqr.domain.models import ApiKey, ImportJob, QRCode
from codeqr.domain.schemas import QRCodeCreate
from codeqr.domain.timeutil import utcnow
from codeqr.jobs import csv_import

#: What reaches for the current app, and why it may: module (and its submodules) -> reason.
MAY_REACH = {
    "codeqr.web": "the web UI's views: they build the context of the signed-in person",
    "codeqr.api": "the API's views: they build the context of the key's actor",
    "codeqr.commandline.commands": "the operator's commands: they build the operator's context",
    "codeqr.commandline.app_commands": "the commands each app's CLI has, run in that app",
    "codeqr.context": "the builders the interfaces call: a context in the current app",
    "codeqr.scans.public": "the public routes (redirects, images): they handle the request itself",
    "codeqr.scans.resolver": "the GS1 Digital Link routes: they handle the request itself",
    "codeqr.scans.passwords": "the public routes' password page: its page, unlock cookie and limits, per request",
    "codeqr.operations.health": "the health endpoints: they answer the request itself",
    "codeqr.operations.metrics": "the metrics endpoint: it answers the request itself",
    "codeqr.errorhandlers": "the API's error answers: a refused body's other problems, read as a visitor",
    "codeqr.accounts.ratelimits": "request hooks of the sign-in pages, installed on the app",
    "codeqr.accounts.known_devices": "the sign-in cookie of a browser, read from the request",
    "codeqr.state": "the app's state and its accessor",
    "codeqr.jobs.runner": "the job runner: each job acts as its owner, the tidying as the operator",
}
#: The current app, and the context builders: a service that built its own context would
#: choose who acts (``for_operator()``: an admin's rights) instead of being told.
_REACHING = {"current_app", "app_state", "the_app", "for_actor", "for_operator", "for_request", "for_visitor", "for_job"}


def _names(source: str) -> set[str]:
    """The names of ``_REACHING`` a module's code uses or imports."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and node.id in _REACHING:
            found.add(node.id)
        elif isinstance(node, ast.Attribute) and node.attr in _REACHING:
            found.add(node.attr)
        elif isinstance(node, ast.alias) and node.name in _REACHING:
            found.add(node.name)
    return found


def _reaching_modules() -> dict[str, set[str]]:
    """Every module of the package that names ``current_app`` or ``app_state``."""
    reaching = {}
    for info in pkgutil.walk_packages(codeqr.__path__, "codeqr."):
        spec = importlib.util.find_spec(info.name)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue
        names = _names(Path(spec.origin).read_text(encoding="utf-8"))
        if names:
            reaching[info.name] = names
    return reaching


def _allowed(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in MAY_REACH)


def test_only_interfaces_and_wiring_reach_for_the_current_app():
    reaching = _reaching_modules()
    assert "codeqr.state" in reaching  # the finder finds
    beyond = {module: sorted(names) for module, names in reaching.items() if not _allowed(module)}
    assert not beyond, f"services must take a Context instead: {beyond}"
    stale = [name for name in MAY_REACH
             if not any(module == name or module.startswith(name + ".") for module in reaching)]
    assert not stale, f"these no longer reach for the current app: remove them from MAY_REACH: {stale}"


def test_the_finder_sees_each_way_of_naming_them():
    assert _names("from flask import current_app") == {"current_app"}
    assert _names("import flask\nflask.current_app.config") == {"current_app"}
    assert _names("from .state import app_state as state") == {"app_state"}
    assert _names("app = the_app()") == {"the_app"}
    assert _names("ctx = context.for_operator()") == {"for_operator"}
    assert _names("app = make_app()") == set()


def test_services_read_the_time_of_the_app_clock(make_app):
    clock = Clock()
    clock.advance(days=3650)  # no real time is this late: what is read comes from the clock
    app = make_app(clock=clock)
    with app.app_context():
        ctx = for_operator()
        qr = writes.create(QRCodeCreate(url="https://example.com/clock"), ctx)
        users.create("admin@example.com", "a long enough password", role="admin", ctx=ctx)
        user = users.create("clock@example.com", "a long enough password", ctx=ctx)
        deactivated = users.set_active(user.id, False, ctx).deactivated_at
        apikeys.create("clock", ctx=ctx)
        apikeys.revoke("clock", ctx)
        revoked = db.session.scalar(select(ApiKey.revoked_at))
    years_ahead = utcnow() + timedelta(days=3000)
    assert qr.created_at == qr.updated_at > years_ahead
    assert deactivated is not None and revoked is not None
    assert qr.created_at < deactivated < revoked


def test_the_job_runner_reads_the_app_clock(make_app):
    clock = Clock()
    clock.advance(days=3650)
    app = make_app(clock=clock, CODEQR_JOB_WORKER=False)
    runner = app.extensions["codeqr"].jobs
    runner.owner = "test"  # set when its thread starts: here the test runs the job itself
    with app.app_context():
        job_id = csv_import.start([{"url": "https://example.com/by-the-clock"}], "rows.csv", for_operator()).id
        assert runner._run_one(ImportJob, csv_import.run)
        job = db.session.get(ImportJob, job_id)
        row = db.session.scalar(select(QRCode).where(QRCode.url == "https://example.com/by-the-clock"))
    years_ahead = utcnow() + timedelta(days=3000)
    assert row is not None
    assert job.status == "done" and job.finished_at is not None and job.finished_at > row.created_at > years_ahead
