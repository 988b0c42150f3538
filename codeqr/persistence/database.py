"""Database set-up: engine options per dialect, write transactions, schema upgrades."""

import fcntl
import hashlib
import logging
import os
import threading
from contextlib import contextmanager, nullcontext
from datetime import UTC

from alembic.util import CommandError
from sqlalchemy import String, event, func, inspect, literal_column, text
from sqlalchemy.dialects import postgresql, sqlite

from ..domain.timeutil import UTCDateTime
from ..operations.outages import without_timeouts
from .extensions import alembic, db

log = logging.getLogger(__name__)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def configure_engine(engine, busy_timeout_ms: int) -> None:
    """Tune SQLite for concurrent use: WAL, a busy timeout, and BEGIN IMMEDIATE for writes;
    create its file readable by its owner only."""
    if engine.dialect.name != "sqlite":
        return
    _create_private(engine.url.database)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy emit BEGIN itself (below) instead of pysqlite's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        # A write transaction takes the write lock up front, so it never has to
        # upgrade a read snapshot (which fails at once with SQLITE_BUSY).
        write = connection.get_execution_options().get("codeqr_write")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _create_private(path: str | None) -> None:
    """Create the SQLite file ``path`` empty with mode 0600 (an empty file is an empty
    database) before SQLite makes it with the umask's mode: it holds every key's hash and
    every user's. SQLite gives its -wal and -shm files the mode of the database."""
    if not path or path == ":memory:" or path.startswith("file:") or os.path.exists(path):
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:  # another process made it meanwhile
        pass
    except OSError:  # a folder missing or not writable: SQLite's own error says so when it opens it
        pass


