"""The detail page says what each link option does (``templates/qrcodes/_link_summary.html``),
with hostile values escaped, and its "Test a scan" box answers, as a plain GET form and as
JSON (``codeqr/web/test_scan.py``)."""

import html
import re

from browser import create_qrcode
from web_client import signed_in

EVERYTHING = {
    "url": "https://example.com/main", "title": "Every option", "key": "every",
    "password": "open sesame", "expiresAt": "2026-12-31T18:00:00Z", "expiredUrl": "https://example.com/over",
    "rules": [
        {"attribute": "device", "operator": "equals", "value": "Windows", "url": "https://example.com/windows"},
        {"attribute": "time", "operator": "equals", "url": "https://example.com/office",
         "value": {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "until": "17:30",
                   "timeZone": "Europe/Paris"}},
        {"attribute": "language", "operator": "equals", "value": "de",
         "split": [{"url": "https://example.com/a", "weight": 30}, {"url": "https://example.com/b", "weight": 70}]},
    ],
    "geo": {"DE": "https://example.com/de"}, "ios": "https://example.com/ios", "android": "https://example.com/android",
    "utm_source": "poster", "forwardQuery": True,
}


def _sentences(page: str) -> list[str]:
    summary = re.search(r'<ol class="link-summary" id="link-summary">(.*?)</ol>', page, re.S)
    assert summary, "no link summary on the page"
    items = re.findall(r"<li>(.*?)</li>", summary.group(1), re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", item)) for item in items]


def test_the_detail_page_says_what_each_option_does(make_app):
    app = make_app()
    client = signed_in(app)
    qr = create_qrcode(app, **EVERYTHING)
    page = client.get(f"/qrcodes/{qr.id}").get_data(as_text=True)
    assert _sentences(page) == [
        "Asks for a password before going on.",
        "Until 2026-12-31 18:00 UTC, as follows; after that it goes to https://example.com/over.",
        "Rule 1: visitors whose device is Windows go to https://example.com/windows.",
        "Rule 2: visitors scanning on Mon–Fri from 09:00 to 17:30 (Europe/Paris) go to https://example.com/office.",
        "Rule 3: visitors whose browser asks first for the language de are split: 30% to https://example.com/a, "
        "70% to https://example.com/b.",
        "Visitors from Germany go to https://example.com/de.",
        "iPhones and iPads go to https://example.com/ios.",
        "Android phones go to https://example.com/android.",
        "Everyone else goes to https://example.com/main.",
        "Adds utm_source=poster to the destination.",
        "Passes the scanned link's own query on.",
    ]
    # The expiry is a <time> the page's script shows in the reader's zone (app.js).
    assert '<time datetime="2026-12-31T18:00:00.000Z" class="local-time">2026-12-31 18:00 UTC</time>' in page
    assert "open sesame" not in page


def test_hostile_values_are_escaped(make_app):
    app = make_app()
    client = signed_in(app)
    qr = create_qrcode(app, url="https://example.com/<script>alert(1)</script>", rules=[
        {"attribute": "city", "operator": "equals", "value": "<script>alert(2)</script>", "url": "https://example.com/x"},
        {"attribute": "utm_term", "operator": "not_equals", "value": "abc\u202edef", "url": "https://example.com/y"},
    ], utm_source="<b>bold</b>")
    page = client.get(f"/qrcodes/{qr.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "<b>bold" not in page
    assert "\u202e" not in page  # shown as its code point: it cannot turn the words after it around
    assert _sentences(page) == [
        "Rule 1: visitors from the city of <script>alert(2)</script> go to https://example.com/x.",
        "Rule 2: visitors whose scanned link does not have utm_term=abc<U+202E>def go to https://example.com/y.",
        "Everyone else goes to https://example.com/<script>alert(1)</script>.",
        "Adds utm_source=<b>bold</b> to the destination.",
    ]
    # Typed values and URLs are isolated from the words around them.
    assert '<bdi class="typed">&lt;script&gt;alert(2)&lt;/script&gt;</bdi>' in page


def _answer(page: str) -> str:
    found = re.search(r'<output id="test-scan-answer"[^>]*>(.*?)</output>', page, re.S)
    assert found, "no answer box on the page"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


WINDOWS_PC = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"


def test_the_test_box_answers_as_a_plain_form_and_as_json(make_app):
    app = make_app()
    client = signed_in(app)
    qr = create_qrcode(app, **EVERYTHING)
    detail, asked = f"/qrcodes/{qr.id}", f"/qrcodes/{qr.id}/test-scan.json"
    # Without a script: the page itself, with the answer, and its analytics unbothered by the box's fields.
    page = client.get(f"{detail}?test-device=iphone&test-country=&test-at=2026-12-01T20:00").get_data(as_text=True)
    assert _answer(page) == "This visitor would see the password page."
    assert "cannot filter" not in page
    page = client.get(f"{detail}?test-device=iphone&test-unlocked=1&test-at=2026-12-01T20:00").get_data(as_text=True)
    assert _answer(page) == ("This visitor would go to https://example.com/ios?utm_source=poster "
                             "(decided by the target for iPhones and iPads).")
    assert 'value="iphone" selected' in page and 'name="test-unlocked" value="1" checked' in page

    def json(**values) -> dict:
        response = client.get(asked, query_string={"test-unlocked": "1", "timezone": "UTC"} | {
            f"test-{name}": value for name, value in values.items()})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    # Each step, and which one decides when several could (a Windows PC in Germany on a weekday at 10:00 Paris time).
    assert json(device="windows", country="DE", at="2026-12-01T09:00")["step"] == "rule"
    assert json(device="windows", country="DE", at="2026-12-01T09:00")["rule"] == 1
    office = json(device="mac", country="DE", at="2026-12-01T09:00")  # 10:00 in Paris, a Tuesday
    assert (office["step"], office["rule"], office["destination"]) == ("rule", 2, "https://example.com/office?utm_source=poster")
    assert json(device="mac", country="DE", at="2026-12-01T20:00")["step"] == "geo"
    assert json(device="android", country="FR", at="2026-12-01T20:00")["step"] == "android"
    assert json(device="custom", userAgent=WINDOWS_PC, at="2026-12-05T10:00")["destination"] == (
        "https://example.com/windows?utm_source=poster")
    mac = json(device="mac", at="2026-12-01T20:00", utm_source="mail")
    assert mac == {"step": "url", "destination": "https://example.com/main?utm_source=poster", "rule": None,
                   "variant": None, "answer": [
                       {"kind": "words", "text": "This visitor would go to "},
                       {"kind": "url", "text": "https://example.com/main?utm_source=poster"},
                       {"kind": "words", "text": " (decided by the QR Code's own URL)."}]}
    # A split: the same question always lands on the same variant.
    split = json(device="mac", language="de-DE", at="2026-12-01T20:00")
    assert (split["step"], split["rule"], split["variant"] in (1, 2)) == ("rule", 3, True)
    assert json(device="mac", language="de-DE", at="2026-12-01T20:00") == split
    # The expiry (18:00 UTC), the box's moment read in the time zone it says: 18:59 in Paris is before it,
    # 19:00 is the very instant it comes.
    def in_paris(at: str) -> dict:
        return client.get(asked, query_string={"test-unlocked": "1", "test-device": "mac", "test-at": at,
                                               "timezone": "Europe/Paris"}).get_json()

    assert in_paris("2026-12-31T18:59")["step"] == "url"
    assert (in_paris("2026-12-31T19:00")["step"], in_paris("2026-12-31T19:00")["destination"]) == (
        "expired", "https://example.com/over?utm_source=poster")
    assert json(device="mac", at="2026-12-31T18:00")["step"] == "expired"
    # The page reads the box's moment in the reader's zone, as the page's script told it (its cookie).
    client.set_cookie("codeqr_timezone", "Europe/Paris")
    page = client.get(f"{detail}?test-device=mac&test-unlocked=1&test-at=2026-12-31T19:00").get_data(as_text=True)
    assert _answer(page) == "This visitor would go to https://example.com/over?utm_source=poster (the QR Code has expired)."
    assert "When (your time, Europe/Paris; blank: now)" in page
    client.delete_cookie("codeqr_timezone")

    # Values that cannot be asked: a sentence beside each field, nothing decided.
    refused = client.get(asked, query_string={"test-country": "ZZ", "test-language": "12", "test-at": "soon",
                                              "test-referrer": "http://"})
    assert refused.status_code == 422
    assert refused.get_json() == {"problems": {
        "country": "'ZZ' is not an ISO 3166-1 alpha-2 country code (such as DE or US).",
        "language": "Must be a language code a browser asks for, such as de or en-GB.",
        "referrer": "Must be the host or address of a page, such as google.com.",
    }}
    page = client.get(f"{detail}?test-country=ZZ").get_data(as_text=True)
    assert "is not an ISO 3166-1 alpha-2 country code" in page and 'aria-invalid="true"' in page


def test_the_box_answers_only_signed_in_people_and_gone_codes_are_a_404(make_app):
    app = make_app()
    qr = create_qrcode(app, url="https://example.com/", ios="https://example.com/ios")
    anonymous = app.test_client().get(f"/qrcodes/{qr.id}/test-scan.json?test-device=iphone")
    assert anonymous.status_code in (302, 401) and b"example.com/ios" not in anonymous.data
    client = signed_in(app)
    assert client.get("/qrcodes/nope/test-scan.json?test-device=iphone").status_code == 404
    expired = create_qrcode(app, url="https://example.com/", expiresAt="2020-01-01T00:00:00Z")
    gone = client.get(f"/qrcodes/{expired.id}/test-scan.json?test-device=iphone").get_json()
    assert (gone["step"], gone["destination"], gone["answer"][0]["text"]) == (
        "expired", None, "This visitor would see the “expired” page (410).")
    # Asked nothing: an iPhone, now.
    assert client.get(f"/qrcodes/{qr.id}/test-scan.json").get_json()["destination"] == "https://example.com/ios"
    static = create_qrcode(app, type="wifi", wifi={"ssid": "Home", "encryption": "nopass"})
    assert client.get(f"/qrcodes/{static.id}/test-scan.json").get_json() == {
        "problems": {"": "This QR Code has no short link: scans of it are not decided here."}}
    assert "Test a scan" not in client.get(f"/qrcodes/{static.id}").get_data(as_text=True)


def test_codes_of_other_types_say_what_they_open(make_app):
    from codeqr.contents.examples import EXAMPLES

    app = make_app()
    client = signed_in(app)
    page_code = create_qrcode(app, type="phone", password="secret", **EXAMPLES["phone"])
    page = client.get(f"/qrcodes/{page_code.id}").get_data(as_text=True)
    assert _sentences(page) == ["Asks for a password before going on.", "Shows the QR Code's own page, with its content."]
    link_code = create_qrcode(app, type="phone", useDisplayPage=False, expiresAt="2020-01-01T00:00:00Z",
                              **EXAMPLES["phone"])
    page = client.get(f"/qrcodes/{link_code.id}").get_data(as_text=True)
    said = _sentences(page)
    assert said[1].startswith("Goes to tel:") and 'href="tel:' not in page  # only a web address is a link
    assert said[0] == ("Expired since 2020-01-01 00:00 UTC: every scan shows an “expired” page (410). "
                       "Until then it did what follows.")
    answer = client.get(f"/qrcodes/{page_code.id}/test-scan.json?test-unlocked=1").get_json()["answer"]
    assert answer == [{"kind": "words", "text": "This visitor would see the QR Code's own page, with its content."}]


def test_the_edit_page_has_the_box_too(browser, web_app):
    from codeqr.context import for_operator
    from codeqr.domain import writes
    from codeqr.domain.schemas import QRCodeCreate

    with web_app.app_context():
        qr = writes.create(QRCodeCreate.model_validate({"url": "https://example.com/", "ios": "https://example.com/i"}),
                           ctx=for_operator())
    page = browser.get(f"/qrcodes/{qr.id}/edit").get_data(as_text=True)
    assert 'id="test-scan-form"' in page and "tests the link options as saved" in page
    assert page.index('id="test-scan-form"') > page.index("</form>")  # not nested in the edit form
    assert 'id="test-scan-form"' not in browser.get("/qrcodes/new").get_data(as_text=True)
