"""The one module-level app, for a server of one's own: ``gunicorn codeqr.wsgi:app``
(``wsgi:app`` names it too)."""

import logging
import sys

from .errors import ConfigurationError
from .operations.serving import serving_app

try:
    app = serving_app()
except ConfigurationError as error:
    sys.exit(f"CodeQR cannot start: {error}")  # one line; the server stops instead of retrying
if app.config["CODEQR_DEVELOPMENT_DOMAIN"]:
    # Which address a server of one's own listens on is not known here: say what links use.
    logging.getLogger("codeqr").warning(
        "short links use %s://%s/, a development default: set CODEQR_DEFAULT_DOMAIN to the domain people "
        "will scan", app.config["CODEQR_SCHEME"], app.config["CODEQR_DEFAULT_DOMAIN"])
