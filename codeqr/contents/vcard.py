"""A contact card: vCard 3.0 (RFC 2426), escaped, folded at 75 octets, UTF-8."""

from pydantic import Field

from .values import Email, Line, Payload, Phone, Text


class VCard(Payload):
    first_name: Line | None = None
    last_name: Line | None = None
    organization: Line | None = None
    title: Line | None = None
    phones: list[Phone] = Field(default_factory=list, max_length=10)
    emails: list[Email] = Field(default_factory=list, max_length=10)
    website: str | None = None
    address: Text | None = None
    note: Text | None = None


def encode_vcard(card: VCard) -> str:
    raise NotImplementedError
