"""Check digits and checksums the payment and product codes carry: Base58Check and
bech32/bech32m (bitcoin, litecoin), EIP-55 (ethereum), ISO 7064 mod 97-10 (IBAN, RF
creditor references), GS1 mod 10 (GTIN), the Brazilian CPF and CNPJ, and CRC-16/CCITT-FALSE
(the BR Code). Each function only checks or computes; the callers say what was wrong."""

import hashlib
import string

from Crypto.Hash import keccak

# -- Base58Check (bitcoin's addresses before segwit) ----------------------------------

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58check(text: str) -> bytes | None:
    """The payload (version byte and hash) of a Base58Check string, or None if a character
    is not Base58 or the 4-byte double-SHA-256 checksum does not match."""
    if not text or len(text) > 100:  # addresses are 25 to 35 characters; no huge numbers
        return None
    number = 0
    for char in text:
        digit = _BASE58.find(char)
        if digit < 0:
            return None
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    # Each leading "1" stands for a leading zero byte, which the number loses.
    raw = b"\0" * (len(text) - len(text.lstrip("1"))) + body
    if len(raw) < 5:
        return None
    payload, checksum = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload


# -- bech32 and bech32m (BIP 173, BIP 350) --------------------------------------------

_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
#: What the checksum polymod leaves: 1 for bech32 (BIP 173), this constant for bech32m (BIP 350).
BECH32, BECH32M = 1, 0x2BC830A3


def _polymod(values: list[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_GENERATOR):
            if top >> bit & 1:
                check ^= generator
    return check


def bech32_decode(text: str) -> tuple[str, list[int], int] | None:
    """(human-readable part, 5-bit data without the checksum, BECH32 or BECH32M), or None
    for a string BIP 173 refuses: mixed case, over 90 characters, a bad checksum…"""
    if len(text) > 90 or any(not 33 <= ord(char) <= 126 for char in text):
        return None
    if text.lower() != text and text.upper() != text:
        return None
    text = text.lower()
    hrp, separator, data_part = text.rpartition("1")
    if not separator or not hrp or len(data_part) < 6:
        return None
    if any(char not in _BECH32 for char in data_part):
        return None
    data = [_BECH32.index(char) for char in data_part]
    expanded = [ord(char) >> 5 for char in hrp] + [0] + [ord(char) & 31 for char in hrp]
    constant = _polymod(expanded + data)
    if constant not in (BECH32, BECH32M):
        return None
    return hrp, data[:-6], constant


def _regroup(data: list[int]) -> bytes | None:
    """5-bit groups -> bytes; None if the padding is more than 4 bits or not zeros."""
    accumulator, bits, out = 0, 0, bytearray()
    for value in data:
        accumulator = accumulator << 5 | value
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append(accumulator >> bits & 0xFF)
    if bits >= 5 or accumulator & ((1 << bits) - 1):
        return None
    return bytes(out)


def segwit_program(hrp: str, text: str) -> tuple[int, bytes] | None:
    """(witness version, witness program) of a segwit address for ``hrp`` (bc, ltc), or None.
    Version 0 must use bech32 and hold 20 or 32 bytes; versions 1 to 16, bech32m (BIP 350)."""
    decoded = bech32_decode(text)
    if decoded is None or decoded[0] != hrp or not decoded[1]:
        return None
    _, data, constant = decoded
    version, program = data[0], _regroup(data[1:])
    if program is None or version > 16 or not 2 <= len(program) <= 40:
        return None
    if version == 0 and (constant != BECH32 or len(program) not in (20, 32)):
        return None
    if version > 0 and constant != BECH32M:
        return None
    return version, program


# -- EIP-55 (ethereum's mixed-case checksum) --------------------------------------------


def eip55(hex_address: str) -> str:
    """The 40 hex digits of an address in EIP-55 case: a letter is upper case when the
    matching nibble of Keccak-256 of the lower-case hex is 8 or more."""
    lower = hex_address.lower()
    digest = keccak.new(digest_bits=256, data=lower.encode("ascii")).hexdigest()
    return "".join(char.upper() if int(nibble, 16) >= 8 else char for char, nibble in zip(lower, digest))


# -- ISO 7064 mod 97-10 (IBAN, ISO 13616; RF creditor reference, ISO 11649) -------------


def mod97(reference: str) -> bool:
    """True if the upper-case letters and digits ``reference``, its first four characters
    (country or "RF", two check digits) moved to the end and letters read as 10 to 35,
    leave 1 modulo 97."""
    moved = reference[4:] + reference[:4]
    if not moved.isascii() or not moved.isalnum():
        return False
    return int("".join(str(int(char, 36)) for char in moved)) % 97 == 1


# -- GS1 mod 10 (GTIN, GLN, SSCC) ------------------------------------------------------


def gs1_check_digit(digits: str) -> int:
    """The check digit to append to ``digits``: weights 3, 1, 3… from the right."""
    total = sum(int(digit) * (3 if position % 2 == 0 else 1) for position, digit in enumerate(reversed(digits)))
    return -total % 10


# -- Brazil: CPF (people) and CNPJ (companies) -------------------------------------------


def _mod11_digit(values: list[int], weights: list[int]) -> int:
    remainder = sum(value * weight for value, weight in zip(values, weights)) % 11
    return 0 if remainder < 2 else 11 - remainder


def cpf_valid(digits: str) -> bool:
    """11 digits whose last two are the mod-11 check digits; all-equal digits pass the
    arithmetic but are no one's CPF."""
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit() or len(set(digits)) == 1:
        return False
    values = [int(digit) for digit in digits]
    first = _mod11_digit(values[:9], list(range(10, 1, -1)))
    second = _mod11_digit(values[:10], list(range(11, 1, -1)))
    return values[9:] == [first, second]


_CNPJ_BASE = set(string.digits + string.ascii_uppercase)


def cnpj_valid(text: str) -> bool:
    """14 characters: 12 digits or upper-case letters (letters since July 2026), then two
    mod-11 check digits. Each character counts as its code point minus 48, so a digit
    counts as itself."""
    if len(text) != 14 or any(char not in _CNPJ_BASE for char in text[:12]) or not text[12:].isdigit():
        return False
    if not text.isascii() or len(set(text)) == 1:
        return False
    values = [ord(char) - 48 for char in text]
    first = _mod11_digit(values[:12], [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    second = _mod11_digit(values[:13], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
    return values[12:] == [first, second]


# -- CRC-16/CCITT-FALSE (EMV QR Code, the BR Code's ID 63) ------------------------------


def crc16_ccitt(data: bytes) -> int:
    """CRC-16 with polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = (crc << 1 ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc
