"""QR Code services: create, update, upsert, delete, bulk, get and list.

Each public function is one transaction; lifecycle hooks run after the commit.
Services take validated pydantic inputs and never look at the request. Each takes a
``Context`` (required): the app's settings, plugins and images, and the actor asking (the
views pass who is signed in, the CLI the operator, jobs their owner); those that write
refuse an actor who may not.
"""

import logging
import re
from collections.abc import Callable, Collection
from datetime import datetime

from pydantic import BaseModel, RootModel, ValidationError
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from ..accounts.permissions import Permission
from ..analytics.queries import scans_since_column
from ..contents import PAYLOADS, TYPES, WITH_URL, lookup_text
from ..contents.rules import content_problems, default_static
from ..contents.stored import product_key
from ..context import Context
from ..design import logos, templates
from ..design.verify import Unscannable, verify
from ..design_rules import design_problems
from ..errors import CodeQRError, Conflict, InvalidInput, InvalidInputs, NotFound
from ..persistence.database import after_commit, begin_write, insert_on_conflict
from ..persistence.extensions import db
from .ids import new_key, url_fingerprint, url_hash
from .messages import schema_problems
from .models import QRCode
from .rendering import Picture, short_link
from .schemas import INPUT_FIELDS, MAX_BULK, Filters, ListQuery, QRCodeCreate, QRCodeOut, QRCodeUpdate, encoded_text

log = logging.getLogger(__name__)

_RANDOM_KEY_ATTEMPTS = 5
_SORT_COLUMNS = {"createdAt": QRCode.created_at, "scans": QRCode.scans, "lastScannedAt": QRCode.last_scanned_at}


def _out(qr: QRCode, ctx: Context) -> QRCodeOut:
    return ctx.schemas.out.of_row(qr, ctx.config)


def _fire(ctx: Context, hook: str, **kwargs) -> None:
    """Call a lifecycle hook with the app it runs in, after the commit (of the outermost
    transaction, when a job made this part of one). A plugin's failure is logged: the
    work is stored, and an error answer would make the client repeat it."""
    caller = getattr(ctx.state.pm.hook, hook)
    app = ctx.app

    def call():
        try:
            caller(app=app, **kwargs)
        except Exception:
            log.exception("a %s hook failed", hook)

    after_commit(call)


# -- reading ----------------------------------------------------------------


def _row(ref: str) -> QRCode | None:
    if ref.startswith("ext_"):
        return db.session.scalar(select(QRCode).where(QRCode.external_id == ref[4:]))
    return db.session.get(QRCode, ref)


def _row_or_404(ref: str) -> QRCode:
    qr = _row(ref)
    if qr is None:
        raise NotFound(f"no QR Code {ref!r}")
    return qr


def find(ref: str, ctx: Context) -> QRCodeOut | None:
    """Return the QR Code with id ``ref``, or externalId ``X`` when ``ref`` is ``ext_X``."""
    qr = _row(ref)
    return _out(qr, ctx) if qr is not None else None


def get(ref: str, ctx: Context) -> QRCodeOut:
    """Like ``find``, but a missing QR Code raises ``NotFound``."""
    return _out(_row_or_404(ref), ctx)


def _oldest_row_with_url(url: str, domain: str | None = None, type_name: str = "url") -> QRCode | None:
    lookup = select(QRCode).where(QRCode.url_hash == url_hash(url), QRCode.url == url, QRCode.type == type_name)
    if domain:
        lookup = lookup.where(QRCode.domain == domain.lower())
    return db.session.scalar(lookup.order_by(QRCode.created_at, QRCode.id).limit(1))


def oldest_with_url(url: str, ctx: Context, domain: str | None = None) -> QRCodeOut | None:
    """Return the QR Code an upsert of ``url`` would find (the oldest with that url)."""
    qr = _oldest_row_with_url(url, domain)
    return _out(qr, ctx) if qr is not None else None


def all_matching(filters: Filters, ctx: Context) -> list[QRCodeOut]:
    """Every QR Code matching ``filters`` (no paging), newest first."""
    statement = _filtered(filters, select(QRCode)).order_by(QRCode.created_at.desc(), QRCode.id)
    return [_out(qr, ctx) for qr in db.session.scalars(statement)]


