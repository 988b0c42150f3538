"""The content-type encoders of part A: e-mail, phone, SMS, FaceTime, WhatsApp, geo, Wi-Fi,
vCard and events.

Each one is checked three ways: against texts written out by hand from the standards (and
their published examples), read back by a parser that is not ours (urllib.parse, vobject,
icalendar, a regex of the WIFI: format), and drawn as a QR Code that zxing-cpp decodes back
to the very text. Hostile values go through every text field: refused with a sentence that
names the field, or read back unchanged.
"""

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import icalendar
import pytest
import vobject
from codeqr_plugins.png import PngRenderer
from codeqr_plugins.svg import SvgRenderer
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from codeqr.contents.events import Event, encode_event
from codeqr.contents.messaging import (
    EmailMessage,
    Facetime,
    Sms,
    Whatsapp,
    encode_email,
    encode_facetime,
    encode_phone,
    encode_sms,
    sms_link,
    whatsapp_link,
)
from codeqr.contents.places import LatLong, encode_geo
from codeqr.contents.vcard import VCard, encode_vcard
from codeqr.contents.wifi import Wifi, encode_wifi
from codeqr.domain.rendering import Picture, render_spec
from codeqr.domain.schemas import Design
from decode import decode

PARIS = timezone(timedelta(hours=1))
LONG = "x" * 2000
#: Values that have broken encoders: separators of the formats, line breaks of three kinds,
#: emoji (4 octets, a ZWJ sequence), right-to-left text with its marks, and a long value.
HOSTILE_LINES = [
    '; : \\ " , all the separators',
    r"C:\new\table \, \; \\ \N: text that looks escaped already",
    "emoji 😀 and a family 👩\u200d👩\u200d👧",
    "\u200fמזל טוב\u200f with right-to-left marks \u202e",
]
HOSTILE_TEXTS = HOSTILE_LINES + ["line one\r\nline two\nline three\rline four", LONG]


