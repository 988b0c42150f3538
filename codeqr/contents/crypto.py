"""A cryptocurrency payment request: BIP 21 (bitcoin, litecoin) and EIP 681 (ethereum)
URIs, the address checked by its checksum."""

from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from . import checksums
from .amounts import Amount
from .values import Line, Payload

Currency = Literal["bitcoin", "ethereum", "litecoin"]


@dataclass(frozen=True)
class _Chain:
    """What a currency's addresses and amounts look like (main networks only: a payment
    code for a test network would send people's real coins nowhere)."""

    example: str
    decimals: int
    #: the most one request may ask: the coin's whole supply (ether has no cap: a bound)
    most: Decimal
    #: Base58Check version bytes of its addresses
    versions: frozenset[int] = frozenset()
    #: the human-readable part of its segwit addresses
    hrp: str = ""


_CHAINS: dict[str, _Chain] = {
    # P2PKH (1…) and P2SH (3…); bech32/bech32m bc1…
    "bitcoin": _Chain("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", 8, Decimal(21_000_000),
                      frozenset({0x00, 0x05}), "bc"),
    # P2PKH (L…), P2SH (M…, and the older 3…); ltc1…
    "litecoin": _Chain("ltc1qg42tkwuuxefutzxezdkdel39gfstuap288mfea", 8, Decimal(84_000_000),
                       frozenset({0x30, 0x32, 0x05}), "ltc"),
    # 18 decimals: an amount converts exactly to wei
    "ethereum": _Chain("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", 18, Decimal(1_000_000_000)),
}


def _check_ethereum(address: str) -> None:
    if len(address) != 42 or not address.startswith("0x") or not address.isascii():
        raise PydanticCustomError("address", "must be 0x followed by 40 hexadecimal digits")
    digits = address[2:]
    if any(char not in "0123456789abcdefABCDEF" for char in digits):
        raise PydanticCustomError("address", "must be 0x followed by 40 hexadecimal digits")
    # EIP-55: all lower or all upper case carries no checksum; mixed case must be the checksum.
    if digits not in (digits.lower(), digits.upper()) and digits != checksums.eip55(digits):
        raise PydanticCustomError("address_checksum", "has a wrong EIP-55 checksum (the case of its letters): "
                                                      "a character is probably mistyped")


def _check_utxo(currency: str, chain: _Chain, address: str) -> None:
    """A bitcoin or litecoin address: Base58Check with a known version, or segwit."""
    if address.lower().startswith(chain.hrp + "1"):
        if checksums.segwit_program(chain.hrp, address) is None:
            raise PydanticCustomError("address_checksum", "is not a valid {currency} segwit address: its bech32 "
                                                          "checksum or length is wrong", {"currency": currency})
        return
    payload = checksums.base58check(address)
    if payload is None:
        raise PydanticCustomError("address_checksum", "is not a valid {currency} address: a character is mistyped or "
                                                      "its checksum is wrong (for example {example})",
                                  {"currency": currency, "example": chain.example})
    if len(payload) != 21 or payload[0] not in chain.versions:
        raise PydanticCustomError("address_network", "is not a {currency} main-network address (for example {example})",
                                  {"currency": currency, "example": chain.example})


class Crypto(Payload):
    currency: Currency
    address: Annotated[str, Field(min_length=1, max_length=100)]
    amount: Amount | None = None
    label: Line | None = None

    @field_validator("address")
    @classmethod
    def _address(cls, address: str, info: ValidationInfo) -> str:
        currency = info.data.get("currency")
        if currency == "ethereum":
            _check_ethereum(address)
        elif currency in _CHAINS:
            _check_utxo(currency, _CHAINS[currency], address)
        return address

    @field_validator("amount")
    @classmethod
    def _amount(cls, amount: Decimal | None, info: ValidationInfo) -> Decimal | None:
        if amount is None:
            return None
        if not amount.is_finite() or amount <= 0:
            raise PydanticCustomError("amount", "must be a number greater than 0")
        chain = _CHAINS.get(info.data.get("currency", ""))
        if chain is None:
            return amount
        if amount > chain.most:
            raise PydanticCustomError("amount_too_large", "must be at most {most}", {"most": str(chain.most)})
        if decimals(amount) > chain.decimals:
            raise PydanticCustomError("amount_decimals", "must have at most {decimals} decimals",
                                      {"decimals": chain.decimals})
        return amount

    @field_validator("label")
    @classmethod
    def _label(cls, label: str | None, info: ValidationInfo) -> str | None:
        if label is not None and info.data.get("currency") == "ethereum":
            # Dropping it quietly would show a label no wallet ever sees.
            raise PydanticCustomError("label_unsupported", "is not part of an ethereum payment request (EIP 681 has "
                                                           "no label): leave it out")
        return label


def decimals(amount: Decimal) -> int:
    """How many decimals a finite amount has once trailing zeros go: 1.50 -> 1, 1E+2 -> 0.
    Read from its digits: ``normalize`` would round to the context's 28 digits first."""
    _, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int), "a finite amount"
    zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + zeros))


def _plain(amount: Decimal) -> str:
    """1E+1 -> "10", 0.50 -> "0.5": positional notation, no trailing zeros."""
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def encode_crypto(crypto: Crypto) -> str:
    """``bitcoin:<address>?amount=0.5&label=…`` (BIP 21) or ``ethereum:<address>?value=<wei>``
    (EIP 681: the amount in ether, written in wei as an integer)."""
    if crypto.currency == "ethereum":
        # Exact: at most 18 decimals, so the wei are a whole number; scaleb only moves the point.
        with localcontext(prec=60):
            query = [] if crypto.amount is None else [f"value={int(crypto.amount.scaleb(18))}"]
    else:
        query = [] if crypto.amount is None else [f"amount={_plain(crypto.amount)}"]
        if crypto.label is not None:
            query.append("label=" + quote(crypto.label, safe=""))
    return f"{crypto.currency}:{crypto.address}" + ("?" + "&".join(query) if query else "")
