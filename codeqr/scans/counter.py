"""The redirect hot path: a scan's count and its record in one statement, on a DBAPI
connection each thread keeps."""

import json
import queue
import threading
from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, and_, bindparam, case, false, func, insert, literal_column, or_, select, update

from ..contents import CHOICE_TYPES, PAGE_TYPES
from ..domain.models import Alias, QRCode
from ..domain.timeutil import utcnow
from ..links.utm import UTM_FIELDS
from ..operations.outages import dropped
from ..persistence.database import driver_time, write_turns
from ..persistence.extensions import table_of
from .models import PendingScan

_qrcodes = table_of(QRCode)
_inbox = table_of(PendingScan)
_aliases = table_of(Alias)
#: Event columns a request fills in (``VisitReader.read``); the rest come from the QR Code.
VISIT_COLUMNS = ("timestamp", "user_agent", "referer", "referer_host", "language", "country", "region", "city",
                 "visitor", *UTM_FIELDS)
#: Event columns the decision of a scan fills in (``links.decide``): null for a code without link options.
DECISION_COLUMNS = ("step", "rule", "variant")
_UNDECIDED = dict.fromkeys(DECISION_COLUMNS)


class Routing(NamedTuple):
    """What decides where a scan of a QR Code goes, read in the statement that counts
    it: its id, stored destination (or encoded content) and what it holds. Each field is a
    column of ``qrcodes``; link rules add theirs here, and every statement of the counter
    returns them."""

    id: str
    url: str
    type: str
    content: Any
    use_display_page: bool
    #: the link options (``links.options``), null for most codes: then nothing is decided
    link: Any
    #: when the code last changed, as the driver gives it: a decided scan is counted only if
    #: the code is still as it was decided on (``ScanCounter.scan``'s ``decided_on``)
    updated_at: Any

    @classmethod
    def of_row(cls, row, parsed_json: bool) -> "Routing":
        """The routing in a driver's row (SQLite gives JSON as text and booleans as 0/1)."""
        qrcode_id, url, type_name, content, use_display_page, link, updated_at = row  # one tuple built: every scan
        if not parsed_json:
            content = json.loads(content) if content is not None else None
            link = json.loads(link) if link is not None else None
        return cls(qrcode_id, url, type_name, content, bool(use_display_page), link, updated_at)


_ROUTING = [_qrcodes.c[name] for name in Routing._fields]


#: What a scan's event records as its url when it was answered by a landing page.
LANDING_PAGE_URL = ""


def _sent_to(table) -> Any:
    """Where a scan of a row of ``table`` is sent, as its event records it: its url (a
    destination, or the content a phone follows), or ``LANDING_PAGE_URL`` for CodeQR's
    landing page (``contents.shows_page``)."""
    page = or_(table.c.type.in_(_written(PAGE_TYPES)), and_(table.c.type.in_(_written(CHOICE_TYPES)),
                                                            table.c.use_display_page))
    return func.coalesce(bindparam("sent_url"), case((page, literal_column(f"'{LANDING_PAGE_URL}'")), else_=table.c.url))


def _written(names) -> list:
    # Written into the statement: it runs on a DBAPI cursor with only the scan's parameters.
    return [literal_column(f"'{name}'") for name in sorted(names)]


#: Kept connections of one process for scans (each scan holds one for a statement).
SCAN_CONNECTIONS = 4