def problems(model, data: dict) -> list[tuple[tuple, str, str]]:
    """The (location, type, message) of each problem the model finds in ``data``."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [(error["loc"], error["type"], error["msg"]) for error in caught.value.errors()]


def assert_sentence(message: str) -> None:
    """Words for people: no template braces, no Python reprs, no pydantic boilerplate."""
    assert re.fullmatch(r"[a-zA-Z][^{}\[\]]*[a-zA-Z0-9)]", message), message
    assert len(message.split()) >= 3, message
    assert "Value error" not in message and "pattern" not in message, message


def only_problem(model, data: dict) -> tuple[tuple, str, str]:
    found = problems(model, data)
    assert len(found) == 1, found
    assert_sentence(found[0][2])
    return found[0]


DESIGN = Design(bg_color="#ffffff", fg_color="#000000", size=1600, level="L", margin=4, show_logo=False)


@pytest.fixture(params=[PngRenderer, SvgRenderer], ids=["png", "svg"])
def scan(request):
    """Draw a text as a QR Code with a built-in renderer; return what zxing-cpp reads from it."""
    renderer = request.param({})

    def read(text: str) -> list[str]:
        return decode(renderer.render(render_spec(Picture(text, DESIGN), None)), renderer.media_type)

    return read


# -- e-mail (RFC 6068) -------------------------------------------------------------------------


@pytest.mark.parametrize(("payload", "expected"), [
    # RFC 6068 section 6.1's examples, in the order CodeQR writes fields (subject, body, cc, bcc).
    ({"email": "chris@example.com"}, "mailto:chris@example.com"),
    ({"email": "infobot@example.com", "subject": "current-issue"}, "mailto:infobot@example.com?subject=current-issue"),
    ({"email": "infobot@example.com", "body": "send current-issue\nsend index"},
     "mailto:infobot@example.com?body=send%20current-issue%0D%0Asend%20index"),
    ({"email": "joe@example.com", "body": "hello", "cc": ["bob@example.com"]},
     "mailto:joe@example.com?body=hello&cc=bob@example.com"),
    ({"email": "gorby%kremvax@example.com"}, "mailto:gorby%25kremvax@example.com"),
    ({"email": "unlikely?address@example.com"}, "mailto:unlikely%3Faddress@example.com"),
    ({"email": "Mike&family@example.org"}, "mailto:Mike%26family@example.org"),
    ({"email": "user@example.org", "subject": "café"}, "mailto:user@example.org?subject=caf%C3%A9"),
    # Written out by hand: every field, a + kept in the address but encoded in the query,
    # each kind of line break as CRLF, a space as %20 (never +).
    ({"email": "a+tag@example.com", "subject": "Hi & bye = ?#+", "body": "L1\rL2\r\nL3",
      "cc": ["x+y@example.org", "z@example.org"], "bcc": ["q@example.net"]},
     "mailto:a+tag@example.com?subject=Hi%20%26%20bye%20%3D%20%3F%23%2B&body=L1%0D%0AL2%0D%0AL3"
     "&cc=x%2By@example.org,z@example.org&bcc=q@example.net"),
])
def test_email_is_the_mailto_uri_of_rfc_6068(payload, expected):
    assert encode_email(EmailMessage.model_validate(payload)) == expected


def read_mailto(uri: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(uri)
    assert parts.scheme == "mailto"
    return unquote(parts.path), parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))


@pytest.mark.parametrize("subject", HOSTILE_LINES)
def test_email_hostile_subject_and_body_read_back(subject, scan):
    body = "Dear reader;\r\nthis & that = 100% ?#\n" + subject
    message = EmailMessage.model_validate({"email": "o'neil#1/x@example.com", "subject": subject, "body": body,
                                           "cc": ["a+b@example.com", "c@example.com"], "bcc": ["d@example.com"]})
    uri = encode_email(message)
    address, fields = read_mailto(uri)
    assert address == "o'neil#1/x@example.com"
    assert fields == {"subject": [subject], "body": [body.replace("\r\n", "\n").replace("\n", "\r\n")],
                      "cc": ["a+b@example.com,c@example.com"], "bcc": ["d@example.com"]}
    assert scan(uri) == [uri]


def test_email_long_body_reads_back():
    uri = encode_email(EmailMessage(email="a@example.com", body=LONG))
    assert read_mailto(uri)[1] == {"body": [LONG]}


@pytest.mark.parametrize(("data", "loc", "kind"), [
    ({"email": "not an address"}, ("email",), "email"),
    ({"email": "a@example.com", "cc": ["b@example.com", "bob@"]}, ("cc", 1), "email"),
    ({"email": "a@example.com", "bcc": ["b@example.com", "c@example.com", "a,b@example.com"]}, ("bcc", 2), "email"),
    ({"email": "a@example.com", "subject": "two\nlines"}, ("subject",), "line_breaks"),
    ({"email": "a@example.com", "body": "bell\x07"}, ("body",), "control_characters"),
    ({"email": "a@example.com", "subject": LONG}, ("subject",), "string_too_long"),
    ({"email": "a@example.com", "cc": ["b@example.com"] * 21}, ("cc",), "too_long"),
])
def test_email_refusals_name_the_field(data, loc, kind):
    found_loc, found_kind, _ = only_problem(EmailMessage, data)
    assert (found_loc, found_kind) == (loc, kind)


# -- phone, SMS, FaceTime, WhatsApp ------------------------------------------------------------


def test_phone_is_a_global_tel_uri():
    # RFC 3966's example +1-201-555-0123, written without its visual separators.
    assert encode_phone(Sms(phone="+1-201-555-0123").phone) == "tel:+12015550123"
    assert urlsplit(encode_phone("+33612345678")).path == "+33612345678"


@pytest.mark.parametrize(("payload", "static", "link"), [
    ({"phone": "+15105550101", "message": "hello there"},
     "SMSTO:+15105550101:hello there", "sms:+15105550101?body=hello%20there"),  # RFC 5724 section 2.5
    ({"phone": "+33 6 12 34 56 78"}, "SMSTO:+33612345678:", "sms:+33612345678"),
    ({"phone": "+44 (20) 7946.0958", "message": "a: b\r\nc & d=é+"},
     "SMSTO:+442079460958:a: b\nc & d=é+", "sms:+442079460958?body=a%3A%20b%0Ac%20%26%20d%3D%C3%A9%2B"),
])
def test_sms_static_text_and_link(payload, static, link):
    sms = Sms.model_validate(payload)
    assert encode_sms(sms) == static
    assert sms_link(sms) == link


def read_smsto(text: str) -> tuple[str, str]:
    """ZXing's reading of SMSTO: the number up to the next colon, the message all the rest."""
    assert text.startswith("SMSTO:")
    number, _, message = text.removeprefix("SMSTO:").partition(":")
    return number, message


@pytest.mark.parametrize("message", HOSTILE_TEXTS[:-1] + ["y" * 1000])
def test_sms_hostile_messages_read_back(message, scan):
    sms = Sms(phone="+15105550101", message=message)
    expected = message.replace("\r\n", "\n").replace("\r", "\n")
    assert read_smsto(encode_sms(sms)) == ("+15105550101", expected)
    link = urlsplit(sms_link(sms))
    assert (link.scheme, link.path) == ("sms", "+15105550101")
    assert parse_qs(link.query, strict_parsing=True) == {"body": [expected]}
    assert scan(encode_sms(sms)) == [encode_sms(sms)]


def test_typed_separators_and_white_space_leave_numbers():
    """People type numbers with spaces, dots, dashes, brackets and a stray line break: none of
    them reaches the encoded text."""
    assert encode_sms(Sms(phone="+33 (6) 12.34-56\t78\n")) == "SMSTO:+33612345678:"
    assert whatsapp_link(Whatsapp(number=" +33 6 12 34 56 78\r\n")) == "https://wa.me/33612345678"


