"""A contact card: vCard 3.0 (RFC 2426), escaped, folded at 75 octets, UTF-8."""

import unicodedata
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from .contentlines import content, escape_text
from .values import Email, Line, Payload, Phone, Text


def check_website(value: str) -> str:
    """An absolute http(s) URL with a host, without spaces, control characters or a user name
    (``https://bank.example@evil.example`` leads to evil.example). The error types are those
    of the QR Code's own ``url``, so people read the same sentences."""
    if any(unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"} for char in value):
        raise PydanticCustomError("url_spaces", "must not contain spaces or control characters")
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises on a malformed port
    except ValueError as error:
        raise PydanticCustomError("url_unreadable", "is not a valid URL ({reason})", {"reason": str(error)}) from None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        raise PydanticCustomError("url_scheme", "must be an absolute http:// or https:// URL")
    if "@" in parts.netloc:
        raise PydanticCustomError("url_userinfo", "must not contain a user name or password (user@ before the host)")
    if not parts.hostname:
        raise PydanticCustomError("url_host", "must name a host")
    return value


Website = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(check_website)]


class VCard(Payload):
    first_name: Line | None = None
    last_name: Line | None = None
    organization: Line | None = None
    title: Line | None = None
    phones: list[Phone] = Field(default_factory=list, max_length=10)
    emails: list[Email] = Field(default_factory=list, max_length=10)
    website: Website | None = None
    address: Text | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _named(self) -> "VCard":
        # vCard 3.0 requires FN, and a card's FN must say whose card it is.
        if not (self.first_name or self.last_name or self.organization):
            raise PydanticCustomError("vcard_name", "a contact card needs a first name, a last name or an organization")
        return self


def full_name(card: VCard) -> str:
    """FN: the names as people write them, or the organization for a card without a name."""
    names = [name for name in (card.first_name, card.last_name) if name]
    return " ".join(names) if names else card.organization or ""


def encode_vcard(card: VCard) -> str:
    """The card as vCard 3.0 text. The free-text address goes in ADR's street part: contact
    apps import ADR into an address field, while many ignore LABEL."""
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        # N is required too: family;given;additional;prefixes;suffixes
        f"N:{escape_text(card.last_name or '')};{escape_text(card.first_name or '')};;;",
        f"FN:{escape_text(full_name(card))}",
    ]
    if card.organization:
        lines.append(f"ORG:{escape_text(card.organization)}")
    if card.title:
        lines.append(f"TITLE:{escape_text(card.title)}")
    lines += [f"TEL;TYPE=CELL:{phone}" for phone in card.phones]
    lines += [f"EMAIL;TYPE=INTERNET:{escape_text(email)}" for email in card.emails]
    if card.website:
        # A URI is not TEXT in RFC 2426, but readers (Apple's, Android's, vobject) unescape
        # it as TEXT and split it at a bare comma: escaped, it reads back whole.
        lines.append(f"URL:{escape_text(card.website)}")
    if card.address:
        # ADR: post office box;extended address;street;locality;region;postal code;country
        lines.append(f"ADR:;;{escape_text(card.address)};;;;")
    if card.note:
        lines.append(f"NOTE:{escape_text(card.note)}")
    lines.append("END:VCARD")
    return content(lines)