class ScanCounter:
    """Counts scans atomically (``scans = scans + 1``), stores each scan in the inbox with
    its count, and returns the code's ``Routing`` (where to send the visitor).

    A count never moves without its scan stored, nor a scan stored without its count:
    both are one statement, so one transaction. On PostgreSQL it is ``WITH hit AS
    (UPDATE … RETURNING) INSERT … SELECT``; on SQLite ``INSERT … SELECT`` whose
    trigger (migration 0003) adds the count: one short write holding the lock. Statements
    are compiled once for the engine's dialect and run on a connection each thread
    keeps in autocommit mode: no ORM session, no object loaded, no pool checkout.
    """

    def __init__(self, engine, asynchronous_commit: bool = False, clock: Callable[[], datetime] = utcnow):
        self.engine, self._clock = engine, clock  # the app's clock (tests give another)
        dialect = engine.dialect
        self._postgresql = dialect.name == "postgresql"
        # A static QR Code's key is no short link: nothing is counted, the visitor gets a 404.
        code = ((_qrcodes.c.domain == bindparam("domain")) & (_qrcodes.c.key == bindparam("key"))
                & (_qrcodes.c.static == false()))
        # ``scan`` counts only codes without link options: one with them is decided first, from
        # a routing the redirect holds already, then counted only if it is still that code as
        # it was (not changed since, nor its link given to another).
        self._count, self._record = self._statements(code & _qrcodes.c.link.is_(None), dialect)
        unchanged = (_qrcodes.c.id == bindparam("decided_id")) & (_qrcodes.c.updated_at == bindparam("decided_at"))
        self._count_decided, self._record_decided = self._statements(code & unchanged, dialect)
        self._peek = select(*_ROUTING).where(code).compile(dialect=dialect)
        # A code's routing by its own link or by an alias of it, with its own domain and key.
        alias = select(_aliases.c.qrcode_id).where((_aliases.c.domain == bindparam("domain"))
                                                   & (_aliases.c.key == bindparam("key"))).scalar_subquery()
        self._resolve = (select(_qrcodes.c.domain, _qrcodes.c.key, *_ROUTING)
                         .where(code | ((_qrcodes.c.id == alias) & (_qrcodes.c.static == false())))
                         .compile(dialect=dialect))
        # What the ORM writes too, so stored timestamps compare as they should (SQLite: text).
        self._timestamp = driver_time(dialect)
        # PostgreSQL only: skip the WAL flush wait; a server crash may lose the last
        # fraction of a second of scans, never corrupt the counts (opt-in).
        self._setup = ["SET synchronous_commit TO OFF"] if asynchronous_commit and self._postgresql else []
        # Kept connections, shared by the process's threads: at most SCAN_CONNECTIONS, so 16
        # threads a worker on several servers stay well inside PostgreSQL's connection limit.
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(SCAN_CONNECTIONS)
        self._write_turn = write_turns(engine)

    def _statements(self, where, dialect) -> tuple[Any, Any]:
        """The statements counting a scan of the code ``where`` finds: alone, and with its event stored."""
        counting = (update(_qrcodes).where(where)
                    .values(scans=_qrcodes.c.scans + literal_column("1"), last_scanned_at=bindparam("timestamp")))
        count = counting.returning(*_ROUTING).compile(dialect=dialect)
        visit: dict[str, BindParameter] = {name: bindparam(name) for name in (*VISIT_COLUMNS, *DECISION_COLUMNS)}
        columns = ["qrcode_id", "domain", "key", "url", *visit]
        if self._postgresql:
            # The scan is stored by a data-modifying CTE: PostgreSQL runs it whether or not
            # the outer SELECT, which returns the routing, reads it.
            hit = counting.returning(*dict.fromkeys([_qrcodes.c.domain, _qrcodes.c.key, *_ROUTING])).cte("hit")
            source = select(hit.c.id, hit.c.domain, hit.c.key, _sent_to(hit), *visit.values())
            stored = insert(_inbox).from_select(columns, source).cte("stored")
            record = select(*(hit.c[name] for name in Routing._fields)).add_cte(stored).compile(dialect=dialect)
        else:
            # The trigger scan_inbox_count (migration 0003) adds the count in this statement.
            # SQLite's RETURNING names the inserted row only: the routing comes by the
            # same domain and key, one unique-index search a column. (A subquery by the
            # inserted row's qrcode_id would scan every QR Code: SQLite 3.40 uses no
            # index for a correlated subquery in RETURNING.)
            source = select(_qrcodes.c.id, _qrcodes.c.domain, _qrcodes.c.key, _sent_to(_qrcodes),
                            *visit.values()).where(where)
            record = insert(_inbox).from_select(columns, source).returning(
                *(select(column).where(where).scalar_subquery() for column in _ROUTING)).compile(dialect=dialect)
        return count, record

    def _connection(self):
        try:
            connection = self._idle.get_nowait()
        except queue.Empty:
            connection = None
        if connection is not None and self._postgresql and dropped(connection):
            self._drop(connection)  # the server hung up while it was idle: the scan goes on a new one
            connection = None
        if connection is None:
            # Detached from the pool: this counter keeps it (connect events already applied).
            fairy = self.engine.raw_connection()
            fairy.detach()
            connection = fairy.dbapi_connection
            if self._postgresql:
                connection.autocommit = True
            cursor = connection.cursor()
            for statement in self._setup:
                cursor.execute(statement)
            cursor.close()
        return connection

    @staticmethod
    def _args(compiled, params: dict):
        return tuple(params[name] for name in compiled.positiontup) if compiled.positional else params

    def _fetch(self, cursor, compiled, params: dict):
        cursor.execute(compiled.string, self._args(compiled, params))
        return cursor.fetchone()

    def _execute(self, work, writes: bool = True):
        """Run ``work(cursor)`` on a kept connection (in its turn to write, if it
        ``writes``); drop the connection if it breaks."""
        with self._slots:
            connection = self._connection()
            try:
                cursor = connection.cursor()
                try:
                    with self._write_turn() if writes else nullcontext():
                        result = work(cursor)
                finally:
                    cursor.close()
            except Exception:
                # A broken connection (server restart, …) is dropped; the next scan reconnects.
                self._drop(connection)
                raise
            self._idle.put(connection)
            return result

    @staticmethod
    def _drop(connection) -> None:
        try:
            connection.close()
        except Exception:
            pass

    def close(self) -> None:
        """Close the kept connections now idle (they are detached from the engine's pool, so
        disposing of the engine leaves them open until they are garbage collected)."""
        while True:
            try:
                self._drop(self._idle.get_nowait())
            except queue.Empty:
                return

    def scan(self, domain: str, key: str, visit: dict | None = None, sent_url: str | None = None,
             decided: dict | None = None, decided_on: Routing | None = None) -> Routing | None:
        """Count one scan and, given ``visit`` (its columns), store it in the inbox
        with ``sent_url`` (where it was sent, if not to the stored url).

        Without ``decided`` only a code without link options is counted: for one with
        them (or reached otherwise than by its own plain link), the redirect decides first
        on the routing ``decided_on`` and passes the decision's columns (``DECISION_COLUMNS``)
        here; the scan is counted only if the code is still as that routing has it. Return
        the code's ``Routing``, or None when nothing was counted (an unknown key, a code to
        decide first, or one changed since it was decided on).
        """
        if decided is None:
            count, record, guard = self._count, self._record, {}
        else:
            assert decided_on is not None, "a decided scan names the routing it was decided on"
            count, record = self._count_decided, self._record_decided
            guard = {"decided_id": decided_on.id, "decided_at": decided_on.updated_at}
        if visit is None:
            params = {"domain": domain, "key": key, "timestamp": self._timestamp(self._clock())} | guard
            row = self._execute(lambda cursor: self._fetch(cursor, count, params))
        else:
            params = visit | (decided or _UNDECIDED) | guard | {"timestamp": self._timestamp(visit["timestamp"]),
                                                                "domain": domain, "key": key, "sent_url": sent_url}
            row = self._execute(lambda cursor: self._fetch(cursor, record, params))
        return Routing.of_row(row, self._postgresql) if row else None

    def resolve(self, domain: str, key: str) -> tuple[str, str, Routing] | None:
        """The domain, key and ``Routing`` of the code a short link names, by its own link
        or as an alias of it (``models.Alias``); None when none does. Counts nothing."""
        row = self._execute(lambda cursor: self._fetch(cursor, self._resolve, {"domain": domain, "key": key}),
                            writes=False)
        return (row[0], row[1], Routing.of_row(row[2:], self._postgresql)) if row else None

    def peek(self, domain: str, key: str) -> Routing | None:
        """Return the code's ``Routing`` without counting (for HEAD, and before a plugin decides)."""
        row = self._execute(lambda cursor: self._fetch(cursor, self._peek, {"domain": domain, "key": key}),
                            writes=False)
        return Routing.of_row(row, self._postgresql) if row else None
