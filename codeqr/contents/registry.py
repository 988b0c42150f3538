"""The registry of content types: ``TYPES`` is the one list of them, each with its payload
model, its encoding (the standard its readers follow) and what a scan of a dynamic code
answers. The schemas take their ``type`` values and payload fields from it, the redirect
its answers, the forms and the CSV their fields."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from . import crypto, epc, events, gs1, messaging, pix, places, text, vcard, wifi

#: May a code of the type be static (hold its content itself), dynamic (hold its short link)?
Static = Literal["either", "only", "never"]
#: What a scan of a dynamic code answers: a redirect to ``link``, a landing page, or
#: either as the code's ``useDisplayPage`` says (phone, email, sms).
Scan = Literal["redirect", "page", "choice"]


@dataclass(frozen=True)
class ContentType:
    """One content type: ``name`` is the API's ``type`` value, ``field`` the API field that
    holds its payload (attribute name), ``payload`` that field's type."""

    name: str
    label: str
    field: str
    payload: Any
    #: the payload -> the text a static code holds (None: never static)
    encode: Callable[[Any], str] | None
    static: Static = "either"
    scan: Scan = "page"
    #: the payload -> the URI a phone follows: where a redirect goes, the landing page's button
    link: Callable[[Any], str] | None = None
    #: the error-correction level the type's standard requires, if any
    level: str | None = None
    #: the payload -> a few words that tell it from others of its type (a title for people)
    summary: Callable[[Any], str] = str


def _same(value: str) -> str:
    return value


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _first_line(value: str) -> str:
    line = value.strip().splitlines()[0] if value.strip() else value
    return line if len(line) <= 60 else line[:59] + "…"


_ALL = (
    ContentType("url", "Website", "url", str, _same, scan="redirect", link=_same, summary=_host),
    ContentType("text", "Text", "text", text.Text, text.encode_text, summary=_first_line),
    ContentType("email", "E-mail", "email", messaging.EmailMessage, messaging.encode_email, scan="choice",
                link=messaging.encode_email, summary=lambda message: message.email),
    ContentType("phone", "Phone call", "phone", messaging.PhoneNumber, messaging.encode_phone, scan="choice",
                link=messaging.encode_phone),
    ContentType("sms", "SMS", "sms", messaging.Sms, messaging.encode_sms, scan="choice", link=messaging.sms_link,
                summary=lambda sms: sms.phone),
    ContentType("facetime", "FaceTime", "facetime", messaging.Facetime, messaging.encode_facetime,
                link=messaging.encode_facetime, summary=lambda facetime: facetime.target),
    ContentType("whatsapp", "WhatsApp", "whatsapp", messaging.Whatsapp, messaging.whatsapp_link, scan="redirect",
                link=messaging.whatsapp_link, summary=lambda whatsapp: f"+{whatsapp.number.lstrip('+')}"),
    ContentType("geo", "Location", "latlog", places.LatLong, places.encode_geo, link=places.encode_geo,
                summary=lambda place: f"{place.latitude}, {place.longitude}"),
    ContentType("latlog", "Location", "latlog", places.LatLong, places.encode_geo, link=places.encode_geo,
                summary=lambda place: f"{place.latitude}, {place.longitude}"),
    ContentType("wifi", "Wi-Fi network", "wifi", wifi.Wifi, wifi.encode_wifi, static="only",
                summary=lambda network: network.ssid),
    ContentType("vcard", "Contact card", "vcard", vcard.VCard, vcard.encode_vcard, summary=vcard.full_name),
    ContentType("event", "Calendar event", "event", events.Event, events.encode_event,
                summary=lambda event: event.summary),
    ContentType("crypto", "Cryptocurrency payment", "crypto", crypto.Crypto, crypto.encode_crypto,
                link=crypto.encode_crypto, summary=lambda payment: payment.label or payment.address[:12] + "…"),
    ContentType("pix", "Pix payment", "pix", pix.Pix, pix.encode_pix, static="only",
                summary=lambda payment: payment.name),
    ContentType("epc", "SEPA transfer", "epc", epc.Epc, epc.encode_epc, static="only", level="M",
                summary=lambda transfer: transfer.name),
    ContentType("gs1", "GS1 Digital Link", "gs1", gs1.Gs1, None, static="never", scan="redirect",
                summary=lambda product: " ".join(filter(None, (f"GTIN {product.gtin}", product.batch, product.serial)))),
)

#: Every content type by name, in the order people see them.
TYPES: dict[str, ContentType] = {kind.name: kind for kind in _ALL}
#: The default type: a body with only ``url`` makes a link to a website.
DEFAULT_TYPE = "url"
#: The payload fields other than ``url``, in order, with their types.
PAYLOADS: dict[str, Any] = {kind.field: kind.payload for kind in _ALL if kind.field != "url"}
#: Types whose dynamic code also has a destination ``url`` (gs1: its default link).
WITH_URL = frozenset({"url", "gs1"})
#: Types whose dynamic code answers a landing page always, and as ``useDisplayPage`` says.
PAGE_TYPES = frozenset(kind.name for kind in _ALL if kind.scan == "page")
CHOICE_TYPES = frozenset(kind.name for kind in _ALL if kind.scan == "choice")


def shows_page(type_name: str, use_display_page: bool) -> bool:
    """Whether a scan of a dynamic QR Code of ``type_name`` answers a landing page (or a redirect)."""
    return type_name in PAGE_TYPES or (type_name in CHOICE_TYPES and use_display_page)