@pytest.mark.parametrize(("data", "loc", "kind"), [
    ({"phone": "0612345678"}, ("phone",), "phone"),
    ({"phone": "+33612345678;+33700000000"}, ("phone",), "phone"),
    ({"phone": "+15105550101", "message": LONG}, ("message",), "string_too_long"),
    ({"phone": "+15105550101", "message": "nul\x00"}, ("message",), "control_characters"),
])
def test_sms_refusals_name_the_field(data, loc, kind):
    found_loc, found_kind, _ = only_problem(Sms, data)
    assert (found_loc, found_kind) == (loc, kind)


@pytest.mark.parametrize(("target", "expected"), [
    ("+1 (408) 555-1234", "facetime:+14085551234"),
    ("user@example.com", "facetime:user@example.com"),
    ("odd#name@example.com", "facetime:odd%23name@example.com"),
])
def test_facetime_calls_a_number_or_an_address(target, expected, scan):
    uri = encode_facetime(Facetime(target=target))
    assert uri == expected
    assert unquote(urlsplit(uri).path) == expected.removeprefix("facetime:").replace("%23", "#")
    assert scan(uri) == [uri]


@pytest.mark.parametrize("target", ["nobody", "12345", "a@b", "+33 6 12 34 56 78 @example.com", "javascript:alert(1)"])
def test_facetime_refuses_what_is_neither_number_nor_address(target):
    assert only_problem(Facetime, {"target": target})[:2] == (("target",), "facetime_target")


@pytest.mark.parametrize(("payload", "expected"), [
    # WhatsApp's own click-to-chat example, with ' encoded too.
    ({"number": "15551234567", "message": "I'm interested in your car for sale"},
     "https://wa.me/15551234567?text=I%27m%20interested%20in%20your%20car%20for%20sale"),
    ({"number": "+33 6 12 34 56 78"}, "https://wa.me/33612345678"),
    ({"number": "33612345678", "message": "Hé & ?\r\n+"}, "https://wa.me/33612345678?text=H%C3%A9%20%26%20%3F%0A%2B"),
])
def test_whatsapp_link(payload, expected):
    assert whatsapp_link(Whatsapp.model_validate(payload)) == expected


@pytest.mark.parametrize("message", HOSTILE_TEXTS[:-1])
def test_whatsapp_hostile_messages_read_back(message, scan):
    uri = whatsapp_link(Whatsapp(number="15551234567", message=message))
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/15551234567")
    assert parse_qs(parts.query, strict_parsing=True) == {"text": [message.replace("\r\n", "\n").replace("\r", "\n")]}
    assert scan(uri) == [uri]


@pytest.mark.parametrize(("data", "loc", "kind"), [
    ({"number": "0612345678"}, ("number",), "phone"),
    ({"number": "33612345678?text=hi"}, ("number",), "phone"),
    ({"number": "33612345678/../evil"}, ("number",), "phone"),
    ({"number": "++33612345678"}, ("number",), "phone"),
    ({"number": "123456"}, ("number",), "phone"),
    ({"number": "33612345678", "message": LONG}, ("message",), "string_too_long"),
])
def test_whatsapp_refusals_name_the_field(data, loc, kind):
    found_loc, found_kind, _ = only_problem(Whatsapp, data)
    assert (found_loc, found_kind) == (loc, kind)


# -- geo (RFC 5870) ----------------------------------------------------------------------------

#: RFC 5870's geo-URI without its altitude, crs and parameters (which CodeQR never writes).
GEO = re.compile(r"geo:(-?[0-9]{1,2}(?:\.[0-9]+)?),(-?[0-9]{1,3}(?:\.[0-9]+)?)")


@pytest.mark.parametrize(("latitude", "longitude", "expected"), [
    (13.4125, 103.8667, "geo:13.4125,103.8667"),  # RFC 5870 section 1's example
    (48.2010, 16.3695, "geo:48.201,16.3695"),  # section 6.2's example: no trailing zero
    (48.8583701, 2.2944813, "geo:48.8583701,2.2944813"),
    (0.1 + 0.2, -(0.1 + 0.7), "geo:0.3,-0.8"),  # 0.30000000000000004, -0.7999999999999999
    (1e-5, -1.5e-6, "geo:0.00001,-0.0000015"),  # no exponent
    (-1e-9, 1e-9, "geo:0,0"),  # rounded to 7 decimals, and no -0
    (12.345678951, -179.99999999, "geo:12.345679,-180"),
    (90, 45.5, "geo:90,0"),  # a pole's longitude is 0 (section 3.4.2)
    (-90.0, -120, "geo:-90,0"),
    (-33.8568, 180, "geo:-33.8568,180"),
    (0, 0, "geo:0,0"),
])
def test_geo_uri(latitude, longitude, expected, scan):
    uri = encode_geo(LatLong(latitude=latitude, longitude=longitude))
    assert uri == expected
    match = GEO.fullmatch(uri)
    assert match
    assert abs(float(match[1]) - latitude) <= 5e-8
    if abs(latitude) != 90:
        assert abs(float(match[2]) - longitude) <= 5e-8
    assert scan(uri) == [uri]


