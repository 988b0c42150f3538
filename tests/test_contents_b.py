"""The payment and product content types: crypto (BIP 21, EIP 681), Pix (BR Code), EPC
(SEPA transfer) and GS1 Digital Link. Expected values come from the standards' published
examples and test vectors, written out by hand, or from independent parsers (python-stdnum,
schwifty, binascii, urllib); every encoded text also goes through a real QR decoder."""

import binascii
import io
import json
from datetime import date
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pydantic import ValidationError
from schwifty import IBAN
from schwifty.registry import get_iban_spec
from stdnum import bitcoin, ean, iban, iso11649
from stdnum.br import cnpj, cpf

from codeqr.contents import TYPES, checksums
from codeqr.contents.crypto import Crypto, encode_crypto
from codeqr.contents.epc import IBAN_LENGTHS, Epc, encode_epc
from codeqr.contents.gs1 import LINK_TYPES, Gs1, digital_link_path, linkset, parse_path
from codeqr.contents.pix import Pix, encode_pix
from codeqr.domain.rendering import encode as qr_matrix
from decode import decode

PROPERTIES = settings(max_examples=200, deadline=None, database=None)
HOSTILE = ["; : \\ \" ,", "line\nbreak", "carriage\rreturn", "emoji 😀", "rtl \u200fmark", "x" * 2000]


def load(model, **fields):
    """Validate as the API does: the body read from JSON, then validated, by the camelCase
    names. The JSON text itself must give the same model."""
    body = json.loads(json.dumps(fields))
    loaded = model.model_validate(body)
    assert model.model_validate_json(json.dumps(fields)) == loaded
    return loaded


