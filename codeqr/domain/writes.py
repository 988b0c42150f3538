"""Writing QR Codes: create, update, upsert, and the two halves of a bulk create's job
(``checked_new`` before its transaction, ``inserted`` inside it).

Create, update and upsert are one transaction each; lifecycle hooks run after the commit. Services
take validated pydantic inputs and never look at the request. Each takes a ``Context``
(required): the app's settings, plugins and images, and the actor asking (the views pass
who is signed in, the CLI the operator, jobs their owner); each refuses an actor who may
not write.
"""

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts.permissions import Permission
from ..contents import TYPES, WITH_URL, lookup_text
from ..contents.rules import content_problems
from ..contents.stored import product_key
from ..context import Context
from ..design import logos, templates
from ..design.verify import Unscannable
from ..errors import Conflict, InvalidInputs
from ..links.options import hidden
from ..persistence.database import begin_write, insert_on_conflict
from ..persistence.extensions import db
from . import aliases, domains, folders, tags
from .field_checks import Scanned, alias_conflict, field_problems, unique_conflict
from .fields import RandomKey, fields_of, picture_of, with_type_change
from .ids import new_key, url_fingerprint, url_hash
from .lifecycle import fire
from .models import QRCode
from .qrcodes import oldest_row_with_url, out_of, refuse_unless_changeable, row_of, row_to_change, seen_by
from .schemas import LINK_FIELDS, SECRET_FIELDS, QRCodeCreate, QRCodeOut, QRCodeUpdate

_RANDOM_KEY_ATTEMPTS = 5


def _new_fields(data: QRCodeCreate, ctx: Context, taken: bool = False, logo: logos.Logo | None = None,
               keep_logo: bool = True) -> dict:
    """The checked fields of a new QR Code; every problem at once (with ``taken``, a key or
    externalId used already among them). Then its ``logo`` (``_with_logo``) is kept, unless
    the caller kept it already (``keep_logo``): call it before the write transaction."""
    fields = fields_of(data, ctx)
    if fields["key"] is None:
        fields["key"] = RandomKey(new_key())
    InvalidInputs.raise_any(*field_problems(fields, ctx, taken=taken, logo=logo))
    if logo is not None and keep_logo:
        _keep(logo, ctx)
    return fields


def checked_new(body, ctx: Context) -> dict:
    """The checked fields of a new QR Code from an API ``body`` (its logo taken in and kept,
    its image decoded), to insert later with ``inserted``; call it before any write
    transaction. Raises what ``create`` would refuse with."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    data, logo = _with_logo(ctx.schemas.create.model_validate(body), ctx)
    return _new_fields(data, ctx, logo=logo)


def _keep(logo: logos.Logo, ctx: Context) -> None:
    """Keep a logo taken in (record it, store it): before the QR Code's write transaction."""
    logos.keep(logo, ctx.state.images.storage, ctx.now())


def _with_logo(data, ctx: Context):
    """``data`` (a create or update body) with the ``logo`` it sends taken in: fetched,
    checked and normalised, before any transaction (a fetch may take seconds), its value
    now the stored logo's name; and that ``logos.Logo``, to keep before the QR Code's
    write transaction (None: no logo sent). A logo sent without ``showLogo`` is a logo to show.
    A logo refused raises ``InvalidInput`` on ``logo``; nothing is stored."""
    if getattr(data, "logo", None) is None:
        return data, None
    logo = logos.intake(data.logo, ctx, ctx.state.images.storage)
    update = {"logo": logo.name} | ({} if "show_logo" in data.model_fields_set else {"show_logo": True})
    return data.model_copy(update=update), logo


