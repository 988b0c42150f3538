"""Content types through the app: what the API stores and answers for each type, static
and dynamic, what a scan of a dynamic code gets, and the rules that join the content fields."""

import pytest

from codeqr.contents import TYPES
from codeqr.domain.schemas import QRCodeCreate
from decode import decode

TEXT = "Table 12 — ask for the menu; \"specials\": \\ today"


def test_every_payload_field_of_the_registry_is_a_field_of_the_qrcode():
    fields = QRCodeCreate.model_fields
    for kind in TYPES.values():
        assert kind.field in fields, kind.name
    assert set(QRCodeCreate.model_fields["type"].annotation.__args__) == set(TYPES)


def test_a_body_with_only_url_is_a_dynamic_link_to_a_website(api):
    made = api.post("/api/qrcodes", json={"url": "https://example.com/a"}).get_json()
    assert (made["type"], made["static"], made["useDisplayPage"], made["text"]) == ("url", False, True, None)
    assert made["shortLink"].endswith("/" + made["key"])


def test_a_static_text_encodes_the_text_itself_and_has_no_short_link(api, client):
    made = api.post("/api/qrcodes", json={"type": "text", "text": TEXT, "static": True})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["type"], body["text"], body["url"], body["shortLink"], body["static"]) == ("text", TEXT, None,
                                                                                             None, True)
    for fmt, media_type in (("png", "image/png"), ("svg", "image/svg+xml")):
        image = client.get(f"/qr/{body['id']}.{fmt}")
        assert decode(image.data, media_type) == [TEXT]
    # Its key is no short link: nothing to follow, nothing counted.
    assert client.get(f"/{body['key']}").status_code == 404
    assert api.get(f"/api/qrcodes/{body['id']}").get_json()["scans"] == 0


