"""Destinations that break: each dynamic QR Code's destinations (its ``url`` and the URLs
of its link options) are checked in the background, and a broken one is told once.

- **What**: ``destinations(row)`` lists them from the stored row; the link options' URLs
  are found by their type (the shared ``Url``), nested ones too, so a new option is covered.
- **Once per URL**: a URL is one ``DestinationCheck`` row, however many codes use it
  (``DestinationLink`` says which): 30 codes sending scans to one page cost one request.
- **When**: every ``CODEQR_DESTINATION_CHECK_HOURS`` (24), at a moment of the period set by
  the URL's hash, so the checks spread over the day. A failed check is repeated after
  ``RETRY`` (at most the period): one failure is noise, two in a row make it *broken*,
  since the first of them.
- **How**: with ``safe_fetch``'s guard (public addresses only, every redirect checked
  again, short timeouts), ``HEAD`` first; an answer of 400 or more, or a connection the
  server cuts, is asked again with a ``GET`` of one byte (``Range: bytes=0-0``), whose
  answer decides (servers that refuse or mishandle ``HEAD`` are common). At most
  ``CODEQR_DESTINATION_CHECKS_PER_HOST_PER_MINUTE`` requests to a host in each minute,
  counted in the database for every process (``DestinationHost``); a check over the limit
  waits for the next minute, it does not fail.
- **By whom**: the job runner's chore (``jobs.kinds.chores``), in each process; a URL is
  claimed with a lease (as jobs are), so two processes never check it at once. A run
  stops after ``BUDGET_SECONDS``: the runner has jobs to do too.
- **Told**: on becoming broken, ``codeqr_destination_broken`` is called once for each QR
  Code using it, and ``codeqr_destination_fixed`` once when it works again
  (``DestinationLink.told_broken_at`` remembers, claimed by an UPDATE: told once whichever
  process sees it first).

Which codes use which URL is read from the QR Codes at most every ``SYNC_EVERY`` in each
process (and at once for ``codeqr check-destinations``): a changed destination is
checked from then on, and the list filter (``filters.destination_condition``) knows it then.
"""

import functools
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, TypeAdapter
from pydantic.alias_generators import to_camel
from sqlalchemy import CursorResult, case, delete, exists, false, or_, select, update

from ..contents.registry import WITH_URL
from ..contents.values import Url
from ..context import Context
from ..domain import qrcodes
from ..domain.filters import DestinationState
from ..domain.ids import url_hash
from ..domain.lifecycle import fire
from ..domain.models import DestinationCheck, DestinationHost, DestinationLink, QRCode
from ..domain.schemas import LINK_API_NAMES, LINK_FIELDS, QRCodeCreate, Timestamp, inline_schema
from ..domain.timeutil import isoformat
from ..operations import safe_fetch
from ..persistence.database import begin_write, insert_on_conflict
from ..persistence.extensions import db

log = logging.getLogger(__name__)

#: Failed checks in a row that make a destination broken.
BROKEN_AFTER = 2
#: How soon a failed check is repeated (at most the period).
RETRY = timedelta(hours=1)
#: Each request's time, redirects included (``HEAD`` and the ``GET`` after it each have it).
TIMEOUT_SECONDS = 5.0
#: How long a check is held by the process that claimed it.
LEASE = timedelta(seconds=60)
#: How long one run of the chore checks before handing the runner back to its jobs.
BUDGET_SECONDS = 20.0
#: How often each process reads which codes use which URL.
SYNC_EVERY = timedelta(minutes=10)
#: The limit per host counts the requests of each such window.
WINDOW = timedelta(minutes=1)
#: What a ``HEAD`` answer sends to the ranged ``GET`` (and what makes a check fail).
BAD_STATUS = 400



# -- what is checked --------------------------------------------------------------------


@functools.cache
def _url_schemas() -> dict[str, dict]:
    """The JSON schema of each link option, by its API name (nested models in place)."""
    properties = inline_schema(QRCodeCreate)["properties"]
    return {LINK_API_NAMES[name]: properties[LINK_API_NAMES[name]] for name in LINK_FIELDS}


_URL_PATTERN = TypeAdapter(Url).json_schema()["pattern"]