def _insert(fields: dict, ctx: Context, upsert_slot: str | None = None) -> QRCode | None:
    """Insert one row inside the open transaction; None when the upsert slot was taken."""
    # Checked before the transaction, and again in it holding the folder and the domain: one
    # deleted meanwhile would leave the code in a folder there is not, or on a domain not served.
    InvalidInputs.raise_any(folders.folder_problem(fields.get("folder_id"), ctx.actor),
                            domains.domain_problem(fields["domain"], ctx))
    random_key = fields["key"] is None or isinstance(fields["key"], RandomKey)
    for attempt in range(_RANDOM_KEY_ATTEMPTS if random_key else 1):
        now = ctx.now()
        values = ctx.schemas.columns(fields) | {"upsert_slot": upsert_slot, "created_at": now, "updated_at": now,
                                                "user_id": ctx.actor.user_id}
        values["url_hash"] = url_hash(values["url"])
        if random_key:
            values["key"] = str(fields["key"]) if attempt == 0 and fields["key"] else new_key()
        # An old link of another code is no unique value of ``qrcodes``: checked here, in the transaction.
        if (conflict := alias_conflict(values["domain"], values["key"])) is not None:
            if random_key:
                continue  # a random key drew an old link: draw another
            raise conflict
        statement = insert_on_conflict(QRCode, db.engine.dialect).values(values).returning(QRCode.id)
        if upsert_slot:
            statement = statement.on_conflict_do_nothing(index_elements=["upsert_slot"])
        try:
            with db.session.begin_nested():
                new_id = db.session.scalar(statement)
        except IntegrityError:
            conflict = unique_conflict(values)
            if not (random_key and conflict.field == "key"):
                raise conflict from None
            continue  # a random key collided: draw another
        if not new_id:
            return None
        qr = db.session.get_one(QRCode, new_id)
        _tag(qr, fields, ctx)
        return qr
    raise Conflict("could not find a free random key; try again")


def inserted(fields: dict, ctx: Context) -> QRCode:
    """In the open write transaction: insert the row of fields checked (``checked_new``),
    without an upsert slot: there is always one (or an error)."""
    qr = _insert(fields, ctx)
    assert qr is not None, "only an upsert slot already taken inserts nothing"
    return qr


def _tag(qr: QRCode, given: dict, ctx: Context) -> dict:
    """Give ``qr`` the tags ``given`` names (``tag_ids``, ``tag_names``), in the open write
    transaction; return the change (``{"tags": [before, after]}``), or nothing."""
    chosen = tags.given(given.get("tag_ids"), given.get("tag_names"), ctx)
    changed = tags.set_for(qr.id, chosen) if chosen is not None else None
    return {"tags": list(changed)} if changed is not None else {}


#: Work a caller joins to a save's write transaction, given its outcome ("created",
#: "updated" or "unchanged"): a job's progress, committed with the row or not at all.
Within = Callable[[str], None]


def create(data: QRCodeCreate, ctx: Context, within: Within | None = None) -> QRCodeOut:
    """Create a QR Code (``within``: work joined to its write transaction)."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    data, logo = _with_logo(data, ctx)
    fields = _new_fields(data, ctx, taken=True, logo=logo)
    with begin_write():
        result = out_of(inserted(fields, ctx), ctx)
        if within is not None:
            within("created")
    fire(ctx, "codeqr_qrcode_created", qrcode=result.api())
    return result


def _changes_to(stored: dict, given: dict, ctx: Context) -> tuple[str | None, dict]:
    """The template an update of ``stored`` names (``templateId``) and the fields it sets:
    ``given``, that template's design where not given, and what comes with them."""
    given = dict(given)
    template_id = given.pop("template_id", None)
    for name in ("keep_old_link", "tag_ids", "tag_names"):  # said to ``_save_changes``: no columns of the row
        given.pop(name, None)
    given = templates.inherited(template_id, given, given.get("type", stored["type"]), ctx, new=False) | given
    if "domain" in given:
        given["domain"] = given["domain"].lower()
    if (given.get("show_logo") or given.get("logo")) and "level" not in given and stored["level"] not in ("Q", "H"):
        given["level"] = "H"  # what a logo implies when the caller did not choose
    return template_id, with_type_change(stored, given)


def _scan_ahead(ref: str, given: dict, ctx: Context, logo: logos.Logo | None = None) -> Scanned | None:
    """Decode the image an update of ``ref`` would make before its write transaction (a
    decode takes from milliseconds to seconds: writers must not wait for it). None when the
    checks before the decode fail or the QR Code is not there: the update finds out itself."""
    qr = row_of(ref, ctx.actor)
    if qr is None:
        return None
    stored = ctx.schemas.fields_of(qr)
    template_id, changes = _changes_to(stored, given, ctx)
    future = stored | changes
    problems = field_problems(future | {"template_id": template_id}, ctx, exclude_id=qr.id, taken=False,
                              stored=stored, logo=logo)
    if not all(isinstance(problem, Unscannable) for problem in problems):
        return None
    return picture_of(future, ctx), problems


