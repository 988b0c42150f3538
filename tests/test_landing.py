"""The landing pages a scan of a dynamic QR Code answers (issue 21): each type's page and
its links, written out by hand; one scan counted a page, none a download; the downloads
read back by vobject and icalendar; a corpus of hostile strings in every text field, the
pages read by an independent HTML parser; their size.

Codes are made by the domain service with Python values (a datetime, a Decimal), and
once through the API with JSON text.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import unquote

import icalendar
import pytest
import vobject

from codeqr import db
from codeqr.contents import TYPES
from codeqr.contents.events import Event
from codeqr.context import for_operator
from codeqr.domain import writes
from codeqr.domain.schemas import QRCodeCreate
from codeqr.scans import landing
from codeqr.scans.models import PendingScan

CET = timezone(timedelta(hours=1))
ADDRESS = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
#: A valid payload of each type that answers a page, as the domain takes it.
PAYLOADS = {
    "text": "Table 12\nAsk for today's specials",
    "email": {"email": "bookings@example.com", "subject": "A table for Friday", "body": "Hello,\ntwo at 8 pm",
              "cc": ["manager@example.com"]},
    "phone": "+33612345678",
    "sms": {"phone": "+33612345678", "message": "Please call me back"},
    "facetime": {"target": "ada@example.com"},
    "geo": {"latitude": 48.8584, "longitude": 2.2945},
    "latlog": {"latitude": -33.8568, "longitude": 151.2153},
    "vcard": {"firstName": "Ada", "lastName": "Lovelace", "organization": "Analytical Engines", "title": "Engineer",
              "phones": ["+442071234567"], "emails": ["ada@example.com"], "website": "https://example.com/ada",
              "address": "12 Market Street\nLondon", "note": "Met at the fair"},
    "event": {"summary": "Spring launch", "start": datetime(2027, 3, 19, 18, 0, tzinfo=CET),
              "end": datetime(2027, 3, 19, 22, 0, tzinfo=CET), "location": "12 Market Street",
              "description": "Doors at 6\nTalks at 7"},
    "crypto": {"currency": "bitcoin", "address": ADDRESS, "amount": Decimal("0.0010"), "label": "Donation"},
}
#: What each page shows (its text, in order of reading) and links to, written out by hand.
SHOWN = {
    "text": (["Text", "Table 12\nAsk for today's specials", "Copy the text"], set()),
    "email": (["E-mail", "bookings@example.com", "Subject", "A table for Friday", "Copy to", "manager@example.com",
               "Message", "Hello,\ntwo at 8 pm", "Write the e-mail"],
              {"mailto:bookings@example.com?subject=A%20table%20for%20Friday&body=Hello%2C%0D%0Atwo%20at%208%20pm"
               "&cc=manager@example.com"}),
    "phone": (["Phone call", "+33612345678", "Call"], {"tel:+33612345678"}),
    "sms": (["SMS", "+33612345678", "Message", "Please call me back", "Write the SMS"],
            {"sms:+33612345678?body=Please%20call%20me%20back"}),
    "facetime": (["FaceTime", "ada@example.com", "Call with FaceTime"], {"facetime:ada@example.com"}),
    "geo": (["Location", "48.8584, 2.2945", "Open in a maps app", "Open in OpenStreetMap"],
            {"geo:48.8584,2.2945", "https://www.openstreetmap.org/?mlat=48.8584&mlon=2.2945#map=16/48.8584/2.2945"}),
    "latlog": (["Location", "-33.8568, 151.2153", "Open in a maps app", "Open in OpenStreetMap"],
               {"geo:-33.8568,151.2153",
                "https://www.openstreetmap.org/?mlat=-33.8568&mlon=151.2153#map=16/-33.8568/151.2153"}),
    "vcard": (["Contact card", "Ada Lovelace", "Engineer", "·", "Analytical Engines", "Phone", "+442071234567",
               "E-mail", "ada@example.com", "Website", "https://example.com/ada", "Address", "12 Market Street\nLondon",
               "Note", "Met at the fair", "Save contact"],
              {"tel:+442071234567", "mailto:ada@example.com", "https://example.com/ada"}),
    "event": (["Calendar event", "Spring launch", "When", "Friday 19 March 2027, 18:00–22:00 (UTC+01:00)", "Where",
               "12 Market Street", "Doors at 6\nTalks at 7", "Add to calendar"], set()),
    "crypto": (["Cryptocurrency payment", "Bitcoin", "For", "Donation", "Amount", "0.001 BTC", "Address", ADDRESS,
                "Open in a wallet", "Copy the address"],
               {f"bitcoin:{ADDRESS}?amount=0.001&label=Donation"}),
}
#: Elements a landing page may hold: anything else came from a payload.
ELEMENTS = {"html", "head", "meta", "title", "link", "script", "body", "main", "header", "p", "h1", "h2", "div", "dl",
            "dt", "dd", "a", "button", "span", "time"}
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


class Parsed(HTMLParser):
    """A page as an independent parser reads it: its elements with their attributes, its
    text nodes (entities decoded) each with the ``dir`` of its nearest element that has one."""

    VOID = {"meta", "link", "br", "img", "input", "hr", "source", "wbr"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.texts: list[tuple[str, str | None]] = []
        self.title = ""
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag not in self.VOID:
            inherited = self._open[-1][1] if self._open else None
            self._open.append((tag, attributes.get("dir", inherited)))

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data):
        if self._open and self._open[-1][0] == "title":
            self.title += data
        elif data.strip():
            self.texts.append((data, self._open[-1][1] if self._open else None))

    @property
    def text(self) -> list[str]:
        return [text.strip(" ") for text, _ in self.texts]

    def hrefs(self) -> set[str]:
        return {attributes["href"] for tag, attributes in self.elements if tag == "a"}


def make(app, type_name: str, payload, **more):
    """A QR Code of ``type_name`` holding ``payload`` (dynamic unless ``more`` says)."""
    body = {"type": type_name, TYPES[type_name].field: payload, **more}
    if type_name in {"email", "phone", "sms"}:
        body.setdefault("useDisplayPage", True)
    with app.app_context():
        return writes.create(QRCodeCreate.model_validate(body), ctx=for_operator())


def shown(client, key: str) -> Parsed:
    page = client.get(f"/{key}")
    assert page.status_code == 200 and page.mimetype == "text/html", page.status
    return Parsed(page.get_data(as_text=True))


def scans(app, qr_id: str) -> tuple[int, int]:
    """The code's count and the scans stored for it."""
    from codeqr.domain.models import QRCode

    with app.app_context():
        stored = db.session.query(PendingScan).filter_by(qrcode_id=qr_id).count()
        return db.session.get(QRCode, qr_id).scans, stored


