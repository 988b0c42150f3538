"""CodeQR: self-hosted QR Codes with short links that can be re-pointed.

The public API for plugins: ``hookimpl``, the base classes ``Renderer``,
``Storage`` and ``Overlay``, ``RenderSpec``, ``Visit`` (what ``codeqr_redirect``
receives), ``UI`` (how a design field a plugin adds shows in the web form),
``PluginError``, ``contrast``, the errors, and ``db`` and ``begin_write`` for plugins
with tables of their own.

Importing ``codeqr`` loads only the plugin API; ``create_app``, ``db`` and
``begin_write``, ``Visit`` and ``UI`` load the app's modules when first used (PEP 562).
"""

from importlib import import_module

from .design_rules import contrast
from .errors import Conflict, InvalidInput, NotFound, StorageUnavailable
from .plugin_api import Overlay, PluginError, Renderer, RenderSpec, Storage, hookimpl

#: Public names that need the app's modules, and the module each lives in.
_LAZY = {"create_app": ".app", "db": ".persistence.extensions", "begin_write": ".persistence.database", "Visit": ".scans.visit",
         "UI": ".domain.schemas"}

__all__ = [
    "UI",
    "Conflict",
    "InvalidInput",
    "NotFound",
    "Overlay",
    "PluginError",
    "RenderSpec",
    "Renderer",
    "Storage",
    "StorageUnavailable",
    "Visit",
    "begin_write",
    "contrast",
    "create_app",
    "db",
    "hookimpl",
]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'codeqr' has no attribute {name!r}")
