"""The web form for content types (issue 21), through the test client: each type created from
its example (``contents/examples.py``) as people fill the form, read back through the API
model and its image scanned by zxing; errors beside the payload key they concern; the static
rules; the detail page in people's words; the list's type; the edit warning of static codes."""

import base64
import re
from datetime import datetime
from html import unescape as html_unescape
from zoneinfo import ZoneInfo

import pytest

from codeqr.contents.examples import EXAMPLES
from codeqr.context import for_operator
from decode import decode
from test_web import error_slots
from web_client import csrf_of

#: The form's time zone in these tests (the browser's cookie says it).
ZONE = "Europe/Paris"
DESIGN = {"fg_color": "#000000", "bg_color": "#ffffff", "size": "512", "margin": "4"}


def form_fields(example: dict) -> dict:
    """The form fields a person fills in for an API example: ``vcard-firstName``, lists one a
    line, moments as the local time a datetime-local input posts, boxes ticked as "y"."""
    posted = {}
    for field, value in example.items():
        if not isinstance(value, dict):
            posted[field] = value
            continue
        for key, item in value.items():
            name = f"{field}-{key}"
            if isinstance(item, list):
                posted[name] = "\n".join(item)
            elif isinstance(item, bool):
                posted[name] = "y" if item else ""
            elif key in ("start", "end"):
                posted[name] = datetime.fromisoformat(item).astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M")
            else:
                posted[name] = item
    return posted


def post_new(client, type_name: str, fields: dict):
    client.set_cookie("codeqr_timezone", ZONE)
    token = csrf_of(client, "/qrcodes/new")
    return client.post("/qrcodes/new", data={"type": type_name, "csrf_token": token, **DESIGN, **fields})


def stored(app, qr_id: str):
    from codeqr.domain import qrcodes

    with app.app_context():
        return qrcodes.get(qr_id, for_operator())


@pytest.mark.parametrize("type_name", sorted(EXAMPLES))
def test_each_type_is_created_through_the_form_from_its_example(browser, web_app, type_name):
    example = EXAMPLES[type_name]
    created = post_new(browser, type_name, form_fields(example))
    assert created.status_code == 302, error_slots(created.get_data(as_text=True))
    qr = stored(web_app, created.headers["Location"].rsplit("/", 1)[1])
    api = qr.api()
    assert api["type"] == type_name
    for field, value in example.items():
        if field == "url":
            assert api["url"] == value
        elif isinstance(value, dict):
            for key, item in value.items():
                if key in ("start", "end"):  # the same moment, whatever offset it is written with
                    assert datetime.fromisoformat(api[field][key]) == datetime.fromisoformat(item), key
                else:
                    assert api[field][key] == item, (field, key)
        else:
            assert api[field] == value
    # The image holds what the API says the code encodes: its content (static) or its short link.
    image = browser.get(f"/qr/{qr.id}.png")
    assert decode(image.data, "image/png") == [qr.encoded()]
    assert (api["shortLink"] is None) == (type_name in ("wifi", "pix", "epc"))


def test_a_contacts_problem_is_said_beside_its_line(browser):
    fields = form_fields(EXAMPLES["vcard"]) | {"vcard-emails": "ada@example.com\nada at example", "vcard-phones": "12"}
    errors = error_slots(post_new(browser, "vcard", fields).get_data(as_text=True))
    assert set(errors) == {"vcard-emails", "vcard-phones"}, errors
    assert errors["vcard-emails"].startswith("Line 2: ") and "e-mail address" in errors["vcard-emails"]
    assert errors["vcard-phones"].startswith("Line 1: ") and "phone number" in errors["vcard-phones"]


def test_a_type_without_its_content_is_asked_for_it_beside_its_first_field(browser):
    errors = error_slots(post_new(browser, "sms", {"sms-phone": ""}).get_data(as_text=True))
    assert errors == {"sms-phone": "Fill in this part: a SMS QR Code needs it."}, errors
    errors = error_slots(post_new(browser, "event", {"event-summary": "Launch", "event-start": "soon"})
                         .get_data(as_text=True))
    assert errors["event-start"] == "Enter a date and a time, like 19/03/2027 18:00."


def test_another_types_fields_posted_by_a_page_without_script_are_ignored(browser, web_app):
    # Without script every fieldset shows: what the other types' fields hold (even nonsense) is not saved.
    fields = {"text": "Hello", "url": "not a url", "vcard-emails": "nonsense", "latlog-latitude": "north",
              "static": "y"}
    created = post_new(browser, "text", fields)
    assert created.status_code == 302, error_slots(created.get_data(as_text=True))
    api = stored(web_app, created.headers["Location"].rsplit("/", 1)[1]).api()
    assert (api["text"], api["url"], api["vcard"], api["latlog"], api["static"]) == ("Hello", None, None, None, True)