@pytest.mark.parametrize(("data", "loc", "kind"), [
    ({"latitude": float("nan"), "longitude": 0}, ("latitude",), "finite_number"),
    ({"latitude": 0, "longitude": float("inf")}, ("longitude",), "finite_number"),
    ({"latitude": 90.0000001, "longitude": 0}, ("latitude",), "less_than_equal"),
    ({"latitude": 0, "longitude": -180.5}, ("longitude",), "greater_than_equal"),
    ({"latitude": "48.85", "longitude": 2.29}, ("latitude",), "float_type"),
    ({"latitude": True, "longitude": 2.29}, ("latitude",), "float_type"),
])
def test_geo_refusals_name_the_field(data, loc, kind):
    found_loc, found_kind, _ = only_problem(LatLong, data)
    assert (found_loc, found_kind) == (loc, kind)


def test_geo_reads_json_numbers():
    place = LatLong.model_validate_json('{"latitude": 48.8583701, "longitude": 2}')
    assert encode_geo(place) == "geo:48.8583701,2"
    with pytest.raises(ValidationError, match="finite"):
        LatLong.model_validate_json('{"latitude": NaN, "longitude": 2}')


# -- Wi-Fi -------------------------------------------------------------------------------------

#: The WIFI: format as ZXing describes it: fields ``X:value;`` where a value's \ ; , : " are
#: escaped by a backslash, ended by one more ``;``.
WIFI = re.compile(r"WIFI:((?:[TSPH]:(?:\\[\\;,:\"]|[^\\;,:\"])*;)+);")
WIFI_FIELD = re.compile(r"([TSPH]):((?:\\[\\;,:\"]|[^\\;,:\"])*);")


def read_wifi(text: str) -> dict[str, str]:
    match = WIFI.fullmatch(text)
    assert match, text
    return {key: re.sub(r"\\(.)", r"\1", value) for key, value in WIFI_FIELD.findall(match[1])}


@pytest.mark.parametrize(("payload", "expected"), [
    ({"ssid": "mynetwork", "password": "mypassword"}, "WIFI:T:WPA;S:mynetwork;P:mypassword;;"),
    ({"ssid": "Café", "encryption": "nopass"}, "WIFI:T:nopass;S:Café;;"),
    ({"ssid": "Café", "encryption": "nopass", "password": ""}, "WIFI:T:nopass;S:Café;;"),
    ({"ssid": "Lab", "encryption": "WEP", "password": "0123456789", "hidden": True}, "WIFI:T:WEP;S:Lab;P:0123456789;H:true;;"),
    ({"ssid": 'My;Net:"x",\\', "password": "pa;ss:w,rd\\\"", "hidden": True},
     'WIFI:T:WPA;S:My\\;Net\\:\\"x\\"\\,\\\\;P:pa\\;ss\\:w\\,rd\\\\\\";H:true;;'),
])
def test_wifi_text(payload, expected, scan):
    wifi = Wifi.model_validate(payload)
    assert encode_wifi(wifi) == expected
    assert scan(expected) == [expected]


@pytest.mark.parametrize("value", HOSTILE_LINES + ["\\", ";", '"quoted"', " spaces around ", "😀" * 8])
def test_wifi_hostile_values_read_back(value, scan):
    ssid = value.encode()[:32].decode(errors="ignore")
    password = (value * 8)[:63]
    wifi = Wifi(ssid=ssid, password=password, hidden=True)
    text = encode_wifi(wifi)
    assert read_wifi(text) == {"T": "WPA", "S": ssid, "P": password, "H": "true"}
    assert scan(text) == [text]


@pytest.mark.parametrize(("data", "kind", "words"), [
    ({"ssid": "x"}, "wifi_password", "8 to 63 characters"),
    ({"ssid": "x", "password": "seven77"}, "wifi_password", "8 to 63 characters"),
    ({"ssid": "x", "password": "p" * 64}, "string_too_long", "63"),
    ({"ssid": "x", "encryption": "WEP", "password": "abcdef"}, "wifi_password", "WEP"),
    ({"ssid": "x", "encryption": "WEP", "password": "abcdefghij"}, "wifi_password", "hex digits"),
    ({"ssid": "x", "encryption": "WEP"}, "wifi_password", "WEP"),
    ({"ssid": "x", "encryption": "nopass", "password": "secret12"}, "wifi_password", "open network"),
    ({"ssid": "x", "password": "new\nline12"}, "line_breaks", "one line"),
])
def test_wifi_password_refusals_say_why(data, kind, words):
    loc, found_kind, message = only_problem(Wifi, data)
    assert (loc, found_kind) == (("password",), kind)
    assert words in message


@pytest.mark.parametrize("password", ["abcde", "abcdefghijklm", "0123456789", "0123456789abcdefABCDEF0123"])
def test_wifi_wep_keys(password):
    assert read_wifi(encode_wifi(Wifi(ssid="x", encryption="WEP", password=password)))["P"] == password