def _own_links(page: Parsed) -> set[str]:
    """Addresses of the page's links, the downloads beside the short link left out."""
    return {href for href in page.hrefs() if not href.startswith("/")}


@pytest.mark.parametrize("type_name", sorted(SHOWN))
def test_each_page_shows_its_content_and_links_to_what_its_type_links_to(app, client, type_name):
    qr = make(app, type_name, PAYLOADS[type_name])
    page = shown(client, qr.key)
    words, links = SHOWN[type_name]
    assert page.text == words
    assert _own_links(page) == links


def test_the_page_frame_reads_on_a_phone_with_nothing_from_elsewhere(app, client):
    qr = make(app, "vcard", PAYLOADS["vcard"])
    answer = client.get(f"/{qr.key}")
    page = Parsed(answer.get_data(as_text=True))
    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in page.elements
    assert ("html", {"lang": "en"}) in page.elements
    assert page.title == "Ada Lovelace · Contact card"
    assert "no-store" in answer.headers["Cache-Control"]
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'self'")
    resources = [attributes.get("href") or attributes.get("src") for tag, attributes in page.elements
                 if tag in {"link", "script", "img"}]
    assert resources == ["/static/landing.css", "/static/landing.js"]
    for resource, media_type in zip(resources, ("text/css", "text/javascript"), strict=True):
        for host in ("localhost", "go.example.org"):  # a short link's domain serves them too
            served = client.get(resource, headers={"Host": host})
            assert served.status_code == 200 and served.mimetype == media_type


def test_a_theme_chosen_in_the_app_is_the_pages_theme(app, client):
    qr = make(app, "text", "Hello")
    assert ("html", {"lang": "en"}) in shown(client, qr.key).elements  # automatic: the device's choice
    client.set_cookie("codeqr_theme", "dark")
    assert ("html", {"lang": "en", "data-theme": "dark"}) in shown(client, qr.key).elements
    client.set_cookie("codeqr_theme", "\"><script>")
    assert ("html", {"lang": "en"}) in shown(client, qr.key).elements