def by_ids(ids: list[str], ctx: Context) -> list[QRCodeOut]:
    statement = select(QRCode).where(QRCode.id.in_(ids)).order_by(QRCode.created_at.desc())
    return [_out(qr, ctx) for qr in db.session.scalars(statement)]


def _filtered(filters: Filters, statement: Select) -> Select:
    if filters.domain:
        statement = statement.where(QRCode.domain == filters.domain.lower())
    if filters.use_as_template is not None:
        statement = statement.where(QRCode.use_as_template.is_(filters.use_as_template))
    if filters.search:
        pattern = "%" + filters.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(
                QRCode.url.ilike(pattern, escape="\\"),
                QRCode.title.ilike(pattern, escape="\\"),
                QRCode.key.ilike(pattern, escape="\\"),
            )
        )
    return statement


def list_page(query: ListQuery, ctx: Context, scans_since: datetime | None = None) -> list[QRCodeOut]:
    """Return one page of QR Codes, filtered and sorted. With ``scans_since``,
    ``sort=scans`` orders by the scans counted since then instead of all scans."""
    column = _SORT_COLUMNS[query.sort]
    if scans_since is not None and query.sort == "scans":
        column = scans_since_column(scans_since, ctx.state.agents)
    order = column.desc().nulls_last() if query.order == "desc" else column.asc().nulls_first()
    tiebreak = QRCode.id.desc() if query.order == "desc" else QRCode.id.asc()
    statement = _filtered(query, select(QRCode)).order_by(order, tiebreak)
    statement = statement.limit(query.page_size).offset((query.page - 1) * query.page_size)
    return [_out(qr, ctx) for qr in db.session.scalars(statement)]


def count(filters: Filters) -> int:
    return db.session.scalar(_filtered(filters, select(func.count()).select_from(QRCode)))


# -- validation -------------------------------------------------------------


def _check_domain(domain: str, ctx: Context) -> str:
    domain = domain.lower()
    if domain not in ctx.config["CODEQR_DOMAINS"]:
        served = ", ".join(ctx.config["CODEQR_DOMAINS"])
        raise InvalidInput(f"{domain!r} is not served by this instance (served: {served})", "domain",
                           sentence=f"This instance does not serve {domain}. Choose one of: {served}.")
    return domain


def _check_key(key: str, ctx: Context) -> str:
    if key.lower() in ctx.state.reserved_keys:
        raise InvalidInput(f"{key!r} is reserved for an app route", "key",
                           sentence=f"The key “{key}” is the name of a page of CodeQR: choose another one.")
    return key


def field_problems(fields: dict, ctx: Context, *, taken: bool = True, exclude_id: str | None = None,
                   refused: Collection[str] = (), unchanged: Collection[str] = (),
                   stored: dict | None = None, scanned: "Scanned | None" = None,
                   logo: logos.Logo | None = None) -> list[CodeQRError]:
    """Every problem of a QR Code's future ``fields`` past the schema, at once: a domain not
    served, a key of an app route, a design that would not scan, the plugins' checks and
    (with ``taken``) a key or externalId another QR Code than ``exclude_id`` has. Checks of
    fields in ``refused`` (API names the schema refused already) are left out, and the domain
    and key are not checked again when ``unchanged`` (an update that keeps them). When every
    other check passes, the image is decoded (``design.verify``), unless it is the image of
    the fields ``stored`` before (an update of the title alone decodes nothing) or the picture
    ``scanned`` already says of; ``logo``: the logo taken in, not stored yet, it draws."""
    found: list[CodeQRError] = []
    checks = [(_check_domain, "domain")] + ([(_check_key, "key")] if fields.get("key") is not None else [])
    for check, name in checks:
        if name not in refused and name not in unchanged:
            try:
                check(fields[name], ctx)
            except InvalidInput as error:
                found.append(error)
    # A type whose standard fixes the level (epc) says itself why the logo cannot be.
    fixed_level = {"level"} if fields.get("type") and TYPES[fields["type"]].level else set()
    found += design_problems(fields, set(refused) | fixed_level)
    found += content_problems(fields, ctx.schemas.api_names, refused)
    if "templateId" not in refused:
        found += templates.problems(fields.get("template_id"), ctx)
    if not refused:
        api_names = ctx.schemas.api_names
        preview = {api_names[name]: value.model_dump(mode="json", by_alias=True) if isinstance(value, BaseModel)
                   else value for name, value in fields.items() if name in api_names and name not in INPUT_FIELDS}
        try:
            ctx.state.pm.hook.codeqr_validate_qrcode(app=ctx.app, qrcode=preview)
        except CodeQRError as error:
            found.append(error)
    if not found and not refused:
        found += _scan_problems(fields, ctx, stored, scanned, logo)
    conflict = _taken(fields, exclude_id) if taken and not {"domain", "key", "externalId"} & set(refused) else None
    return found + ([conflict] if conflict is not None else [])


