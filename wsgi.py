"""The one module-level app, for gunicorn: ``gunicorn wsgi:app``."""

from codeqr import create_app

app = create_app()
# A serving process runs jobs from its start: one left by a process that died goes on
# without waiting for someone to visit.
app.extensions["codeqr"].jobs.ensure_started()