def test_a_dynamic_text_encodes_its_short_link_and_a_scan_shows_the_text(api, client):
    body = api.post("/api/qrcodes", json={"type": "text", "text": TEXT}).get_json()
    assert body["static"] is False and body["shortLink"]
    assert decode(client.get(f"/qr/{body['id']}.png").data, "image/png") == [body["shortLink"]]
    page = client.get(f"/{body['key']}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Table 12" in page.get_data(as_text=True)
    assert api.get(f"/api/qrcodes/{body['id']}").get_json()["scans"] == 1


@pytest.mark.parametrize("body, field", [
    ({"type": "text"}, "text"),
    ({"type": "url"}, "url"),
    ({"type": "text", "text": "hi", "url": "https://example.com/"}, "url"),
    ({"url": "https://example.com/", "text": "hi"}, "text"),
    ({"type": "text", "text": "hi", "phone": "+33612345678"}, "phone"),
])
def test_a_type_needs_its_payload_and_no_other(api, body, field):
    answer = api.post("/api/qrcodes", json=body)
    assert answer.status_code == 422
    assert field in {item["field"] for item in answer.get_json()["error"]["errors"]}, answer.get_json()


def test_a_static_content_too_long_for_a_qr_code_is_refused_with_the_reason(api):
    answer = api.post("/api/qrcodes", json={"type": "text", "text": "x" * 4000, "static": True, "level": "H"})
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["errors"][0]["field"] == "text" and "too long for a QR Code at error correction H" in error["message"]
    # Dynamic, the same text fits: the image holds the short link.
    assert api.post("/api/qrcodes", json={"type": "text", "text": "x" * 4000, "level": "H"}).status_code == 201


def test_changing_the_type_drops_the_old_payload_and_renders_anew(api, client):
    body = api.post("/api/qrcodes", json={"url": "https://example.com/a", "static": True}).get_json()
    assert decode(client.get(f"/qr/{body['id']}.png").data, "image/png") == ["https://example.com/a"]
    changed = api.patch(f"/api/qrcodes/{body['id']}", json={"type": "text", "text": "hello"})
    assert changed.status_code == 200, changed.get_json()
    after = changed.get_json()
    assert (after["type"], after["text"], after["url"], after["static"]) == ("text", "hello", None, True)
    assert decode(client.get(f"/qr/{body['id']}.png").data, "image/png") == ["hello"]
    # Another type's payload alone is refused: it would be dropped silently.
    assert api.patch(f"/api/qrcodes/{body['id']}", json={"phone": "+33612345678"}).status_code == 422


def test_upsert_finds_a_code_by_its_content_and_type(api):
    first = api.put("/api/qrcodes/upsert", json={"type": "text", "text": "hello", "title": "A"})
    assert first.status_code == 201
    again = api.put("/api/qrcodes/upsert", json={"type": "text", "text": "hello", "title": "B"})
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["title"] == "B"
    other = api.put("/api/qrcodes/upsert", json={"type": "text", "text": "hello again"})
    assert other.status_code == 201
    assert api.put("/api/qrcodes/upsert", json={"type": "text"}).status_code == 422


def test_search_finds_a_code_by_what_it_holds(api):
    api.post("/api/qrcodes", json={"type": "text", "text": "the garden menu"})
    found = api.get("/api/qrcodes", query_string={"search": "garden"}).get_json()
    assert [item["text"] for item in found] == ["the garden menu"]


def test_a_refused_value_inside_a_payload_is_named_by_its_path(api):
    answer = api.post("/api/qrcodes", json={"type": "vcard", "vcard": {"firstName": "Ada",
                                                                       "emails": ["ada@example.com", "not an address"]}})
    assert answer.status_code == 422
    assert [item["field"] for item in answer.get_json()["error"]["errors"]] == ["vcard.emails[1]"]
    assert "vcard.emails[1]" in answer.get_json()["error"]["message"]


def test_each_payload_field_has_the_type_the_registry_names():
    from codeqr.domain.schemas import _without_none

    for kind in TYPES.values():
        if kind.field != "url":
            assert _without_none(QRCodeCreate.model_fields[kind.field].annotation) == kind.payload, kind.name


def _modes(type_name: str) -> list[bool]:
    """The static values a QR Code of ``type_name`` may take."""
    return {"either": [True, False], "only": [True], "never": [False]}[TYPES[type_name].static]


#: What the static code of each example (``contents/examples.py``) holds, written out by hand from
#: the standards; the contact and the event are read back by vobject and icalendar instead.
STATIC_TEXTS = {
    "url": "https://example.com/menu",
    "text": "Table 12: ask for today's specials",
    "email": "mailto:bookings@example.com?subject=A%20table%20for%20Friday"
             "&body=Hello%2C%20a%20table%20for%20two%20at%208%20pm%2C%20please.",
    "phone": "tel:+33612345678",
    "sms": "SMSTO:+33612345678:Please call me back",
    "facetime": "facetime:+33612345678",
    "whatsapp": "https://wa.me/33612345678?text=Hello%21%20I%20saw%20your%20poster.",
    "geo": "geo:48.8584,2.2945",
    "latlog": "geo:51.5007,-0.1246",
    "wifi": "WIFI:T:WPA;S:Cafe Guest;P:espresso-2026;;",
    "crypto": "bitcoin:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4?amount=0.001&label=Donation",
    # EMV fields: 00 format, 26 merchant account (GUI, key), 52 category, 53 currency (986: BRL),
    # 54 amount, 58 country, 59 name, 60 city, 62 (05: txid ***), then 63 CRC (checked below).
    "pix": "000201" "26580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000" "52040000" "5303986"
           "540510.00" "5802BR" "5913Fulano de Tal" "6008BRASILIA" "62070503***" "6304",
    "epc": "BCD\n002\n1\nSCT\nBPOTBEB1\nRed Cross of Belgium\nBE72000000001616\nEUR1.00\n\n\nUrgency fund",
}


def _check_static_text(type_name: str, text: str) -> None:
    """``text``, decoded from a static code of the example of ``type_name``, is what it should hold."""
    if type_name == "vcard":
        import vobject

        card = vobject.readOne(text)
        assert (card.fn.value, card.n.value.family, card.n.value.given) == ("Ada Lovelace", "Lovelace", "Ada")
        assert (card.org.value, card.title.value, card.url.value) == (["Analytical Engines"], "Engineer",
                                                                      "https://example.com/ada")
        assert [tel.value for tel in card.tel_list] == ["+442071234567"]
        assert [mail.value for mail in card.email_list] == ["ada@example.com"]
    elif type_name == "event":
        from datetime import UTC, datetime

        import icalendar

        event = icalendar.Calendar.from_ical(text).walk("VEVENT")[0]
        assert (str(event["SUMMARY"]), str(event["LOCATION"])) == ("Spring launch", "12 Market Street")
        assert event.decoded("DTSTART") == datetime(2027, 3, 19, 17, tzinfo=UTC)  # 18:00 at +01:00
        assert event.decoded("DTEND") == datetime(2027, 3, 19, 21, tzinfo=UTC)
    elif type_name == "pix":
        import binascii

        body = STATIC_TEXTS["pix"]
        assert text[:-4] == body and text[-4:] == f"{binascii.crc_hqx(body.encode(), 0xFFFF):04X}"
    else:
        assert text == STATIC_TEXTS[type_name]


@pytest.mark.parametrize("type_name, static", [(name, static) for name in TYPES for static in _modes(name)])
def test_every_type_renders_as_png_and_svg_that_decode_to_what_it_holds(api, client, type_name, static):
    """Each type, static and dynamic where allowed: the images decode (zxing-cpp) to the content
    itself (static) or to the short link (dynamic)."""
    from codeqr.contents.examples import EXAMPLES

    made = api.post("/api/qrcodes", json={"type": type_name, "static": static, **EXAMPLES[type_name]})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["shortLink"] is None) is static
    if not static:
        assert body["shortLink"].startswith("http://localhost/")
    for fmt, media_type in (("png", "image/png"), ("svg", "image/svg+xml")):
        decoded = decode(client.get(f"/qr/{body['id']}.{fmt}").data, media_type)
        assert len(decoded) == 1
        if static:
            _check_static_text(type_name, decoded[0])
        else:
            assert decoded == [body["shortLink"]]


