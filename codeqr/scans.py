"""The redirect hot path: one UPDATE … RETURNING per scan on a pooled DBAPI connection."""

from sqlalchemy import bindparam, literal_column, select, update

from .models import QRCode
from .timeutil import utcnow

_table = QRCode.__table__


class ScanCounter:
    """Counts scans atomically (``scans = scans + 1``) and returns where to send the visitor.

    The statements are compiled once for the engine's dialect and run on a raw
    DBAPI connection: no ORM session, no object loaded.
    """

    def __init__(self, engine):
        self.engine = engine
        dialect = engine.dialect
        count = (
            update(_table)
            .where(_table.c.domain == bindparam("domain"), _table.c.key == bindparam("key"))
            .values(scans=_table.c.scans + literal_column("1"), last_scanned_at=bindparam("now"))
            .returning(_table.c.id, _table.c.url)
        )
        peek = select(_table.c.id, _table.c.url).where(
            _table.c.domain == bindparam("domain"), _table.c.key == bindparam("key")
        )
        self._count = count.compile(dialect=dialect)
        self._peek = peek.compile(dialect=dialect)
        self._timestamp = _table.c.last_scanned_at.type.bind_processor(dialect) or (lambda value: value)

    def _run(self, compiled, params: dict) -> tuple[str, str] | None:
        if compiled.positional:
            args = tuple(params[name] for name in compiled.positiontup)
        else:
            args = params
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(compiled.string, args)
            row = cursor.fetchone()
            cursor.close()
            connection.commit()
        finally:
            connection.close()
        return (row[0], row[1]) if row else None

    def scan(self, domain: str, key: str) -> tuple[str, str] | None:
        """Count one scan; return ``(id, url)``, or None for an unknown key."""
        return self._run(self._count, {"domain": domain, "key": key, "now": self._timestamp(utcnow())})

    def peek(self, domain: str, key: str) -> tuple[str, str] | None:
        """Return ``(id, url)`` without counting (for HEAD)."""
        return self._run(self._peek, {"domain": domain, "key": key})
