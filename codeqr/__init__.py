"""CodeQR: self-hosted QR Codes with short links that can be re-pointed.

The public API for plugins: ``hookimpl``, the base classes ``Renderer``,
``Storage`` and ``Overlay``, ``RenderSpec``, ``db``, ``begin_write`` and the errors.
"""

from .app import create_app
from .database import begin_write
from .design_rules import contrast
from .errors import Conflict, InvalidInput, NotFound, StorageUnavailable
from .extensions import db
from .plugin_api import Overlay, Renderer, RenderSpec, Storage, hookimpl

__all__ = [
    "create_app",
    "hookimpl",
    "Renderer",
    "Storage",
    "Overlay",
    "RenderSpec",
    "db",
    "begin_write",
    "contrast",
    "InvalidInput",
    "Conflict",
    "NotFound",
    "StorageUnavailable",
]
