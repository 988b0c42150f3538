"""A Pix payment: the BR Code, an EMV merchant-presented payload closed by its CRC16."""

from decimal import Decimal

from .values import Payload


class Pix(Payload):
    key: str
    name: str
    city: str
    amount: Decimal | None = None
    description: str | None = None


def encode_pix(pix: Pix) -> str:
    raise NotImplementedError
