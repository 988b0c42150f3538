"""The one module-level app, for a server of one's own: ``gunicorn codeqr.wsgi:app``
(``wsgi:app`` names it too)."""

import sys

from .errors import ConfigurationError
from .serving import serving_app

try:
    app = serving_app()
except ConfigurationError as error:
    sys.exit(f"CodeQR cannot start: {error}")  # one line; the server stops instead of retrying
