"""Services are told who acts: every write service requires a context (``ctx``, with its
actor: none defaults to the operator's admin rights) and refuses an actor whose role lacks
the right; jobs act as their owner.

The write services are found by reading the code (a public function that reaches
``begin_write``), not listed by hand: a new one must get a case here, or a test fails."""

import ast
import base64
import importlib
import inspect
import io
import pkgutil
import textwrap
import types

import pytest
from PIL import Image
from sqlalchemy import select

import codeqr
from codeqr import db
from codeqr.accounts import apikeys, users
from codeqr.accounts.permissions import OPERATOR, actor_of_user
from codeqr.context import Context, for_actor, for_job, for_operator
from codeqr.design import templates
from codeqr.domain import bulk_update, deletes, domains, folders_admin, qrcodes, tags, writes
from codeqr.domain.models import (
    Alias,
    ApiKey,
    BulkJob,
    Folder,
    FolderUser,
    ImportJob,
    KeptLogo,
    QRCode,
    QRCodeTag,
    ReplaceUrlsJob,
    ServedDomain,
    Tag,
    User,
)
from codeqr.domain.replace_urls import ReplaceUrls
from codeqr.domain.schemas import QRCodeCreate, QRCodeUpdate
from codeqr.domain.timeutil import utcnow
from codeqr.errors import Forbidden, NotFound
from codeqr.jobs import bulk_create, csv_import
from codeqr.jobs import replace_urls as replace_jobs
from codeqr.jobs.runner import JobRunner, Lease, claim
from codeqr.persistence.database import begin_write

PASSWORD = "a long enough password"
#: The interfaces: they build the context, they are not told it.
INTERFACES = ("codeqr.web", "codeqr.api", "codeqr.commandline.cli", "codeqr.commandline.commands")  # and their submodules
#: Writes no one asks for, so no actor is told: the reason for each.
NO_ACTOR = {
    "codeqr.persistence.database.begin_write": "the write transaction itself",
    "codeqr.persistence.database.refresh_statistics": "the job runner's chore refreshing SQLite's planner statistics",
    "codeqr.accounts.apikeys.verify": "authentication: it finds who acts (recording the key's use)",
    "codeqr.jobs.exports.remove_expired": "the job runner's housekeeping of expired files",
    "codeqr.jobs.bulk_create.remove_old": "the job runner's housekeeping of answers kept a day",
    "codeqr.jobs.replace_urls.remove_old": "the job runner's housekeeping of find and replace jobs kept a day",
    "codeqr.links.health.sync_links": "the destination checks reading which codes use which URL, a chore of the runner",
    "codeqr.links.health.sweep": "the destination checks, a chore of the job runner or the operator's command",
    "codeqr.links.health.chore": "the job runner's chore of destination checks",
    "codeqr.design.logos.keep": "records a logo taken in, for the write of a QR Code that follows (which requires its actor)",
    "codeqr.design.logo_sweep.sweep": "the job runner's housekeeping of logos no QR Code names",
    "codeqr.jobs.runner.claim": "the job runner taking a job, before it acts as the owner",
    "codeqr.scans.enrichment.enrich_pending": "scans counted by visitors, enriched in the background",
    "codeqr.scans.enrichment.prune": "the retention of scan events, a setting of the operator",
}
#: Write services every role may use (what they write is the actor's own job row).
EVERY_ROLE = {"codeqr.jobs.exports.start": "every role reads every QR Code, so may export them",
              "codeqr.jobs.exports.run": "an export reads what every role may read"}


def _in_interface(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in INTERFACES)


