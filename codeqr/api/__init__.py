"""The JSON API under /api."""

from .views import bp

__all__ = ["bp"]
