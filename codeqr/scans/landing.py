"""The landing page a scan of a dynamic QR Code answers when a phone cannot follow its
content as a link (a text, a contact, an event, a payment, a place…), and the files the
page offers (a contact's ``.vcf``, an event's ``.ics``), which are not scans.

Every string of a payload is hostile. Templates print it autoescaped, never ``|safe``, each
in an element of its own direction (``dir="auto"``: a right-to-left override stays inside);
an ``href`` comes only from this module, its scheme checked by ``href``.
"""

import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import quote

from flask import render_template, url_for
from werkzeug.wrappers import Response

from ..contents import TYPES, ContentType, encoded
from ..contents.crypto import Crypto
from ..contents.events import Event
from ..contents.messaging import EmailMessage, encode_email, encode_phone
from ..contents.places import LatLong, degrees
from ..contents.vcard import VCard, full_name

#: The schemes a landing page links to: the types' own links, a map, a contact's website.
SCHEMES = frozenset({"mailto", "tel", "sms", "facetime", "geo", "https", "http", "bitcoin", "ethereum", "litecoin"})
#: Bidirectional formatting characters (embeddings, overrides, isolates, marks): kept out
#: of the title, which has no element to isolate them in.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


class Link(NamedTuple):
    """A text shown as a link to ``href`` (None: shown as plain text, no link)."""

    text: str
    href: str | None


class View(NamedTuple):
    """What a type's page shows: its template (in ``landing/``), its heading and the rest."""

    template: str
    headline: str
    values: dict[str, Any]


class Download(NamedTuple):
    """A file a type's page offers beside its short link: its name in the address
    (/<key>/contact.vcf), its media type, the payload -> the name people save it as."""

    file_name: str
    media_type: str
    name: Callable[[Any], str]


#: The files pages offer, by type: a contact, an event.
DOWNLOADS = {
    "vcard": Download("contact.vcf", "text/vcard", full_name),
    "event": Download("event.ics", "text/calendar", lambda event: event.summary),
}


def download_endpoint(type_name: str) -> str:
    """The endpoint, in the public blueprint, of the file a page of ``type_name`` offers."""
    return f"download_{type_name}"


def href(uri: str | None) -> str | None:
    """``uri`` if its scheme is one a page links to, else None: never a javascript: or data:
    link, whatever a payload or an encoder's bug makes of it."""
    if uri is None:
        return None
    scheme, colon, _ = uri.partition(":")
    return uri if colon and scheme.lower() in SCHEMES else None


def page(type_name: str, payload: Any, key: str) -> Response:
    """The landing page of a scan of the dynamic QR Code ``key`` of ``type_name`` holding ``payload``."""
    kind = TYPES[type_name]
    view = _VIEWS[type_name](kind, payload)
    title = f"{view.headline.translate(_BIDI_CONTROLS)} · {kind.label}" if view.headline else kind.label
    offered = url_for(f"public.{download_endpoint(type_name)}", key=key) if type_name in DOWNLOADS else None
    html = render_template(f"landing/{view.template}.html", kind=kind, payload=payload, title=title,
                           headline=view.headline, download=offered, **view.values)
    return Response(html, mimetype="text/html")


def download(type_name: str, payload: Any) -> Response:
    """The file a page of ``type_name`` holding ``payload`` offers (``DOWNLOADS``)."""
    offered = DOWNLOADS[type_name]
    extension = offered.file_name.rsplit(".", 1)[1]
    return Response(encoded(type_name, payload), mimetype=offered.media_type, headers={
        "Content-Disposition": attachment(offered.name(payload), extension)})


def attachment(name: str, extension: str) -> str:
    """A Content-Disposition that saves the file as ``name.extension``: ``filename`` in
    ASCII for every browser, ``filename*`` in UTF-8 (RFC 6266) for the name as written.
    Only letters, digits, spaces and ``-_.'`` of the name are kept: no path, no quote."""
    kept = "".join(char if char.isalnum() or char in " -_.'" else " " for char in name)
    kept = " ".join(kept.split())[:80].strip(". ") or "download"
    # é -> e: NFKD splits a letter from its accent, which ASCII then drops.
    ascii_name = unicodedata.normalize("NFKD", kept).encode("ascii", "ignore").decode()
    ascii_name = " ".join(ascii_name.split()).strip(". ") or "download"
    return (f'attachment; filename="{ascii_name}.{extension}"; '
            f"filename*=UTF-8''{quote(f'{kept}.{extension}', safe='')}")


