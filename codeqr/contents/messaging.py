"""Ways to reach someone: e-mail (mailto, RFC 6068), phone (tel:), SMS (SMSTO), FaceTime
and WhatsApp (wa.me click-to-chat)."""

from typing import Annotated

from pydantic import Field

from .values import Email, Line, Payload, Phone, Text

PhoneNumber = Phone


class EmailMessage(Payload):
    email: Email
    subject: Line | None = None
    body: Text | None = None
    cc: list[Email] = Field(default_factory=list, max_length=20)
    bcc: list[Email] = Field(default_factory=list, max_length=20)


class Sms(Payload):
    phone: Phone
    message: Annotated[str, Field(max_length=1000)] | None = None


class Facetime(Payload):
    target: Annotated[str, Field(min_length=1, max_length=254)]


class Whatsapp(Payload):
    number: Annotated[str, Field(pattern=r"^[1-9][0-9]{7,14}$")]
    message: Annotated[str, Field(max_length=1000)] | None = None


def encode_email(message: EmailMessage) -> str:
    raise NotImplementedError


def encode_phone(number: str) -> str:
    raise NotImplementedError


def encode_sms(sms: Sms) -> str:
    raise NotImplementedError


def sms_link(sms: Sms) -> str:
    raise NotImplementedError


def encode_facetime(facetime: Facetime) -> str:
    raise NotImplementedError


def whatsapp_link(whatsapp: Whatsapp) -> str:
    raise NotImplementedError