def picture_of(fields: dict, ctx: Context) -> Picture:
    """The picture of checked ``fields``: a random key not yet drawn reads ``PREVIEW_KEY``
    (as long, so the code has the same size)."""
    schemas = ctx.schemas
    design = schemas.design.model_validate({name: fields[name] for name in schemas.design_fields if name in fields})
    text = encoded_text(ctx.config, fields["type"], fields["static"], fields[TYPES[fields["type"]].field],
                        fields["domain"], fields["key"] or PREVIEW_KEY)
    return Picture(text, design)


#: A picture and what its decode found (nothing, or why it does not scan).
Scanned = tuple[Picture, list[CodeQRError]]


def _scan_problems(fields: dict, ctx: Context, stored: dict | None, scanned: Scanned | None = None,
                   logo: logos.Logo | None = None) -> list[CodeQRError]:
    """Why the image of ``fields`` does not scan (none or one), unless it is that of ``stored``
    or ``scanned`` says already."""
    picture = picture_of(fields, ctx)
    if stored is not None and picture == picture_of(stored, ctx):
        return []
    if scanned is not None and scanned[0] == picture:
        return scanned[1]
    images = ctx.state.images
    problem = verify(images.spec(picture, logo.png if logo is not None else None), images.renderers.get("png"))
    return [problem] if problem is not None else []


def _conflict(fields: dict, exclude_id: str | None = None) -> Conflict:
    """Explain which unique value is already taken (after an IntegrityError)."""
    return _taken(fields, exclude_id) or Conflict("a unique value of this QR Code is already used")


def _taken(fields: dict, exclude_id: str | None = None) -> Conflict | None:
    """The conflict a save of ``fields`` would meet: its key or externalId used by another."""
    others = [QRCode.id != exclude_id] if exclude_id else []
    if fields.get("key") and not isinstance(fields["key"], RandomKey) and db.session.scalar(
            select(QRCode.id).where(QRCode.domain == fields["domain"], QRCode.key == fields["key"], *others)):
        return Conflict(f"key {fields['key']!r} is already used on {fields['domain']}", "key",
                        sentence=f"Another QR Code already uses the key “{fields['key']}”: choose another one.")
    if fields.get("external_id") and db.session.scalar(
            select(QRCode.id).where(QRCode.external_id == fields["external_id"], *others)):
        return Conflict(f"externalId {fields['external_id']!r} is already used", "externalId",
                        sentence=f"Another QR Code already has the external id “{fields['external_id']}”.")
    return None


# -- writing ----------------------------------------------------------------


def fields_of(data: QRCodeCreate, ctx: Context) -> dict:
    """The fields of a QR Code made of ``data``, unchecked: the design of its template (or the
    instance's default template) where not sent, the default domain, level and static filled
    in. Payloads and nested design values stay models (``model_dump`` would make them dicts)."""
    fields = {name: getattr(data, name) for name in type(data).model_fields if name != "level"}
    fields |= templates.inherited(data.template_id, data.model_fields_set, data.type, ctx, new=True)
    fields["domain"] = (data.domain or ctx.config["CODEQR_DEFAULT_DOMAIN"]).lower()
    fields["level"] = (data.level or TYPES[data.type].level or fields.get("level")
                       or ("H" if fields["show_logo"] or fields.get("logo") else "M"))
    fields["static"] = default_static(data.type) if data.static is None else data.static
    if data.type == "gs1" and data.gs1 is not None and data.key is None:
        fields["key"] = product_key(data.gs1)
    return fields