@pytest.mark.parametrize(("data", "loc", "kind"), [
    ({"ssid": "", "password": "password"}, ("ssid",), "string_too_short"),
    ({"ssid": "é" * 17, "password": "password"}, ("ssid",), "ssid_octets"),  # 17 characters, 34 octets
    ({"ssid": "tab\there", "password": "password"}, ("ssid",), "line_breaks"),
    ({"ssid": "x", "password": "password", "hidden": "true"}, ("hidden",), "bool_type"),
    ({"ssid": "x", "password": "password", "encryption": "WPA3"}, ("encryption",), "literal_error"),
    ({"ssid": "x", "password": "password", "channel": 6}, ("channel",), "extra_forbidden"),
])
def test_wifi_other_refusals(data, loc, kind):
    assert problems(Wifi, data)[0][:2] == (loc, kind)


# -- vCard 3.0 (RFC 2426) ----------------------------------------------------------------------


def test_vcard_text_by_hand(scan):
    card = VCard.model_validate({
        "firstName": "Jane", "lastName": "Doe", "organization": "Example, Inc.",
        "phones": ["+1 555 010 0199", "+33612345678"], "emails": ["jane@example.com"],
        "website": "https://example.com/jane", "address": "1 Main St\nSpringfield", "note": "Met at the fair; bring cards",
        "title": r"CTO, C:\new",
    })
    expected = (
        "BEGIN:VCARD\r\n"
        "VERSION:3.0\r\n"
        "N:Doe;Jane;;;\r\n"
        "FN:Jane Doe\r\n"
        "ORG:Example\\, Inc.\r\n"
        "TITLE:CTO\\, C:\\\\new\r\n"
        "TEL;TYPE=CELL:+15550100199\r\n"
        "TEL;TYPE=CELL:+33612345678\r\n"
        "EMAIL;TYPE=INTERNET:jane@example.com\r\n"
        "URL:https://example.com/jane\r\n"
        "ADR:;;1 Main St\\nSpringfield;;;;\r\n"
        "NOTE:Met at the fair\\; bring cards\r\n"
        "END:VCARD\r\n"
    )
    assert encode_vcard(card) == expected
    assert scan(expected) == [expected]


@pytest.mark.parametrize(("payload", "names"), [
    ({"organization": "ACME"}, ["N:;;;;", "FN:ACME", "ORG:ACME"]),
    ({"lastName": "Lovelace"}, ["N:Lovelace;;;;", "FN:Lovelace"]),
    ({"firstName": "Ada", "organization": "Analytical; Engines"}, ["N:;Ada;;;", "FN:Ada", "ORG:Analytical\\; Engines"]),
])
def test_vcard_full_name_from_the_names_or_the_organization(payload, names):
    lines = encode_vcard(VCard.model_validate(payload)).split("\r\n")
    assert lines[:2] == ["BEGIN:VCARD", "VERSION:3.0"]
    assert lines[2:2 + len(names)] == names
    assert lines[-2:] == ["END:VCARD", ""]


def test_vcard_folds_at_75_octets_between_characters():
    # 5 + 70 octets fill the first line; a 4-octet emoji that does not fit goes whole to the next.
    assert "NOTE:" + "a" * 70 + "\r\n aaaaaaaaaa\r\n" in encode_vcard(VCard(organization="o", note="a" * 80))
    assert "NOTE:" + "a" * 69 + "\r\n 😀\r\n" in encode_vcard(VCard(organization="o", note="a" * 69 + "😀"))
    assert "NOTE:" + "a" * 70 + "\r\n é\r\n" in encode_vcard(VCard(organization="o", note="a" * 70 + "é"))


def assert_folded(text: str) -> None:
    """Every physical line at most 75 octets and whole UTF-8 (no character cut in two)."""
    assert text.endswith("\r\n")
    for line in text.encode().split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode()


def read_vcard(text: str) -> dict:
    card = vobject.readOne(text)
    assert card.version.value == "3.0"
    adr = card.contents.get("adr")
    return {
        "n": (card.n.value.family, card.n.value.given), "fn": card.fn.value,
        "org": card.org.value if "org" in card.contents else None,
        "title": card.title.value if "title" in card.contents else None,
        "tel": [(tel.value, tel.params) for tel in card.contents.get("tel", [])],
        "email": [email.value for email in card.contents.get("email", [])],
        "url": card.url.value if "url" in card.contents else None,
        "street": adr[0].value.street if adr else None,
        "note": card.note.value if "note" in card.contents else None,
    }


@pytest.mark.parametrize("line", HOSTILE_LINES)
@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_vcard_hostile_values_read_back_whole(line, text, scan):
    card = VCard(first_name=line, last_name=line[::-1], organization=line, title=line, phones=["+15550100199"],
                 emails=["o'neil+x@example.com"], website="https://example.com/a;b,c\\d?q=1&r=2#s", address=text, note=text)
    encoded = encode_vcard(card)
    assert_folded(encoded)
    as_written = text.replace("\r\n", "\n").replace("\r", "\n")
    assert read_vcard(encoded) == {
        "n": (line[::-1], line), "fn": f"{line} {line[::-1]}", "org": [line], "title": line,
        "tel": [("+15550100199", {"TYPE": ["CELL"]})], "email": ["o'neil+x@example.com"],
        "url": "https://example.com/a;b,c\\d?q=1&r=2#s", "street": as_written, "note": as_written,
    }
    if text is not LONG:  # two long fields together do not fit in a QR Code
        assert scan(encoded) == [encoded]