def test_a_scan_of_a_page_counts_once_and_its_downloads_and_head_count_nothing(app, client):
    card, event = make(app, "vcard", PAYLOADS["vcard"]), make(app, "event", PAYLOADS["event"])
    for qr, file_name in ((card, "contact.vcf"), (event, "event.ics")):
        assert client.get(f"/{qr.key}").status_code == 200
        assert client.head(f"/{qr.key}").status_code == 200
        assert client.get(f"/{qr.key}/{file_name}").status_code == 200
        assert client.head(f"/{qr.key}/{file_name}").status_code == 200
        client.get("/static/landing.css")
        assert scans(app, qr.id) == (1, 1)
    client.get(f"/{card.key}")
    assert scans(app, card.id) == (2, 2)


def test_an_event_and_a_payment_sent_as_json_show_as_given(api, client):
    event = api.post("/api/qrcodes", json={"type": "event", "event": {
        "summary": "Night shift", "start": "2027-01-31T22:00:00-03:30", "end": "2027-02-01T06:00:00-03:30"}})
    assert event.status_code == 201, event.get_json()
    assert "Sunday 31 January 2027, 22:00 (UTC-03:30) – Monday 1 February 2027, 06:00 (UTC-03:30)" in shown(
        client, event.get_json()["key"]).text
    payment = api.post("/api/qrcodes", json={"type": "crypto", "crypto": {
        "currency": "ethereum", "address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "amount": "1.50"}})
    assert payment.status_code == 201, payment.get_json()
    page = shown(client, payment.get_json()["key"])
    assert "1.5 ETH" in page.text
    assert page.hrefs() == {"ethereum:0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed?value=1500000000000000000"}


def test_a_phone_code_without_its_page_redirects_to_its_link(app, client):
    qr = make(app, "phone", "+33612345678", useDisplayPage=False)
    answer = client.get(f"/{qr.key}")
    assert (answer.status_code, answer.headers["Location"]) == (302, "tel:+33612345678")


def _file_name(content_disposition: str) -> tuple[str, str]:
    """(the name in ``filename*``, RFC 6266's, which browsers prefer; the ASCII ``filename``)."""
    kind, *parameters = content_disposition.split("; ")
    assert kind == "attachment"
    values = dict(parameter.split("=", 1) for parameter in parameters)
    assert values["filename*"].startswith("UTF-8''") and values["filename"][0] == values["filename"][-1] == '"'
    return unquote(values["filename*"].removeprefix("UTF-8''"), errors="strict"), values["filename"][1:-1]


def test_save_contact_downloads_the_card_vobject_reads_back(app, client):
    qr = make(app, "vcard", PAYLOADS["vcard"])
    answer = client.get(f"/{qr.key}/contact.vcf")
    assert answer.status_code == 200 and answer.mimetype == "text/vcard"
    assert "no-store" in answer.headers["Cache-Control"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"  # never read as a page
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
    assert _file_name(answer.headers["Content-Disposition"]) == ("Ada Lovelace.vcf", "Ada Lovelace.vcf")
    card = vobject.readOne(answer.get_data(as_text=True))
    assert card.fn.value == "Ada Lovelace"
    assert (card.n.value.family, card.n.value.given) == ("Lovelace", "Ada")
    assert card.org.value == ["Analytical Engines"] and card.title.value == "Engineer"
    assert card.tel.value == "+442071234567" and card.email.value == "ada@example.com"
    assert card.url.value == "https://example.com/ada"
    assert card.note.value == "Met at the fair"


def test_add_to_calendar_downloads_the_event_icalendar_reads_back(app, client):
    qr = make(app, "event", PAYLOADS["event"])
    answer = client.get(f"/{qr.key}/event.ics")
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    assert _file_name(answer.headers["Content-Disposition"]) == ("Spring launch.ics", "Spring launch.ics")
    [event] = icalendar.Calendar.from_ical(answer.data).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Spring launch" and str(event["LOCATION"]) == "12 Market Street"
    assert event.decoded("DTSTART") == datetime(2027, 3, 19, 17, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2027, 3, 19, 21, 0, tzinfo=UTC)
    assert str(event["DESCRIPTION"]) == "Doors at 6\nTalks at 7"


@pytest.mark.parametrize("name, expected", [
    ("José Núñez", ("José Núñez.vcf", "Jose Nunez.vcf")),
    ('../../etc/passwd"; filename=evil.exe', ("etc passwd filename evil.exe.vcf", "etc passwd filename evil.exe.vcf")),
    ("\u202egnp.exe", ("gnp.exe.vcf", "gnp.exe.vcf")),
    ("李小龍", ("李小龍.vcf", "download.vcf")),
    ("...", ("download.vcf", "download.vcf")),
    ("A" * 79 + " B" * 10, ("A" * 79 + ".vcf", "A" * 79 + ".vcf")),
])
def test_a_downloads_file_name_keeps_the_name_but_no_path_nor_quote(app, client, name, expected):
    qr = make(app, "vcard", {"firstName": name})
    answer = client.get(f"/{qr.key}/contact.vcf")
    assert _file_name(answer.headers["Content-Disposition"]) == expected
    assert vobject.readOne(answer.get_data(as_text=True)).fn.value == name


def test_downloads_are_for_dynamic_codes_of_their_type_on_served_domains(app, client):
    card, text = make(app, "vcard", PAYLOADS["vcard"]), make(app, "text", "Hello")
    kept = make(app, "vcard", PAYLOADS["vcard"] | {"note": "static"}, static=True)
    assert client.get(f"/{card.key}/event.ics").status_code == 404
    assert client.get(f"/{text.key}/contact.vcf").status_code == 404
    assert client.get(f"/{kept.key}").status_code == 404
    assert client.get(f"/{kept.key}/contact.vcf").status_code == 404
    assert client.get("/no-such-key/contact.vcf").status_code == 404
    assert client.get(f"/{card.key}/contact.vcf", headers={"Host": "elsewhere.example"}).status_code == 404
    assert client.get(f"/{card.key}/contact.vcf", headers={"Host": "go.example.org"}).status_code == 404
    assert client.get(f"/{card.key}/other.vcf").status_code == 404
    assert scans(app, card.id) == (0, 0)


@pytest.mark.parametrize("key", ["card/contact.vcf", "event.ics", "card%2Fcontact.vcf"])
def test_no_key_can_take_a_downloads_address(api, key):
    answer = api.post("/api/qrcodes", json={"type": "text", "text": "Hello", "key": key})
    assert answer.status_code == 422 and answer.get_json()["error"]["errors"][0]["field"] == "key"


def test_when_is_written_in_words_in_the_offsets_given():
    def when(start, end):
        return landing.when(Event(summary="s", start=start, end=end))

    minus = timezone(-timedelta(hours=3, minutes=30))
    assert when(datetime(2026, 12, 31, 22, 30, tzinfo=minus), datetime(2027, 1, 1, 1, 15, 30, tzinfo=minus)) == (
        "Thursday 31 December 2026, 22:30 (UTC-03:30) – Friday 1 January 2027, 01:15:30 (UTC-03:30)")
    assert when(datetime(2027, 6, 7, 8, 0, tzinfo=UTC), datetime(2027, 6, 7, 9, 5, tzinfo=UTC)) == (
        "Monday 7 June 2027, 08:00–09:05 (UTC)")
    # The same day, given in two offsets: each moment with its own.
    assert when(datetime(2027, 6, 7, 8, 0, tzinfo=UTC), datetime(2027, 6, 7, 11, 0, tzinfo=CET)) == (
        "Monday 7 June 2027, 08:00 (UTC) – Monday 7 June 2027, 11:00 (UTC+01:00)")


@pytest.mark.parametrize("uri", [
    "javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "file:///etc/passwd", "no scheme", "",
])
def test_a_link_of_a_scheme_not_allowed_is_never_written(uri):
    assert landing.href(uri) is None


def test_a_page_shows_its_content_without_a_link_an_encoder_got_wrong(app, client, monkeypatch):
    monkeypatch.setitem(TYPES, "phone", replace(TYPES["phone"], link=lambda number: f"javascript:alert('{number}')"))
    qr = make(app, "phone", "+33612345678")
    page = shown(client, qr.key)
    assert page.hrefs() == set()
    assert "+33612345678" in page.text


# -- Hostile strings -------------------------------------------------------------------------

CORPUS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    "</title><script>alert(1)</script>",
    "</div></dd></dl></main><script src=//evil.example/x.js></script>",
    '<a href="javascript:alert(1)">click</a>',
    "data:text/html,<script>alert(1)</script>",
    "<!-- x --><![CDATA[ y ]]><style>body{display:none}</style>",
    "&lt;b&gt;not bold&lt;/b&gt; &amp; &#60;",
    "{{ 7 * 7 }} {% if true %}x{% endif %} ${7*7}",
    "\u202egnp.exe \u2067 \u2069 done",
    "<iframe srcdoc='<script>alert(1)</script>'>",
    "👩‍💻 Zoë \u200b",
]
#: Every text field of every page type: (type, payload, the field the corpus goes in).
FIELDS = [
    ("text", PAYLOADS["text"], None),
    *(("email", PAYLOADS["email"], field) for field in ("subject", "body")),
    ("sms", PAYLOADS["sms"], "message"),
    *(("vcard", PAYLOADS["vcard"], field) for field in ("firstName", "lastName", "organization", "title", "address",
                                                          "note")),
    *(("event", PAYLOADS["event"], field) for field in ("summary", "location", "description")),
    ("crypto", PAYLOADS["crypto"], "label"),
]


def _holding(payload, field: str | None, hostile: str):
    return hostile if field is None else payload | {field: hostile}


def assert_harmless(page: Parsed, hostile: str) -> None:
    """No element, attribute or link came from ``hostile``; it is shown whole, as text, a
    bidirectional control only inside an element of its own direction, none in the title."""
    assert {tag for tag, _ in page.elements} <= ELEMENTS
    assert [attributes for tag, attributes in page.elements if tag == "script"] == [
        {"src": "/static/landing.js", "defer": None}]
    for tag, attributes in page.elements:
        assert not {name for name in attributes if name.startswith("on") or name in {"style", "srcdoc"}}, tag
    for href in page.hrefs():
        assert href.startswith("/") or href.split(":", 1)[0] in landing.SCHEMES, href
        assert "javascript" not in unquote(href).lower() or href.startswith(("mailto:", "sms:", "bitcoin:")), href
    shown_text = "".join(text for text, _ in page.texts)
    assert hostile in shown_text
    assert not set(BIDI) & set(page.title)
    for text, direction in page.texts:
        if set(BIDI) & set(text):
            assert direction == "auto", text


@pytest.mark.parametrize("type_name, payload, field", FIELDS, ids=[f"{t}-{f or t}" for t, _, f in FIELDS])
def test_hostile_strings_in_every_text_field_are_shown_as_text(app, client, type_name, payload, field):
    for hostile in CORPUS:
        qr = make(app, type_name, _holding(payload, field, hostile))
        assert_harmless(shown(client, qr.key), hostile)


def test_hostile_addresses_and_websites_are_escaped_in_their_links(app, client):
    website = 'https://example.com/"><svg/onload=alert(1)>'
    local = "o'hara&x=1#y@example.com"
    card = make(app, "vcard", {"firstName": "Eve", "website": website, "emails": [local]})
    page = shown(client, card.key)
    assert {website, "mailto:o'hara%26x%3D1%23y@example.com"} <= page.hrefs()
    assert {tag for tag, _ in page.elements} <= ELEMENTS
    assert website in page.text and local in page.text
    message = make(app, "email", {"email": local, "subject": "<b>hi</b>"})
    page = shown(client, message.key)
    assert page.hrefs() == {"mailto:o'hara%26x%3D1%23y@example.com?subject=%3Cb%3Ehi%3C%2Fb%3E"}


# -- Size -----------------------------------------------------------------------------------


def _weight(client, key: str) -> int:
    """The bytes a visitor's browser fetches for the page: the page, its style and script."""
    answer = client.get(f"/{key}")
    page = Parsed(answer.get_data(as_text=True))
    resources = [attributes.get("href") or attributes.get("src") for tag, attributes in page.elements
                 if tag in {"link", "script"}]
    return len(answer.data) + sum(len(client.get(resource).data) for resource in resources)


@pytest.mark.parametrize("type_name", sorted(PAYLOADS))
def test_a_page_with_its_style_and_script_weighs_under_20_kb(app, client, type_name):
    qr = make(app, type_name, PAYLOADS[type_name])
    assert _weight(client, qr.key) < 20_000


def test_a_page_of_the_longest_text_weighs_under_20_kb(app, client):
    qr = make(app, "text", ("Four thousand characters of a menu, " * 200)[:4000])
    assert _weight(client, qr.key) < 20_000