def _apply(qr: QRCode, given: dict, ctx: Context, scanned: Scanned | None = None,
           logo: logos.Logo | None = None) -> dict:
    """Apply the given changes to ``qr`` (validated; its new ``logo`` kept before the
    transaction); return ``{api_name: [old, new]}``. ``scanned``: the decode of the image
    made before (``_scan_ahead``)."""
    stored = ctx.schemas.fields_of(qr)
    template_id, given = _changes_to(stored, given, ctx)
    future = stored | given
    changes = {name: [stored[name], value] for name, value in given.items() if stored[name] != value}
    if not changes:
        InvalidInputs.raise_any(*templates.problems(template_id, ctx))
        return {}
    api_names = ctx.schemas.api_names
    InvalidInputs.raise_any(*field_problems(future | {"template_id": template_id}, ctx, exclude_id=qr.id, stored=stored,
                                            scanned=scanned, logo=logo,
                                            unchanged={api_names[name] for name in api_names if name not in given}))
    columns = ctx.schemas.columns(future, kept=qr.design)
    if columns["url"] != qr.url or "domain" in changes:
        qr.url_hash = url_hash(columns["url"])
        qr.upsert_slot = None  # the slot belonged to the old (domain, url)
    # The design, the content and the link options are one column each: a field changes it whole.
    for name in {_column_of(name, ctx) for name in changes} | {"url", "content"}:
        if name in columns:
            setattr(qr, name, columns[name])
    if not qr.use_as_template:
        qr.default_template = False  # no longer a template: no longer the default (``design.templates``)
    qr.updated_at = ctx.now()
    # A password's change is told, never its value (hooks and webhooks receive this).
    return {ctx.schemas.api_names[name]: [hidden(old), hidden(new)] if name in SECRET_FIELDS else [old, new]
            for name, (old, new) in changes.items()}


def _column_of(name: str, ctx: Context) -> str:
    """The column holding field ``name``."""
    return "design" if name in ctx.schemas.design_fields else "link" if name in LINK_FIELDS else name


def _save_changes(qr: QRCode, given: dict, ctx: Context, scanned: Scanned | None = None,
                  logo: logos.Logo | None = None) -> tuple[QRCodeOut, dict]:
    """Apply and flush inside the open transaction; return ``(before, changes)``. A key or
    domain changed with ``keepOldLink`` keeps the old short link as an alias (``aliases``)."""
    before = out_of(qr, ctx)
    changes = _apply(qr, given, ctx, scanned, logo)
    if changes:
        fields = ctx.schemas.fields_of(qr)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            db.session.rollback()  # qr is left holding the values that clashed
            raise unique_conflict(fields, exclude_id=qr.id) from None
        try:
            with db.session.begin_nested():
                moved = aliases.follow_link_change(qr, before, bool(given.get("keep_old_link")), ctx)
                db.session.flush()
        except IntegrityError:
            db.session.rollback()  # another code's alias since: a race with a save of it
            raise Conflict(f"{before.domain}/{before.key} became an old link of another QR Code meanwhile; "
                           "try again") from None
        if moved:
            changes["aliases"] = aliases.change(before, out_of(qr, ctx))
    if tagged := _tag(qr, given, ctx):
        qr.updated_at = ctx.now()
        changes |= tagged
    return before, changes


def _after_update(before: QRCodeOut, after: QRCodeOut, changes: dict, ctx: Context) -> None:
    if before.picture() != after.picture():
        ctx.state.images.forget(before.picture())
    fire(ctx, "codeqr_qrcode_updated", qrcode=after.api(), changes=changes)


