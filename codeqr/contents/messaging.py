"""Ways to reach someone: e-mail (mailto, RFC 6068), phone (tel:, RFC 3966), SMS (SMSTO, and
sms: of RFC 5724 for links), FaceTime and WhatsApp (wa.me click-to-chat)."""

from typing import Annotated
from urllib.parse import quote

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from .contentlines import one_kind_of_line_break
from .values import Email, Line, Payload, Phone, Text, check_email, check_phone, check_text

PhoneNumber = Phone

#: A short message (SMS, WhatsApp): line breaks and tabs allowed, no other control characters.
Message = Annotated[str, Field(max_length=1000), AfterValidator(check_text)]


class EmailMessage(Payload):
    email: Email
    subject: Line | None = None
    body: Text | None = None
    cc: list[Email] = Field(default_factory=list, max_length=20)
    bcc: list[Email] = Field(default_factory=list, max_length=20)


class Sms(Payload):
    phone: Phone
    message: Message | None = None


def check_facetime_target(value: str) -> str:
    """Whom FaceTime calls: a phone number (normalised to E.164) or an e-mail address."""
    if "@" in value:
        try:
            return check_email(value)
        except PydanticCustomError:
            pass
    else:
        try:
            return check_phone(value)
        except PydanticCustomError:
            pass
    raise PydanticCustomError("facetime_target", "must be a phone number in international form (+33 6 12 34 56 78) "
                                                 "or an e-mail address (name@example.com)")


class Facetime(Payload):
    target: Annotated[str, Field(min_length=1, max_length=254), AfterValidator(check_facetime_target)]


def check_whatsapp_number(value: str) -> str:
    """wa.me's number: the digits of an international number, without its + (which people
    may type, like the spaces, dots, dashes and brackets check_phone drops)."""
    value = value.strip()
    return check_phone(value if value.startswith("+") else "+" + value).removeprefix("+")


class Whatsapp(Payload):
    number: Annotated[str, Field(min_length=1, max_length=40), AfterValidator(check_whatsapp_number)]
    message: Message | None = None


#: RFC 6068's some-delims: left as they are in an address, with the unreserved characters.
_SOME_DELIMS = "!$'()*+;:@"


def _address(address: str, safe: str = _SOME_DELIMS) -> str:
    """An e-mail address in a URI: every other character percent-encoded (%, /, ?, #, & and =
    of a local part among them)."""
    return quote(address, safe=safe)


def _value(text: str) -> str:
    """A query value: everything but unreserved characters percent-encoded (UTF-8). ``+``
    too, which readers that decode like HTML forms would take for a space."""
    return quote(text, safe="")


def encode_email(message: EmailMessage) -> str:
    """mailto:address?subject=…&body=…&cc=…&bcc=… (RFC 6068): a line break of the body is
    %0D%0A whatever was typed (section 5)."""
    fields = []
    if message.subject:
        fields.append(f"subject={_value(message.subject)}")
    if message.body:
        body = one_kind_of_line_break(message.body).replace("\n", "\r\n")
        fields.append(f"body={_value(body)}")
    for name, addresses in (("cc", message.cc), ("bcc", message.bcc)):
        if addresses:
            # A + in the query: encoded, as in _value.
            fields.append(f"{name}=" + ",".join(_address(address, _SOME_DELIMS.replace("+", "")) for address in addresses))
    query = "?" + "&".join(fields) if fields else ""
    return f"mailto:{_address(message.email)}{query}"


def encode_phone(number: str) -> str:
    """tel:+33612345678 (RFC 3966: the global number, already in E.164 form)."""
    return f"tel:{number}"


def encode_sms(sms: Sms) -> str:
    """SMSTO:+number:message, the form readers follow for a static code: the message is
    everything after the second colon, taken as it is (no escaping exists)."""
    if not sms.message:
        return f"SMSTO:{sms.phone}:"
    return f"SMSTO:{sms.phone}:{one_kind_of_line_break(sms.message)}"


def sms_link(sms: Sms) -> str:
    """sms:+number?body=… (RFC 5724), for a redirect: the body percent-encoded UTF-8."""
    if not sms.message:
        return f"sms:{sms.phone}"
    return f"sms:{sms.phone}?body={_value(one_kind_of_line_break(sms.message))}"


def encode_facetime(facetime: Facetime) -> str:
    """facetime:+33612345678 or facetime:name@example.com (Apple's URL scheme)."""
    return f"facetime:{_address(facetime.target)}"


def whatsapp_link(whatsapp: Whatsapp) -> str:
    """https://wa.me/<digits>?text=… (WhatsApp's click to chat): the number without +."""
    if not whatsapp.message:
        return f"https://wa.me/{whatsapp.number}"
    return f"https://wa.me/{whatsapp.number}?text={_value(one_kind_of_line_break(whatsapp.message))}"
