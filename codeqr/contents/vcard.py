"""A contact card: vCard 3.0 (RFC 2426), escaped, folded at 75 octets, UTF-8."""


from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from .contentlines import content, escape_text
from .values import Email, Line, Payload, Phone, Text, WebAddress


class VCard(Payload):
    first_name: Line | None = None
    last_name: Line | None = None
    organization: Line | None = None
    title: Line | None = None
    phones: list[Phone] = Field(default_factory=list, max_length=10)
    emails: list[Email] = Field(default_factory=list, max_length=10)
    website: WebAddress | None = None
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