def test_vcard_long_note_scans(scan):
    encoded = encode_vcard(VCard(first_name="Long", note=LONG))
    assert read_vcard(encoded)["note"] == LONG
    assert scan(encoded) == [encoded]


@pytest.mark.parametrize(("data", "loc", "kind"), [
    ({}, (), "vcard_name"),
    ({"title": "CTO", "emails": ["a@example.com"]}, (), "vcard_name"),
    ({"firstName": "A", "emails": ["a@example.com", "nobody"]}, ("emails", 1), "email"),
    ({"firstName": "A", "phones": ["+15550100199", "+1", "+33612345678"]}, ("phones", 1), "phone"),
    ({"firstName": "A", "phones": ["+15550100199"] * 11}, ("phones",), "too_long"),
    ({"firstName": "A", "website": "example.com"}, ("website",), "url_scheme"),
    ({"firstName": "A", "website": "javascript:alert(1)"}, ("website",), "url_scheme"),
    ({"firstName": "A", "website": "https://bank.example@evil.example/"}, ("website",), "url_userinfo"),
    ({"firstName": "A", "website": "https://example.com/a b"}, ("website",), "url_spaces"),
    ({"firstName": "A", "website": "https://bank.example\\evil.example/"}, ("website",), "url_host_characters"),
    ({"firstName": "A", "website": "https://bank%2eexample/"}, ("website",), "url_host_characters"),
    ({"firstName": "A", "website": "https://example.com:99999/"}, ("website",), "url_unreadable"),
    ({"firstName": "A", "website": "https://" + "a" * 2000 + ".com"}, ("website",), "string_too_long"),
    ({"firstName": "A\nB"}, ("firstName",), "line_breaks"),
    ({"firstName": LONG}, ("firstName",), "string_too_long"),
    ({"firstName": "A", "note": "x" * 4001}, ("note",), "string_too_long"),
    ({"first_name": "A", "nickname": "B"}, ("nickname",), "extra_forbidden"),
])
def test_vcard_refusals_name_the_field(data, loc, kind):
    found = problems(VCard, data)
    assert found[0][:2] == (loc, kind)
    if kind not in {"string_too_long", "too_long", "extra_forbidden"}:  # pydantic's own words
        assert_sentence(found[0][2])


def test_vcard_without_name_or_organization_says_so():
    message = only_problem(VCard, {"note": "who?"})[2]
    assert "name" in message and "organization" in message


# -- events (RFC 5545) -------------------------------------------------------------------------


def event_lines(text: str) -> list[str]:
    lines = text.split("\r\n")
    assert lines[-1] == ""
    return lines[:-1]


def test_event_text_by_hand(scan):
    event = Event(summary="Team lunch", start=datetime(2026, 12, 7, 12, 30, tzinfo=PARIS),
                  end=datetime(2026, 12, 7, 14, 0, tzinfo=PARIS), location="Café de Flore, Paris",
                  # RFC 5545 section 3.3.11's example of TEXT with line breaks
                  description="Project XYZ Final Review\nConference Room - 3B\nCome Prepared.")
    backslashes = encode_event(event.model_copy(update={"summary": r"C:\new\table"}))
    text = encode_event(event)
    lines = event_lines(text)
    assert re.fullmatch(r"UID:[0-9a-f]{32}@codeqr", lines[4])
    assert lines[:4] + lines[5:] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//CodeQR//Content types//EN",
        "BEGIN:VEVENT",
        "DTSTAMP:20261207T113000Z",
        "DTSTART:20261207T113000Z",
        "DTEND:20261207T130000Z",
        "SUMMARY:Team lunch",
        "LOCATION:Café de Flore\\, Paris",
        "DESCRIPTION:Project XYZ Final Review\\nConference Room - 3B\\nCome Prepared.",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    assert scan(text) == [text]
    assert "\r\nSUMMARY:C:\\\\new\\\\table\r\n" in backslashes


def test_event_uid_is_the_same_for_the_same_event():
    start, end = datetime(2026, 3, 1, 9, tzinfo=UTC), datetime(2026, 3, 1, 10, tzinfo=UTC)
    first = encode_event(Event(summary="Standup", start=start, end=end))
    # The same instants, given in another offset: the same event, the same text.
    again = encode_event(Event(summary="Standup", start=start.astimezone(PARIS), end=end.astimezone(PARIS)))
    assert first == again
    other = encode_event(Event(summary="Standup", start=start, end=end + timedelta(minutes=1)))
    uid = re.compile(r"UID:(\S+)")
    assert uid.findall(first) != uid.findall(other)


def read_event(text: str) -> dict:
    calendar = icalendar.Calendar.from_ical(text)
    assert (str(calendar["VERSION"]), str(calendar["PRODID"])) == ("2.0", "-//CodeQR//Content types//EN")
    [event] = calendar.walk("VEVENT")
    return {name: (event.decoded(name) if name in {"DTSTART", "DTEND", "DTSTAMP"} else str(event[name]))
            for name in event if name != "UID"}