def refusal(model, **fields) -> str:
    """The one-line reason a payload is refused, field first, as the API's 422 says it."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(json.loads(json.dumps(fields)))
    return "; ".join(f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in caught.value.errors())


def scanned(text: str, level: str = "M") -> list[str]:
    """Render ``text`` as the app renders a code, then read it back with zxing-cpp."""
    matrix = qr_matrix(text, level, 4)
    image = Image.new("L", (len(matrix), len(matrix)), 255)
    image.putdata([0 if dark else 255 for row in matrix for dark in row])
    image = image.resize((len(matrix) * 6, len(matrix) * 6), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return decode(buffer.getvalue(), "image/png")


# -- crypto: addresses -------------------------------------------------------------------

#: EIP-55's own test vectors (all caps, all lower, then mixed case).
EIP55_VECTORS = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


@pytest.mark.parametrize("address", EIP55_VECTORS)
def test_eip55_vectors_are_accepted(address):
    assert encode_crypto(load(Crypto, currency="ethereum", address=address)) == f"ethereum:{address}"


@pytest.mark.parametrize("address", EIP55_VECTORS[4:])
def test_eip55_checksum_is_the_published_case_and_one_flipped_letter_is_refused(address):
    assert "0x" + checksums.eip55(address[2:].lower()) == address
    position = next(index for index, char in enumerate(address) if index > 1 and char.isalpha())
    flipped = address[:position] + address[position].swapcase() + address[position + 1:]
    assert "address: has a wrong EIP-55 checksum" in refusal(Crypto, currency="ethereum", address=flipped)


@pytest.mark.parametrize("address", ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                                     "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", "0X5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED"])
def test_ethereum_address_shape(address):
    assert "address: must be 0x followed by 40 hexadecimal digits" in refusal(Crypto, currency="ethereum",
                                                                             address=address)


#: BIP 173 and BIP 350 valid main-network addresses (v0 P2WPKH and P2WSH, v1 taproot,
#: v1 40 bytes, v16, v2) and the wiki's P2PKH and P2SH examples.
BITCOIN_VALID = [
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
    "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
    "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
    "BC1SW50QGDZ25J",
    "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
]

#: BIP 350's invalid addresses: each breaks one rule.
BITCOIN_INVALID = [
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",  # v1 with a bech32 checksum
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",  # v16 with a bech32 checksum
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",  # v0 with a bech32m checksum
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",  # "o" is no bech32 character
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",  # version 17
    "bc1pw5dgrnzv",  # a 1-byte program
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",  # 41 bytes
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",  # v0 with 16 bytes
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",  # more than 4 padding bits
    "bc1gmk9yu",  # no data
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3",  # Base58Check: last character changed
    "175tWpb8K1S7NmH4Zx6rewF9WQrcZv245W",  # BIP 21's example: its checksum is wrong
    "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",  # a test-network address
    "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",  # a test-network P2PKH
    "0BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",  # "0" is no Base58 character
]


def test_bip350_test_network_vectors():
    """BIP 350's vectors on the test network: the decoder reads them for hrp "tb"."""
    for valid in ["tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
                  "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c"]:
        assert checksums.segwit_program("tb", valid) is not None
    for invalid in ["tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",  # mixed case
                    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j"]:  # non-zero padding
        assert checksums.segwit_program("tb", invalid) is None


@pytest.mark.parametrize("address", BITCOIN_VALID)
def test_bitcoin_addresses_accepted(address):
    assert encode_crypto(load(Crypto, currency="bitcoin", address=address)) == f"bitcoin:{address}"


@pytest.mark.parametrize("address", BITCOIN_INVALID)
def test_bitcoin_addresses_refused(address):
    assert refusal(Crypto, currency="bitcoin", address=address).startswith("address: ")


def test_python_stdnum_agrees_on_the_addresses_it_knows():
    """stdnum reads Base58Check and bech32 (not yet bech32m): on those it must agree."""
    known = [address for address in BITCOIN_VALID if not address.lower().startswith(("bc1p", "bc1s", "bc1z"))]
    assert all(bitcoin.is_valid(address) for address in known)
    assert not any(bitcoin.is_valid(address) for address in BITCOIN_INVALID[2:] if not address.startswith(("tb1", "m")))


@pytest.mark.parametrize("address", ["Lg3PX8wRWmApFCoCMAsPF5P9dPHYQHEWKW", "LTuoeY6RBHV3n3cfhXVVTbJbxzxnXs9ofm",
                                     "MGEW4aba3tnrVtVhGcmoqqHaLt5ymPSLPi", "ltc1qxtm55gultqzhqzl2p3ks50hg2478y3hehuj6dz"])
def test_litecoin_addresses_accepted(address):
    assert encode_crypto(load(Crypto, currency="litecoin", address=address, amount="1.5")) == \
        f"litecoin:{address}?amount=1.5"


@pytest.mark.parametrize("address", ["Lg3PX8wRWmApFCoCMAsPF5P9dPHYQHEWKX", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
                                     "ltc1qxtm55gultqzhqzl2p3ks50hg2478y3hehuj6dy",
                                     "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"])
def test_litecoin_refuses_bitcoin_and_mistyped_addresses(address):
    assert refusal(Crypto, currency="litecoin", address=address).startswith("address: ")


# -- crypto: the URIs --------------------------------------------------------------------


def test_bip21_example_form():
    """BIP 21's example ``?amount=20.3&label=Luke-Jr`` (with a valid address)."""
    crypto = load(Crypto, currency="bitcoin", address="1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", amount="20.30",
                  label="Luke-Jr")
    assert encode_crypto(crypto) == "bitcoin:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2?amount=20.3&label=Luke-Jr"


@pytest.mark.parametrize(("amount", "written"), [("50", "50"), ("1E+2", "100"), ("0.00000001", "0.00000001"),
                                                 ("21000000", "21000000"), (0.5, "0.5")])
def test_bitcoin_amount_in_plain_decimal(amount, written):
    crypto = load(Crypto, currency="bitcoin", address="1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", amount=amount)
    assert encode_crypto(crypto) == f"bitcoin:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2?amount={written}"


@pytest.mark.parametrize(("amount", "reason"), [("0", "greater than 0"), ("-1", "greater than 0"),
                                                ("0.000000001", "at most 8 decimals"),
                                                ("21000000.00000001", "at most 21000000"),
                                                # 29 digits: rounding to 28 would hide the 28th decimal
                                                ("1.0000000000000000000000000001", "at most 8 decimals")])
def test_bitcoin_amount_refused(amount, reason):
    message = refusal(Crypto, currency="bitcoin", address="1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", amount=amount)
    assert message.startswith("amount: ") and reason in message


@pytest.mark.parametrize(("ether", "wei"), [
    ("2.014", "2014000000000000000"),  # EIP 681's example, value=2.014e18
    ("0.000000000000000001", "1"),
    ("1234.5", "1234500000000000000000"),
    ("999999999.999999999999999999", "999999999999999999999999999"),
])
def test_eip681_value_is_exact_wei(ether, wei):
    address = "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"  # EIP 681's example, all lower case
    assert encode_crypto(load(Crypto, currency="ethereum", address=address, amount=ether)) == \
        f"ethereum:{address}?value={wei}"


def test_ethereum_refuses_19_decimals_and_a_label():
    address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    assert "amount: must have at most 18 decimals" in refusal(Crypto, currency="ethereum", address=address,
                                                              amount="0.0000000000000000001")
    assert "label: is not part of an ethereum payment request" in refusal(Crypto, currency="ethereum",
                                                                          address=address, label="Coffee")


def test_label_is_percent_encoded_and_reads_back():
    label = "a;b:c\\\"d,é😀 &x=1?#/\u200f"
    uri = encode_crypto(load(Crypto, currency="bitcoin", address="1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", label=label))
    assert uri == ("bitcoin:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2?label=a%3Bb%3Ac%5C%22d%2C%C3%A9%F0%9F%98%80%20%26x%3D1"
                   "%3F%23%2F%E2%80%8F")
    assert parse_qs(urlsplit(uri).query) == {"label": [label]}


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels(label):
    fields = {"currency": "bitcoin", "address": "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "label": label}
    try:
        uri = encode_crypto(load(Crypto, **fields))
    except ValidationError:
        assert refusal(Crypto, **fields).startswith("label: ")
        assert "\n" in label or "\r" in label or len(label) > 500
    else:
        assert parse_qs(urlsplit(uri).query)["label"] == [label]


# -- Pix ---------------------------------------------------------------------------------


def tlv(text: str) -> dict[str, str]:
    """Split an EMV payload into its fields (ID, two-digit length, value)."""
    fields = {}
    while text:
        tag, size = text[:2], int(text[2:4])
        assert len(text) >= 4 + size, "a field runs past the end"
        fields[tag] = text[4:4 + size]
        text = text[4 + size:]
    return fields


def test_crc16_ccitt_false_check_value():
    """The catalogue's check value of CRC-16/CCITT-FALSE, and binascii's own CRC-CCITT."""
    assert checksums.crc16_ccitt(b"123456789") == 0x29B1
    assert checksums.crc16_ccitt(b"any other text") == binascii.crc_hqx(b"any other text", 0xFFFF)


def test_br_code_of_the_banco_central_manual():
    """The example of the BR Code manual (Manual de Padrões para Iniciação do Pix)."""
    pix = load(Pix, key="123e4567-e12b-12d1-a456-426655440000", name="Fulano de Tal", city="BRASILIA")
    assert encode_pix(pix) == ("00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
                               "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D")


def test_br_code_with_a_cnpj_key_and_an_amount():
    """A BR Code published with its CRC: CNPJ key, amount 814.99."""
    pix = load(Pix, key="54.777.753/0001-37", name="GPR ANALISE LTDA", city="BRASILIA", amount="814.99")
    assert encode_pix(pix) == ("00020126360014br.gov.bcb.pix0114547777530001375204000053039865406814.995802BR"
                               "5916GPR ANALISE LTDA6008BRASILIA62070503***6304396E")


def test_br_code_fields_read_back():
    pix = load(Pix, key="+55 (11) 91234-5678", name="José da Silva", city="São Paulo", amount="10",
               description="Pedido 42; \"café\", \\ ok")
    text = encode_pix(pix)
    fields = tlv(text)
    assert list(fields) == ["00", "26", "52", "53", "54", "58", "59", "60", "62", "63"]
    assert tlv(fields["26"]) == {"00": "br.gov.bcb.pix", "01": "+5511912345678", "02": "Pedido 42; \"cafe\", \\ ok"}
    assert (fields["54"], fields["59"], fields["60"]) == ("10.00", "Jose da Silva", "Sao Paulo")
    assert tlv(fields["62"]) == {"05": "***"}
    assert fields["63"] == f"{binascii.crc_hqx(text[:-4].encode(), 0xFFFF):04X}"


@pytest.mark.parametrize(("key", "stored"), [
    ("111.444.777-35", "11144477735"),
    ("11144477735", "11144477735"),
    ("11.222.333/0001-81", "11222333000181"),
    ("12.ABC.345/01DE-35", "12ABC34501DE35"),  # the Receita Federal's alphanumeric CNPJ example
    ("+55 21 2345-6789", "+552123456789"),
    ("Fulano@Example.COM", "fulano@example.com"),
    ("123E4567-E12B-12D1-A456-426655440000", "123e4567-e12b-12d1-a456-426655440000"),
])
def test_pix_keys_in_their_stored_form(key, stored):
    assert load(Pix, key=key, name="Fulano", city="Brasilia").key == stored


def test_stdnum_agrees_on_cpf_and_cnpj():
    for number in ["11144477735", "52998224725"]:
        assert cpf.is_valid(number) and checksums.cpf_valid(number)
        wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
        assert not cpf.is_valid(wrong) and not checksums.cpf_valid(wrong)
    for number in ["11222333000181", "54777753000137"]:
        assert cnpj.is_valid(number) and checksums.cnpj_valid(number)
        wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
        assert not cnpj.is_valid(wrong) and not checksums.cnpj_valid(wrong)


@pytest.mark.parametrize(("key", "reason"), [
    ("111.444.777-36", "is not a valid CPF"),
    ("111.111.111-11", "is not a valid CPF"),
    ("11.222.333/0001-82", "is not a valid CNPJ"),
    ("+1 212 555 0100", "Brazilian phone number"),
    ("+55 11 1234", "Brazilian phone number"),
    ("fulano@", "e-mail"),
    ("a" * 70 + "@example.com", "77"),
    ("123e4567-e12b-12d1-a456-42665544000", "must be a Pix key"),
    ("pix; drop table", "must be a Pix key"),
])
def test_pix_keys_refused(key, reason):
    message = refusal(Pix, key=key, name="Fulano", city="Brasilia")
    assert message.startswith("key: ") and reason in message


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("name", "Fulano 😀", "only letters, digits and spaces"),
    ("name", "Fulano; de Tal", "only letters, digits and spaces"),
    ("name", "A" * 26, "at most 25"),
    ("name", "   ", "must not be empty"),
    ("city", "Sao Jose dos Campos", "at most 15"),
    ("city", "Rio\nde Janeiro", "only letters"),
    ("city", "Bras\u200filia", "only letters"),
])
def test_pix_names_and_cities_refused(field, value, reason):
    fields = {"key": "11144477735", "name": "Fulano", "city": "Brasilia", field: value}
    message = refusal(Pix, **fields)
    assert message.startswith(f"{field}: ") and reason in message


