"""Plain text: the code holds the text itself."""

from .values import Text

__all__ = ["Text", "encode_text"]


def encode_text(text: str) -> str:
    """What a static text code holds: the text as given."""
    return text
