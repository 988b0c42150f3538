"""The redirect hot path: one UPDATE … RETURNING per scan on a kept DBAPI connection."""

import threading

from sqlalchemy import bindparam, literal_column, select, update

from .models import QRCode
from .timeutil import utcnow

_table = QRCode.__table__


class ScanCounter:
    """Counts scans atomically (``scans = scans + 1``) and returns where to send the visitor.

    The statements are compiled once for the engine's dialect and run on a DBAPI
    connection each thread keeps in autocommit mode: no ORM session, no object
    loaded, no pool checkout and no BEGIN/COMMIT round trips per scan.
    """

    def __init__(self, engine, asynchronous_commit: bool = False):
        self.engine = engine
        dialect = engine.dialect
        where = (_table.c.domain == bindparam("domain")) & (_table.c.key == bindparam("key"))
        count = (
            update(_table)
            .where(where)
            .values(scans=_table.c.scans + literal_column("1"), last_scanned_at=bindparam("now"))
            .returning(_table.c.id, _table.c.url)
        )
        self._count = count.compile(dialect=dialect)
        self._peek = select(_table.c.id, _table.c.url).where(where).compile(dialect=dialect)
        self._timestamp = _table.c.last_scanned_at.type.bind_processor(dialect) or (lambda value: value)
        # PostgreSQL only: skip the WAL flush wait; a server crash may lose the last
        # fraction of a second of scans, never corrupt the counts (opt-in).
        self._setup = ["SET synchronous_commit TO OFF"] if asynchronous_commit and dialect.name == "postgresql" else []
        self._local = threading.local()

    def _connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            # Detached from the pool: this thread keeps it (connect events already applied).
            fairy = self.engine.raw_connection()
            fairy.detach()
            connection = fairy.dbapi_connection
            if self.engine.dialect.name == "postgresql":
                connection.autocommit = True
            cursor = connection.cursor()
            for statement in self._setup:
                cursor.execute(statement)
            cursor.close()
            self._local.connection = connection
        return connection

    def _run(self, compiled, params: dict) -> tuple[str, str] | None:
        args = tuple(params[name] for name in compiled.positiontup) if compiled.positional else params
        connection = self._connection()
        try:
            cursor = connection.cursor()
            cursor.execute(compiled.string, args)
            row = cursor.fetchone()
            cursor.close()
        except Exception:
            # A broken connection (server restart, …) is dropped; the next scan reconnects.
            self._local.connection = None
            try:
                connection.close()
            except Exception:
                pass
            raise
        return (row[0], row[1]) if row else None

    def scan(self, domain: str, key: str) -> tuple[str, str] | None:
        """Count one scan; return ``(id, url)``, or None for an unknown key."""
        return self._run(self._count, {"domain": domain, "key": key, "now": self._timestamp(utcnow())})

    def peek(self, domain: str, key: str) -> tuple[str, str] | None:
        """Return ``(id, url)`` without counting (for HEAD)."""
        return self._run(self._peek, {"domain": domain, "key": key})