# -- Each type's view --------------------------------------------------------------------


def _button(kind: ContentType, payload: Any, label: str) -> Link:
    """The page's main button: the type's own link (mailto:, tel:, geo:, bitcoin:…)."""
    assert kind.link is not None, "a type with a button has a link"
    return Link(label, href(kind.link(payload)))


def _text(kind: ContentType, text: str) -> View:
    return View("text", "", {})


#: The types reached by their link: what their button says, and whom the page is about.
_MESSAGES: dict[str, tuple[str, Callable[[Any], str]]] = {
    "email": ("Write the e-mail", lambda message: message.email),
    "phone": ("Call", lambda number: number),
    "sms": ("Write the SMS", lambda sms: sms.phone),
    "facetime": ("Call with FaceTime", lambda facetime: facetime.target),
}


def _message(kind: ContentType, payload: Any) -> View:
    label, whom = _MESSAGES[kind.name]
    return View("message", whom(payload), {"open": _button(kind, payload, label)})


def _place(kind: ContentType, place: LatLong) -> View:
    latitude, longitude = degrees(place.latitude), degrees(place.longitude)
    osm = f"https://www.openstreetmap.org/?mlat={latitude}&mlon={longitude}#map=16/{latitude}/{longitude}"
    return View("place", "", {"coordinates": f"{latitude}, {longitude}",
                              "open": _button(kind, place, "Open in a maps app"),
                              "map": Link("Open in OpenStreetMap", href(osm))})


def _contact(kind: ContentType, card: VCard) -> View:
    name = full_name(card)
    # A card of an organization alone has it as its name: not written twice.
    role = [part for part in (card.title, card.organization) if part and part != name]
    return View("contact", name, {
        "role": role,
        "phones": [Link(phone, href(encode_phone(phone))) for phone in card.phones],
        "emails": [Link(email, href(encode_email(EmailMessage(email=email)))) for email in card.emails],
        "website": Link(card.website, href(card.website)) if card.website else None,
    })


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _day(moment: datetime) -> str:
    return f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def _clock(moment: datetime) -> str:
    return f"{moment.hour:02}:{moment.minute:02}" + (f":{moment.second:02}" if moment.second else "")


def _zone(moment: datetime) -> str:
    """The moment's offset as people read it: UTC, UTC+01:00, UTC-03:30."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    if not minutes:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{hours:02}:{rest:02}"


def when(event: Event) -> str:
    """When the event takes place, in words, in the offsets it was given with: "Friday 19
    March 2027, 18:00–22:00 (UTC+01:00)"; both days written when it ends on another."""
    start, end = event.start, event.end
    if start.date() == end.date() and start.utcoffset() == end.utcoffset():
        return f"{_day(start)}, {_clock(start)}–{_clock(end)} ({_zone(start)})"
    return f"{_day(start)}, {_clock(start)} ({_zone(start)}) – {_day(end)}, {_clock(end)} ({_zone(end)})"


def _event(kind: ContentType, event: Event) -> View:
    return View("event", event.summary, {"when": when(event)})


#: Coins by the name a payment request gives them: what people call them, their ticker.
_COINS = {"bitcoin": ("Bitcoin", "BTC"), "ethereum": ("Ether", "ETH"), "litecoin": ("Litecoin", "LTC")}


def _payment(kind: ContentType, crypto: Crypto) -> View:
    coin, ticker = _COINS[crypto.currency]
    # normalize() drops trailing zeros; "f" writes 1E+1 as 10.
    amount = f"{crypto.amount.normalize():f} {ticker}" if crypto.amount is not None else None
    return View("payment", coin, {"amount": amount, "open": _button(kind, crypto, "Open in a wallet")})


_VIEWS: dict[str, Callable[[ContentType, Any], View]] = {
    "text": _text, "email": _message, "phone": _message, "sms": _message, "facetime": _message,
    "geo": _place, "latlog": _place, "vcard": _contact, "event": _event, "crypto": _payment,
}
