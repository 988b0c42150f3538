"""What a QR Code holds: its content types (``registry``), each type's payload model and
encoding (one module per concern: ``messaging``, ``places``, ``wifi``, ``vcard``, ``events``,
``crypto``, ``pix``, ``epc``, ``gs1``), how a content is stored (``stored``) and the rules
joining its fields (``rules``). None of them knows the app."""

from .registry import (
    CHOICE_TYPES,
    DEFAULT_TYPE,
    PAGE_TYPES,
    PAYLOADS,
    TYPES,
    WITH_URL,
    ContentType,
    shows_page,
)
from .stored import encoded, gs1_link, lookup_text, payload_of, stored_columns, stored_payloads

__all__ = ["CHOICE_TYPES", "DEFAULT_TYPE", "PAGE_TYPES", "PAYLOADS", "TYPES", "WITH_URL", "ContentType", "encoded",
           "gs1_link", "lookup_text", "payload_of", "shows_page", "stored_columns", "stored_payloads"]
