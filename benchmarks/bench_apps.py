"""WSGI apps served by gunicorn in benchmarks/redirect.py.

``reference()`` is the yardstick: a bare Flask app whose one route answers every
``/<key>`` with a constant 302, touching no database. ``codeqr()`` is the real app,
configured from the ``CODEQR_*`` environment variables that redirect.py sets
(``CODEQR_INSTANCE_PATH``, ``CODEQR_DATABASE_URL``, ``CODEQR_DEFAULT_DOMAIN``).

Run as ``gunicorn --chdir benchmarks 'bench_apps:reference()'`` (or ``codeqr()``).
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