@pytest.mark.parametrize("type_name", sorted(TYPES))
def test_the_stored_payload_reads_back_as_it_was_given(api, type_name):
    from codeqr.contents.examples import EXAMPLES

    made = api.post("/api/qrcodes", json={"type": type_name, **EXAMPLES[type_name]}).get_json()
    again = api.get(f"/api/qrcodes/{made['id']}").get_json()
    assert again == made
    for field, value in EXAMPLES[type_name].items():
        if isinstance(value, dict):
            assert {key: again[field][key] for key in value} == value
        else:
            assert again[field] == value


def test_a_scan_answered_by_a_page_is_recorded_as_such(app, api, client):
    from codeqr.scans.enrichment import enrich_pending

    body = api.post("/api/qrcodes", json={"type": "text", "text": "hello"}).get_json()
    assert client.get(f"/{body['key']}").status_code == 200
    with app.app_context():
        while enrich_pending(app, wait=True):
            pass
    events = api.get("/api/events", query_string={"qrcodeId": body["id"]}).get_json()
    assert [event["url"] for event in events] == [""]


def test_migration_0010_keeps_existing_codes_dynamic_links_and_refuses_to_lose_other_types(app, api, client):
    from sqlalchemy import text as sql

    from codeqr import db
    from codeqr.persistence.extensions import alembic
    from schema_versions import downgrade_schema

    before = api.post("/api/qrcodes", json={"url": "https://example.com/kept", "title": "Menu"}).get_json()
    with app.app_context():
        downgrade_schema("0009")
        names = {row[1] for row in db.session.execute(sql("PRAGMA table_info(qrcodes)")).all()} \
            if db.engine.dialect.name == "sqlite" else set(db.session.execute(sql(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'qrcodes'")).scalars())
        assert not {"type", "content", "static", "use_display_page"} & names
        db.session.remove()
        alembic.upgrade()
        db.session.remove()
    after = api.get(f"/api/qrcodes/{before['id']}").get_json()
    assert after == before and (after["type"], after["static"], after["useDisplayPage"]) == ("url", False, True)
    assert client.get(f"/{before['key']}").status_code == 302
    # A code of another type cannot be kept below 0010: the downgrade says so and changes nothing.
    scanned = api.get(f"/api/qrcodes/{before['id']}").get_json()
    api.post("/api/qrcodes", json={"type": "text", "text": "hello"})
    with app.app_context():
        with pytest.raises(RuntimeError, match="hold another content"):
            downgrade_schema("0009")
        db.session.remove()
        # The revisions after 0010 went down before its refusal (SQLite's DDL is not transactional): up again.
        alembic.upgrade()
        db.session.remove()
    assert api.get(f"/api/qrcodes/{before['id']}").get_json() == scanned


@pytest.mark.parametrize("type_name, scheme", [("phone", "tel:"), ("email", "mailto:"), ("sms", "sms:"),
                                               ("whatsapp", "https://wa.me/")])
def test_a_scan_of_a_link_type_redirects_to_its_link_when_no_page_is_wanted(api, client, type_name, scheme):
    from codeqr.contents.examples import EXAMPLES

    body = api.post("/api/qrcodes", json={"type": type_name, "useDisplayPage": False,
                                          **EXAMPLES[type_name]}).get_json()
    answer = client.get(f"/{body['key']}")
    assert answer.status_code == 302 and answer.location.startswith(scheme), answer.location
    assert "no-store" in answer.headers["Cache-Control"]
    if type_name != "whatsapp":  # whatsapp always redirects; the others show a page by default
        api.patch(f"/api/qrcodes/{body['id']}", json={"useDisplayPage": True})
        assert client.get(f"/{body['key']}").status_code == 200
    assert api.get(f"/api/qrcodes/{body['id']}").get_json()["scans"] == (1 if type_name == "whatsapp" else 2)


@pytest.mark.parametrize("type_name", [name for name, kind in TYPES.items() if kind.static != "either"])
def test_a_type_that_must_be_or_cannot_be_static_says_so(api, type_name):
    from codeqr.contents.examples import EXAMPLES

    must = TYPES[type_name].static == "only"
    default = api.post("/api/qrcodes", json={"type": type_name, **EXAMPLES[type_name]})
    assert default.status_code == 201 and default.get_json()["static"] is must
    api.delete(f"/api/qrcodes/{default.get_json()['id']}")  # a gs1 code's Digital Link is its own
    refused = api.post("/api/qrcodes", json={"type": type_name, "static": not must, **EXAMPLES[type_name]})
    assert refused.status_code == 422
    assert [item["field"] for item in refused.get_json()["error"]["errors"]] == ["static"]
    assert ("must be static" if must else "cannot be static") in refused.get_json()["error"]["message"]


def test_a_static_code_whose_payload_the_schema_refused_says_only_that(api):
    answer = api.post("/api/qrcodes", json={"type": "vcard", "static": True, "vcard": {"emails": ["nope"]}})
    assert answer.status_code == 422
    assert {item["field"] for item in answer.get_json()["error"]["errors"]} <= {"vcard", "vcard.emails[0]"}


def test_a_type_whose_standard_fixes_the_level_refuses_the_logo_in_words_that_can_be_followed(api):
    from codeqr.contents.examples import EXAMPLES

    answer = api.post("/api/qrcodes", json={"type": "epc", "showLogo": True, **EXAMPLES["epc"]})
    assert answer.status_code == 422
    errors = answer.get_json()["error"]["errors"]
    assert [item["field"] for item in errors] == ["showLogo"] and "cannot show the logo" in errors[0]["message"]


def test_a_dynamic_sms_without_a_page_records_the_link_it_sent_the_visitor_to(app, api, client):
    from codeqr.contents.examples import EXAMPLES
    from codeqr.scans.enrichment import enrich_pending

    body = api.post("/api/qrcodes", json={"type": "sms", "useDisplayPage": False, **EXAMPLES["sms"]}).get_json()
    sent = client.get(f"/{body['key']}").location
    assert sent == "sms:+33612345678?body=Please%20call%20me%20back"
    with app.app_context():
        while enrich_pending(app, wait=True):
            pass
    assert [event["url"] for event in api.get("/api/events", query_string={"qrcodeId": body["id"]}).get_json()] == [sent]


def test_the_readme_table_has_a_row_for_each_type():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("### What a QR Code holds", 1)[1].split("\n#", 1)[0]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")][1:]  # past the header
    named = {name for cell in first_cells for name in cell.replace("`", "").replace(",", " ").split()}
    assert named == set(TYPES)
