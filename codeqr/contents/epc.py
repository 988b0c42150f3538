"""A SEPA credit transfer: the EPC069-12 payload banking apps read (the IBAN checked mod 97)."""

from decimal import Decimal

from .values import Payload


class Epc(Payload):
    name: str
    iban: str
    bic: str | None = None
    amount: Decimal | None = None
    remittance: str | None = None


def encode_epc(epc: Epc) -> str:
    raise NotImplementedError