class RandomKey(str):
    """A key drawn at random for a new QR Code: drawn before the checks, so the scan check
    decodes the very link the code holds, and drawn again should it collide on insert."""


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
    random_key = fields["key"] is None or isinstance(fields["key"], RandomKey)
    for attempt in range(_RANDOM_KEY_ATTEMPTS if random_key else 1):
        now = ctx.now()
        values = ctx.schemas.columns(fields) | {"upsert_slot": upsert_slot, "created_at": now, "updated_at": now}
        values["url_hash"] = url_hash(values["url"])
        if random_key:
            values["key"] = str(fields["key"]) if attempt == 0 and fields["key"] else new_key()
        statement = insert_on_conflict(QRCode, db.engine.dialect).values(values).returning(QRCode.id)
        if upsert_slot:
            statement = statement.on_conflict_do_nothing(index_elements=["upsert_slot"])
        try:
            with db.session.begin_nested():
                new_id = db.session.scalar(statement)
        except IntegrityError:
            conflict = _conflict(values)
            if not (random_key and conflict.field == "key"):
                raise conflict from None
            continue  # a random key collided: draw another
        return db.session.get(QRCode, new_id) if new_id else None
    raise Conflict("could not find a free random key; try again")


def _inserted(fields: dict, ctx: Context) -> QRCode:
    """Insert one row without an upsert slot: there is always one (or an error)."""
    qr = _insert(fields, ctx)
    assert qr is not None, "only an upsert slot already taken inserts nothing"
    return qr


#: The key a preview of a new QR Code encodes: as long as a random key.
PREVIEW_KEY = "preview00000-qr"


def preview_picture(data: QRCodeCreate, ctx: Context, key: str | None = None,
                    editing: str | None = None) -> tuple[Picture, str, list[CodeQRError]]:
    """Check ``data`` as a save would (the QR Code ``editing``, or a new one), taken keys and
    externalIds included, storing nothing; return its picture, the key it shows and every
    problem found. The picture holds what the saved code would (a static one its content);
    it is drawn even with problems: people see the design a save would refuse (colours too
    alike, say) beside the reason, and a content not yet whole as the short link's design."""
    fields = fields_of(data, ctx)
    if fields.get("logo") is not None and not logos.is_kept(fields["logo"], ctx.state.images.storage):
        fields["logo"] = None  # drawn once taken in (the form uploads it first: ``logos.intake_bytes``)
    # Decoded even when it is the stored image: the preview always says whether it scans.
    problems = field_problems(fields | {"key": data.key or key}, ctx, exclude_id=editing)
    key = data.key or key or PREVIEW_KEY
    design = picture_of(fields | {"key": key}, ctx).design
    field = TYPES[data.type].field
    payload = fields[field]
    whole = payload is not None and not any(re.split(r"[.\[]", problem.field or "")[0] == field for problem in problems)
    text = encoded_text(ctx.config, data.type, fields["static"], payload, fields["domain"], key) if whole \
        else short_link(ctx.config, fields["domain"], key)
    return Picture(text, design), key, problems


#: Work a caller joins to a save's write transaction, given its outcome ("created",
#: "updated" or "unchanged"): a job's progress, committed with the row or not at all.
Within = Callable[[str], None]


def create(data: QRCodeCreate, ctx: Context, within: Within | None = None) -> QRCodeOut:
    """Create a QR Code (``within``: work joined to its write transaction)."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    data, logo = _with_logo(data, ctx)
    fields = _new_fields(data, ctx, taken=True, logo=logo)
    with begin_write():
        result = _out(_inserted(fields, ctx), ctx)
        if within is not None:
            within("created")
    _fire(ctx, "codeqr_qrcode_created", qrcode=result.api())
    return result


def _changes_to(stored: dict, given: dict, ctx: Context) -> tuple[str | None, dict]:
    """The template an update of ``stored`` names (``templateId``) and the fields it sets:
    ``given``, that template's design where not given, and what comes with them."""
    given = dict(given)
    template_id = given.pop("template_id", None)
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
    qr = _row(ref)
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
    # The design and the content are one column each: a field of either changes it whole.
    for name in {"design" if name in ctx.schemas.design_fields else name for name in changes} | {"url", "content"}:
        if name in columns:
            setattr(qr, name, columns[name])
    if not qr.use_as_template:
        qr.default_template = False  # no longer a template: no longer the default (``design.templates``)
    qr.updated_at = ctx.now()
    return {ctx.schemas.api_names[name]: change for name, change in changes.items()}