def test_the_static_box_follows_what_each_type_allows(browser, web_app):
    # Wi-Fi is always static, whatever the box posts; GS1 never; text as ticked.
    wifi = post_new(browser, "wifi", form_fields(EXAMPLES["wifi"]) | {"static": ""})
    assert stored(web_app, wifi.headers["Location"].rsplit("/", 1)[1]).static is True
    gs1 = post_new(browser, "gs1", form_fields(EXAMPLES["gs1"]) | {"static": "y"})
    assert stored(web_app, gs1.headers["Location"].rsplit("/", 1)[1]).static is False
    for ticked, expected in (("y", True), ("", False)):
        text = post_new(browser, "text", {"text": f"static {expected}", "static": ticked})
        assert stored(web_app, text.headers["Location"].rsplit("/", 1)[1]).static is expected
    page = browser.get("/qrcodes/new").get_data(as_text=True)
    assert 'data-static-only="wifi pix epc"' in page and 'data-static-never="gs1"' in page
    assert "its scans are not counted and its content cannot be changed once it is printed" in page


def test_the_display_page_choice_is_only_taken_for_phone_email_and_sms(browser, web_app):
    sms = post_new(browser, "sms", form_fields(EXAMPLES["sms"]) | {"use_display_page": ""})
    assert stored(web_app, sms.headers["Location"].rsplit("/", 1)[1]).use_display_page is False
    text = post_new(browser, "text", {"text": "no page choice here", "use_display_page": ""})
    assert stored(web_app, text.headers["Location"].rsplit("/", 1)[1]).use_display_page is True


def test_the_detail_page_says_the_content_in_peoples_words(browser):
    contact = post_new(browser, "vcard", form_fields(EXAMPLES["vcard"])).headers["Location"]
    page = browser.get(contact).get_data(as_text=True)
    words = re.search(r'<dl id="content-words">(.*?)</dl>', page, flags=re.DOTALL).group(1)
    assert "Contact card" in words and "Ada" in words and "Lovelace" in words and "+442071234567" in words
    assert 'id="short-link"' in page and "Static QR Code" not in page
    wifi = browser.get(post_new(browser, "wifi", form_fields(EXAMPLES["wifi"])).headers["Location"])
    page = wifi.get_data(as_text=True)
    assert "Static QR Code:" in page and 'id="short-link"' not in page
    # The password is there, but behind a click: "Hidden: show the password".
    assert re.search(r"<details class=\"secret\"><summary>Hidden: show the password</summary><code>espresso-2026</code>",
                     page)
    assert "Network name" in page and "Cafe Guest" in page and "WPA, WPA2 or WPA3" in page
    # An event at 18:00 in Paris (+01:00 in March 2027) reads 18:00 for a reader in Paris, 17:00 in London.
    event = post_new(browser, "event", form_fields(EXAMPLES["event"])).headers["Location"]
    assert "Friday 19 March 2027, 18:00 (Europe/Paris)" in browser.get(event).get_data(as_text=True)
    browser.set_cookie("codeqr_timezone", "Europe/London")
    assert "Friday 19 March 2027, 17:00 (Europe/London)" in browser.get(event).get_data(as_text=True)


def test_the_list_shows_each_codes_type_and_no_short_link_for_a_static_one(browser):
    post_new(browser, "wifi", form_fields(EXAMPLES["wifi"]))
    post_new(browser, "text", {"text": "A note"})
    page = browser.get("/qrcodes").get_data(as_text=True)
    rows = re.findall(r"<tr data-row>(.*?)</tr>", page, flags=re.DOTALL)
    wifi = next(row for row in rows if 'data-type="wifi"' in row)
    text = next(row for row in rows if 'data-type="text"' in row)
    assert "Wi-Fi network, static" in wifi and "data-short-link" not in wifi and "Static: no short link" in wifi
    assert ">Text<" in text and "data-short-link" in text


def test_editing_a_static_codes_content_warns_that_printed_copies_keep_the_old_one(browser, web_app):
    created = post_new(browser, "wifi", form_fields(EXAMPLES["wifi"]))
    qr_id = created.headers["Location"].rsplit("/", 1)[1]
    edit = browser.get(f"/qrcodes/{qr_id}/edit").get_data(as_text=True)
    assert 'id="static-warning"' in edit and "keep the old content" in edit
    # The form shows the stored content.
    assert re.search(r'name="wifi-ssid"[^>]*value="Cafe Guest"', edit)
    token = csrf_of(browser, f"/qrcodes/{qr_id}/edit")
    fields = form_fields(EXAMPLES["wifi"]) | {"wifi-password": "ristretto-2027"}
    saved = browser.post(f"/qrcodes/{qr_id}/edit", data={"type": "wifi", "csrf_token": token, **DESIGN, **fields},
                         follow_redirects=True).get_data(as_text=True)
    assert "printed copies keep the old content" in saved
    assert decode(browser.get(f"/qr/{qr_id}.png").data, "image/png") == ["WIFI:T:WPA;S:Cafe Guest;P:ristretto-2027;;"]
    # Saving it unchanged says no such thing; a dynamic code's edit page has no warning.
    token = csrf_of(browser, f"/qrcodes/{qr_id}/edit")
    again = browser.post(f"/qrcodes/{qr_id}/edit", data={"type": "wifi", "csrf_token": token, **DESIGN, **fields},
                         follow_redirects=True).get_data(as_text=True)
    assert "QR Code saved." in again and "keep the old content" not in again
    text_id = post_new(browser, "text", {"text": "dynamic"}).headers["Location"].rsplit("/", 1)[1]
    assert 'id="static-warning"' not in browser.get(f"/qrcodes/{text_id}/edit").get_data(as_text=True)


