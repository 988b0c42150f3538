"""The JSON API under /api."""

from . import analytics  # noqa: F401  (its views register on bp)
from .views import bp

__all__ = ["bp"]
