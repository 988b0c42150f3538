"""When the database is slow or away: bounded waits, a 503 instead of a 500, a start
that does not need it.

Every PostgreSQL connection gives up connecting after ``CODEQR_DATABASE_TIMEOUT_SECONDS``,
the server cancels a statement running nearly that long, and the client stops waiting
at that time for a server that never answers at all (it accepts connections, then
nothing: a stopped server or a pooler with no database behind it). Those errors, like
a refused connection, answer 503. A connection the server hung up on while it was idle
(a restart, a network cut) is seen before use, without a round trip, and replaced: the
first request after an outage is served.
"""

import logging
import select
import sqlite3
import threading
from contextlib import contextmanager

from sqlalchemy import event, exc

from ..persistence.database_errors import describe
from ..persistence.extensions import db

log = logging.getLogger(__name__)

#: Errors that say the database cannot serve now (down, unreachable, too slow, locked),
#: as opposed to a mistake in a statement.
UNAVAILABLE: tuple[type[BaseException], ...] = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError,
                                                 sqlite3.OperationalError)
try:
    import psycopg
except ImportError:  # PostgreSQL support is an extra: without it, no PostgreSQL engine is made
    pass
else:
    UNAVAILABLE += (psycopg.OperationalError, psycopg.InterfaceError)

#: Share of the timeout after which the server cancels a statement: its cancel (which
#: keeps the connection usable) normally comes before the client stops waiting.
_SERVER_SHARE = 0.9

_unbounded = threading.local()


@contextmanager
def without_timeouts():
    """Let this thread's statements run as long as they need (schema upgrades, which
    also wait for each other's lock)."""
    _unbounded.active = True
    try:
        yield
    finally:
        _unbounded.active = False


def _bounded() -> bool:
    return not getattr(_unbounded, "active", False)


def apply_timeouts(engine, seconds: float) -> None:
    """Bound every wait on ``engine``'s PostgreSQL connections by ``seconds``."""
    if engine.dialect.name != "postgresql":
        return  # SQLite waits for its lock up to CODEQR_SQLITE_BUSY_TIMEOUT_MS
    connection_class = _timed_connection_class(seconds)

    @event.listens_for(engine, "do_connect")
    def connect(_dialect, _record, cargs, cparams):
        # libpq counts connect_timeout in whole seconds, and takes no less than 2.
        cparams.setdefault("connect_timeout", max(2, int(seconds)))
        server_ms = max(1, int(seconds * _SERVER_SHARE * 1000))
        timeout = f"-c statement_timeout={server_ms} -c lock_timeout={server_ms}"
        cparams["options"] = f"{cparams.get('options', '')} {timeout}".strip()
        return connection_class.connect(*cargs, **cparams)

    @event.listens_for(engine, "checkout")
    def replace_dropped(dbapi_connection, _record, _proxy):
        if dropped(dbapi_connection):
            raise exc.DisconnectionError("the database closed this connection")  # the pool takes another

    @event.listens_for(engine, "begin")
    def lift_for_upgrades(connection):
        if not _bounded():
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
            connection.exec_driver_sql("SET LOCAL lock_timeout = 0")


def dropped(connection) -> bool:
    """Whether the server hung up on an idle psycopg ``connection`` (a restart, a cut
    network): its socket reads as ready while no statement runs. A poll, no round trip."""
    if connection.closed or connection.broken:
        return True
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))


def _timed_connection_class(client_seconds: float):
    class TimedConnection(psycopg.Connection):
        """A psycopg connection that stops waiting for a server that does not answer,
        and closes itself then (its state is unknown): the pool replaces it."""

        # Private API: psycopg documents neither Connection.wait nor errors._WaitTimeout,
        # and offers no public client-side bound on waiting for an answer. setup.cfg pins psycopg below
        # 4 for this; tests/test_outages.py checks the bound through requests only.
        def wait(self, gen, interval=0.1, timeout=None):
            if timeout is None and _bounded():
                timeout = client_seconds
            try:
                return super().wait(gen, interval=interval, timeout=timeout)
            except psycopg.errors._WaitTimeout as error:
                self.pgconn.finish()
                raise psycopg.OperationalError(
                    f"the database did not answer within {client_seconds:g} s") from error

    return TimedConnection


class StartupWait:
    """Brings the schema up to date at start, or, while the database is away, keeps
    trying in the background and says so in the log. Until it is done, ``ready`` is
    false and requests that need the database answer 503; ``reason`` says why."""

    def __init__(self, app, upgrade, retry_seconds: float):
        self._app = app
        self._upgrade = upgrade
        self._retry_seconds = retry_seconds
        self._done = threading.Event()
        self._stopped = threading.Event()
        #: the last failure, for the operator (``describe``): never the password
        self.reason = "CodeQR has not reached it since it started"

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    def start(self, retry: bool = True) -> None:
        """Upgrade now. While the database is away, keep trying in the background
        (``retry``: servers), or raise its error (commands, which must not wait)."""
        if not retry:
            with self._app.app_context():
                self._upgrade()
            self._done.set()
        elif not self._try():
            threading.Thread(target=self._keep_trying, name="codeqr-database-wait", daemon=True).start()

    def _try(self) -> bool:
        try:
            with self._app.app_context():
                self._upgrade()
        except UNAVAILABLE as error:
            self.reason = describe(first_line(error), self._app.config["SQLALCHEMY_DATABASE_URI"])
            log.warning("the database is unavailable (%s); CodeQR answers 503 and tries again every %g s",
                        self.reason, self._retry_seconds)
            return False
        self._done.set()
        return True

    def stop(self) -> None:
        """Stop trying (tests and embedding programs that drop the app)."""
        self._stopped.set()

    def _keep_trying(self) -> None:
        while not self._stopped.wait(self._retry_seconds):
            try:
                with self._app.app_context():
                    db.engine.dispose()  # no connection left from before the outage
                if self._try():
                    log.warning("the database is reachable again: CodeQR is serving")
                    return
            except Exception:  # whatever a half-up database says, this thread must go on trying
                log.exception("the schema upgrade failed; trying again in %g s", self._retry_seconds)


def first_line(error: BaseException) -> str:
    """The driver's own message, first line (SQLAlchemy adds the statement and a link)."""
    return (str(getattr(error, "orig", None) or error).strip().splitlines() or [error.__class__.__name__])[0]