def test_the_preview_of_a_static_code_encodes_its_content(browser):
    browser.set_cookie("codeqr_timezone", ZONE)
    token = csrf_of(browser, "/qrcodes/new")
    fields = {"type": "text", "text": "Table 12", "static": "y", "csrf_token": token, **DESIGN}
    answer = browser.post("/qrcodes/preview", data=fields).get_json()
    assert answer["ok"] and answer["static"] and answer["link"] is None
    media_type, data = answer["image"].removeprefix("data:").split(";base64,")
    assert decode(base64.b64decode(data), media_type) == ["Table 12"]
    dynamic = browser.post("/qrcodes/preview", data=fields | {"static": ""}).get_json()
    media_type, data = dynamic["image"].removeprefix("data:").split(";base64,")
    assert decode(base64.b64decode(data), media_type) != ["Table 12"] and not dynamic["static"]


def test_a_code_changes_type_through_the_edit_form_and_shows_its_moments_in_the_readers_zone(browser, web_app):
    created = post_new(browser, "url", {"url": "https://example.com/menu"})
    qr_id = created.headers["Location"].rsplit("/", 1)[1]
    short_link = stored(web_app, qr_id).short_link
    token = csrf_of(browser, f"/qrcodes/{qr_id}/edit")
    fields = form_fields(EXAMPLES["event"]) | {"url": "https://example.com/menu"}  # the old URL still in its box
    saved = browser.post(f"/qrcodes/{qr_id}/edit", data={"type": "event", "csrf_token": token, **DESIGN, **fields})
    assert saved.status_code == 302, error_slots(saved.get_data(as_text=True))
    qr = stored(web_app, qr_id)
    assert (qr.type, qr.url, qr.event.summary, qr.short_link) == ("event", None, "Spring launch", short_link)
    # 18:00 at +01:00 is 18:00 in Paris and 13:00 in New York (UTC-4 that day: its summer time starts a week before
    # Europe's), as the edit form shows it.
    edit = browser.get(f"/qrcodes/{qr_id}/edit").get_data(as_text=True)
    assert re.search(r'name="event-start"[^>]*value="2027-03-19T18:00"', edit)
    browser.set_cookie("codeqr_timezone", "America/New_York")
    edit = browser.get(f"/qrcodes/{qr_id}/edit").get_data(as_text=True)
    assert re.search(r'name="event-start"[^>]*value="2027-03-19T13:00"', edit)
    assert "Times are in America/New_York" in edit


def test_every_page_of_a_qrcode_shows_each_type_static_and_dynamic(web_app, browser):
    """The list, the detail, edit, duplicate and delete pages and the bulk delete's question
    render for a QR Code of each type, static and dynamic where allowed, named by its content."""
    from codeqr.contents import TYPES
    from codeqr.domain import writes
    from codeqr.domain.schemas import QRCodeCreate

    made = []
    with web_app.app_context():
        for name, kind in TYPES.items():
            for static in {"either": (True, False), "only": (True,), "never": (False,)}[kind.static]:
                body = QRCodeCreate.model_validate({"type": name, "static": static, **EXAMPLES[name]})
                made.append(writes.create(body, ctx=for_operator()))
    listed = browser.get("/qrcodes", query_string={"pageSize": 100})
    assert listed.status_code == 200
    page = html_unescape(listed.get_data(as_text=True))
    for name in ("Cafe Guest", "Ada Lovelace", "Spring launch", "Red Cross of Belgium", "GTIN 09506000134352 ABC123"):
        assert name in page, name
    for qr in made:
        for path in (f"/qrcodes/{qr.id}", f"/qrcodes/{qr.id}/edit", f"/qrcodes/new?duplicate={qr.id}",
                     f"/qrcodes/{qr.id}/delete"):
            assert browser.get(path).status_code == 200, (qr.type, qr.static, path)
    token = csrf_of(browser, "/qrcodes")
    asked = browser.post("/qrcodes/delete", data={"ids": [qr.id for qr in made], "csrf_token": token})
    assert asked.status_code == 200 and f"Delete {len(made)} QR Codes?" in html_unescape(asked.get_data(as_text=True))