def with_type_change(stored: dict, given: dict) -> dict:
    """The changes ``given`` to the fields ``stored`` and what they bring with them, unless the
    caller chose: a gs1 payload its key (a code leaving gs1, a random one); another type drops
    the old type's payload, keeps static as it was where the new type allows it, and takes the
    level its standard requires."""
    if given.get("gs1") is not None and "key" not in given:
        given = given | {"key": product_key(given["gs1"])}
    if given.get("type", stored["type"]) == stored["type"]:
        return given
    kind = TYPES[given["type"]]
    if stored["type"] == "gs1" and "key" not in given:  # free the product's Digital Link for another code
        given = given | {"key": new_key()}
    kept = {kind.field} | ({"url"} if kind.name in WITH_URL else set())
    given = {name: None for name in ("url", *PAYLOADS) if name not in kept and stored[name] is not None} | given
    if kind.static != "either":
        given.setdefault("static", kind.static == "only")
    if kind.level:
        given.setdefault("level", kind.level)
    return given


def _save_changes(qr: QRCode, given: dict, ctx: Context, scanned: Scanned | None = None,
                  logo: logos.Logo | None = None) -> tuple[QRCodeOut, dict]:
    """Apply and flush inside the open transaction; return ``(before, changes)``."""
    before = _out(qr, ctx)
    changes = _apply(qr, given, ctx, scanned, logo)
    if changes:
        fields = ctx.schemas.fields_of(qr)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            db.session.rollback()  # qr is left holding the values that clashed
            raise _conflict(fields, exclude_id=qr.id) from None
    return before, changes


def _after_update(before: QRCodeOut, after: QRCodeOut, changes: dict, ctx: Context) -> None:
    if before.picture() != after.picture():
        ctx.state.images.forget(before.picture())
    _fire(ctx, "codeqr_qrcode_updated", qrcode=after.api(), changes=changes)


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
        qr = _row_or_404(ref)
        before, changes = _save_changes(qr, data.given(), ctx, scanned, logo)
        result = _out(qr, ctx)
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
    new_fields = _new_fields(data, ctx, logo=logo) if ahead is None else None  # keeps the logo
    scanned = _scan_ahead(ahead.id, given, ctx, logo) if ahead is not None else None
    if ahead is not None and logo is not None:
        _keep(logo, ctx)  # before the transaction, as ``update`` does
    with begin_write():
        qr, identity = _upsert_row(data, found_by, ctx)
        if qr is None:
            fields = new_fields if new_fields is not None else _new_fields(data, ctx, logo=logo, keep_logo=False)
            slot = url_fingerprint(fields["domain"], f"{data.type}\n{identity}" if data.type != "url" else identity)
            qr = _insert(fields, ctx, upsert_slot=slot)
            created = qr is not None
            if qr is None:  # a concurrent upsert won the slot: update its row instead
                qr = db.session.scalar(select(QRCode).where(QRCode.upsert_slot == slot))
                if qr is None:
                    raise Conflict("the QR Code for this url changed while upserting; try again")
        if not created:
            before, changes = _save_changes(qr, given, ctx, scanned, logo)
        result = _out(qr, ctx)
        if within is not None:
            within("created" if created else "updated" if changes else "unchanged")
    if created:
        _fire(ctx, "codeqr_qrcode_created", qrcode=result.api())
        return result, "created"
    if changes and before is not None:
        _after_update(before, result, changes, ctx)
        return result, "updated"
    return result, "unchanged"


def _forget_deleted(gone: list[QRCodeOut], ctx: Context) -> None:
    for qr in gone:
        ctx.state.images.forget(qr.picture())
        _fire(ctx, "codeqr_qrcode_deleted", qrcode=qr.api())