@pytest.mark.parametrize(("amount", "ok"), [("0.01", True), ("9999999999.99", True), ("0", False), ("-5", False),
                                            ("1.005", False), ("10000000000", False)])
def test_pix_amount_bounds(amount, ok):
    fields = {"key": "11144477735", "name": "Fulano", "city": "Brasilia", "amount": amount}
    if ok:
        assert tlv(encode_pix(load(Pix, **fields)))["54"] == amount
    else:
        assert refusal(Pix, **fields).startswith("amount: ")


@pytest.mark.parametrize("description", HOSTILE)
def test_pix_hostile_descriptions(description):
    fields = {"key": "11144477735", "name": "Fulano", "city": "Brasilia", "description": description}
    try:
        text = encode_pix(load(Pix, **fields))
    except ValidationError:
        assert refusal(Pix, **fields).startswith("description: ")
    else:
        assert tlv(tlv(text)["26"])["02"] == description


def test_pix_merchant_account_holds_99_characters_at_most():
    key = "a" * 60 + "@example.com"  # 72 characters: one left for a description
    ok = load(Pix, key=key, name="Fulano", city="Brasilia", description="x")
    assert len(tlv(encode_pix(ok))["26"]) == 99
    message = refusal(Pix, key=key, name="Fulano", city="Brasilia", description="xy")
    assert message.startswith("description: is too long for this key") and "at most 1" in message


