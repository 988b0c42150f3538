"""The web UI through the test client: setup, login, every form, CSRF, validation, import, export."""

import csv
import io
import re
import time
import zipfile
from html import unescape as html_unescape

import pytest

from codeqr.accounts import users
from codeqr.context import for_operator
from codeqr.domain.fields import PREVIEW_KEY
from codeqr.scans.counter import VISIT_COLUMNS
from decode import decode
from web_client import PASSWORD, csrf_of


def create(app, **body) -> dict:
    """Create a QR Code through the service; return its API dict."""
    from codeqr.domain import writes
    from codeqr.domain.schemas import QRCodeCreate

    with app.app_context():
        return writes.create(QRCodeCreate.model_validate(body), ctx=for_operator()).api()


def test_fresh_instance_leads_to_setup_then_login(web_app):
    client = web_app.test_client()
    assert client.get("/").headers["Location"] == "/setup"
    assert client.get("/qrcodes").headers["Location"].startswith("/")
    token = csrf_of(client, "/setup")
    short = client.post("/setup", data={"email": "a@example.com", "password": "short", "csrf_token": token})
    assert b"at least 10 characters" in short.data
    client.post("/setup", data={"email": "a@example.com", "password": PASSWORD, "csrf_token": token})
    assert client.get("/").headers["Location"] == "/qrcodes"
    anonymous = web_app.test_client()
    assert anonymous.get("/").headers["Location"] == "/login"
    assert anonymous.get("/setup").headers["Location"] == "/login"  # setup is gone once a user exists
    assert anonymous.get("/qrcodes").headers["Location"].startswith("/login")


def test_login_failure_does_not_say_which_part_was_wrong(browser, web_app):
    client = web_app.test_client()
    token = csrf_of(client, "/login")
    wrong_password = client.post("/login", data={"email": "admin@example.com", "password": "nope nope nope", "csrf_token": token})
    wrong_email = client.post("/login", data={"email": "who@example.com", "password": PASSWORD, "csrf_token": token})
    assert b"Wrong email or password." in wrong_password.data and b"Wrong email or password." in wrong_email.data
    ok = client.post("/login?next=/keys", data={"email": "ADMIN@example.com", "password": PASSWORD, "csrf_token": token})
    assert ok.headers["Location"] == "/keys"
    evil = web_app.test_client()
    token = csrf_of(evil, "/login")
    away = evil.post("/login?next=//evil.example/", data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token})
    assert away.headers["Location"] == "/qrcodes"


