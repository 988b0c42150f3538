"""A SEPA credit transfer: the EPC069-12 payload banking apps read (the IBAN checked mod 97).

Version 002, character set 1 (UTF-8), identification SCT; the lines are separated by LF and
trailing empty lines are left out. The name and the remittance text may hold any printable
character (the payload is UTF-8), but no line break nor invisible formatting character: each
line is one field. A remittance that reads as an RF creditor reference (ISO 11649, checked
mod 97) goes on the structured reference line; any other text on the unstructured one."""

import re
import unicodedata
from decimal import Decimal
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from . import checksums
from .amounts import Amount
from .values import Payload

#: The IBAN length of each country in the SEPA schemes (ISO 13616 registry): a SEPA
#: transfer cannot reach an account elsewhere. Territories using another country's IBAN
#: (Guernsey, Jersey, the French overseas departments…) are covered by that country's code.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AL": 28, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22,
    "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "RS": 22, "SE": 24, "SI": 19, "SK": 24,
    "SM": 27, "VA": 22,
}

#: The whole payload may be at most 331 bytes (EPC069-12, section 3.4).
MOST_BYTES = 331

_BIC = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
_RF = re.compile(r"RF[0-9]{2}[A-Z0-9]{1,21}")


def _one_line(value: str) -> str:
    """A field of the payload: no line break or other control character (it would start a
    new field), no invisible formatting character such as a direction mark."""
    if any(unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"} for char in value):
        raise PydanticCustomError("epc_characters", "must be one line without control or invisible formatting "
                                                    "characters (line breaks, direction marks)")
    value = value.strip()
    if not value:
        raise PydanticCustomError("epc_blank", "must not be blank")
    return value


def _compact(value: str) -> str:
    """IBANs and references as printed (grouped by four, any case) -> upper case, no spaces."""
    return re.sub(r"\s", "", value).upper()


class Epc(Payload):
    name: Annotated[str, Field(min_length=1, max_length=70)]
    iban: Annotated[str, Field(min_length=1, max_length=50)]
    bic: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    amount: Amount | None = None
    remittance: Annotated[str, Field(min_length=1, max_length=140)] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        return _one_line(name)

    @field_validator("iban")
    @classmethod
    def _iban(cls, iban: str) -> str:
        iban = _compact(iban)
        if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+", iban):
            raise PydanticCustomError("iban", "must be an IBAN: a country code, two check digits, then the account "
                                              "(DE89 3704 0044 0532 0130 00)")
        length = IBAN_LENGTHS.get(iban[:2])
        if length is None:
            raise PydanticCustomError("iban_country", "must be an account in a SEPA country ({country} is not one)",
                                      {"country": iban[:2]})
        if len(iban) != length:
            raise PydanticCustomError("iban_length", "must have {length} characters for {country}, not {actual}",
                                      {"length": length, "country": iban[:2], "actual": len(iban)})
        if not checksums.mod97(iban):
            raise PydanticCustomError("iban_checksum", "has wrong check digits: a character is probably mistyped")
        return iban

    @field_validator("bic")
    @classmethod
    def _bic(cls, bic: str | None) -> str | None:
        if bic is None:
            return None
        bic = _compact(bic)
        if not _BIC.fullmatch(bic):
            raise PydanticCustomError("bic", "must be a BIC of 8 or 11 letters and digits: bank, country, location "
                                             "and branch (COBADEFFXXX)")
        return bic

    @field_validator("amount")
    @classmethod
    def _amount(cls, amount: Decimal | None) -> Decimal | None:
        if amount is None:
            return None
        if (not amount.is_finite() or not Decimal("0.01") <= amount <= Decimal("999999999.99")
                or amount != amount.quantize(Decimal("0.01"))):
            raise PydanticCustomError("amount", "must be between 0.01 and 999999999.99 euros, with at most 2 decimals")
        return amount

    @field_validator("remittance")
    @classmethod
    def _remittance(cls, remittance: str | None) -> str | None:
        if remittance is None:
            return None
        remittance = _one_line(remittance)
        # Printed references are upper case, maybe grouped by four: "RF18 5390 0754 7034".
        compact = re.sub(r"\s", "", remittance)
        if _RF.fullmatch(compact):
            if not checksums.mod97(compact):
                raise PydanticCustomError("rf_checksum", "reads as an RF creditor reference but its check digits are "
                                                         "wrong: a character is probably mistyped")
            return compact
        return remittance

    @model_validator(mode="after")
    def _fits(self) -> "Epc":
        size = len(encode_epc(self).encode())
        if size > MOST_BYTES:
            raise PydanticCustomError("epc_size", "name and remittance: the transfer takes {size} bytes in UTF-8, more "
                                                  "than the {most} an EPC QR code holds; shorten them",
                                      {"size": size, "most": MOST_BYTES})
        return self


def is_reference(remittance: str) -> bool:
    """Is this (validated) remittance an RF creditor reference, rather than free text?"""
    return _RF.fullmatch(remittance) is not None


def encode_epc(epc: Epc) -> str:
    """The EPC QR payload: BCD, version 002, UTF-8, SCT, BIC, name, IBAN, amount, purpose,
    structured reference, remittance text."""
    reference = epc.remittance if epc.remittance is not None and is_reference(epc.remittance) else ""
    text = epc.remittance if epc.remittance is not None and not reference else ""
    lines = [
        "BCD", "002", "1", "SCT",
        epc.bic or "",
        epc.name,
        epc.iban,
        "" if epc.amount is None else f"EUR{epc.amount:.2f}",
        "",  # purpose code: none
        reference,
        text,
    ]
    while not lines[-1]:
        lines.pop()
    return "\n".join(lines)
