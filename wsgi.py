"""``gunicorn wsgi:app``: the app of ``codeqr.wsgi``, under the name servers look for first."""

from codeqr.wsgi import app  # noqa: F401