def _writes(func, seen: set) -> bool:
    """Whether ``func`` reaches ``begin_write``, through the functions it names (not through
    an interface's: the app's wiring builds the API's views, which act, but acts for no one)."""
    if func is begin_write:
        return True
    if (not isinstance(func, types.FunctionType) or func in seen or not func.__module__.startswith("codeqr.")
            or _in_interface(func.__module__)):
        return False
    seen.add(func)
    names = func.__globals__
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(func)))):
        named = None
        if isinstance(node, ast.Name):
            named = names.get(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = names.get(node.value.id)
            named = getattr(module, node.attr, None) if isinstance(module, types.ModuleType) else None
        if named is not None and _writes(named, seen):
            return True
    return False


def write_services() -> dict:
    """``module.name`` -> function, for every public function of CodeQR that writes."""
    found = {}
    for info in pkgutil.walk_packages(codeqr.__path__, "codeqr."):
        if _in_interface(info.name) or info.name.startswith("codeqr.migrations"):
            continue
        module = importlib.import_module(info.name)
        for name, func in vars(module).items():
            if (isinstance(func, types.FunctionType) and func.__module__ == module.__name__
                    and not name.startswith("_") and _writes(func, set())):
                found[f"{module.__name__}.{name}"] = func
    return found


@pytest.fixture
def people(make_app):
    """An app with an admin, a member and a viewer, a QR Code, an admin's key and an
    import started at the machine; ``app.actors`` by role."""
    app = make_app(CODEQR_JOB_WORKER=False)
    with app.app_context():
        accounts = {role: users.create(f"{role}@example.com", PASSWORD, role=role, ctx=for_operator())
                    for role in ("admin", "member", "viewer")}
        app.ids = {role: user.id for role, user in accounts.items()}
        app.actors = {role: actor_of_user(user) for role, user in accounts.items()} | {"operator": OPERATOR}
        app.qr = writes.create(QRCodeCreate(url="https://example.com/kept", key="kept"), ctx=for_operator()).id
        app.template = writes.create(QRCodeCreate.model_validate(
            {"url": "https://example.com/brand", "key": "brand", "useAsTemplate": True}), ctx=for_operator()).id
        app.key = apikeys.create("admin's", owner=accounts["admin"], ctx=for_operator())[0].id
        app.moved = writes.create(QRCodeCreate(url="https://example.com/moved", key="old-link"), ctx=for_operator()).id
        writes.update(app.moved, QRCodeUpdate(key="new-link", keepOldLink=True), ctx=for_operator())  # an alias
        domains.create(domains.DomainCreate(slug="qr.added.example"), for_operator())
        app.tag = tags.create(tags.TagCreate(name="kept", color="red"), for_operator()).id
        app.folder = folders_admin.create(folders_admin.FolderCreate(name="Kept"), for_operator()).id
    return app


def _run_import(app, ctx: Context) -> None:
    """Run an import started at the machine as ``ctx.actor``."""
    job_id = csv_import.start([{"url": "https://example.com/imported"}], "rows.csv", for_operator()).id
    assert claim(ImportJob, "test", seconds=60, now=utcnow()) == job_id
    csv_import.run(job_id, Lease(ImportJob, job_id, "test", 60), ctx)


def _logo_uri() -> str:
    """A logo as an API body sends it: a data: URI of a PNG (one colour)."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


LOGO = _logo_uri()


def _run_bulk(app, ctx: Context) -> None:
    """Run a bulk create sent at the machine as ``ctx.actor``."""
    job_id = bulk_create.start([{"url": "https://example.com/bulk"}], for_operator())
    assert claim(BulkJob, "test", seconds=60, now=utcnow()) == job_id
    bulk_create.run(job_id, Lease(BulkJob, job_id, "test", 60), ctx)


#: A find and replace of the people fixture's QR Code ``app.qr`` (at https://example.com/kept).
REPLACE_KEPT = ReplaceUrls(find="https://example.com/kept", replace="https://example.com/found")


def _run_replace(app, ctx: Context) -> None:
    """Run a find and replace sent at the machine as ``ctx.actor``."""
    job_id = replace_jobs.start(REPLACE_KEPT, for_operator()).id
    assert claim(ReplaceUrlsJob, "test", seconds=60, now=utcnow()) == job_id
    replace_jobs.run(job_id, Lease(ReplaceUrlsJob, job_id, "test", 60), ctx)


#: write service -> (a role it refuses, a role it lets through, the call with ``ctx``)
REFUSALS = {
    "codeqr.domain.writes.create": ("viewer", "member", lambda app, ctx: writes.create(
        QRCodeCreate(url="https://example.com/new"), ctx=ctx)),
    "codeqr.domain.writes.update": ("viewer", "member", lambda app, ctx: writes.update(
        app.qr, QRCodeUpdate(title="Changed"), ctx=ctx)),
    "codeqr.domain.writes.upsert": ("viewer", "member", lambda app, ctx: writes.upsert(
        QRCodeCreate(url="https://example.com/new"), ctx=ctx)),
    "codeqr.domain.bulk_update.update_many": ("viewer", "member", lambda app, ctx: bulk_update.update_many(
        [app.qr], bulk_update.body_of(ctx.schemas).model_validate({"qrcodeIds": [app.qr], "data": {"archived": True}}).data,
        ctx)),
    "codeqr.domain.deletes.delete_one": ("viewer", "member", lambda app, ctx: deletes.delete_one(app.qr, ctx=ctx)),
    "codeqr.domain.deletes.remove_alias": ("viewer", "member", lambda app, ctx: deletes.remove_alias(
        app.moved, "old-link", None, ctx=ctx)),
    "codeqr.domain.deletes.bulk_delete": ("viewer", "member", lambda app, ctx: deletes.bulk_delete([app.qr], ctx=ctx)),
    "codeqr.domain.deletes.delete_many": ("viewer", "member", lambda app, ctx: deletes.delete_many([app.qr], ctx=ctx)),
    "codeqr.jobs.csv_import.import_row": ("viewer", "member", lambda app, ctx: csv_import.import_row(
        {"url": "https://example.com/new"}, ctx)),
    "codeqr.jobs.csv_import.start": ("viewer", "member", lambda app, ctx: csv_import.start(
        [{"url": "https://example.com/new"}], "new.csv", ctx)),
    "codeqr.jobs.csv_import.run": ("viewer", "member", _run_import),
    "codeqr.domain.writes.checked_new": ("viewer", "member", lambda app, ctx: writes.checked_new(
        {"url": "https://example.com/new", "logo": LOGO}, ctx)),
    "codeqr.jobs.bulk_create.start": ("viewer", "member", lambda app, ctx: bulk_create.start(
        [{"url": "https://example.com/new"}], ctx)),
    "codeqr.jobs.bulk_create.run": ("viewer", "member", _run_bulk),
    "codeqr.jobs.replace_urls.start": ("viewer", "member", lambda app, ctx: replace_jobs.start(REPLACE_KEPT, ctx)),
    "codeqr.jobs.replace_urls.run": ("viewer", "member", _run_replace),
    "codeqr.design.templates.set_default": ("member", "admin", lambda app, ctx: templates.set_default(
        app.template, ctx)),
    "codeqr.accounts.users.create": ("member", "admin", lambda app, ctx: users.create(
        "new@example.com", PASSWORD, ctx=ctx)),
    "codeqr.accounts.users.set_role": ("member", "admin", lambda app, ctx: users.set_role(app.ids["viewer"], "admin", ctx)),
    "codeqr.accounts.users.set_active": ("member", "admin", lambda app, ctx: users.set_active(app.ids["viewer"], False, ctx)),
    "codeqr.accounts.users.reset_password": ("member", "admin", lambda app, ctx: users.reset_password(
        app.ids["viewer"], "another long password", ctx)),
    "codeqr.accounts.apikeys.create": ("member", "admin", lambda app, ctx: apikeys.create(
        "for the viewer", owner=db.session.get(User, app.ids["viewer"]), ctx=ctx)),
    "codeqr.accounts.apikeys.revoke": ("member", "operator", lambda app, ctx: apikeys.revoke("admin's", ctx)),
    "codeqr.accounts.apikeys.revoke_by_id": ("member", "admin", lambda app, ctx: apikeys.revoke_by_id(app.key, ctx)),
    "codeqr.domain.domains.create": ("member", "admin", lambda app, ctx: domains.create(
        domains.DomainCreate(slug="qr.new.example"), ctx)),
    "codeqr.domain.domains.update": ("member", "admin", lambda app, ctx: domains.update(
        "qr.added.example", domains.DomainUpdate(target="https://example.com/"), ctx)),
    "codeqr.domain.domains.delete": ("member", "admin", lambda app, ctx: domains.delete("qr.added.example", ctx)),
    "codeqr.domain.tags.create": ("viewer", "member", lambda app, ctx: tags.create(tags.TagCreate(name="new"), ctx)),
    "codeqr.domain.tags.update": ("viewer", "member", lambda app, ctx: tags.update(
        app.tag, tags.TagUpdate(color="blue"), ctx)),
    "codeqr.domain.tags.delete_one": ("viewer", "member", lambda app, ctx: tags.delete_one(app.tag, ctx)),
    "codeqr.domain.folders_admin.create": ("viewer", "member", lambda app, ctx: folders_admin.create(
        folders_admin.FolderCreate(name="New"), ctx)),
    "codeqr.domain.folders_admin.update_one": ("viewer", "admin", lambda app, ctx: folders_admin.update_one(
        app.folder, folders_admin.FolderUpdate(name="Renamed"), ctx)),
    "codeqr.domain.folders_admin.delete_one": ("viewer", "admin", lambda app, ctx: folders_admin.delete_one(
        app.folder, ctx)),
}
#: What each case guards, when not the rows rights protect (QR Codes, users, API keys).
GUARDS = {"codeqr.jobs.csv_import.start": (ImportJob,), "codeqr.jobs.bulk_create.start": (BulkJob,),
          "codeqr.jobs.replace_urls.start": (ReplaceUrlsJob,),
          "codeqr.domain.writes.checked_new": (KeptLogo,), "codeqr.domain.deletes.remove_alias": (Alias,),
          **{f"codeqr.domain.domains.{name}": (ServedDomain,) for name in ("create", "update", "delete")},
          **{f"codeqr.domain.tags.{name}": (Tag, QRCodeTag) for name in ("create", "update", "delete_one")},
          **{f"codeqr.domain.folders_admin.{name}": (Folder, FolderUser) for name in ("create", "update_one", "delete_one")}}
#: Services that act on the actor's own account only: whoever acts, no one else's row moves.
OWN_ACCOUNT = {
    "codeqr.accounts.users.end_sessions": lambda app, ctx: users.end_sessions(ctx),
    "codeqr.accounts.users.change_own_password": lambda app, ctx: users.change_own_password(
        PASSWORD, "another long password", ctx),
}


def _guarded(models=(QRCode, User, ApiKey), but_user: int | None = None) -> list:
    """Every row of ``models`` (those rights protect by default), but ``but_user``'s."""
    return [tuple(row) for model in models for row in db.session.execute(
        select(model.__table__).where(model.id != but_user) if model is User and but_user else select(model.__table__))]


def test_every_write_service_requires_an_actor_and_has_a_case():
    found = write_services()
    assert "codeqr.domain.writes.create" in found and "codeqr.accounts.users.set_role" in found  # the finder finds
    told = {name: func for name, func in found.items() if name not in NO_ACTOR}
    for name, func in told.items():
        ctx = inspect.signature(func).parameters.get("ctx")
        assert ctx is not None, f"{name} writes but is not told who acts (a ctx)"
        assert ctx.default is inspect.Parameter.empty, f"{name} defaults its context to {ctx.default!r}"
        assert ctx.annotation in (Context, "Context"), f"{name} takes a {ctx.annotation!r}, not a Context"
    assert set(told) == set(REFUSALS) | set(OWN_ACCOUNT) | set(EVERY_ROLE)


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_each_write_service_refuses_an_actor_whose_role_lacks_the_right(people, name):
    refused, allowed, call = REFUSALS[name]
    guarded = GUARDS.get(name, (QRCode, User, ApiKey))
    with people.app_context():
        before = _guarded(guarded)
        try:
            call(people, for_actor(people.actors[refused]))
        except (Forbidden, NotFound):
            db.session.rollback()
        assert _guarded(guarded) == before, f"{name} acted for a {refused}"
        call(people, for_actor(people.actors[allowed]))
        assert _guarded(guarded) != before, f"{name} changes nothing even for a {allowed}: the case proves nothing"


@pytest.mark.parametrize("name", sorted(OWN_ACCOUNT))
def test_own_account_services_touch_no_one_else(people, name):
    member = people.ids["member"]
    with people.app_context():
        others = _guarded(but_user=member)
        generation = db.session.get(User, member).session_generation
        OWN_ACCOUNT[name](people, for_actor(people.actors["member"]))
        db.session.expire_all()
        assert db.session.get(User, member).session_generation == generation + 1  # it did act, on the member
        assert _guarded(but_user=member) == others


def _job_of(app, role: str) -> str:
    with app.app_context():
        rows = [{"url": f"https://example.com/{role}/{i}"} for i in range(2)]
        return csv_import.start(rows, "rows.csv", for_actor(app.actors[role])).id


def _run_jobs(app) -> None:
    """Run every queued import here, as the app's job runner would (its thread is off)."""
    runner = JobRunner(app, [(ImportJob, csv_import.run)], enabled=False, lease_seconds=60)
    runner.owner = "test"
    with app.app_context():
        while runner._run_one(ImportJob, csv_import.run):
            pass


@pytest.mark.parametrize(("loss", "reason"), [
    (lambda app: users.set_role(app.ids["member"], "viewer", for_operator()),
     "Your role (viewer) cannot change QR Codes."),
    (lambda app: users.set_active(app.ids["member"], False, for_operator()),
     "This account is deactivated: it cannot change QR Codes."),
])
def test_an_import_whose_owner_lost_the_right_since_it_started_refuses_each_row(people, loss, reason):
    job_id = _job_of(people, "member")
    with people.app_context():
        loss(people)
    _run_jobs(people)
    with people.app_context():
        job = db.session.get(ImportJob, job_id)
        assert (job.status, job.created, job.failed) == ("done", 0, 2)
        messages = [error.message for error in csv_import.errors(job_id)]
        assert messages == [reason, reason]
        assert db.session.scalar(select(QRCode.id).where(QRCode.url.like("https://example.com/member/%"))) is None


def test_a_members_import_acts_as_the_member_not_as_an_admin(people):
    job_id = _job_of(people, "member")
    _run_jobs(people)
    with people.app_context():
        job = db.session.get(ImportJob, job_id)
        assert (job.status, job.created, job.failed) == ("done", 2, 0)
        acting = for_job(job.user_id, people)  # the context the runner gives the job
        assert acting.actor == people.actors["member"]
        with pytest.raises(Forbidden, match=r"your role \(member\) cannot manage users"):
            users.create("someone@example.com", PASSWORD, role="admin", ctx=acting)


def test_an_export_whose_owner_was_deactivated_since_it_started_stops(people):
    from codeqr.domain.models import ExportJob
    from codeqr.jobs import exports

    with people.app_context():
        member = for_actor(people.actors["member"], people)
        job_id = exports.start([qrcodes.get(people.qr, member)], ["png"], member).id
        users.set_active(people.ids["member"], False, for_operator())
    runner = JobRunner(people, [(ExportJob, exports.run)], enabled=False, lease_seconds=60)
    runner.owner = "test"
    with people.app_context():
        while runner._run_one(ExportJob, exports.run):
            pass
        job = db.session.get(ExportJob, job_id)
        assert (job.status, job.message) == ("failed", "the export stopped: the account that asked for it is deactivated")
        assert job.size_bytes is None
