"""A Pix payment: the BR Code, an EMV merchant-presented payload closed by its CRC16.

Names, cities and descriptions are written in plain ASCII: accents are stripped (São Paulo
becomes Sao Paulo, as the Banco Central's manual writes its examples), and a character with
no plain form (emoji, other scripts, invisible marks) is refused. The model keeps the plain
form, so what the API shows is what the payment app shows."""

import re
import unicodedata
from decimal import Decimal
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from . import checksums
from .amounts import Amount
from .values import Payload, check_email

#: The merchant account template (ID 26) holds at most 99 characters: the GUI field
#: ("0014br.gov.bcb.pix", 18) and the key's and description's ID and length (4 each).
_GUI = "br.gov.bcb.pix"
_ACCOUNT_ROOM = 99 - (4 + len(_GUI)) - 4 - 4

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: A Brazilian number: +55, a two-digit area code, 8 (landline) or 9 (mobile) digits.
_PHONE = re.compile(r"\+55[1-9]{2}[0-9]{8,9}")
#: CPF and CNPJ as people write them: 123.456.789-09, 12.345.678/0001-95 (or bare).
_CPF = re.compile(r"[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}")
_CNPJ = re.compile(r"[0-9A-Z]{2}\.?[0-9A-Z]{3}\.?[0-9A-Z]{3}/?[0-9A-Z]{4}-?[0-9]{2}")


def _pix_key(value: str) -> str:
    """The key in the form the Pix directory (DICT) stores: e-mail in lower case, phone
    +55…, CPF and CNPJ without punctuation, random key (EVP) in lower case."""
    if "@" in value:
        if len(value) > 77 or not value.isascii():
            raise PydanticCustomError("pix_key", "must be an e-mail address of at most 77 plain ASCII characters")
        return check_email(value.lower())
    if value.startswith("+"):
        compact = re.sub(r"[\s().-]", "", value)
        if not _PHONE.fullmatch(compact):
            raise PydanticCustomError("pix_key", "must be a Brazilian phone number: +55, the area code and the "
                                                 "number (+55 11 91234 5678)")
        return compact
    if _UUID.fullmatch(value.lower()):
        return value.lower()
    if _CPF.fullmatch(value):
        digits = re.sub(r"\D", "", value)
        if not checksums.cpf_valid(digits):
            raise PydanticCustomError("pix_key", "is not a valid CPF: its check digits are wrong (a phone number key "
                                                 "starts with +55)")
        return digits
    if _CNPJ.fullmatch(value.upper()):
        compact = re.sub(r"[./-]", "", value.upper())
        if not checksums.cnpj_valid(compact):
            raise PydanticCustomError("pix_key", "is not a valid CNPJ: its check digits are wrong")
        return compact
    raise PydanticCustomError("pix_key", "must be a Pix key: a CPF or CNPJ, a phone number starting with +55, "
                                         "an e-mail address or a random key (a UUID)")


def _ascii(value: str) -> str:
    """Accents stripped: the letter without its combining marks (NFKD, then marks dropped)."""
    return "".join(char for char in unicodedata.normalize("NFKD", value) if not unicodedata.combining(char))


_NAME_CHARACTERS = re.compile(r"[A-Za-z0-9 ]+")


def _plain_name(value: str, most: int) -> str:
    plain = _ascii(value).strip()
    if not plain:
        raise PydanticCustomError("pix_blank", "must not be empty")
    if not _NAME_CHARACTERS.fullmatch(plain):
        raise PydanticCustomError("pix_characters", "may hold only letters, digits and spaces (accents are dropped)")
    if len(plain) > most:
        raise PydanticCustomError("pix_length", "must be at most {most} characters", {"most": most})
    return plain


class Pix(Payload):
    key: Annotated[str, Field(min_length=1, max_length=100)]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    city: Annotated[str, Field(min_length=1, max_length=200)]
    amount: Amount | None = None
    description: Annotated[str, Field(min_length=1, max_length=200)] | None = None

    @field_validator("key")
    @classmethod
    def _key(cls, key: str) -> str:
        return _pix_key(key.strip())

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        return _plain_name(name, 25)

    @field_validator("city")
    @classmethod
    def _city(cls, city: str) -> str:
        return _plain_name(city, 15)

    @field_validator("amount")
    @classmethod
    def _amount(cls, amount: Decimal | None) -> Decimal | None:
        # ID 54 holds at most 13 characters: 9999999999.99.
        if amount is None:
            return None
        if not amount.is_finite() or amount <= 0:
            raise PydanticCustomError("amount", "must be a number greater than 0")
        if amount >= Decimal("1E10") or amount != amount.quantize(Decimal("0.01")):
            raise PydanticCustomError("amount", "must be at most 9999999999.99, with at most 2 decimals (centavos)")
        return amount

    @field_validator("description")
    @classmethod
    def _description(cls, description: str | None, info: ValidationInfo) -> str | None:
        if description is None:
            return None
        plain = _ascii(description).strip()
        if not plain or any(not " " <= char <= "~" for char in plain):
            raise PydanticCustomError("pix_characters", "may hold only printable characters without emoji or "
                                                        "line breaks (accents are dropped)")
        key = info.data.get("key")
        if key is not None and len(key) + len(plain) > _ACCOUNT_ROOM:
            raise PydanticCustomError("pix_length", "is too long for this key: the key and the description together "
                                                    "may hold {room} characters, here at most {most}",
                                      {"room": _ACCOUNT_ROOM, "most": max(0, _ACCOUNT_ROOM - len(key))})
        return plain


def _field(tag: str, value: str) -> str:
    """One EMV data object: two-digit ID, two-digit length, value."""
    assert len(value) <= 99, f"EMV field {tag} over 99 characters"
    return f"{tag}{len(value):02d}{value}"


def encode_pix(pix: Pix) -> str:
    """The BR Code (Pix "copia e cola") of a static payment, closed by its CRC."""
    account = _field("00", _GUI) + _field("01", pix.key)
    if pix.description is not None:
        account += _field("02", pix.description)
    payload = (
        _field("00", "01")  # payload format indicator
        + _field("26", account)
        + _field("52", "0000")  # merchant category code: not given
        + _field("53", "986")  # currency: Brazilian real (ISO 4217)
        + ("" if pix.amount is None else _field("54", f"{pix.amount:.2f}"))
        + _field("58", "BR")
        + _field("59", pix.name)
        + _field("60", pix.city)
        + _field("62", _field("05", "***"))  # no transaction id: a static code's "***"
        + "6304"  # the CRC's own ID and length are part of what it covers
    )
    return payload + f"{checksums.crc16_ccitt(payload.encode('ascii')):04X}"
