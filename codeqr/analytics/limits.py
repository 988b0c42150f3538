"""What one analytics or events read may cost: a time frame and a number of buckets
(else 422), and a time per statement (else 503), so no read holds a worker, and the
short links waiting for it, for long."""

import math
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import event, exc

from ..errors import CodeQRError, InvalidInput
from ..persistence.extensions import db

#: SQLite virtual machine steps between two looks at the clock (a few microseconds' work).
_STEPS_PER_CHECK = 10_000
_INFO_KEY = "codeqr_read_seconds"


class ReadTooLong(CodeQRError):
    """A read stopped at its time limit: the database is busy, or the question too big."""

    code, status = "service_unavailable", 503


@dataclass(frozen=True)
class ReadLimits:
    max_span_days: int
    max_buckets: int
    seconds: float

    @classmethod
    def from_config(cls, config) -> "ReadLimits":
        return cls(config["CODEQR_ANALYTICS_MAX_SPAN_DAYS"], config["CODEQR_ANALYTICS_MAX_BUCKETS"],
                   config["CODEQR_ANALYTICS_TIMEOUT_SECONDS"])

    def check_span(self, span: timedelta) -> None:
        if span > timedelta(days=self.max_span_days):
            raise InvalidInput(f"the time frame covers {span.days:,} days; analytics cover at most "
                               f"{self.max_span_days:,} days: choose a later start or an earlier end")

    def check_buckets(self, buckets: int) -> None:
        """``buckets``: how many a time series would have (counted up to one past the limit)."""
        if buckets > self.max_buckets:
            raise InvalidInput(f"this time series would have more than {self.max_buckets:,} points, the limit: "
                               "choose a shorter time frame")


@contextmanager
def bounded_reads(seconds: float) -> Iterator[None]:
    """Stop any statement of the block (on the session's connection) that runs longer
    than ``seconds`` and answer 503 then. PostgreSQL: ``SET LOCAL statement_timeout``
    in the read's transaction; SQLite: a progress handler watching a deadline that
    each statement restarts."""
    connection = db.session.connection()
    clock = _watch_sqlite(connection, seconds) if connection.dialect.name == "sqlite" else None
    if clock is None:
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(seconds * 1000))}")
    try:
        yield
    except exc.OperationalError as error:
        if not _timed_out(error.orig):
            raise
        db.session.rollback()  # PostgreSQL: the transaction is aborted; the error page may read
        raise ReadTooLong(f"this question took longer than {seconds:g} s, the limit for analytics reads: "
                          "ask about a shorter time frame or fewer QR Codes, or try again later") from None
    finally:
        if clock is not None:
            _unwatch_sqlite(connection, clock)


def _timed_out(error) -> bool:
    if isinstance(error, sqlite3.OperationalError):
        return str(error) == "interrupted"
    return getattr(error, "sqlstate", None) == "57014"  # query_canceled: statement_timeout


def _watch_sqlite(connection, seconds: float) -> dict:
    if not event.contains(connection.engine, "before_cursor_execute", _restart_clock):
        event.listen(connection.engine, "before_cursor_execute", _restart_clock)
    clock = {"deadline": time.monotonic() + seconds, "seconds": seconds}
    connection.info[_INFO_KEY] = clock
    connection.connection.dbapi_connection.set_progress_handler(
        lambda: time.monotonic() > clock["deadline"], _STEPS_PER_CHECK)
    return clock


def _unwatch_sqlite(connection, clock: dict) -> None:
    clock["deadline"] = math.inf  # harmless even if the connection went back to the pool meanwhile
    if connection.closed or connection.invalidated:
        return
    connection.info.pop(_INFO_KEY, None)
    connection.connection.dbapi_connection.set_progress_handler(None, 0)


def _restart_clock(connection, _cursor, _statement, _parameters, _context, _executemany) -> None:
    clock = connection.info.get(_INFO_KEY)
    if clock is not None and clock["deadline"] != math.inf:
        clock["deadline"] = time.monotonic() + clock["seconds"]
