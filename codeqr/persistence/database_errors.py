"""What is wrong with the database, in one line.

``describe`` is for the operator (a command, the log, ``/readyz`` asked from this machine):
the driver's reason, never the password, with the fix when there is a known one.
``without_where`` is for anyone else: what is wrong, without the host, port or names that
would map the setup for a visitor.
"""

import os
import re
import shlex

from sqlalchemy.engine import make_url

_MISSING_DATABASE = re.compile(r'database "[^"]*" does not exist')
_CREDENTIALS = re.compile(r'password authentication failed|role "[^"]*" does not exist|no password supplied')
_NO_SCHEMA = re.compile(r'no such table|relation "[^"]*" does not exist')
#: What is wrong, by the words drivers use for it (first match wins).
_KINDS = (
    (_MISSING_DATABASE, "the database does not exist"),
    (_CREDENTIALS, "the database refused the user or password"),
    (re.compile(r"connection refused", re.IGNORECASE), "the database server refused the connection"),
    (re.compile(r"timeout expired|timed out|did not answer", re.IGNORECASE),
     "the database server did not answer in time"),
    (re.compile(r"translate host name|name or service not known|name resolution", re.IGNORECASE),
     "the database server's name does not resolve"),
    (re.compile(r"cannot open the SQLite database|unable to open database file"), "the database file cannot be opened"),
    (re.compile(r"database is locked"), "the database is locked"),
)


def describe(reason: str, url: str) -> str:
    """``reason`` (the driver's first line) for the operator: the password of ``url``
    hidden, a SQLite file that cannot be opened explained, and for a PostgreSQL database
    that does not exist the ``createdb`` that makes it."""
    parsed = make_url(url)
    if parsed.password:
        reason = reason.replace(str(parsed.password), "***")
    if parsed.get_backend_name() == "sqlite" and "unable to open database file" in reason:
        return _sqlite_problem(parsed.database or "")
    if _MISSING_DATABASE.search(reason):
        reason += f"; create it first: {createdb_command(url)}"
    elif _CREDENTIALS.search(reason):
        reason += "; check the user and password in CODEQR_DATABASE_URL"
    elif lacks_schema(reason):
        reason += "; create the schema: codeqr db upgrade"
    return reason


def lacks_schema(reason: str) -> bool:
    """Whether ``reason`` says a table is missing: the schema was never made (or upgraded)."""
    return bool(_NO_SCHEMA.search(reason))


def without_where(reason: str) -> str:
    """What ``reason`` says is wrong, in words that name no host, port, file or user."""
    for pattern, kind in _KINDS:
        if pattern.search(reason):
            return kind
    return "the database cannot be reached"


def createdb_command(url: str) -> str:
    """PostgreSQL's ``createdb`` for the database of ``url``, with its host, port and user."""
    parsed = make_url(url)
    words = ["createdb"]
    for flag, value in (("-h", parsed.host), ("-p", parsed.port), ("-U", parsed.username)):
        if value:
            words += [flag, shlex.quote(str(value))]
    return " ".join([*words, shlex.quote(parsed.database or "codeqr")])


def _sqlite_problem(path: str) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        why = "it is a folder, not a file"
    elif os.path.exists(folder) and not os.path.isdir(folder):
        why = f"{folder} is a file, not a folder"
    elif not os.path.exists(folder):
        why = f"the folder {folder} does not exist"
    elif not os.access(path if os.path.exists(path) else folder, os.R_OK | os.W_OK):
        why = "permission denied"
    else:
        why = "unable to open database file"
    return f"cannot open the SQLite database {path}: {why}"