# -- EPC (SEPA credit transfer) ------------------------------------------------------------


def test_epc_payload_field_by_field():
    """EPC069-12's sample (Red Cross of Belgium) in version 002, UTF-8."""
    epc = load(Epc, name="Red Cross of Belgium", iban="BE72 0000 0000 1616", bic="bpotbeb1", amount="1",
               remittance="Urgency fund")
    lines = encode_epc(epc).split("\n")
    assert lines[0] == "BCD"  # service tag
    assert lines[1] == "002"  # version
    assert lines[2] == "1"  # character set: UTF-8
    assert lines[3] == "SCT"  # identification: SEPA credit transfer
    assert lines[4] == "BPOTBEB1"  # BIC
    assert lines[5] == "Red Cross of Belgium"  # beneficiary name
    assert lines[6] == "BE72000000001616"  # IBAN
    assert lines[7] == "EUR1.00"  # amount
    assert lines[8] == ""  # purpose
    assert lines[9] == ""  # structured reference
    assert lines[10] == "Urgency fund"  # unstructured remittance
    assert len(lines) == 11


def test_epc_minimal_leaves_trailing_fields_out():
    epc = load(Epc, name="Fran\u00e7ois Dupont", iban="FR14 2004 1010 0505 0001 3M02 606")
    assert encode_epc(epc) == "BCD\n002\n1\nSCT\n\nFrançois Dupont\nFR1420041010050500013M02606"