@pytest.mark.parametrize("line", HOSTILE_LINES)
@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_event_hostile_values_read_back_whole(line, text, scan):
    start = datetime(2027, 1, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5, minutes=-30)))
    event = Event(summary=line, start=start, end=start + timedelta(days=1, seconds=1), location=line[::-1], description=text)
    encoded = encode_event(event)
    assert_folded(encoded)
    assert read_event(encoded) == {
        "DTSTAMP": datetime(2027, 2, 1, 5, 0, tzinfo=UTC), "DTSTART": datetime(2027, 2, 1, 5, 0, tzinfo=UTC),
        "DTEND": datetime(2027, 2, 2, 5, 0, 1, tzinfo=UTC), "SUMMARY": line, "LOCATION": line[::-1],
        "DESCRIPTION": text.replace("\r\n", "\n").replace("\r", "\n"),
    }
    assert scan(encoded) == [encoded]


def test_event_drops_fractions_of_a_second():
    event = Event(summary="s", start=datetime(2026, 1, 1, 8, 0, 0, 999999, tzinfo=UTC),
                  end=datetime(2026, 1, 1, 8, 0, 1, 1, tzinfo=UTC))
    assert "DTSTART:20260101T080000Z\r\nDTEND:20260101T080001Z\r\n" in encode_event(event)


def test_event_end_within_the_same_second_is_not_after_the_start():
    data = {"summary": "s", "start": datetime(2026, 1, 1, 8, 0, 0, 200000, tzinfo=UTC),
            "end": datetime(2026, 1, 1, 8, 0, 0, 700000, tzinfo=UTC)}
    assert problems(Event, data)[0][:2] == (("end",), "end_before_start")


def test_event_from_json_with_z_and_offsets():
    event = Event.model_validate_json('{"summary": "s", "start": "2026-06-30T23:00:00-02:00", "end": "2026-07-01T02:00:00Z"}')
    assert "DTSTART:20260701T010000Z\r\nDTEND:20260701T020000Z\r\n" in encode_event(event)


@pytest.mark.parametrize(("data", "loc", "kind"), [
    ({"summary": "s", "start": "2026-12-07T09:00:00", "end": "2026-12-07T10:00:00+01:00"}, ("start",), "timezone_required"),
    ({"summary": "s", "start": "2026-12-07T09:00:00Z", "end": "2026-12-07T10:00:00"}, ("end",), "timezone_required"),
    ({"summary": "s", "start": "2026-12-07T09:00:00+01:00", "end": "2026-12-07T08:00:00Z"}, ("end",), "end_before_start"),
    ({"summary": "s", "start": "2026-12-07T09:00:00Z", "end": "2026-12-07T08:00:00Z"}, ("end",), "end_before_start"),
    ({"summary": "s", "start": "0001-01-01T00:00:00+01:00", "end": "2026-12-07T08:00:00Z"}, ("start",), "moment_range"),
    ({"summary": "two\nlines", "start": "2026-12-07T09:00:00Z", "end": "2026-12-07T10:00:00Z"}, ("summary",), "line_breaks"),
    ({"summary": "s", "location": "a\u2028b", "start": "2026-12-07T09:00:00Z", "end": "2026-12-07T10:00:00Z"},
     ("location",), "line_breaks"),
    ({"summary": "s", "description": "esc\x1b[2J", "start": "2026-12-07T09:00:00Z", "end": "2026-12-07T10:00:00Z"},
     ("description",), "control_characters"),
])
def test_event_refusals_name_the_field(data, loc, kind):
    with pytest.raises(ValidationError) as caught:
        Event.model_validate_json(json.dumps(data))
    [error] = caught.value.errors()
    assert (error["loc"], error["type"]) == (loc, kind)
    assert_sentence(error["msg"])


def test_event_refuses_naive_datetimes_in_python_too():
    [(loc, kind, message)] = problems(Event, {"summary": "s", "start": datetime(2026, 1, 1, 9),
                                              "end": datetime(2026, 1, 1, 10, tzinfo=UTC)})
    assert (loc, kind) == (("start",), "timezone_required")
    assert "time zone" in message


# -- any text at all ---------------------------------------------------------------------------

PROPERTIES = settings(max_examples=150, deadline=None, database=None)
#: What a Line field takes: any character but controls, surrogates and line/paragraph separators.
ANY_LINE = st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=120)
#: What a Text field takes: a Line's characters, tabs, CR and LF (so CRLF too).
ANY_TEXT = st.text(st.characters(exclude_categories=("Cc", "Cs")) | st.sampled_from(["\t", "\n", "\r"]),
                   min_size=1, max_size=200)


