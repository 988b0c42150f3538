"""A cryptocurrency payment request: BIP 21 (bitcoin, litecoin) and EIP 681 (ethereum)
URIs, the address checked by its checksum."""

from decimal import Decimal
from typing import Literal

from .values import Line, Payload


class Crypto(Payload):
    currency: Literal["bitcoin", "ethereum", "litecoin"]
    address: str
    amount: Decimal | None = None
    label: Line | None = None


def encode_crypto(crypto: Crypto) -> str:
    raise NotImplementedError