def insert_on_conflict(table, dialect):
    """``INSERT`` for ``table`` with the dialect's ``ON CONFLICT`` clauses (both speak it)."""
    return (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(table)


def refresh_statistics(_ctx=None) -> None:
    """Give SQLite's planner fresh statistics of its tables and indexes (``ANALYZE``, each
    index sampled): without them it walks the newest-first index of a 100,000-code list to
    find the one code a filter names (260 ms instead of 0.1 ms, benchmarks/catalog.py).
    PostgreSQL's autovacuum keeps its own; nothing to do there. A runner chore (hourly)."""
    if db.engine.dialect.name != "sqlite":
        return
    with begin_write():  # it writes sqlite_stat1: in the writers' turn
        db.session.execute(text("PRAGMA analysis_limit=400"))  # a sample: milliseconds, whatever the size
        db.session.execute(text("ANALYZE"))


def index_key(expression, dialect):
    """SQL for the key of a value that may be longer than an index takes: its hex
    SHA-256 on PostgreSQL; SQLite indexes values of any length, so there the value
    itself (and no Python function runs for each row). ``index_key_of`` in Python."""
    if dialect.name == "postgresql":
        utf8 = func.convert_to(expression, literal_column("'UTF8'"))
        return func.encode(func.sha256(utf8), literal_column("'hex'"), type_=String)
    return expression


def index_key_of(value: str, dialect) -> str:
    """What ``index_key`` computes, for a value at hand."""
    return hashlib.sha256(value.encode()).hexdigest() if dialect.name == "postgresql" else value


class _WriteTurns:
    """Writers of one SQLite database wait for their turn here, on a file lock, rather
    than in SQLite's busy handler, which sleeps 1, 2, 5, … 100 ms between tries: a
    write that takes 30 µs would otherwise cost its waiters a millisecond or more.
    The lock is ``<database>-writers`` (``flock``, released by the kernel if a process
    dies), taken by each process's threads in turn. SQLite's own locking still guards
    the data; this only decides who goes next."""

    def __init__(self, path: str):
        self.path = path + "-writers"
        self._threads = threading.Lock()
        self._file = None
        self._pid = None

    @contextmanager
    def __call__(self):
        with self._threads:
            if self._pid != os.getpid():  # a forked process opens its own: the lock is per open file
                self._file = open(self.path, "a")
                self._pid = os.getpid()
            fcntl.flock(self._file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._file, fcntl.LOCK_UN)


_turns: dict[str, _WriteTurns] = {}
_turns_lock = threading.Lock()


def write_turns(engine):
    """What makes a block wait for its turn to write to ``engine``'s database: call it
    for a context manager (SQLite files; elsewhere it does nothing). Look it up once,
    not on every write."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        return nullcontext
    path = os.path.abspath(path)
    with _turns_lock:
        return _turns.setdefault(path, _WriteTurns(path))


@contextmanager
def begin_write():
    """Run the block as one write transaction: commit on success, roll back on error.
    Inside another ``begin_write`` block it joins that transaction (a job makes a row's
    work and its progress one commit); ``after_commit`` work waits for the outermost."""
    session = db.session()
    if session.info.get("codeqr_writing"):
        yield
        return
    if session.in_transaction():
        session.commit()  # end the read-only transaction the view may have opened
    with write_turns(db.engine)():
        session.connection(execution_options={"codeqr_write": True})
        session.info["codeqr_writing"] = True
        try:
            yield
            session.commit()
        except BaseException:
            session.rollback()
            session.info.pop("codeqr_after_commit", None)
            raise
        finally:
            session.info["codeqr_writing"] = False
    for work in session.info.pop("codeqr_after_commit", ()):
        work()


def after_commit(work) -> None:
    """Call ``work()`` once the write transaction under way commits (never if it rolls
    back), or now if none is."""
    session = db.session()
    if session.info.get("codeqr_writing"):
        session.info.setdefault("codeqr_after_commit", []).append(work)
    else:
        work()


def executemany(statement, rows: list[dict]) -> int:
    """Run a Core ``statement`` for each of ``rows`` in the session's transaction, the
    rows handed to the driver as they are: for thousands of small rows, SQLAlchemy's
    per-row parameter processing costs more than the database. Times must come
    through ``driver_time``. Return the rows the statement touched."""
    if not rows:
        return 0
    connection = db.session.connection()
    compiled = statement.compile(dialect=connection.dialect, column_keys=list(rows[0]))
    params = [tuple(row[name] for name in compiled.positiontup) for row in rows] if compiled.positional else rows
    return connection.exec_driver_sql(compiled.string, params).rowcount


def driver_value(type_, dialect):
    """Return a function turning a value into what the driver takes for a column of
    ``type_`` (on SQLite: the text SQLAlchemy writes for times and dates)."""
    return type_.dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)


def driver_time(dialect):
    """Return a function turning an aware datetime into what the driver takes for a
    ``UTCDateTime`` column (naive UTC)."""
    process = driver_value(UTCDateTime(), dialect)
    return lambda moment: process(moment.astimezone(UTC).replace(tzinfo=None))


@contextmanager
def _migration_lock(instance_path: str):
    """Serialise schema upgrades of workers starting together (on SQLite, with a lock file
    in the instance folder)."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(7262011)"))
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(7262011)"))
                connection.commit()
        return
    os.makedirs(instance_path, exist_ok=True)
    with open(os.path.join(instance_path, ".migrate.lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _applied_revisions() -> set[str]:
    with db.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return set()
        return set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def missing_revisions(heads: set[str]) -> set[str]:
    """The revisions of ``heads`` the database has not applied. The table is read
    directly: revisions of a disabled plugin may stay there, and need not stop the app
    when everything the loaded code needs is applied."""
    return heads - _applied_revisions()


def schema_heads() -> set[str]:
    """The newest revision of every branch the loaded code knows (core and plugins)."""
    return {script.revision for script in alembic.heads()}


def upgrade_schema(instance_path: str) -> None:
    """Bring the schema to the newest revision of every branch (core and plugins); the
    instance folder at ``instance_path`` holds the lock that serialises upgrades."""
    heads = schema_heads()
    if not missing_revisions(heads):
        return
    with without_timeouts(), _migration_lock(instance_path):
        applied = _applied_revisions()
        if not heads - applied:  # another process upgraded it while this one waited
            return
        try:
            alembic.upgrade()
        except CommandError as error:
            raise RuntimeError(
                f"cannot upgrade the database schema: {error}. If a plugin that added tables "
                "was disabled, enable it for the upgrade."
            ) from error
    log.info("%s the database schema (%s)", "upgraded" if applied else "created", ", ".join(sorted(heads)))