def one_break(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@PROPERTIES
@given(name=ANY_LINE, organization=ANY_LINE, note=ANY_TEXT)
def test_any_vcard_text_reads_back(name, organization, note):
    card = vobject.readOne(encode_vcard(VCard(last_name=name, organization=organization, note=note)))
    assert (card.n.value.family, card.org.value, card.note.value) == (name, [organization], one_break(note))


@PROPERTIES
@given(summary=ANY_LINE, description=ANY_TEXT)
def test_any_event_text_reads_back(summary, description):
    event = Event(summary=summary, description=description, start=datetime(2026, 1, 1, tzinfo=UTC),
                  end=datetime(2026, 1, 2, tzinfo=UTC))
    assert read_event(encode_event(event)) | {"DTSTAMP": None, "DTSTART": None, "DTEND": None} == {
        "SUMMARY": summary, "DESCRIPTION": one_break(description), "DTSTAMP": None, "DTSTART": None, "DTEND": None}


@PROPERTIES
@given(ssid=ANY_LINE.filter(lambda ssid: len(ssid.encode()) <= 32), password=ANY_LINE.filter(lambda p: 8 <= len(p) <= 63))
def test_any_wifi_values_read_back(ssid, password):
    assert read_wifi(encode_wifi(Wifi(ssid=ssid, password=password))) == {"T": "WPA", "S": ssid, "P": password}


@PROPERTIES
@given(subject=ANY_LINE, body=ANY_TEXT, message=ANY_TEXT)
def test_any_message_reads_back_from_its_uri(subject, body, message):
    fields = read_mailto(encode_email(EmailMessage(email="a@example.com", subject=subject, body=body)))[1]
    assert fields == {"subject": [subject], "body": [one_break(body).replace("\n", "\r\n")]}
    sms = Sms(phone="+15105550101", message=message)
    assert parse_qs(urlsplit(sms_link(sms)).query, strict_parsing=True) == {"body": [one_break(message)]}
    assert read_smsto(encode_sms(sms))[1] == one_break(message)
    chat = urlsplit(whatsapp_link(Whatsapp(number="15551234567", message=message)))
    assert parse_qs(chat.query, strict_parsing=True) == {"text": [one_break(message)]}


# -- every field is bounded --------------------------------------------------------------------

VALID = {
    EmailMessage: {"email": "a@example.com"},
    Sms: {"phone": "+15105550101"},
    Facetime: {"target": "a@example.com"},
    Whatsapp: {"number": "15551234567"},
    Wifi: {"ssid": "x", "password": "password"},
    VCard: {"firstName": "A"},
    Event: {"summary": "s", "start": datetime(2026, 1, 1, tzinfo=UTC), "end": datetime(2026, 1, 2, tzinfo=UTC)},
}


@pytest.mark.parametrize(("model", "field", "kind"), [
    (EmailMessage, "email", "string_too_long"), (EmailMessage, "subject", "string_too_long"),
    (Sms, "message", "string_too_long"), (Facetime, "target", "string_too_long"), (Whatsapp, "number", "string_too_long"),
    (Whatsapp, "message", "string_too_long"), (Wifi, "ssid", "string_too_long"), (Wifi, "password", "string_too_long"),
    (VCard, "firstName", "string_too_long"), (VCard, "lastName", "string_too_long"),
    (VCard, "organization", "string_too_long"), (VCard, "title", "string_too_long"),
    (VCard, "website", "url_scheme"), (Event, "summary", "string_too_long"), (Event, "location", "string_too_long"),
])
def test_a_value_of_2000_characters_is_refused_where_it_cannot_fit(model, field, kind):
    assert problems(model, VALID[model] | {field: LONG})[0][:2] == ((field,), kind)


@pytest.mark.parametrize(("model", "field"), [
    (EmailMessage, "body"), (VCard, "address"), (VCard, "note"), (Event, "description"),
])
def test_a_text_of_2000_characters_is_encoded_and_scans(model, field, scan):
    encoders = {EmailMessage: encode_email, VCard: encode_vcard, Event: encode_event}
    encoded = encoders[model](model.model_validate(VALID[model] | {field: LONG}))
    assert encoded.count("x") >= 2000
    assert scan(encoded) == [encoded]


@pytest.mark.parametrize("payload", [
    EmailMessage(email="a+b@example.com", subject="s", body="b\r\nc", cc=["c@example.com"], bcc=["d@example.com"]),
    Sms(phone="+33 6 12 34 56 78", message="m"), Facetime(target="+1 408 555 1234"), Whatsapp(number="+33 6 12 34 56 78"),
    LatLong(latitude=48.8583701, longitude=-0.1), Wifi(ssid="s", encryption="WEP", password="abcde", hidden=True),
    VCard(first_name="A", phones=["+33 6 12 34 56 78"], website="https://example.com/"),
    Event(summary="s", start=datetime(2026, 1, 1, 9, tzinfo=PARIS), end=datetime(2026, 1, 1, 10, tzinfo=UTC)),
], ids=lambda payload: type(payload).__name__)
def test_a_payload_stored_as_json_reads_back_the_same(payload):
    """What the API answers (camelCase JSON) is valid input again, and encodes the same."""
    again = type(payload).model_validate_json(payload.model_dump_json(by_alias=True, exclude_defaults=True))
    assert again == payload