def _rewritten(schema: dict, value: Any, change: Callable[[str, str], str], path: str) -> Any:
    """``value`` with each destination in it (what ``schema`` says is of the ``Url`` type,
    however deep: a country's URL in ``geo``, a rule's ``url``, its split's) replaced by
    ``change(path, url)``; ``path`` names where it is (``geo.FR``, ``rules[0].split[1].url``)."""
    choices = schema.get("anyOf") or schema.get("oneOf") or [schema]
    for choice in choices:
        if isinstance(value, str) and choice.get("pattern") == _URL_PATTERN:
            return change(path, value)
        if isinstance(value, dict) and choice.get("type") == "object":
            return {key: _rewritten(inners[0], item, change, f"{path}.{key}") if (inners := _value_schemas(choice, key))
                    else item for key, item in value.items()}
        if isinstance(value, list) and choice.get("type") == "array" and isinstance(choice.get("items"), dict):
            return [_rewritten(choice["items"], item, change, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


def rewritten(row: Any, change: Callable[[str, str], str]) -> dict[str, Any]:
    """The destinations of the stored QR Code ``row`` (``destinations``' own) passed through
    ``change(field, url)``: ``{api_name: new value}`` of the fields it changed (``url``, or
    a link option whole). ``field`` says where the URL is (``url``, ``geo.FR``, ``rules[0].url``)."""
    if row.static:
        return {}
    changed: dict[str, Any] = {}
    if row.type in WITH_URL and row.url and (url := change("url", row.url)) != row.url:
        changed["url"] = url
    for name, value in (row.link or {}).items():
        schema = _url_schemas().get(name)
        if schema is not None and (new := _rewritten(schema, value, change, name)) != value:
            changed[name] = new
    return changed


def _value_schemas(schema: dict, key: str) -> list[dict]:
    """The schemas of an object's value under ``key``: its property's, a pattern's it
    matches (``geo``'s country codes), or any other key's."""
    if key in schema.get("properties", {}):
        return [schema["properties"][key]]
    patterns = [inner for pattern, inner in schema.get("patternProperties", {}).items() if re.search(pattern, key)]
    other = schema.get("additionalProperties")
    return patterns or ([other] if isinstance(other, dict) else [])


def destinations(row: Any) -> list[str]:
    """Every URL a scan of the stored QR Code ``row`` (``type``, ``static``, ``url``, ``link``)
    may be sent to, each once, in order: its ``url`` (types url and gs1), then its link
    options'. None for a static code: no scan reaches CodeQR."""
    found: list[str] = []

    def seen(field: str, url: str) -> str:
        found.append(url)
        return url
    rewritten(row, seen)
    return list(dict.fromkeys(found))


# -- checking one URL -------------------------------------------------------------------


class Outcome(NamedTuple):
    """What one check found: the last hop's status and URL, or why none came (``safe_fetch.KINDS``)."""

    status: int | None
    error: str | None
    final_url: str | None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and self.status < BAD_STATUS


class Throttled(Exception):
    """The host had its requests of this minute: the check waits for the next."""


def check_url(url: str, admit=None) -> Outcome:
    """Check ``url``: ``HEAD``, then a ``GET`` of one byte when that was refused or failed
    (see the module's docstring). ``admit(host)`` before each request; ``Throttled`` from it
    goes through."""
    try:
        head = safe_fetch.probe(url, "HEAD", timeout=TIMEOUT_SECONDS, admit=admit)
        if head.status < BAD_STATUS:
            return Outcome(head.status, None, head.url)
    except safe_fetch.FetchRefused as refused:
        if refused.kind != "connection":  # no name, a private address, too slow, TLS: a GET gets no further
            return Outcome(None, refused.kind, None)
    try:
        got = safe_fetch.probe(url, "GET", headers={"Range": "bytes=0-0"}, timeout=TIMEOUT_SECONDS, admit=admit)
    except safe_fetch.FetchRefused as refused:
        return Outcome(None, refused.kind, None)
    return Outcome(got.status, None, got.url)


def _admit(host: str, ctx: Context) -> None:
    """Count one request to ``host`` in this minute's window, or raise ``Throttled``."""
    limit = ctx.config["CODEQR_DESTINATION_CHECKS_PER_HOST_PER_MINUTE"]
    now = ctx.now()
    stale = DestinationHost.window_start <= now - WINDOW
    with begin_write():
        db.session.execute(insert_on_conflict(DestinationHost.__table__, db.engine.dialect)
                           .values(host=host, window_start=now, requests=0).on_conflict_do_nothing())
        # One UPDATE that counts and checks: PostgreSQL makes a second process wait for this
        # row and check the limit again on what this one wrote.
        counted = cast(CursorResult, db.session.execute(
            update(DestinationHost).where(DestinationHost.host == host, or_(stale, DestinationHost.requests < limit))
            .values(window_start=case((stale, now), else_=DestinationHost.window_start),
                    requests=case((stale, 1), else_=DestinationHost.requests + 1)))).rowcount
    if not counted:
        raise Throttled(host)


# -- when ---------------------------------------------------------------------------------


def _period(ctx: Context) -> timedelta:
    return timedelta(hours=ctx.config["CODEQR_DESTINATION_CHECK_HOURS"])


def next_slot(hashed: str, after: datetime, period: timedelta) -> datetime:
    """The URL's moment in the period next after ``after``: its hash places it, so checks
    of many URLs spread evenly over the period."""
    seconds = period.total_seconds()
    offset = int(hashed[:12], 16) % int(seconds)
    since_epoch = after.timestamp() - offset
    start = since_epoch - since_epoch % seconds
    return datetime.fromtimestamp(start + offset + seconds, after.tzinfo)


# -- which codes use which URL ------------------------------------------------------------


def sync_links(ctx: Context, only: str | None = None) -> None:
    """Make ``DestinationLink`` and ``DestinationCheck`` say what the QR Codes hold now (of
    the code ``only``, or of all, dropping the URLs none uses any more)."""
    statement = select(QRCode.id, QRCode.type, QRCode.static, QRCode.url, QRCode.link).where(QRCode.static == false())
    if only is not None:
        statement = statement.where(QRCode.id == only)
    wanted: dict[tuple[str, str], str] = {}
    for row in db.session.execute(statement):
        for url in destinations(row):
            wanted[(row.id, url_hash(url))] = url
    kept = select(DestinationLink.qrcode_id, DestinationLink.url_hash)
    if only is not None:
        kept = kept.where(DestinationLink.qrcode_id == only)
    existing = {(code, hashed) for code, hashed in db.session.execute(kept)}
    new, gone = [pair for pair in wanted if pair not in existing], existing - set(wanted)
    now, period = ctx.now(), _period(ctx)
    with begin_write():
        checks = {hashed: wanted[(code, hashed)] for code, hashed in new}
        for part in _batches(list(checks.items())):
            db.session.execute(insert_on_conflict(DestinationCheck.__table__, db.engine.dialect).values(
                [{"url_hash": hashed, "url": url, "host": _host(url), "failures": 0,
                  "due_at": next_slot(hashed, now, period)} for hashed, url in part]).on_conflict_do_nothing())
        for part in _batches(new):
            # A code deleted since it was read takes none (its links would break the foreign key).
            alive = set(db.session.scalars(select(QRCode.id).where(QRCode.id.in_({code for code, _ in part}))))
            rows = [{"qrcode_id": code, "url_hash": hashed} for code, hashed in part if code in alive]
            if rows:
                db.session.execute(insert_on_conflict(DestinationLink.__table__, db.engine.dialect).values(rows)
                                   .on_conflict_do_nothing())
        for code, hashed in gone:
            db.session.execute(delete(DestinationLink).where(DestinationLink.qrcode_id == code,
                                                             DestinationLink.url_hash == hashed))
        if only is None:
            db.session.execute(delete(DestinationCheck).where(~exists().where(
                DestinationLink.url_hash == DestinationCheck.url_hash)))


#: Rows per statement: a catalog's thousands of URLs stay under the bound on parameters of a
#: statement (SQLite's builds differ: 999 in old ones).
_BATCH = 500


def _batches(items: list) -> Iterator[list]:
    for start in range(0, len(items), _BATCH):
        yield items[start:start + _BATCH]


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "")[:253]
    except ValueError:
        return ""


# -- the run ----------------------------------------------------------------------------


def _claim(owner: str, now: datetime, only: Iterable[str] | None = None) -> str | None:
    """Take one URL due (or one of ``only``, due or not) for ``owner``: its hash, or None."""
    free = or_(DestinationCheck.lease_until.is_(None), DestinationCheck.lease_until < now)
    wanted = DestinationCheck.url_hash.in_(list(only)) if only is not None else DestinationCheck.due_at <= now
    candidates = list(db.session.scalars(select(DestinationCheck.url_hash).where(wanted, free)
                                         .order_by(DestinationCheck.due_at).limit(10)))
    db.session.rollback()
    for hashed in candidates:
        with begin_write():
            # The conditions again in the UPDATE: a process that lost the race takes nothing.
            taken = cast(CursorResult, db.session.execute(
                update(DestinationCheck).where(DestinationCheck.url_hash == hashed, wanted, free)
                .values(lease_owner=owner, lease_until=now + LEASE))).rowcount
        if taken:
            return hashed
    return None


def _record(hashed: str, owner: str, outcome: Outcome, ctx: Context) -> None:
    """Store what a check found, if the URL is still ``owner``'s."""
    now, period = ctx.now(), _period(ctx)
    with begin_write():
        check = db.session.get(DestinationCheck, hashed)
        if check is None or check.lease_owner != owner:
            return
        check.status, check.error, check.final_url, check.checked_at = (outcome.status, outcome.error,
                                                                        outcome.final_url, now)
        check.lease_owner = check.lease_until = None
        if outcome.ok:
            check.failures, check.last_ok_at, check.failing_since, check.broken_since = 0, now, None, None
            check.due_at = next_slot(hashed, now, period)
            return
        check.failures += 1
        check.failing_since = check.failing_since or now
        if check.failures >= BROKEN_AFTER:
            check.broken_since = check.broken_since or check.failing_since
            check.due_at = next_slot(hashed, now, period)
        else:
            check.due_at = now + min(RETRY, period)


def _postpone(hashed: str, owner: str, ctx: Context) -> None:
    """Hand a throttled URL back, due again when the next window starts."""
    with begin_write():
        db.session.execute(update(DestinationCheck).where(DestinationCheck.url_hash == hashed,
                                                          DestinationCheck.lease_owner == owner)
                           .values(lease_owner=None, lease_until=None, due_at=ctx.now() + WINDOW))


def _tell(ctx: Context) -> int:
    """Call the hooks for each QR Code whose destination broke or works again since it was
    told; return how many were told."""
    now = ctx.now()
    broken = select(DestinationCheck.url_hash).where(DestinationCheck.broken_since.is_not(None))
    with begin_write():
        newly = db.session.execute(update(DestinationLink).where(
            DestinationLink.told_broken_at.is_(None), DestinationLink.url_hash.in_(broken))
            .values(told_broken_at=now).returning(DestinationLink.qrcode_id, DestinationLink.url_hash)).all()
        fixed = db.session.execute(update(DestinationLink).where(
            DestinationLink.told_broken_at.is_not(None), DestinationLink.url_hash.not_in(broken))
            .values(told_broken_at=None).returning(DestinationLink.qrcode_id, DestinationLink.url_hash)).all()
    for hook, pairs in (("codeqr_destination_broken", newly), ("codeqr_destination_fixed", fixed)):
        for code, hashed in pairs:
            check, row = db.session.get(DestinationCheck, hashed), qrcodes.public_row_of(code)  # the owner is told
            if check is None or row is None:
                continue
            details = ({"status": check.status or check.error, "since": isoformat(check.broken_since)}
                       if hook == "codeqr_destination_broken" else {"status": check.status})
            fire(ctx, hook, qrcode=qrcodes.out_of(row, ctx).api(), url=check.url, **details)
    return len(newly) + len(fixed)


def sweep(ctx: Context, owner: str | None = None, budget: float | None = None, qrcode_id: str | None = None,
          sync: bool = True, stop: Callable[[], bool] = lambda: False) -> int:
    """Check the destinations due (those of ``qrcode_id`` only, due or not), for at most
    ``budget`` seconds and until ``stop()``, holding them as ``owner`` (by default one of its
    own: a command); return how many were checked. Does nothing when
    ``CODEQR_DESTINATION_CHECKS`` is off."""
    if not ctx.config["CODEQR_DESTINATION_CHECKS"]:
        return 0
    owner = owner or f"check:{os.getpid()}:{secrets.token_hex(4)}"
    if sync:
        sync_links(ctx, only=qrcode_id)
    only = None
    if qrcode_id is not None:
        only = set(db.session.scalars(select(DestinationLink.url_hash).where(DestinationLink.qrcode_id == qrcode_id)))
    end = None if budget is None else time.monotonic() + budget
    checked, postponed, throttled = 0, set[str](), set[str]()
    while (end is None or time.monotonic() < end) and not stop():
        hashed = _claim(owner, ctx.now(), None if only is None else only - postponed)
        if hashed is None:
            break
        url, host = db.session.execute(select(DestinationCheck.url, DestinationCheck.host)
                                       .where(DestinationCheck.url_hash == hashed)).one()
        db.session.rollback()  # no transaction stays open while the site answers
        try:
            if host in throttled:  # its minute is spent: no need to ask the database again
                raise Throttled(host)
            outcome = check_url(url, admit=lambda host: _admit(host, ctx))
        except Throttled as error:
            throttled.add(str(error))
            _postpone(hashed, owner, ctx)
            postponed.add(hashed)
            continue
        _record(hashed, owner, outcome, ctx)
        if only is not None:
            only.discard(hashed)
        checked += 1
    _tell(ctx)
    return checked


def chore(ctx: Context) -> int:
    """The job runner's chore: read the links when they are older than ``SYNC_EVERY`` here,
    then check for at most ``BUDGET_SECONDS``, or until a job is queued here (a bulk create's
    request waits for it)."""
    if not ctx.config["CODEQR_DESTINATION_CHECKS"]:
        return 0
    runner = ctx.state.jobs
    synced = ctx.app.extensions.setdefault("codeqr_destinations_synced", {})
    now = ctx.now()
    due = "at" not in synced or now - synced["at"] >= SYNC_EVERY
    if due:
        synced["at"] = now
    return sweep(ctx, owner=runner.owner, budget=BUDGET_SECONDS, sync=due, stop=runner.wanted)


# -- what it found ------------------------------------------------------------------------


def _state_of(check: DestinationCheck | None) -> DestinationState:
    if check is None or check.checked_at is None:
        return "unchecked"
    return "broken" if check.broken_since is not None else "ok"


#: What a destination that gave no answer did, in people's words ("This destination …").
_WHY = {"dns": "cannot be found (its site's name is unknown)", "private": "is on a private network",
        "timeout": "did not answer in time", "tls": "has no valid certificate",
        "connection": "could not be reached", "redirects": "redirects too many times",
        "invalid": "is not an address that can be checked"}


class DestinationOut(BaseModel):
    """The health of one destination of a QR Code, as its last check found it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    url: str
    state: DestinationState
    status: int | None
    error: str | None
    final_url: str | None
    checked_at: Timestamp | None
    last_ok_at: Timestamp | None
    broken_since: Timestamp | None
    sentence: str

    @classmethod
    def of(cls, url: str, check: DestinationCheck | None) -> "DestinationOut":
        if check is None:
            return cls(url=url, state="unchecked", status=None, error=None, final_url=None, checked_at=None,
                       last_ok_at=None, broken_since=None, sentence=sentence(None))
        return cls(url=url, state=_state_of(check), status=check.status, error=check.error,
                   final_url=check.final_url, checked_at=check.checked_at, last_ok_at=check.last_ok_at,
                   broken_since=check.broken_since, sentence=sentence(check))


class DestinationList(BaseModel):
    """Each destination of a QR Code, in the order ``destinations`` gives."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    checks_enabled: bool
    destinations: list[DestinationOut]


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def sentence(check: DestinationCheck | None) -> str:
    """What the detail page says of a destination: "This destination answered 404 since 3 Dec 2026."."""
    if check is None or check.checked_at is None:
        return "This destination has not been checked yet."
    what = f"answered {check.status}" if check.status is not None else _WHY.get(check.error or "", "failed")
    if check.broken_since is not None:
        return f"This destination {what} since {_day(check.broken_since)}."
    if check.failures:
        return f"This destination {what} at its last check ({_day(check.checked_at)}); it is checked again soon."
    return f"This destination answered {check.status} when last checked ({_day(check.checked_at)})."


def of_qrcode(ref: str, ctx: Context) -> DestinationList:
    """The health of each destination of the QR Code ``ref`` (as ``qrcodes.get`` finds it: one
    the asker does not see is not found)."""
    row = qrcodes.row_or_not_found(ref, ctx.actor)
    urls = destinations(row)
    checks = {check.url_hash: check for check in db.session.scalars(
        select(DestinationCheck).where(DestinationCheck.url_hash.in_([url_hash(url) for url in urls])))}
    return DestinationList(checks_enabled=bool(ctx.config["CODEQR_DESTINATION_CHECKS"]),
                           destinations=[DestinationOut.of(url, checks.get(url_hash(url))) for url in urls])


def as_json(destination: DestinationOut) -> str:
    """One destination as the API answers it (for the CLI)."""
    return json.dumps(destination.model_dump(mode="json", by_alias=True))
