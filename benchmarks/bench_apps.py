"""WSGI apps served by gunicorn in benchmarks/redirect.py.

``reference()`` is the yardstick: a bare Flask app whose one route answers every
``/<key>`` with a constant 302, touching no database. ``codeqr()`` is the real app,
configured from the ``CODEQR_*`` environment variables that redirect.py sets
(``CODEQR_INSTANCE_PATH``, ``CODEQR_DATABASE_URL``, ``CODEQR_DEFAULT_DOMAIN``).
``raw()`` is the floor: CodeQR's scan statement alone on a bare Flask route.

Run as ``gunicorn --chdir benchmarks 'bench_apps:reference()'`` (or ``codeqr()``, ``raw()``).
"""

import flask


def reference() -> flask.Flask:
    """A constant 302 for any key: Flask's routing and response cost, nothing else."""
    app = flask.Flask("reference")

    @app.get("/<key>")
    def redirect(key: str):
        return flask.Response(status=302, headers={"Location": "https://example.com/"})

    return app


def codeqr():
    """The CodeQR app exactly as wsgi.py builds it (config from the environment)."""
    from codeqr import create_app

    return create_app()


def served():
    """The app as each ``codeqr serve`` worker builds it: job thread started, request
    lines on standard output."""
    from codeqr.operations.serving import serving_app

    return serving_app()


def raw() -> flask.Flask:
    """The floor: bare Flask running CodeQR's scan statement, nothing else.

    One ``UPDATE qrcodes SET scans = scans + 1 … RETURNING id, url`` per request on one
    autocommit DBAPI connection per worker (sqlite3 with the app's pragmas, or psycopg):
    no pool, no ORM, no session, no extensions. What is left of the gap to the
    reference is the database's cost, not CodeQR's.
    """
    import os
    from datetime import UTC, datetime

    url = os.environ["CODEQR_DATABASE_URL"]
    domain = os.environ["CODEQR_DEFAULT_DOMAIN"]
    connections = {}  # per process: connections must not cross gunicorn's fork

    def connect():
        if url.startswith("sqlite:///"):
            import sqlite3

            connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000"):
                connection.execute(f"PRAGMA {pragma}")
            return connection, "?"
        import psycopg

        return psycopg.connect(url.replace("+psycopg", ""), autocommit=True), "%s"

    app = flask.Flask("raw")

    @app.get("/<key>")
    def redirect(key: str):
        if os.getpid() not in connections:
            connections[os.getpid()] = connect()
        connection, mark = connections[os.getpid()]
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        row = connection.execute(
            f"UPDATE qrcodes SET scans = scans + 1, last_scanned_at = {mark} "
            f"WHERE domain = {mark} AND key = {mark} RETURNING id, url",
            (now, domain, key),
        ).fetchone()
        if row is None:
            flask.abort(404)
        return flask.Response(status=302, headers={"Location": row[1]})

    return app