def _upsert_row(data: QRCodeCreate, found_by: str, ctx: Context) -> tuple[QRCode | None, str]:
    """The row an upsert of ``data`` finds (None: it creates one) and what identifies it
    (its slot): a gs1 code by its Digital Link (products share default links), any other
    by the oldest with its content."""
    if data.gs1 is not None and data.type == "gs1":
        domain = (data.domain or ctx.config["CODEQR_DEFAULT_DOMAIN"]).lower()
        key = product_key(data.gs1)
        return db.session.scalar(select(QRCode).where(QRCode.domain == domain, QRCode.key == key,
                                                      QRCode.type == "gs1")), key
    return _oldest_row_with_url(found_by, data.domain, data.type), found_by


def delete_one(ref: str, ctx: Context) -> dict:
    """Delete a QR Code and its stored images; return ``{"id": …}``."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    with begin_write():
        qr = _row_or_404(ref)
        gone = _out(qr, ctx)
        db.session.delete(qr)
    _forget_deleted([gone], ctx)
    return {"id": gone.id}


class _Refused(dict):
    """The error entry of a bulk item refused before the transaction."""


def bulk_create(items: list, ctx: Context) -> RootModel:
    """Create up to 100 QR Codes in one transaction; invalid items get an error entry.
    Each is checked (its image decoded) before the transaction, which only inserts. The
    answer is built before the commit: if it cannot be, nothing is stored."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    if len(items) > MAX_BULK:
        raise InvalidInput(f"at most {MAX_BULK} QR Codes per request")
    results: list = []  # each item's error entry, or the checked fields to insert
    for item in items:
        try:
            data, logo = _with_logo(ctx.schemas.create.model_validate(item), ctx)  # a fetch: before the transaction
            results.append(_new_fields(data, ctx, logo=logo))
        except ValidationError as error:
            results.append(_Refused({"error": InvalidInputs.of(list(schema_problems(error))).body(), "qrcode": item}))
        except CodeQRError as error:
            results.append(_Refused({"error": error.body(), "qrcode": item}))
    created: list[QRCodeOut] = []
    with begin_write():
        for index, (item, fields) in enumerate(zip(items, results)):
            if isinstance(fields, _Refused):
                continue
            try:
                qr = _inserted(fields, ctx)
            except CodeQRError as error:
                results[index] = {"error": error.body(), "qrcode": item}
            else:
                created.append(_out(qr, ctx))
                results[index] = created[-1]
        answer = ctx.schemas.bulk_result.model_validate(results)
        answer.model_dump_json()  # raises here, inside the transaction, on an input it cannot echo
    for result in created:
        _fire(ctx, "codeqr_qrcode_created", qrcode=result.api())
    return answer


def bulk_delete(refs: list[str], ctx: Context) -> int:
    """Delete the QR Codes named (ids or ``ext_`` refs, at most ``MAX_BULK``: the API's);
    return how many existed."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    if len(refs) > MAX_BULK:
        raise InvalidInput(f"at most {MAX_BULK} ids per request", "ids")
    ids = [ref for ref in refs if not ref.startswith("ext_")]
    external = [ref[4:] for ref in refs if ref.startswith("ext_")]
    return _delete_where([or_(QRCode.id.in_(ids), QRCode.external_id.in_(external))], ctx)


#: Ids per statement of ``delete_many``: well under SQLite's limit of bound values.
_DELETE_CHUNK = 500


def delete_many(ids: list[str], ctx: Context) -> int:
    """Delete the QR Codes of ``ids``, however many (the list's "all matching"), in one
    transaction; return how many existed."""
    ctx.actor.require(Permission.WRITE_QRCODES)
    chunks = [ids[start:start + _DELETE_CHUNK] for start in range(0, len(ids), _DELETE_CHUNK)]
    return _delete_where([QRCode.id.in_(chunk) for chunk in chunks], ctx)


def _delete_where(conditions: list, ctx: Context) -> int:
    """Delete the QR Codes each condition finds, in one transaction; their images and the
    lifecycle hooks follow the commit."""
    gone: list[QRCodeOut] = []
    with begin_write():
        for condition in conditions:
            doomed = list(db.session.scalars(select(QRCode).where(condition)))
            gone += [_out(qr, ctx) for qr in doomed]
            if doomed:
                db.session.execute(delete(QRCode).where(QRCode.id.in_([qr.id for qr in doomed])))
    _forget_deleted(gone, ctx)
    return len(gone)
