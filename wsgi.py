"""The one module-level app, for gunicorn: ``gunicorn wsgi:app``."""

from codeqr import create_app

app = create_app()