def test_epc_rf_creditor_reference_goes_on_the_structured_line():
    """ISO 11649's example RF18 5390 0754 7034, as stdnum reads it too."""
    assert iso11649.is_valid("RF18539007547034")
    epc = load(Epc, name="Fulano", iban="DE89370400440532013000", remittance="RF18 5390 0754 7034")
    lines = encode_epc(epc).split("\n")
    assert lines[9:] == ["RF18539007547034"]
    message = refusal(Epc, name="Fulano", iban="DE89370400440532013000", remittance="RF18 5390 0754 7035")
    assert message.startswith("remittance: reads as an RF creditor reference")


@pytest.mark.parametrize("number", ["DE89 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32",
                                    "BE72000000001616", "FR1420041010050500013M02606", "NO9386011117947",
                                    "MT84MALT011000012345MTLCAST001S", "ch9300762011623852957"])
def test_iban_examples_accepted_as_schwifty_and_stdnum_read_them(number):
    compact = number.replace(" ", "").upper()
    assert str(IBAN(number)) == compact and iban.is_valid(number)
    assert load(Epc, name="Fulano", iban=number).iban == compact
    wrong = compact[:-1] + str((int(compact[-1], 36) + 1) % 10)
    assert not iban.is_valid(wrong)
    assert "iban: has wrong check digits" in refusal(Epc, name="Fulano", iban=wrong)


def test_iban_leaving_0_modulo_97_is_refused():
    """DE88…: one less in the check digits of DE89… leaves 0, not 1, modulo 97."""
    assert not iban.is_valid("DE88370400440532013000")
    assert "iban: has wrong check digits" in refusal(Epc, name="Fulano", iban="DE88370400440532013000")


def test_epc_refuses_invisible_marks_in_the_name():
    message = refusal(Epc, name="Fulano\u200f", iban="DE89370400440532013000")
    assert message.startswith("name: must be one line without control or invisible formatting characters")


def test_iban_lengths_match_the_iban_registry():
    assert {country: get_iban_spec(country).iban_length for country in IBAN_LENGTHS} == IBAN_LENGTHS


@pytest.mark.parametrize(("number", "reason"), [
    ("SA03 8000 0000 6080 1016 7519", "SA is not one"),  # a valid IBAN, outside SEPA
    ("DE89 3704 0044 0532 0130 0", "22 characters for DE"),
    ("DE89-3704-0044-0532-0130-00", "must be an IBAN"),
    ("1234", "must be an IBAN"),
])
def test_iban_refused(number, reason):
    message = refusal(Epc, name="Fulano", iban=number)
    assert message.startswith("iban: ") and reason in message


@pytest.mark.parametrize(("bic", "ok"), [("COBADEFFXXX", True), ("deutdeff", True), ("DEUTDEFF500", True),
                                         ("DEUTDE", False), ("DEUTDEFF5", False), ("1EUTDEFF", False)])
def test_bic_8_or_11(bic, ok):
    fields = {"name": "Fulano", "iban": "DE89370400440532013000", "bic": bic}
    if ok:
        assert encode_epc(load(Epc, **fields)).split("\n")[4] == bic.upper()
    else:
        assert refusal(Epc, **fields).startswith("bic: must be a BIC")


@pytest.mark.parametrize(("amount", "written"), [("0.01", "EUR0.01"), ("999999999.99", "EUR999999999.99"),
                                                 ("12.3", "EUR12.30"), ("0", None), ("1000000000", None),
                                                 ("1.001", None)])
def test_epc_amount_bounds(amount, written):
    fields = {"name": "Fulano", "iban": "DE89370400440532013000", "amount": amount}
    if written:
        assert encode_epc(load(Epc, **fields)).split("\n")[7] == written
    else:
        assert refusal(Epc, **fields).startswith("amount: must be between 0.01 and 999999999.99")


