"""The one module-level app, for gunicorn: ``gunicorn wsgi:app``."""

import sys

from codeqr import create_app
from codeqr.errors import ConfigurationError

try:
    app = create_app()
except ConfigurationError as error:
    sys.exit(f"CodeQR cannot start: {error}")  # one line; the server stops instead of retrying
# A serving process runs jobs from its start: one left by a process that died goes on
# without waiting for someone to visit.
app.extensions["codeqr"].jobs.ensure_started()