@pytest.mark.parametrize("query", [
    "next=/%09/evil.example/phish", "next=/%0d%0a/evil.example", "next=%0d%0aSet-Cookie:x=1", "next=/%0b/evil.example",
    "next=https://evil.example/", "next=///evil.example", "next=/%5cevil.example", "next=%20//evil.example",
    "next=javascript:alert(1)", "next=evil.example", "next=http:/evil.example",
])
def test_login_follows_no_next_off_the_site(browser, web_app, query):
    client = web_app.test_client()
    token = csrf_of(client, "/login")
    response = client.post(f"/login?{query}", data={"email": "admin@example.com", "password": PASSWORD,
                                                     "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/qrcodes"


def test_login_follows_a_next_on_the_site(browser, web_app):
    client = web_app.test_client()
    token = csrf_of(client, "/login")
    response = client.post("/login?next=/qrcodes%3Fq%3Dshop%26page%3D2", data={
        "email": "admin@example.com", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/qrcodes?q=shop&page=2"


def test_forms_refuse_a_missing_csrf_token(browser):
    response = browser.post("/qrcodes/new", data={"url": "https://example.com/"})
    assert response.status_code == 400 and b"CSRF" in response.data
    assert b"https://example.com/" not in browser.get("/qrcodes").data
    assert browser.post("/logout").status_code == 400
    assert browser.get("/qrcodes").status_code == 200  # still signed in


def test_the_form_has_a_control_of_the_right_kind_for_each_field(browser):
    html = browser.get("/qrcodes/new").get_data(as_text=True)
    # A colour is posted as its hex text; its swatch (no name) picks on a palette beside it.
    expected = {"type": "radio", "url": "url", "static": "checkbox", "use_display_page": "checkbox", "title": "text",
                "key": "text", "domain": "select", "use_as_template": "checkbox", "fg_color": "text", "bg_color": "text",
                # the organising fields (issue 24): tags typed as names (tags-field.js makes them chips)
                "tag_names": "text", "folder_id": "select", "comments": "textarea", "archived": "checkbox",
                "size": "number",
                "margin": "number", "level": "select", "show_logo": "checkbox", "excavate": "checkbox",
                # the choices the geometry draws are swatches: a radio each; the logo rides beside its file input
                "pattern": "radio", "shape": "radio", "eye_shape": "radio", "eye_color": "text", "frame": "radio",
                "frame_color": "text", "frame_text": "text", "frame_text_color": "text", "logo": "hidden",
                "width": "number", "height": "number",
                # the link options (issue 23): countries and rules are JSON that link-options.js edits as rows
                "expires_at": "datetime-local", "expired_url": "url", "password": "password", "ios": "url",
                "android": "url", "geo": "textarea", "rules": "textarea", "utm_source": "text", "utm_medium": "text",
                "utm_campaign": "text", "utm_term": "text", "utm_content": "text", "forward_query": "checkbox"}
    # The design fields whose value is a model, spread as the payloads are.
    nested = {"fg_gradient-type": "select", "fg_gradient-colors": "text", "fg_gradient-rotation": "text",
              "frame_text_styles-weight": "select", "frame_text_styles-style": "select",
              "frame_text_styles-family": "select", "frame_text_styles-size": "select"}
    # Each key of each payload: lists and free text in text areas, one line a list item.
    inside = {
        "text": "textarea", "phone": "tel",
        "email-email": "email", "email-subject": "text", "email-body": "textarea", "email-cc": "textarea",
        "email-bcc": "textarea", "sms-phone": "tel", "sms-message": "textarea", "facetime-target": "text",
        "whatsapp-number": "text", "whatsapp-message": "textarea", "latlog-latitude": "text",
        "latlog-longitude": "text", "wifi-ssid": "text", "wifi-password": "text", "wifi-encryption": "select",
        "wifi-hidden": "checkbox", "vcard-firstName": "text", "vcard-lastName": "text",
        "vcard-organization": "text", "vcard-title": "text", "vcard-phones": "textarea", "vcard-emails": "textarea",
        "vcard-website": "text", "vcard-address": "textarea", "vcard-note": "textarea", "event-summary": "text",
        "event-start": "datetime-local", "event-end": "datetime-local", "event-location": "text",
        "event-description": "textarea", "crypto-currency": "select", "crypto-address": "text",
        "crypto-amount": "text", "crypto-label": "text", "pix-key": "text", "pix-name": "text", "pix-city": "text",
        "pix-amount": "text", "pix-description": "text", "epc-name": "text", "epc-iban": "text", "epc-bic": "text",
        "epc-amount": "text", "epc-remittance": "text", "gs1-gtin": "text", "gs1-batch": "text",
        "gs1-serial": "text", "gs1-expiry": "date", "gs1-linkTypes": "textarea",
    }
    for name in ("fg_color", "bg_color"):
        assert re.search(rf'<input type="color" id="{name}-swatch" data-swatch-for="{name}"', html)
    from codeqr.domain.schemas import CORE
    from codeqr.web.forms import qrcode_form

    form = qrcode_form(CORE)
    assert set(form.QRCODE_FIELDS) == set(expected)
    assert {name for names in form.PAYLOAD_FIELDS.values() for name in names} == set(inside)
    assert {name for names in form.NESTED_FIELDS.values() for name in names} == set(nested)
    for name, kind in (expected | inside | nested).items():
        tag = re.search(rf'<(input|select|textarea)[^>]*name="{name}"[^>]*>', html).group(0)
        assert tag.startswith(f"<{kind}") if kind in ("select", "textarea") else f'type="{kind}"' in tag, (name, tag)
    level = re.search(r'<select[^>]*name="level".*?</select>', html, flags=re.DOTALL).group(0)
    assert re.findall(r'value="([^"]*)"', level) == ["", "L", "M", "Q", "H"] and "Automatic" in level
    assert 'value="1024"' in html and 'value="#ffffff"' in html  # defaults from the schema
    assert re.search(r'<input[^>]*checked[^>]*value="url"|<input[^>]*value="url"[^>]*checked', html)  # the default type


def test_create_shows_api_messages_beside_fields(browser):
    token = csrf_of(browser, "/qrcodes/new")
    page = browser.post("/qrcodes/new", data={"url": "ftp://x", "fg_color": "#fefefe", "bg_color": "#ffffff",
                                              "size": "1024", "margin": "4", "csrf_token": token})
    html = page.get_data(as_text=True)
    assert "Enter a full web address starting with http:// or https://" in html
    assert 'aria-invalid="true"' in html
    page = browser.post("/qrcodes/new", data={"url": "https://example.com/", "fg_color": "#fefefe",
                                              "bg_color": "#ffffff", "csrf_token": token})
    errors = error_slots(page.get_data(as_text=True))
    assert "too alike to scan" in errors["fg_color"] and "bg_color" not in errors  # said once, beside the foreground


def test_the_form_and_its_live_check_say_every_problem_at_once(browser, web_app):
    # The three problems together: a size out of range, a key another QR Code has and
    # a foreground too close to the white background. Each is said beside its own field.
    create(web_app, url="https://example.com/first", key="menu")
    token = csrf_of(browser, "/qrcodes/new")
    fields = {"url": "https://example.com/second", "key": "menu", "size": "5000", "fg_color": "#dddddd",
              "bg_color": "#ffffff", "margin": "4", "csrf_token": token}
    errors = error_slots(browser.post("/qrcodes/new", data=fields).get_data(as_text=True))
    assert set(errors) == {"size", "key", "fg_color"}, errors
    assert "4,096" in errors["size"] and "already uses" in errors["key"] and "too alike" in errors["fg_color"]
    checked = browser.post("/qrcodes/preview", data=fields).get_json()
    assert not checked["ok"] and set(checked["errors"]) == {"size", "key", "fg_color"}
    # A field the form's own check refuses (text for a number) does not hide the others.
    errors = error_slots(browser.post("/qrcodes/new", data=fields | {"size": "big"}).get_data(as_text=True))
    assert set(errors) == {"size", "key", "fg_color"}, errors
    # Editing: the same three, the QR Code's own key not counted as taken.
    mine = create(web_app, url="https://example.com/third", key="mine")
    page = browser.post(f"/qrcodes/{mine['id']}/edit", data=fields | {"url": "https://example.com/third"})
    assert set(error_slots(page.get_data(as_text=True))) == {"size", "key", "fg_color"}
    page = browser.post(f"/qrcodes/{mine['id']}/edit", data=fields | {"key": "mine", "size": "70000"})
    assert set(error_slots(page.get_data(as_text=True))) == {"size", "fg_color"}


def test_a_colour_pasted_without_its_hash_is_taken_as_hex(browser, web_app):
    token = csrf_of(browser, "/qrcodes/new")
    page = browser.post("/qrcodes/new", data={"url": "https://example.com/brand", "fg_color": "1D4ED8",
                                              "bg_color": "fff", "csrf_token": token})
    assert page.status_code == 302, error_slots(page.get_data(as_text=True))
    with web_app.app_context():
        from codeqr.domain import qrcodes

        made = qrcodes.oldest_with_url("https://example.com/brand", for_operator())
    assert (made.fg_color, made.bg_color) == ("#1d4ed8", "#ffffff")


def test_a_viewers_key_form_offers_and_gives_only_read_only_keys(web_app):
    with web_app.app_context():
        users.create("viewer@example.com", PASSWORD, role="viewer", ctx=for_operator())
    client = web_app.test_client()
    client.post("/login", data={"email": "viewer@example.com", "password": PASSWORD,
                                "csrf_token": csrf_of(client, "/login")})
    html = client.get("/keys").get_data(as_text=True)
    scope = re.search(r'<select[^>]*name="scope".*?</select>', html, flags=re.DOTALL).group(0)
    assert re.findall(r'<option[^>]*value="([^"]*)"', scope) == ["read_only"] and "selected" in scope
    # A crafted post for a key that may change QR Codes is refused in words.
    page = client.post("/keys", data={"name": "sneaky", "scope": "all", "csrf_token": csrf_of(client, "/keys")})
    assert "only read" in error_slots(page.get_data(as_text=True))["scope"]


PAYLOAD_FIELDS = ("text", "phone", "email", "sms", "facetime", "whatsapp", "latlog", "wifi", "vcard", "event",
                  "crypto", "pix", "epc", "gs1")
#: Words of programmers that a person should never read in a form.
DEVELOPER_SPEAK = ("Value error", "Input should", "String should", "pattern", "fgColor", "bgColor", "showLogo",
                   "This field is required", "Not a valid", "literal", "^#")


def error_slots(html: str) -> dict:
    """The error shown beside each field of a page: field name -> message."""
    return {name: html_unescape(message) for name, message in
            re.findall(r'class="field-error" data-for="([^"]+)">([^<]+)</small>', html)}


@pytest.mark.parametrize("field, value", [
    ("url", ""), ("url", "example.com"), ("url", "http://a b"), ("url", "https://x:999999/"), ("title", "a\x01b"),
    ("key", "-bad"), ("key", "k" * 200), ("fg_color", "red"), ("bg_color", "#12"), ("size", "4097"), ("size", "big"),
    ("margin", "-1"), ("level", "Z"), ("domain", "evil.example"), ("key", "qrcodes"),
    # the keys of the payloads, each posted with its type (the part before "-")
    ("text", ""), ("phone", "12"), ("email-email", "nobody"), ("vcard-emails", "ada@example.com\nnot-an-email"),
    ("latlog-latitude", "91"), ("latlog-latitude", "north"), ("event-start", "tomorrow"), ("wifi-ssid", ""),
    ("wifi-password", "a\x01b"), ("epc-iban", "BE00 0000"), ("pix-amount", "ten"), ("gs1-gtin", "123"),
    ("crypto-address", "xyz"), ("gs1-linkTypes", "gs1:pip"), ("sms-phone", "call me"),
])
def test_every_refused_qrcode_field_gets_a_sentence_in_plain_words(browser, field, value):
    token = csrf_of(browser, "/qrcodes/new")
    data = {"url": "https://example.com/", "fg_color": "#000000", "bg_color": "#ffffff", "size": "512",
            "margin": "4", "csrf_token": token, field: value}
    payload = field.split("-")[0]
    if payload in PAYLOAD_FIELDS:
        data["type"] = {"latlog": "geo"}.get(payload, payload)
        data.setdefault("crypto-currency", "bitcoin")  # a select: a browser always posts one of its values
    errors = error_slots(browser.post("/qrcodes/new", data=data).get_data(as_text=True))
    assert field in errors, errors
    for message in errors.values():
        assert message[0].isupper() and message.endswith("."), message
        assert not any(words in message for words in DEVELOPER_SPEAK), message


def test_setup_says_every_problem_at_once(make_app):
    client = make_app().test_client()
    token = csrf_of(client, "/setup")
    page = client.post("/setup", data={"email": "not-an-email", "password": "short", "csrf_token": token})
    errors = error_slots(page.get_data(as_text=True))
    assert errors == {"email": "Enter an email address like name@example.com.",
                      "password": "Choose a password of at least 10 characters."}


def test_create_edit_detail_download_delete(browser):
    token = csrf_of(browser, "/qrcodes/new")
    created = browser.post("/qrcodes/new", data={"url": "https://example.com/menu", "title": "Menu", "key": "menu",
                                                 "fg_color": "#1d4ed8", "bg_color": "#ffffff", "size": "512",
                                                 "margin": "4", "show_logo": "y", "csrf_token": token})
    assert created.status_code == 302
    detail_url = created.headers["Location"]
    qr_id = detail_url.rsplit("/", 1)[1]
    detail = browser.get(detail_url).get_data(as_text=True)
    assert "http://localhost/menu" in detail and "QR Code created." in detail
    png = browser.get(f"/qrcodes/{qr_id}/download.png?size=256")
    assert png.headers["Content-Disposition"].startswith("attachment") and decode(png.data, "image/png") == ["http://localhost/menu"]
    svg = browser.get(f"/qrcodes/{qr_id}/download.svg")
    assert decode(svg.data, "image/svg+xml") == ["http://localhost/menu"]
    assert browser.get(f"/qrcodes/{qr_id}/download.png?size=333").status_code == 400
    token = csrf_of(browser, f"/qrcodes/{qr_id}/edit")
    edited = browser.post(f"/qrcodes/{qr_id}/edit", data={"url": "https://example.com/menu-2", "title": "",
                                                          "key": "menu", "domain": "localhost", "fg_color": "#1d4ed8",
                                                          "bg_color": "#ffffff", "size": "512", "margin": "4",
                                                          "level": "H", "show_logo": "y", "csrf_token": token})
    assert edited.status_code == 302
    detail = browser.get(detail_url).get_data(as_text=True)
    assert "https://example.com/menu-2" in detail and "QR Code saved." in detail
    assert browser.get("/menu").headers["Location"] == "https://example.com/menu-2"
    token = csrf_of(browser, f"/qrcodes/{qr_id}/delete")
    assert browser.post(f"/qrcodes/{qr_id}/delete", data={"csrf_token": token}).status_code == 302
    assert browser.get(detail_url).status_code == 404
    assert b"in the site" not in browser.get(detail_url).data


def test_creating_an_existing_url_offers_the_existing_one(browser):
    token = csrf_of(browser, "/qrcodes/new")
    data = {"url": "https://example.com/same", "fg_color": "#000000", "bg_color": "#ffffff", "csrf_token": token}
    first = browser.post("/qrcodes/new", data=data).headers["Location"]
    offer = browser.post("/qrcodes/new", data=data).get_data(as_text=True)
    assert "exists already" in offer and first in offer
    assert browser.post("/qrcodes/new", data={**data, "create_anyway": "1"}).status_code == 302
    listed = browser.get("/qrcodes").get_data(as_text=True)
    assert len(re.findall(r'title="Website · https://example.com/same"', listed)) == 2  # its type, then its URL


def test_preview_renders_or_names_the_bad_field(browser):
    token = csrf_of(browser, "/qrcodes/new")
    good = browser.post("/qrcodes/preview", data={"url": "https://example.com/", "fg_color": "#14532d",
                                                  "bg_color": "#ffffff", "csrf_token": token}).get_json()
    assert good["ok"] and good["image"].startswith("data:image/svg+xml;base64,")  # sharpest shown by browsers
    bad = browser.post("/qrcodes/preview", data={"url": "https://example.com/", "fg_color": "#ffffff",
                                                 "bg_color": "#ffffff", "csrf_token": token}).get_json()
    assert not bad["ok"] and "too alike to scan" in bad["errors"]["fg_color"] and "bg_color" not in bad["errors"]
    assert bad["unscannable"] and bad["image"].startswith("data:image/")  # the design shown beside its warning
    assert browser.post("/qrcodes/preview", data={"url": "https://example.com/"}).status_code == 400  # no CSRF token
    assert browser.get("/qrcodes").get_data(as_text=True).count("<tr>") == 0


def test_list_empty_state_search_sort_and_pages(browser, web_app):
    assert "No QR Codes yet" in browser.get("/qrcodes").get_data(as_text=True)
    for i in range(30):
        create(web_app, url=f"https://example.com/{i}", title=f"Poster {i}")
    first = browser.get("/qrcodes").get_data(as_text=True)
    assert 'value="1" min="1" max="2"' in first and "Poster 29" in first and "Poster 0<" not in first
    assert "Poster 0<" in browser.get("/qrcodes?page=2").get_data(as_text=True)
    found = browser.get("/qrcodes?search=Poster 7").get_data(as_text=True)
    assert "Poster 7<" in found and "Poster 8<" not in found
    assert "No QR Code matches" in browser.get("/qrcodes?search=zz-none").get_data(as_text=True)  # no key has "-" there
    assert browser.get("/qrcodes?sort=bogus&page=-3").status_code == 200
    everything = browser.get("/qrcodes?pageSize=50").get_data(as_text=True)
    assert "Poster 0<" in everything and "Poster 29<" in everything and 'max="1"' in everything
    assert 'max="2"' in browser.get("/qrcodes?pageSize=7").get_data(as_text=True)  # not a size offered: 25
    assert "Poster 0<" in browser.get("/qrcodes?page=99").get_data(as_text=True)  # past the end: the last page
    odd = browser.get("/qrcodes?page=2&order=sideways&search=" + "x" * 600).get_data(as_text=True)
    assert "Poster 0<" in odd  # a bad value falls back alone: page 2 kept
    assert browser.get("/qrcodes/new?duplicate=nope").status_code == 404
    assert browser.get("/qrcodes/%00").status_code == 400 and browser.get("/qrcodes?search=%00").status_code == 400


def qrcode_key(app, title: str) -> str:
    from codeqr.domain import qrcodes
    from codeqr.domain.filters import Filters

    with app.app_context():
        return next(qr.key for qr in qrcodes.all_matching(Filters(search=title), for_operator()) if qr.title == title)


def test_column_headers_sort_both_ways_and_keep_the_search(browser, web_app):
    for i in range(3):
        create(web_app, url=f"https://example.com/{i}", title=f"Poster {i}")
    for _ in range(2):
        browser.get(f"/{qrcode_key(web_app, 'Poster 1')}")
    page = browser.get("/qrcodes?search=Poster&pageSize=50").get_data(as_text=True)
    header = re.search(r'<a href="([^"]+)"\s+class="sort">Scans', page).group(1).replace("&amp;", "&")
    assert "search=Poster" in header and "pageSize=50" in header and "order=desc" in header
    most = browser.get(header).get_data(as_text=True)
    assert '<option value="scans" selected>' in most
    assert 'aria-sort="descending"' in most and most.index("Poster 1<") < most.index("Poster 0<")
    again = re.search(r'<a href="([^"]+)"\s+class="sort">Scans', most).group(1).replace("&amp;", "&")
    least = browser.get(again).get_data(as_text=True)
    assert 'aria-sort="ascending"' in least and least.index("Poster 1<") > least.index("Poster 0<")
    assert '<option value="scans:asc" selected>' in least  # the sort menu says the same
    from_menu = browser.get("/qrcodes?search=Poster&sort=scans:asc").get_data(as_text=True)
    assert 'aria-sort="ascending"' in from_menu and from_menu.index("Poster 1<") > from_menu.index("Poster 0<")


def test_api_keys_page_creates_shows_once_and_revokes(browser):
    token = csrf_of(browser, "/keys")
    made = browser.post("/keys", data={"name": "zapier", "csrf_token": token})
    assert made.status_code == 303 and made.headers["Location"] == "/keys"  # post/redirect/get
    shown = browser.get("/keys")
    assert shown.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="new-key"[^>]*>([^<]+)<', shown.get_data(as_text=True)).group(1)
    assert browser.get("/api/qrcodes", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    listing = browser.get("/keys").get_data(as_text=True)
    assert secret not in listing and "zapier" in listing
    key_id = re.search(r'/keys/(\d+)/revoke', listing).group(1)
    asked = browser.get(f"/keys/{key_id}/revoke").get_data(as_text=True)  # asks on a page, like delete
    assert "Revoke the key “zapier”?" in asked and "Keep it" in asked
    assert browser.get("/api/qrcodes", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    browser.post(f"/keys/{key_id}/revoke", data={"csrf_token": token})
    assert browser.get("/api/qrcodes", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert "revoked" in browser.get("/keys").get_data(as_text=True)
    assert browser.get(f"/keys/{key_id}/revoke").status_code == 404  # revoked already


def test_no_page_asks_with_the_browsers_own_dialog():
    """Irreversible actions all ask on a page of their own (confirm.html), never with confirm()."""
    from pathlib import Path

    import codeqr

    script = (Path(codeqr.__file__).parent / "static" / "app.js").read_text()
    assert "confirm(" not in script
    templates = Path(codeqr.__file__).parent.parent / "templates"
    assert not [path for path in templates.rglob("*.html") if "data-confirm" in path.read_text()]


def test_reloading_after_creating_a_key_creates_nothing_and_names_are_unique(browser, web_app):
    from codeqr.domain.models import ApiKey
    from codeqr.persistence.extensions import db

    token = csrf_of(browser, "/keys")
    browser.post("/keys", data={"name": "zapier", "csrf_token": token}, follow_redirects=True)
    reloaded = browser.get("/keys").get_data(as_text=True)  # what a reload of the shown page does
    assert 'id="new-key"' not in reloaded
    again = browser.post("/keys", data={"name": " zapier ", "csrf_token": token})
    assert again.status_code == 200 and "You already have a key named “zapier”" in again.get_data(as_text=True)
    with web_app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ApiKey)) == 1
        key_id = db.session.scalar(db.select(ApiKey.id))
    browser.post(f"/keys/{key_id}/revoke", data={"csrf_token": token})
    assert browser.post("/keys", data={"name": "zapier", "csrf_token": token}).status_code == 303  # freed


def _csv(rows, header=("url", "title", "externalId", "fgColor", "size", "showLogo")) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def _import(browser, data: bytes, name="codes.csv"):
    token = csrf_of(browser, "/import")
    return browser.post("/import", data={"file": (io.BytesIO(data), name), "csrf_token": token},
                        content_type="multipart/form-data")


def _wait(browser, location) -> dict:
    for _ in range(600):
        job = browser.get(location + ".json").get_json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("import did not finish")


def test_import_reports_bad_rows_and_a_rerun_creates_nothing(browser):
    rows = [[f"https://example.com/p/{i}", f"Product {i}", f"sku-{i}", "#000000", "512", "no"] for i in range(40)]
    rows[3][0] = "not a url"
    rows[7][4] = "9999"
    rows[9][5] = "maybe"
    rows.append(["https://example.com/no-ext", "No ext", "", "", "", ""])
    data = _csv(rows)
    started = _import(browser, data)
    assert started.status_code == 302
    job = _wait(browser, started.headers["Location"])
    assert (job["status"], job["total"], job["processed"], job["created"], job["failed"]) == ("done", 41, 41, 38, 3)
    assert job["statusText"] == "finished"
    page = browser.get(started.headers["Location"]).get_data(as_text=True)
    assert "<td>5</td>" in page and "Destination URL:" in page and "<td>9</td>" in page and "Size in pixels:" in page
    again = _wait(browser, _import(browser, data).headers["Location"])
    assert (again["created"], again["updated"], again["unchanged"], again["failed"]) == (0, 0, 38, 3)


def test_the_template_imports_and_the_refused_rows_come_back_as_a_csv_to_fix(browser):
    template = browser.get("/import/template.csv")
    assert template.headers["Content-Disposition"].startswith("attachment")
    header, *examples = list(csv.reader(io.StringIO(template.data.decode("utf-8-sig"))))
    assert header[:2] == ["type", "url"]
    assert {"title", "externalId", "fgColor", "showLogo", "text", "vcard.firstName", "gs1.gtin"} <= set(header)
    types = ["url", "text", "email", "phone", "sms", "facetime", "whatsapp", "geo", "latlog", "wifi", "vcard", "event",
             "crypto", "pix", "epc", "gs1"]
    assert [row[0] for row in examples] == types  # an example of each content type
    assert _wait(browser, _import(browser, template.data).headers["Location"])["created"] == len(types)
    rows = [["https://example.com/ok", "Fine", "", "", "", ""], ["ftp://bad", "-50% off", "", "", "", ""],
            ["https://example.com/red", "Red", "", "red", "", ""]]
    location = _import(browser, _csv(rows)).headers["Location"]
    assert _wait(browser, location)["failed"] == 2
    page = browser.get(location).get_data(as_text=True)
    assert "Enter a full web address" in page and "Foreground colour: Enter a colour as six hex digits" in page
    # Each refused row is named by its title (or URL) beside its line number, its field by its label.
    assert '<td>3</td><td class="row-name">-50% off</td>' in page and '<td>4</td><td class="row-name">Red</td>' in page
    assert "fgColor" not in page.split('id="import-errors"')[1]
    refused = list(csv.DictReader(io.StringIO(browser.get(location + "/refused.csv").data.decode("utf-8-sig"))))
    # A cell a spreadsheet would run as a formula is guarded ('), and imports as it was given.
    assert [(row["url"], row["title"]) for row in refused] == [("ftp://bad", "'-50% off"), ("https://example.com/red", "Red")]
    assert refused[0]["problem"].startswith("Row 3: Destination URL: ")
    assert refused[1]["problem"].startswith("Row 4: Foreground colour: ")
    refused[0]["url"], refused[1]["fgColor"] = "https://example.com/fixed", "#7f1d1d"
    fixed = io.StringIO()
    writer = csv.DictWriter(fixed, fieldnames=list(refused[0]))
    writer.writeheader()
    writer.writerows(refused)
    again = _wait(browser, _import(browser, fixed.getvalue().encode()).headers["Location"])
    assert (again["created"], again["failed"]) == (2, 0)  # the problem column is ignored
    with browser.application.app_context():
        from codeqr.domain import qrcodes

        assert qrcodes.oldest_with_url("https://example.com/fixed", for_operator()).title == "-50% off"


def test_an_import_is_seen_only_by_whoever_started_it_and_admins(browser, web_app):
    location = _import(browser, _csv([["ftp://bad", "Bad", "", "", "", ""]])).headers["Location"]
    _wait(browser, location)
    with web_app.app_context():
        users.create("other@example.com", "another long password", role="member", ctx=for_operator())
    other = web_app.test_client()
    token = csrf_of(other, "/login")
    other.post("/login", data={"email": "other@example.com", "password": "another long password", "csrf_token": token})
    for suffix in ("", ".json", "/refused.csv"):
        assert other.get(location + suffix).status_code == 404, suffix
        assert browser.get(location + suffix).status_code == 200, suffix


@pytest.mark.parametrize("data, name, message", [
    (b"", "empty.csv", "The file is empty."),
    (b"url\n", "header-only.csv", "no rows"),
    (b"\xff\xfe\x00bad", "bad.csv", "not UTF-8"),
    (b"link,title\nhttps://a.example/,x\n", "cols.csv", "does not know the column(s) link"),
    (b"url\nhttps://a.example/\n", "codes.txt", "Only .csv files"),
])
def test_import_refuses_bad_files_without_crashing(browser, data, name, message):
    response = _import(browser, data, name)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_an_unterminated_quote_is_read_as_one_cell(browser):
    response = _import(browser, b'url\n"https://a.example/\n', "quote.csv")
    assert response.status_code == 302
    job = _wait(browser, response.headers["Location"])
    assert (job["status"], job["created"], job["failed"]) == ("done", 1, 0)
    assert "https://a.example/" in browser.get("/qrcodes").get_data(as_text=True)


def test_import_refuses_more_than_10000_rows(browser):
    data = _csv([[f"https://example.com/{i}", "", "", "", "", ""] for i in range(10_001)])
    assert "more than 10,000 rows" in _import(browser, data).get_data(as_text=True)


def _export(client, **form) -> zipfile.ZipFile:
    """Start an export from the list's form, wait for its job, download the ZIP."""
    token = csrf_of(client, "/qrcodes")
    started = client.post("/export", data={**form, "csrf_token": token})
    assert started.status_code == 302, started.get_data(as_text=True)
    page = started.headers["Location"]
    job = _wait(client, page)
    assert job["status"] == "done", job
    download = client.get(page + ".zip")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert int(download.headers["Content-Length"]) == job["sizeBytes"] == len(download.data)
    return zipfile.ZipFile(io.BytesIO(download.data))


def test_export_zip_of_selected_and_of_filter(browser, web_app):
    made = [create(web_app, url=f"https://example.com/{i}", title=title) for i, title in enumerate(["Alpha", "Bravo", "Charlie"])]
    archive = _export(browser, ids=[made[0]["id"], made[2]["id"]], format=["png", "svg"])
    names = sorted(archive.namelist())
    assert names == sorted([f"{made[0]['key']}.png", f"{made[0]['key']}.svg", f"{made[2]['key']}.png",
                            f"{made[2]['key']}.svg", "manifest.csv"])
    for qr in (made[0], made[2]):
        assert decode(archive.read(f"{qr['key']}.png"), "image/png") == [qr["shortLink"]]
        assert decode(archive.read(f"{qr['key']}.svg"), "image/svg+xml") == [qr["shortLink"]]
    manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert [row["id"] for row in manifest] == [made[2]["id"], made[0]["id"]]
    filtered = _export(browser, all="1", search="Bravo", format="png")
    assert sorted(filtered.namelist()) == sorted([f"{made[1]['key']}.png", "manifest.csv"])


def _left(app) -> set[str]:
    from codeqr.domain import qrcodes
    from codeqr.domain.filters import Filters

    with app.app_context():
        return {qr.id for qr in qrcodes.all_matching(Filters(), for_operator())}


def test_bulk_delete_asks_first_and_again_when_the_count_changed(browser, web_app):
    for i in range(3):
        create(web_app, url=f"https://example.com/sale/{i}", title=f"Sale {i}")
    menu = create(web_app, url="https://example.com/menu", title="Menu")
    every_sale = {"all": "1", "search": "sale"}
    assert browser.post("/qrcodes/delete", data=every_sale).status_code == 400  # no CSRF token
    token = csrf_of(browser, "/qrcodes")
    asked = browser.post("/qrcodes/delete", data={**every_sale, "csrf_token": token}).get_data(as_text=True)
    assert "Delete 3 QR Codes?" in html_unescape(asked) and 'name="confirmed" value="3"' in asked
    assert len(_left(web_app)) == 4  # nothing deleted before the answer
    create(web_app, url="https://example.com/sale/late", title="Late sale")
    again = browser.post("/qrcodes/delete", data={**every_sale, "confirmed": "3", "csrf_token": token})
    assert again.status_code == 200 and "changed since you asked" in again.get_data(as_text=True)
    assert len(_left(web_app)) == 5
    done = browser.post("/qrcodes/delete", data={**every_sale, "confirmed": "4", "csrf_token": token})
    assert done.status_code == 302 and _left(web_app) == {menu["id"]}
    assert "4 QR Codes deleted." in browser.get("/qrcodes").get_data(as_text=True)


def test_bulk_delete_of_the_ids_ticked_and_of_more_than_a_hundred(browser, web_app):
    from codeqr.domain import writes
    from codeqr.domain.schemas import QRCodeCreate

    with web_app.app_context():
        made = [writes.create(QRCodeCreate(url=f"https://example.com/batch/{i}"), ctx=for_operator()).id
                for i in range(100)]
    made += [create(web_app, url=f"https://example.com/batch/more-{i}")["id"] for i in range(5)]
    token = csrf_of(browser, "/qrcodes")
    two = {"ids": made[:2], "confirmed": "2", "csrf_token": token}
    assert browser.post("/qrcodes/delete", data=two).status_code == 302
    assert _left(web_app) == set(made[2:])
    rest = {"all": "1", "search": "batch", "confirmed": "103", "csrf_token": token}
    assert browser.post("/qrcodes/delete", data=rest).status_code == 302  # more than one service call, one answer
    assert _left(web_app) == set()


def test_error_pages_are_in_the_site_style(browser):
    page = browser.get("/qrcodes/cnothing00000000000000000")
    assert page.status_code == 404 and b"pico.classless.min.css" in page.data


def test_pages_load_nothing_from_another_host(browser):
    for path in ("/qrcodes", "/qrcodes/new", "/keys", "/import"):
        html = browser.get(path).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', html), path


def test_the_api_docs_name_no_other_host_and_their_files_are_served(web_app):
    client = web_app.test_client()
    page = client.get("/api/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "swagger-ui" in html
    assert not re.search(r"(https?:)?//", html)  # no CDN, no remote favicon, no validator
    files = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {"/static/swagger-ui-bundle.js", "/static/swagger-ui.css"} <= set(files)
    for path in files:
        assert client.get(path).status_code == 200, path
    assert client.get("/docs/oauth2-redirect").status_code == 404  # Swagger UI's inline-script page is gone


@pytest.mark.parametrize("change,message", [
    ({"size": "9000"}, "Enter a whole number from 64 to 4,096."),
    ({"key": "api"}, "The key “api” is the name of a page of CodeQR"),
    ({"fg_color": "#fefefe"}, "too alike to scan"),
])
def test_edit_shows_each_validation_error_and_changes_nothing(browser, web_app, change, message):
    qr = create(web_app, url="https://example.com/", key="kept")
    token = csrf_of(browser, f"/qrcodes/{qr['id']}/edit")
    form = {"url": "https://example.com/changed", "key": "kept", "size": "1024", "margin": "4",
            "fg_color": "#000000", "bg_color": "#ffffff", "csrf_token": token}
    page = browser.post(f"/qrcodes/{qr['id']}/edit", data=form | change)
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    assert browser.get("/kept").headers["Location"] == "https://example.com/"


def test_plugins_can_override_and_add_templates(make_app, tmp_path):
    import types

    from codeqr import hookimpl

    folder = tmp_path / "plugin-templates"
    folder.mkdir()
    (folder / "404.html").write_text("{% extends 'base.html' %}{% block content %}Plugin says: gone{% endblock %}")
    plugin = types.ModuleType("brand")
    plugin.codeqr_template_folders = hookimpl(lambda: [str(folder)])
    client = make_app(plugins=[plugin]).test_client()
    page = client.get("/no-such-key")
    assert page.status_code == 404 and b"Plugin says: gone" in page.data and b"pico" in page.data


def test_every_post_route_of_the_ui_refuses_a_post_without_csrf_token(browser, web_app):
    """Enumerates the app's URL map: a new form cannot be forgotten. Only the API
    (bearer keys, no cookies) is exempt."""
    qr = create(web_app, url="https://example.com/kept", key="kept")
    token = csrf_of(browser, "/keys")
    browser.post("/keys", data={"name": "kept", "csrf_token": token})
    key_id = re.search(r'/keys/(\d+)/revoke', browser.get("/keys").get_data(as_text=True)).group(1)
    with web_app.app_context():
        user_id = users.first_admin().id
    values = {"qr_id": qr["id"], "key_id": key_id, "user_id": user_id, "key": qr["key"],  # key: a password page's
              "slug": "localhost"}
    form = {"url": "https://example.com/csrf", "name": "csrf", "email": "b@example.com", "password": PASSWORD * 2,
            "ids": qr["id"], "key": "csrf", "fg_color": "#000000", "bg_color": "#ffffff"}
    routes = [rule for rule in web_app.url_map.iter_rules()
              if "POST" in rule.methods and not rule.rule.startswith("/api/")]
    assert len(routes) >= 15
    for rule in routes:
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(\w+:)?{name}>", str(values[name]), path)
        response = browser.post(path, data=form)
        assert response.status_code == 400, path
        assert b"CSRF" in response.data or b"form expired" in response.data, path
    assert browser.get("/kept").headers["Location"] == "https://example.com/kept"  # not edited, not deleted
    assert "csrf</td>" not in browser.get("/keys").get_data(as_text=True)  # no key made, none revoked
    assert "Revoked" not in browser.get("/keys").get_data(as_text=True)
    assert browser.get("/qrcodes").status_code == 200  # still signed in: logout refused


def test_preview_of_an_edit_encodes_the_existing_short_link(browser, web_app):
    import base64

    qr = create(web_app, url="https://example.com/", key="poster")
    token = csrf_of(browser, f"/qrcodes/{qr['id']}/edit")
    answer = browser.post("/qrcodes/preview", data={"url": "https://example.com/", "qr_id": qr["id"], "key": "",
                                                    "fg_color": "#000000", "bg_color": "#ffffff",
                                                    "csrf_token": token}).get_json()
    media_type, data = answer["image"].removeprefix("data:").split(";base64,")
    assert decode(base64.b64decode(data), media_type) == ["http://localhost/poster"]
    fields = {"url": "https://example.com/", "fg_color": "#000000", "bg_color": "#ffffff", "csrf_token": token}
    own = browser.post("/qrcodes/preview", data=fields | {"qr_id": qr["id"], "key": "poster"}).get_json()
    assert own["ok"]  # its own key is not "taken"
    other = browser.post("/qrcodes/preview", data=fields | {"key": "poster"}).get_json()
    assert not other["ok"] and "already uses" in other["errors"]["key"]


@pytest.mark.parametrize("settings,fmt,missing", [
    # "styled": the example plugin, when installed, brings an SVG format of its own.
    ({"CODEQR_DISABLED_PLUGINS": ["svg", "styled"]}, "png", "svg"),
    ({"CODEQR_DISABLED_PLUGINS": ["png"], "CODEQR_DEFAULT_FORMAT": "svg"}, "svg", "png"),
])
def test_the_ui_works_without_a_builtin_format(make_app, settings, fmt, missing):
    """The core names no format: preview, list, detail, downloads and export use what is registered."""
    import base64

    app = make_app(WTF_CSRF_ENABLED=True, **settings)
    client = app.test_client()
    client.post("/setup", data={"email": "a@example.com", "password": PASSWORD, "csrf_token": csrf_of(client, "/setup")})
    qr = create(app, url="https://example.com/formats", key="formats")
    media_type = f"image/{'svg+xml' if fmt == 'svg' else fmt}"

    preview = client.post("/qrcodes/preview", data={"url": "https://example.com/", "fg_color": "#000000",
                                                    "bg_color": "#ffffff", "csrf_token": csrf_of(client, "/qrcodes/new")})
    image = preview.get_json()["image"]
    assert image.startswith(f"data:{media_type};base64,")
    assert decode(base64.b64decode(image.split(",", 1)[1]), media_type) == [f"http://localhost/{PREVIEW_KEY}"]

    pages = {path: client.get(path).get_data(as_text=True) for path in ("/qrcodes", f"/qrcodes/{qr['id']}",
                                                                         f"/qrcodes/{qr['id']}/edit")}
    for path, html in pages.items():
        images = re.findall(r'src="(/qr/[^"]+)"', html)
        assert images and all(src.endswith(f".{fmt}") for src in images), path
        for src in images:
            assert client.get(src).status_code == 200, src
        assert f".{missing}" not in html and f"value=\"{missing}\"" not in html, path
    download = client.get(f"/qrcodes/{qr['id']}/download.{fmt}?size=256")
    assert decode(download.data, media_type) == ["http://localhost/formats"]
    assert client.get(f"/qrcodes/{qr['id']}/download.{missing}").status_code == 404
    archive = _export(client, all="1")
    assert sorted(archive.namelist()) == ["formats." + fmt, "manifest.csv"]



def _scan_at(app, key: str, moment, agent: str) -> None:
    """A scan through the redirect's own counter, at a chosen time."""
    visit = dict.fromkeys(VISIT_COLUMNS) | {"timestamp": moment, "user_agent": agent, "country": "FR"}
    with app.app_context():
        assert app.extensions["codeqr"].scan_counter.scan("localhost", key, visit) is not None


PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"


def test_analytics_without_scans_say_so_once(browser):
    page = browser.get("/analytics").get_data(as_text=True)
    assert "No scans in this time frame yet." in page and "chart-timeseries" not in page


def test_analytics_pages_show_totals_breakdowns_and_a_csv(browser, web_app):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    create(web_app, url="https://example.com/poster", key="poster", title="Poster")
    flyer = create(web_app, url="https://example.com/flyer", key="flyer", title="Flyer")
    _scan_at(web_app, "poster", now - timedelta(hours=2), PHONE)
    _scan_at(web_app, "poster", now - timedelta(hours=1), DESKTOP)
    _scan_at(web_app, "flyer", now - timedelta(days=3), PHONE)
    dashboard = browser.get("/analytics?interval=7d").get_data(as_text=True)
    assert '<strong id="analytics-total">3</strong>' in dashboard
    devices = re.search(r'id="breakdown-devices".*?</article>', dashboard, flags=re.DOTALL).group(0)
    assert re.findall(r'class="filter"[^>]*>(\w+)</a>', devices) == ["Mobile", "Desktop"]
    top = re.search(r'id="breakdown-top_qrcodes".*?</article>', dashboard, flags=re.DOTALL).group(0)
    assert top.index("Poster") < top.index("Flyer")
    detail = browser.get(f"/qrcodes/{flyer['id']}?interval=7d").get_data(as_text=True)
    assert '<strong id="analytics-total">1</strong>' in detail
    assert browser.get("/analytics?interval=24h").get_data(as_text=True).count(">Mobile</a>") == 1
    csv_url = re.search(r'href="(/analytics/events.csv[^"]+)"', detail).group(1).replace("&amp;", "&")
    rows = list(csv.DictReader(io.StringIO(browser.get(csv_url).get_data(as_text=True))))
    assert [(row["key"], row["device"]) for row in rows] == [("flyer", "mobile")]
    assert browser.get("/analytics/events.csv?pageSize=0").status_code == 400
    unique = browser.get("/analytics?interval=7d&unique=1").get_data(as_text=True)
    assert "unique visitors" in unique


def test_the_list_sorts_by_scans_in_a_recent_time_frame(browser, web_app):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    create(web_app, url="https://example.com/old", key="old-favourite", title="Old favourite")
    create(web_app, url="https://example.com/new", key="new-hit", title="New hit")
    for days in (40, 41, 42):
        _scan_at(web_app, "old-favourite", now - timedelta(days=days), PHONE)
    _scan_at(web_app, "new-hit", now - timedelta(days=1), PHONE)
    all_time = browser.get("/qrcodes?sort=scans").get_data(as_text=True)
    assert all_time.index("Old favourite") < all_time.index("New hit")
    lately = browser.get("/qrcodes?sort=scans:7d").get_data(as_text=True)
    assert lately.index("New hit") < lately.index("Old favourite")
    assert "Scans, last 7 days" in lately and 'value="scans:7d" selected' in lately


def test_the_export_manifest_runs_no_formula_in_a_spreadsheet(browser, web_app):
    """OWASP's rule: a cell starting with = + - @ tab or CR gets a leading '."""
    titles = ['=HYPERLINK("https://evil.example","Click")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "Plain"]
    made = [create(web_app, url=f"https://example.com/{index}", title=title, externalId=f"=cmd|{index}")
            for index, title in enumerate(titles)]
    archive = _export(browser, all="1", format="png")
    manifest = {row["id"]: row for row in csv.DictReader(io.StringIO(archive.read("manifest.csv").decode()))}
    for qr, title in zip(made, titles):
        row = manifest[qr["id"]]
        assert row["title"] == (title if title == "Plain" else "'" + title)
        assert row["externalId"] == "'" + qr["externalId"]
        assert row["url"] == qr["url"] and row["key"] == qr["key"]


def test_a_missing_qr_code_inside_the_app_shows_the_apps_own_404(browser):
    page = browser.get("/qrcodes/cmissing000000000000000000")
    text = page.get_data(as_text=True)
    assert page.status_code == 404
    assert "Not found" in text and "Back to your QR Codes" in text and "Sign out" in text
    assert "ask whoever shared it" not in text
    public = browser.get("/missing-key").get_data(as_text=True)  # a short link: the public page still
    assert "ask whoever shared it" in public


def test_every_page_starts_with_a_skip_link_to_its_content(browser):
    for path in ("/qrcodes", "/keys", "/login"):
        text = browser.get(path).get_data(as_text=True)
        assert text.index('<a href="#content" class="skip-link">Skip to content</a>') < text.index("<nav")
        assert '<main id="content"' in text


def test_a_code_without_a_title_is_named_by_its_destination_and_linked_once(browser, web_app):
    qr = create(web_app, url="https://shop.example.com/spring?utm=1")
    listing = browser.get("/qrcodes").get_data(as_text=True)
    assert '">shop.example.com</a>' in listing and f">{qr['key']}</a>" not in listing
    assert listing.count(f"/qrcodes/{qr['id']}\"") == 1  # one link per row
    assert ">shop.example.com</h1>" in browser.get(f"/qrcodes/{qr['id']}").get_data(as_text=True)


def test_times_are_marked_utc_for_the_script_to_show_locally(browser, web_app):
    qr = create(web_app, url="https://example.com/t")
    detail = browser.get(f"/qrcodes/{qr['id']}").get_data(as_text=True)
    created = qr["createdAt"]
    assert (f'<time datetime="{created}" class="local-time">{created[:10]} {created[11:16]} UTC</time>'
            in detail)


def test_moving_the_short_link_of_a_scanned_code_asks_first(browser, web_app):
    qr = create(web_app, url="https://example.com/", key="flyer")
    form = {"url": "https://example.com/", "key": "flyer-2", "domain": "localhost", "fg_color": "#000000",
            "bg_color": "#ffffff", "size": "512", "margin": "4"}
    token = csrf_of(browser, f"/qrcodes/{qr['id']}/edit")
    unscanned = browser.post(f"/qrcodes/{qr['id']}/edit", data=form | {"csrf_token": token})
    assert unscanned.status_code == 302  # nobody can have printed a code nobody scanned
    browser.get("/flyer-2")
    asked = browser.post(f"/qrcodes/{qr['id']}/edit", data=form | {"key": "flyer-3", "csrf_token": token})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "scanned 1 time." in page and "http://localhost/flyer-3" in page
    assert "http://localhost/flyer-2" in page and 'name="change_link"' in page
    assert browser.get("/flyer-2").status_code == 302  # not saved yet
    repointed = browser.post(f"/qrcodes/{qr['id']}/edit", data=form | {"key": "flyer-2", "url": "https://example.com/b",
                                                                        "csrf_token": token})
    assert repointed.status_code == 302  # the destination may change freely
    kept = browser.post(f"/qrcodes/{qr['id']}/edit", data=form | {"key": "flyer-3", "title": "Kept", "keep_link": "1",
                                                                   "csrf_token": token})
    assert kept.status_code == 302 and browser.get("/flyer-2").status_code == 302  # the rest saved, not the key
    assert "Kept" in browser.get(f"/qrcodes/{qr['id']}").get_data(as_text=True)
    confirmed = browser.post(f"/qrcodes/{qr['id']}/edit", data=form | {"key": "flyer-3", "change_link": "1",
                                                                        "csrf_token": token})
    assert confirmed.status_code == 302 and browser.get("/flyer-3").status_code == 302
    assert browser.get("/flyer-2").status_code == 404
    asked = browser.post(f"/qrcodes/{qr['id']}/edit", data=form | {"key": "flyer-4", "csrf_token": token})
    assert 'name="keep_old_link"' in asked.get_data(as_text=True)
    moved = browser.post(f"/qrcodes/{qr['id']}/edit", data=form | {"key": "flyer-4", "keep_old_link": "1",
                                                                    "csrf_token": token})
    assert moved.status_code == 302 and browser.get("/flyer-4").status_code == 302
    old_link = browser.get("/flyer-3")  # kept working: it goes where the new one goes, counted to the code
    assert old_link.status_code == 302 and old_link.headers["Location"] == "https://example.com/"
    with web_app.app_context():
        from codeqr.context import for_operator
        from codeqr.domain import qrcodes

        stored = qrcodes.get(qr["id"], for_operator())
    assert [alias.key for alias in stored.aliases] == ["flyer-3"]
    assert stored.scans == 6  # flyer-2 three times, flyer-3 once, flyer-4 once, then flyer-3 as an old link
    detail = browser.get(f"/qrcodes/{qr['id']}").get_data(as_text=True)
    assert "Old links kept working" in detail and "<code>http://localhost/flyer-3</code>" in detail
    stopped = browser.post(f"/qrcodes/{qr['id']}/aliases/flyer-3/remove",
                           data={"domain": "localhost", "csrf_token": csrf_of(browser, f"/qrcodes/{qr['id']}")})
    assert stopped.status_code == 302 and browser.get("/flyer-3").status_code == 404
    assert "Old links kept working" not in browser.get(f"/qrcodes/{qr['id']}").get_data(as_text=True)


def test_the_preview_says_which_link_it_encodes_and_names_what_to_fix(browser, web_app):
    token = csrf_of(browser, "/qrcodes/new")
    fields = {"url": "https://example.com/", "fg_color": "#000000", "bg_color": "#ffffff", "csrf_token": token}
    assert browser.post("/qrcodes/preview", data=fields).get_json()["link"] is None  # made on save
    assert browser.post("/qrcodes/preview", data=fields | {"key": "menu"}).get_json()["link"] == "http://localhost/menu"
    bad = browser.post("/qrcodes/preview", data=fields | {"size": "5", "fg_color": "#fefefe"}).get_json()
    assert bad["labels"] == {"size": "Size in pixels (64–4096)", "fg_color": "Foreground colour"}  # every problem


def test_the_theme_chosen_is_remembered_and_drawn_from_the_first_paint(make_app):
    client = make_app().test_client()
    assert "data-theme" not in client.get("/setup").get_data(as_text=True)  # automatic: the device decides
    token = csrf_of(client, "/setup")
    chosen = client.post("/theme", data={"theme": "dark", "next": "/setup?x=1", "csrf_token": token})
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/setup?x=1"
    assert '<html lang="en" data-theme="dark">' in client.get("/setup").get_data(as_text=True)
    odd = client.post("/theme", data={"theme": "purple", "next": "//evil.example", "csrf_token": token})
    assert odd.headers["Location"] == "/qrcodes"  # only a path of this site is followed
    assert 'data-theme="dark"' in client.get("/setup").get_data(as_text=True)  # an unknown theme changes nothing
    assert client.post("/theme", data={"theme": "light", "next": "/setup"}).status_code == 400  # no CSRF token
    assert 'data-theme="dark"' in client.get("/setup").get_data(as_text=True)
    client.post("/theme", data={"theme": "auto", "next": "/setup", "csrf_token": token})
    assert "data-theme" not in client.get("/setup").get_data(as_text=True)


def posted_inputs(page: str) -> dict:
    """The text inputs and checkboxes of a page, by name, as its form posts them (a box's blank
    twin last); of a radio group, only the ticked radio, as a browser sends it."""
    fields = dict(re.findall(r'<input(?![^>]*type="radio")[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', page))
    return fields | dict(re.findall(r'<input[^>]*checked[^>]*name="([a-z_]+)"[^>]*type="radio"[^>]*value="([^"]*)"',
                                    page))


def test_duplicate_copies_the_design_and_options_with_a_key_of_its_own(browser, web_app):
    original = create(web_app, url="https://example.com/menu", title="Menu", key="menu", fgColor="#1d4ed8",
                      bgColor="#fff7ed", size=512, margin=6, level="H", showLogo=True)
    page = browser.get(f"/qrcodes/new?duplicate={original['id']}").get_data(as_text=True)
    assert "Duplicate Menu" in page and 'value="Menu (copy)"' in page and 'value="#1d4ed8"' in page
    assert re.search(r'name="key"[^>]*value=""', page) or 'name="key" type="text" value=""' in page
    token = csrf_of(browser, "/qrcodes/new")
    form = posted_inputs(page)
    form.update({"csrf_token": token, "level": "H", "show_logo": "y", "domain": "localhost"})
    made = browser.post("/qrcodes/new", data=form)
    assert made.status_code == 302  # the same URL on purpose: no "exists already" step
    copy_id = made.headers["Location"].rsplit("/", 1)[1]
    with web_app.app_context():
        from codeqr.domain import qrcodes

        copy = qrcodes.find(copy_id, for_operator())
    assert copy.id != original["id"] and copy.key not in ("", "menu") and copy.title == "Menu (copy)"
    assert (copy.url, copy.fg_color, copy.bg_color, copy.size, copy.margin, copy.level, copy.show_logo) == (
        "https://example.com/menu", "#1d4ed8", "#fff7ed", 512, 6, "H", True)


def test_the_download_menu_offers_every_format_at_every_size(browser, web_app):
    qr = create(web_app, url="https://example.com/", size=700)
    page = browser.get(f"/qrcodes/{qr['id']}").get_data(as_text=True)
    links = re.findall(rf'href="(/qrcodes/{qr["id"]}/download\.([\w-]+)\?size=(\d+))" download', page)
    with web_app.app_context():
        from codeqr.state import app_state

        renderers = app_state().images.renderers
        media_types = {fmt: renderer.media_type for fmt, renderer in renderers.items()}
        raster = {fmt for fmt, renderer in renderers.items() if not renderer.vector}
    offered = {(fmt, int(size)) for _, fmt, size in links}
    assert {size for fmt, size in offered if fmt in raster} == {256, 512, 700, 1024, 2048, 4096}  # its own size too
    assert {fmt for fmt, _ in offered} == set(media_types)
    assert len(offered) == 6 * len(raster) + len(set(media_types) - raster)  # a vector once
    for label in ("SVG", "PDF", "EPS"):
        assert f"{label} (vector, any size)" in page
    assert {"JPEG, 256 px", "WebP, 256 px", "PNG, 256 px"} <= set(re.findall(r'download>([^<]+)</a>', page))
    for url, _fmt, size in links[:2] + links[-1:]:
        if int(size) <= 1024:
            got = browser.get(url.replace("&amp;", "&"))
            assert got.status_code == 200 and decode(got.data, got.mimetype) == [qr["shortLink"]]


def test_downloads_and_exports_name_files_by_their_type(browser, web_app):
    """A format named otherwise than its type's extension (a plugin's "styled-png") still
    gives a file that ends in .png, so the programs of its type open it."""
    from codeqr.state import app_state

    qr = create(web_app, url="https://example.com/", title="Menu")
    with web_app.app_context():
        renderers = app_state().images.renderers
    for fmt, renderer in renderers.items():
        got = browser.get(f"/qrcodes/{qr['id']}/download.{fmt}?size=256")
        name = re.search(r'filename="([^"]+)"', got.headers["Content-Disposition"]).group(1)
        extension = {"image/png": ".png", "image/svg+xml": ".svg", "image/jpeg": ".jpg", "image/webp": ".webp",
                     "application/pdf": ".pdf", "application/postscript": ".eps"}[renderer.media_type]
        assert name.startswith("Menu-256.") and name.endswith(extension), name
    if "styled-png" in renderers:  # the example plugin is installed
        assert renderers["styled-png"].file_suffix == ".styled-png.png" and renderers["png"].file_suffix == ".png"
        page = browser.get(f"/qrcodes/{qr['id']}").get_data(as_text=True)
        assert ">PNG (styled), 256 px<" in page and ">PNG, 256 px<" in page  # named by type, not by plugin


def test_an_edit_that_leaves_a_field_out_keeps_it_and_an_unticked_box_clears_it(browser, web_app):
    qr = create(web_app, url="https://example.com/", title="Menu", fgColor="#1d4ed8", showLogo=True, level="H")
    token = csrf_of(browser, f"/qrcodes/{qr['id']}/edit")
    # A page that shows only the destination: every field it leaves out stays as it was.
    assert browser.post(f"/qrcodes/{qr['id']}/edit", data={"url": "https://example.com/2", "csrf_token": token}
                        ).status_code == 302
    with web_app.app_context():
        from codeqr.domain import qrcodes

        kept = qrcodes.find(qr["id"], for_operator())
    assert (kept.url, kept.title, kept.fg_color, kept.show_logo) == ("https://example.com/2", "Menu", "#1d4ed8", True)
    # The form posts an unticked box as its blank twin: that clears it.
    page = browser.get(f"/qrcodes/{qr['id']}/edit").get_data(as_text=True)
    form = posted_inputs(page) | {"csrf_token": token}
    assert form["show_logo"] == ""
    assert browser.post(f"/qrcodes/{qr['id']}/edit", data=form).status_code == 302
    with web_app.app_context():
        assert qrcodes.find(qr["id"], for_operator()).show_logo is False


def test_the_form_shows_every_field_of_each_group_of_the_schema(browser):
    from codeqr.domain.schemas import CORE, QRCodeCreate, ui_of
    from codeqr.web.forms import qrcode_form

    html = browser.get("/qrcodes/new").get_data(as_text=True)
    # The content group holds, besides its labelled fields, every key of every payload.
    inside = {name for names in qrcode_form(CORE).PAYLOAD_FIELDS.values() for name in names}
    # The design group holds every key of its nested fields (fg_gradient-type…) and the logo's file.
    nested = {name for names in qrcode_form(CORE).NESTED_FIELDS.values() for name in names} | {"logo_file"}
    groups = dict(qrcode_form(CORE).GROUPS)
    # The form gives the organising fields a group of their own (issue 24), after the title's:
    # every other field stays in its schema group, and every labelled field is in one group.
    organise = {name for name, info in QRCodeCreate.model_fields.items()
                if ui_of(info).widget in ("tags", "folder") or name in ("archived", "comments")}
    assert list(groups) == ["content", "link", "organise", "link_options", "design"]
    assert set(groups["organise"]) == organise
    for group, names in [*CORE.field_groups.items(), ("organise", groups["organise"])]:
        names = [name for name in names if group == "organise" or name not in organise]
        # A group runs to the next one (the content group has fieldsets inside it).
        section = re.search(rf'<fieldset[^>]*data-group="{group}".*?(?=data-group=|</form>)', html,
                            flags=re.DOTALL).group(0)
        shown = set(re.findall(r'<(?:input|select|textarea)[^>]*name="([A-Za-z0-9_-]+)"', section))
        labelled = {name for name in names if ui_of(QRCodeCreate.model_fields[name]).label is not None}
        # The expiry's time zone rides beside it (link-options.js writes the browser's).
        more = {"content": inside, "design": nested, "link_options": {"expires_at-zone"}}.get(group, set())
        assert shown == labelled | more, group