@pytest.mark.parametrize("field", ["name", "remittance"])
@pytest.mark.parametrize("value", HOSTILE)
def test_epc_hostile_text(field, value):
    fields = {"name": "Fulano", "iban": "DE89370400440532013000", field: value}
    try:
        text = encode_epc(load(Epc, **fields))
    except ValidationError:
        assert refusal(Epc, **fields).startswith(f"{field}: ")
        assert any(char in value for char in "\n\r\u200f") or len(value) > 70
    else:
        lines = text.split("\n")
        assert (lines[5] if field == "name" else lines[10]) == value


def test_epc_331_bytes_at_most():
    message = refusal(Epc, name="é" * 70, iban="DE89370400440532013000", remittance="€" * 140)
    assert "the transfer takes 602 bytes in UTF-8, more than the 331" in message
    assert "name and remittance" in message


def test_epc_type_forces_level_m():
    assert TYPES["epc"].level == "M"


# -- GS1 Digital Link ------------------------------------------------------------------------


def test_digital_link_of_the_standard_example():
    """GS1 Digital Link's example https://id.gs1.org/01/09506000134352/10/ABC123."""
    gs1 = load(Gs1, gtin="9506000134352", batch="ABC123")
    assert "https://id.gs1.org" + digital_link_path(gs1) == "https://id.gs1.org/01/09506000134352/10/ABC123"
    assert parse_path("/01/09506000134352/10/ABC123") == ("09506000134352", "ABC123", None)


@pytest.mark.parametrize(("gtin", "full"), [
    ("9506000134352", "09506000134352"),  # GS1's example GTIN-13
    ("4006381333931", "04006381333931"),
    ("96385074", "00000096385074"),  # GTIN-8
    ("036000291452", "00036000291452"),  # GTIN-12 (UPC-A)
    ("09506000134352", "09506000134352"),
    ("10614141000415", "10614141000415"),  # GTIN-14 with an indicator digit
])
def test_gtin_forms_normalise_to_14_digits(gtin, full):
    assert ean.is_valid(gtin)
    assert load(Gs1, gtin=gtin).gtin == full
    assert parse_path(f"/01/{gtin}") == (full, None, None)
    wrong = gtin[:-1] + str((int(gtin[-1]) + 1) % 10)
    assert not ean.is_valid(wrong)
    assert "gtin: has a wrong check digit" in refusal(Gs1, gtin=wrong)
    assert parse_path(f"/01/{wrong}") is None


@pytest.mark.parametrize("gtin", ["95060001343", "1234567", "123456789", "095060001343520", "abcdefgh",
                                  "９５０６０００１３４３５２", "9506000134352 "])
def test_gtin_lengths_refused(gtin):
    assert refusal(Gs1, gtin=gtin) == "gtin: must be a GTIN of 8, 12, 13 or 14 digits"


def test_every_character_of_set_82_is_percent_encoded_but_the_unreserved():
    specials = "!\"%&'()*+,-./:;<=>?_"
    gs1 = load(Gs1, gtin="9506000134352", batch=specials[:10], serial=specials[10:] + "aZ9")
    path = digital_link_path(gs1)
    assert path == "/01/09506000134352/10/%21%22%25%26%27%28%29%2A%2B%2C/21/-.%2F%3A%3B%3C%3D%3E%3F_aZ9"
    segments = path.split("/")
    assert [unquote(segments[4]), unquote(segments[6])] == [specials[:10], specials[10:] + "aZ9"]
    assert parse_path(path) == ("09506000134352", specials[:10], specials[10:] + "aZ9")


def test_expiry_is_a_query_attribute():
    gs1 = load(Gs1, gtin="9506000134352", serial="12345", expiry="2027-03-31")
    assert digital_link_path(gs1) == "/01/09506000134352/21/12345?17=270331"
    far = date.today().replace(year=date.today().year + 60, day=1)
    assert refusal(Gs1, gtin="9506000134352", expiry=far.isoformat()).startswith("expiry: must be within")


@pytest.mark.parametrize("value", HOSTILE + ["ABC 123", "é", "a" * 21, "~", "#"])
def test_gs1_hostile_batch_and_serial(value):
    for field in ("batch", "serial"):
        message = refusal(Gs1, gtin="9506000134352", **{field: value})
        assert message.startswith(f"{field}: ")