def update(ref: str, data: QRCodeUpdate, ctx: Context, within: Within | None = None) -> QRCodeOut:
    """Change the fields sent; ``updatedAt`` moves only when something changed (``within``:
    work joined to its write transaction)."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    data, logo = _with_logo(data, ctx)
    scanned = _scan_ahead(ref, data.given(), ctx, logo)
    if logo is not None:
        # Kept before the transaction, whatever its checks say: an update refused leaves
        # it named by no QR Code, and the sweep removes it after the grace.
        _keep(logo, ctx)
    with begin_write():
        qr = row_to_change(ref, ctx.actor)
        before, changes = _save_changes(qr, data.given(), ctx, scanned, logo)
        result = out_of(qr, ctx)
        if within is not None:
            within("updated" if changes else "unchanged")
    if changes:
        _after_update(before, result, changes, ctx)
    return result


def upsert(data: QRCodeCreate, ctx: Context, within: Within | None = None) -> tuple[QRCodeOut, str]:
    """Find the oldest QR Code with this url, or of this type with this content (a gs1 one:
    with this Digital Link) (in ``domain`` if given): leave it, update it, or create one.
    Return ``(QR Code, "created" | "updated" | "unchanged")`` (``within``: work joined to its
    write transaction, given that outcome).

    Concurrent upserts of one new url insert with the same ``upsert_slot``; the
    unique constraint lets exactly one through and the others update that row.

    Only the QR Codes ``ctx.actor`` sees are looked among (``folders``): one they see but may
    not change is refused (``Forbidden``); one they do not see is neither changed nor told
    of: they get a QR Code of their own (unless a value they chose, a key or an externalId,
    is taken: 409, as for a create).
    """
    ctx.actor.require(Permission.WRITE_QRCODES)
    data, logo = _with_logo(data, ctx)
    given = data.given()
    kind = TYPES[data.type]
    payload = data.url if kind.field == "url" else getattr(data, kind.field)
    if (data.url is None and kind.name in WITH_URL) or payload is None:
        InvalidInputs.raise_any(*content_problems(fields_of(data, ctx), ctx.schemas.api_names))
    found_by = lookup_text(data.type, data.url, payload)
    if kind.name != "gs1":  # a gs1 code is found by its Digital Link: its link types and expiry may change
        given.pop(kind.field, None)  # what the upsert finds by: it cannot change
    created, before = False, None
    changes: dict = {}
    # Checked (its image decoded) before the write transaction, as the row is now: writers
    # must not wait for a decode. Should the row change meanwhile, the checks run again inside.
    ahead, _ = _upsert_row(data, found_by, ctx)
    if ahead is not None:
        refuse_unless_changeable(ahead, ctx.actor)
    checked = _new_fields(data, ctx, logo=logo) if ahead is None else None  # keeps the logo
    scanned = _scan_ahead(ahead.id, given, ctx, logo) if ahead is not None else None
    if ahead is not None and logo is not None:
        _keep(logo, ctx)  # before the transaction, as ``update`` does
    with begin_write():
        qr, identity = _upsert_row(data, found_by, ctx)
        if qr is None:
            fields = checked if checked is not None else _new_fields(data, ctx, logo=logo, keep_logo=False)
            slot = url_fingerprint(fields["domain"], f"{data.type}\n{identity}" if data.type != "url" else identity)
            qr = _insert(fields, ctx, upsert_slot=slot)
            created = qr is not None
            if qr is None:  # a concurrent upsert won the slot: update its row instead
                qr = db.session.scalar(select(QRCode).where(QRCode.upsert_slot == slot))
                if qr is None:
                    raise Conflict("the QR Code for this url changed while upserting; try again")
                if db.session.scalar(select(QRCode.id).where(QRCode.id == qr.id, *seen_by(ctx.actor))) is None:
                    # The slot is held by a QR Code this actor does not see: theirs goes without one.
                    qr, created = inserted(fields, ctx), True
        if not created:
            refuse_unless_changeable(qr, ctx.actor)
            before, changes = _save_changes(qr, given, ctx, scanned, logo)
        result = out_of(qr, ctx)
        if within is not None:
            within("created" if created else "updated" if changes else "unchanged")
    if created:
        fire(ctx, "codeqr_qrcode_created", qrcode=result.api())
        return result, "created"
    if changes and before is not None:
        _after_update(before, result, changes, ctx)
        return result, "updated"
    return result, "unchanged"


def _upsert_row(data: QRCodeCreate, found_by: str, ctx: Context) -> tuple[QRCode | None, str]:
    """The row an upsert of ``data`` by ``ctx.actor`` finds among those they see (None: it
    creates one) and what identifies it (its slot): a gs1 code by its Digital Link (products share default links), any other
    by the oldest with its content."""
    if data.gs1 is not None and data.type == "gs1":
        domain = (data.domain or ctx.config["CODEQR_DEFAULT_DOMAIN"]).lower()
        key = product_key(data.gs1)
        return db.session.scalar(select(QRCode).where(QRCode.domain == domain, QRCode.key == key,
                                                      QRCode.type == "gs1", *seen_by(ctx.actor))), key
    return oldest_row_with_url(found_by, ctx.actor, data.domain, data.type), found_by