@pytest.mark.parametrize("path", [
    "/01/9506000134352/10/ABC123/",  # trailing slash
    "01/9506000134352",  # not a path
    "/01/9506000134352/22/ABC",  # consumer product variant: not read
    "/01/9506000134352/17/270331",  # a data attribute in the path
    "/01/9506000134352/21/X/10/Y",  # qualifiers out of order
    "/01/9506000134352/10/X/10/Y",  # repeated
    "/00/106141412345678908",  # an SSCC
    "/gtin/9506000134352",  # the short name
    "/01/9506000134352/10/%zz",  # a broken escape
    "/01/9506000134352/10/%C3%A9",  # é: outside set 82
    "/01/9506000134352/10/%20",  # space: outside set 82
    "/01/9506000134352/10/" + "A" * 21,  # too long
    "/01/9506000134352/10/",  # empty value
    "/01/9506000134352/10/%FF",  # not UTF-8
    "/01/../../etc/passwd",
    "/01/9506000134353",  # wrong check digit
    "/",
    "",
])
def test_parse_path_refuses(path):
    assert parse_path(path) is None


def test_parse_path_reads_escapes_and_both_qualifiers():
    assert parse_path("/01/96385074/10/A%2fB/21/%3C1%3E") == ("00000096385074", "A/B", "<1>")


def test_link_types_from_the_web_vocabulary():
    assert {"pip", "certificationInfo", "recallStatus", "epil", "smpc"} <= LINK_TYPES
    gs1 = load(Gs1, gtin="9506000134352", linkTypes={"gs1:pip": "https://example.com/pip",
                                                     "gs1:certificationInfo": "http://example.org/c?x=1"})
    assert gs1.link_types["gs1:pip"] == "https://example.com/pip"


@pytest.mark.parametrize(("link_types", "where", "reason"), [
    ({"gs1:nope": "https://example.com"}, "linkTypes", "has gs1:nope, which is not a GS1 link type"),
    ({"pip": "https://example.com"}, "linkTypes", "has pip, which is not a GS1 link type"),
    ({"schema:pip": "https://example.com"}, "linkTypes", "not a GS1 link type"),
    ({"gs1:defaultLink": "https://example.com"}, "linkTypes", "the default link is the code's destination URL"),
    # A link's own problems are named by its link type, in the words of every URL's rule.
    ({"gs1:pip": "javascript:alert(1)"}, "linkTypes.gs1:pip", "must be an absolute http:// or https:// URL"),
    ({"gs1:pip": "/relative"}, "linkTypes.gs1:pip", "absolute"),
    ({"gs1:pip": "https://good.example@evil.example/"}, "linkTypes.gs1:pip", "user name"),
    ({"gs1:pip": "https://exa mple.com/"}, "linkTypes.gs1:pip", "must not contain spaces"),
    ({"gs1:pip": "https://example.com/\u200f"}, "linkTypes.gs1:pip", "must not contain spaces or control characters"),
    ({"gs1:pip": "https://example.com/" + "x" * 2000}, "linkTypes.gs1:pip", "at most 2000"),
])
def test_link_types_refused(link_types, where, reason):
    message = refusal(Gs1, gtin="9506000134352", linkTypes=link_types)
    assert message.startswith(f"{where}: ") and reason in message


def test_linkset_of_rfc_9264():
    gs1 = load(Gs1, gtin="9506000134352", batch="ABC123", expiry="2027-03-31",
               linkTypes={"gs1:pip": "https://example.com/pip", "gs1:recallStatus": "https://example.com/recall"})
    document = json.loads(json.dumps(linkset(gs1, "https://id.example.com/", "https://example.com/")))
    assert document == {"linkset": [{
        "anchor": "https://id.example.com/01/09506000134352/10/ABC123",
        "https://gs1.org/voc/defaultLink": [{"href": "https://example.com/"}],
        "https://gs1.org/voc/pip": [{"href": "https://example.com/pip"}],
        "https://gs1.org/voc/recallStatus": [{"href": "https://example.com/recall"}],
    }]}


def test_gs1_is_never_static():
    assert TYPES["gs1"].encode is None and TYPES["gs1"].static == "never"


# -- through a real QR decoder -----------------------------------------------------------------


def _encoded():
    yield "crypto", encode_crypto(load(Crypto, currency="bitcoin", address="bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8"
                                       "z3k2e72q4k9hcz7vqzk5jj0", amount="0.0001", label="Café ☕ \u200f; \"x\""))
    yield "crypto", encode_crypto(load(Crypto, currency="ethereum", address=EIP55_VECTORS[4], amount="2.014"))
    yield "pix", encode_pix(load(Pix, key="Fulano@Example.com", name="Fulano de Tal", city="São Paulo",
                                 amount="12.50", description="Pedido 42; \"x\", \\ : ok"))
    yield "epc", encode_epc(load(Epc, name="Zoë Ünal 😀; \"x\"", iban="DE89370400440532013000", bic="COBADEFFXXX",
                                 amount="12.30", remittance="Facture n° 42, merci !"))
    yield "epc", encode_epc(load(Epc, name="Fulano", iban="NL91ABNA0417164300", remittance="RF18539007547034"))
    yield "gs1", "https://id.example.com" + digital_link_path(load(Gs1, gtin="9506000134352", batch="A/B%C",
                                                                   serial="<1>", expiry="2027-03-31"))


@pytest.mark.parametrize(("kind", "text"), list(_encoded()))
def test_encoded_text_scans_back_exactly(kind, text):
    assert scanned(text, TYPES[kind].level or "M") == [text]


# -- properties: any text either is refused with a named field or reads back whole ---------------

SET_82 = st.text(alphabet="!\"%&'()*+,-./:;<=>?_" + "abcXYZ019", min_size=1, max_size=20)


@PROPERTIES
@given(batch=SET_82 | st.none(), serial=SET_82 | st.none())
def test_any_batch_and_serial_read_back_from_the_path(batch, serial):
    gs1 = Gs1(gtin="9506000134352", batch=batch, serial=serial)
    path = digital_link_path(gs1)
    assert parse_path(path) == ("09506000134352", batch, serial)
    assert all(char in "/0123456789ABCDEFabcXYZ%-._" for char in path), "only unreserved characters and escapes"


@PROPERTIES
@given(text=st.text(max_size=150))
def test_any_epc_remittance_is_refused_or_on_its_own_line(text):
    fields = {"name": "Fulano", "iban": "DE89370400440532013000", "remittance": text}
    try:
        lines = encode_epc(load(Epc, **fields)).split("\n")
    except ValidationError as error:
        assert all(item["loc"] in {("remittance",), ()} for item in error.errors())
    else:
        assert lines[:9] == ["BCD", "002", "1", "SCT", "", "Fulano", "DE89370400440532013000", "", ""]
        assert text.strip() in lines[9:] or text.replace(" ", "") in lines[9:]
        assert len("\n".join(lines).encode()) <= 331


@PROPERTIES
@given(text=st.text(max_size=80))
def test_any_pix_description_is_refused_or_read_back(text):
    fields = {"key": "11144477735", "name": "Fulano", "city": "Brasilia", "description": text}
    try:
        code = encode_pix(load(Pix, **fields))
    except ValidationError as error:
        assert [item["loc"] for item in error.errors()] == [("description",)]
    else:
        assert code[-4:] == f"{binascii.crc_hqx(code[:-4].encode(), 0xFFFF):04X}"
        description = tlv(tlv(code)["26"])["02"]
        assert description.isascii() and description == description.strip()


# -- amounts and dates as JSON gives them --------------------------------------------------------


@pytest.mark.parametrize(("amount", "written"), [(12.5, "EUR12.50"), ("12.50", "EUR12.50"), (12, "EUR12.00"),
                                                 (0.1, "EUR0.10"), ("1e2", "EUR100.00"), ("+.5", "EUR0.50")])
def test_amounts_as_json_numbers_or_strings(amount, written):
    epc = load(Epc, name="Fulano", iban="DE89370400440532013000", amount=amount)
    assert encode_epc(epc).split("\n")[7] == written


@pytest.mark.parametrize("amount", [True, "1_000", "NaN", "Infinity", "12,50", " 12.5", "", "١٢", [12], {"v": 1}])
def test_amounts_that_are_not_numbers(amount):
    for model, fields in ((Epc, {"name": "Fulano", "iban": "DE89370400440532013000"}),
                          (Pix, {"key": "11144477735", "name": "Fulano", "city": "Brasilia"}),
                          (Crypto, {"currency": "bitcoin", "address": "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"})):
        assert refusal(model, **fields, amount=amount) == "amount: must be a number, such as 12.50"


@pytest.mark.parametrize("expiry", ["20270331", "2027-W13-3", "2027-02-30", 20270331, "2027-03-31T00:00:00", None])
def test_expiry_is_an_iso_calendar_date(expiry):
    if expiry is None:
        assert load(Gs1, gtin="9506000134352", expiry=None).expiry is None
    else:
        assert refusal(Gs1, gtin="9506000134352", expiry=expiry) == \
            "expiry: must be a date written YYYY-MM-DD, such as 2027-03-31"
