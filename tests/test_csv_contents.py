"""Content types in the CSV import, its template and the export's manifest (issue 21): every
type imported from a CSV written by hand, exported, and imported back as the same QR Codes;
hostile values kept; refusals naming the column and the row. The files go through the web
pages and the app's job runner; the manifest is read with Python's csv module and the
images with zxing-cpp."""

import csv
import io
import zipfile

from hypothesis import given, settings
from hypothesis import strategies as st

from codeqr.context import for_operator
from decode import decode
from test_web import _import, _wait
from web_client import csrf_of

#: A row per type, written as a person would fill the columns in (lists and maps a line each).
ROWS = [
    {"type": "url", "url": "https://example.com/menu", "title": "Menu"},
    {"type": "text", "text": "Table 12: ask for today's specials"},
    {"type": "email", "email.email": "bookings@example.com", "email.subject": "A table for Friday",
     "email.body": "Hello,\na table for two at 8 pm, please.", "email.cc": "a@example.com\nb@example.com"},
    {"type": "phone", "phone": "+33612345678", "useDisplayPage": "no"},
    {"type": "sms", "sms.phone": "+33612345678", "sms.message": "Please call me back"},
    {"type": "facetime", "facetime.target": "ada@example.com"},
    {"type": "whatsapp", "whatsapp.number": "33612345678", "whatsapp.message": "Hello! I saw your poster."},
    {"type": "geo", "latlog.latitude": "48.8584", "latlog.longitude": "2.2945"},
    {"type": "latlog", "latlog.latitude": "51.5007", "latlog.longitude": "-0.1246"},
    {"type": "wifi", "wifi.ssid": "Cafe Guest", "wifi.password": "espresso-2026", "wifi.encryption": "WPA",
     "wifi.hidden": "yes"},
    {"type": "vcard", "vcard.firstName": "Ada", "vcard.lastName": "Lovelace", "vcard.phones": "+442071234567\n+33612345678",
     "vcard.emails": "ada@example.com\nada@example.org", "vcard.address": "12 Market Street\nLondon"},
    {"type": "event", "event.summary": "Spring launch", "event.start": "2027-03-19T18:00:00+01:00",
     "event.end": "2027-03-19T22:00:00+01:00", "event.location": "12 Market Street"},
    {"type": "crypto", "crypto.currency": "bitcoin", "crypto.address": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
     "crypto.amount": "0.001", "crypto.label": "Donation"},
    {"type": "pix", "pix.key": "123e4567-e12b-12d1-a456-426655440000", "pix.name": "Fulano de Tal",
     "pix.city": "BRASILIA", "pix.amount": "10.00"},
    {"type": "epc", "epc.name": "Red Cross of Belgium", "epc.iban": "BE72000000001616", "epc.bic": "BPOTBEB1",
     "epc.amount": "1.00", "epc.remittance": "Urgency fund"},
    {"type": "gs1", "url": "https://example.com/products/09506000134352", "gs1.gtin": "09506000134352",
     "gs1.batch": "ABC123", "gs1.expiry": "2027-12-31",
     "gs1.linkTypes": "gs1:pip=https://example.com/p?id=1&lang=en\ngs1:recipeInfo=https://example.com/r"},
]
#: What the API then says each QR Code holds, written out by hand.
PAYLOADS = {
    "url": ("url", "https://example.com/menu"),
    "text": ("text", "Table 12: ask for today's specials"),
    "email": ("email", {"email": "bookings@example.com", "subject": "A table for Friday",
                        "body": "Hello,\na table for two at 8 pm, please.", "cc": ["a@example.com", "b@example.com"],
                        "bcc": []}),
    "phone": ("phone", "+33612345678"),
    "sms": ("sms", {"phone": "+33612345678", "message": "Please call me back"}),
    "facetime": ("facetime", {"target": "ada@example.com"}),
    "whatsapp": ("whatsapp", {"number": "33612345678", "message": "Hello! I saw your poster."}),
    "geo": ("latlog", {"latitude": 48.8584, "longitude": 2.2945}),
    "latlog": ("latlog", {"latitude": 51.5007, "longitude": -0.1246}),
    "wifi": ("wifi", {"ssid": "Cafe Guest", "password": "espresso-2026", "encryption": "WPA", "hidden": True}),
    "vcard": ("vcard", {"firstName": "Ada", "lastName": "Lovelace", "organization": None, "title": None,
                        "phones": ["+442071234567", "+33612345678"], "emails": ["ada@example.com", "ada@example.org"],
                        "website": None, "address": "12 Market Street\nLondon", "note": None}),
    "event": ("event", {"summary": "Spring launch", "start": "2027-03-19T18:00:00+01:00",
                        "end": "2027-03-19T22:00:00+01:00", "location": "12 Market Street", "description": None}),
    "crypto": ("crypto", {"currency": "bitcoin", "address": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
                          "amount": "0.001", "label": "Donation"}),
    "pix": ("pix", {"key": "123e4567-e12b-12d1-a456-426655440000", "name": "Fulano de Tal", "city": "BRASILIA",
                    "amount": "10.00", "description": None}),
    "epc": ("epc", {"name": "Red Cross of Belgium", "iban": "BE72000000001616", "bic": "BPOTBEB1", "amount": "1.00",
                    "remittance": "Urgency fund"}),
    "gs1": ("gs1", {"gtin": "09506000134352", "batch": "ABC123", "serial": None, "expiry": "2027-12-31",
                    "linkTypes": {"gs1:pip": "https://example.com/p?id=1&lang=en",
                                  "gs1:recipeInfo": "https://example.com/r"}}),
}
#: The types phones read from the code alone: static unless the file says otherwise.
STATIC = {"wifi", "pix", "epc"}
#: Said of a QR Code by the app, not by the file: they differ between two imports.
_OWN = {"id", "image", "createdAt", "updatedAt", "lastScannedAt", "scans"}


def _file(rows: list[dict]) -> bytes:
    """A CSV of ``rows`` with every column any of them fills, as a spreadsheet saves it."""
    header = list(dict.fromkeys(name for row in rows for name in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _codes(app) -> dict[str, dict]:
    """Every QR Code's API form, by its type (one of each)."""
    from codeqr.domain import qrcodes
    from codeqr.domain.filters import Filters

    with app.app_context():
        found = [qr.api() for qr in qrcodes.all_matching(Filters(), for_operator())]
    assert len({qr["type"] for qr in found}) == len(found)
    return {qr["type"]: qr for qr in found}


def _imported(browser, data: bytes) -> dict:
    response = _import(browser, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return _wait(browser, response.headers["Location"]) | {"location": response.headers["Location"]}


def _export(browser) -> zipfile.ZipFile:
    """Every QR Code in a ZIP of PNGs, through the export's job."""
    # The token from the import page: this test is about the export, not the list it starts from.
    started = browser.post("/export", data={"all": "1", "format": "png", "csrf_token": csrf_of(browser, "/import")})
    assert started.status_code == 302, started.get_data(as_text=True)
    assert _wait(browser, started.headers["Location"])["status"] == "done"
    return zipfile.ZipFile(io.BytesIO(browser.get(started.headers["Location"] + ".zip").data))


def _manifest(archive) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"), newline="")))


def test_every_type_imports_from_csv_and_exports_back_as_the_same_codes(browser, web_app):
    from codeqr.domain import deletes

    job = _imported(browser, _file(ROWS))
    assert (job["created"], job["failed"]) == (len(ROWS), 0), browser.get(job["location"]).get_data(as_text=True)
    codes = _codes(web_app)
    for type_name, (field, payload) in PAYLOADS.items():
        qr = codes[type_name]
        assert qr[field] == payload, type_name
        assert qr["static"] is (type_name in STATIC), type_name
    assert codes["phone"]["useDisplayPage"] is False and codes["sms"]["useDisplayPage"] is True

    archive = _export(browser)
    manifest = _manifest(archive)
    by_type = {row["type"]: row for row in manifest}
    assert len(manifest) == len(by_type) == len(ROWS)
    # The manifest says each content in the columns it was imported from (a + guarded by ').
    guarded = {"phone": "'+33612345678", "sms.phone": "'+33612345678", "vcard.phones": "'+442071234567\n'+33612345678",
               "latlog.longitude": "'-0.1246"}
    for row in ROWS:
        written = by_type[row["type"]]
        for column, cell in row.items():
            expected = guarded.get(column, cell) if cell.startswith(("+", "-")) else cell
            expected = {"yes": "true", "no": "false"}.get(expected, expected)
            assert written[column] == expected, (row["type"], column)
    # A static Wi-Fi code holds the network itself (the WIFI: format, written out by hand).
    assert decode(archive.read(by_type["wifi"]["files"]), "image/png") == [
        "WIFI:T:WPA;S:Cafe Guest;P:espresso-2026;H:true;;"]

    # Imported into the same instance, the manifest finds every code as it is...
    again = _imported(browser, archive.read("manifest.csv"))
    assert (again["unchanged"], again["created"], again["failed"]) == (len(ROWS), 0, 0)
    # ...and once they are gone, it makes them again, the same in every field.
    with web_app.app_context():
        assert deletes.delete_many([qr["id"] for qr in codes.values()], for_operator()) == len(ROWS)
    back = _imported(browser, archive.read("manifest.csv"))
    assert (back["created"], back["failed"]) == (len(ROWS), 0)
    remade = _codes(web_app)
    for type_name, qr in codes.items():
        assert {name: value for name, value in remade[type_name].items() if name not in _OWN} == \
            {name: value for name, value in qr.items() if name not in _OWN}, type_name
    second = {row["type"]: row for row in _manifest(_export(browser))}
    for type_name, row in by_type.items():
        assert {name: cell for name, cell in second[type_name].items() if name != "id"} == \
            {name: cell for name, cell in row.items() if name != "id"}, type_name


#: Values that break naive CSV writers and readers, or that a spreadsheet would run.
HOSTILE = [
    {"type": "text", "text": '  =1+1, "quoted"; a\n-2+3 🎉 \u200fمرحبا\u200e  '},
    {"type": "vcard", "vcard.firstName": "Zoë \u202eevil", "vcard.lastName": "=HYPERLINK(\"https://evil.example\")",
     "vcard.note": "@SUM(A1)\n+1\r\n-2, 'three'", "vcard.address": 'Straße 1, "Apt" 2;\nBerlin'},
    {"type": "wifi", "wifi.ssid": 'My "Café";,', "wifi.password": ' p@ss;word,"=1 '},
    {"type": "email", "email.email": "a@example.com", "email.body": "=cmd|' /C calc'!A0\r\nLine 2\n\n"},
    {"type": "event", "event.summary": "-Launch; \"party\"", "event.start": "2027-03-19T18:00:00-03:30",
     "event.end": "2027-03-20T02:00:00-03:30", "event.description": "\t=tab first"},
    {"type": "gs1", "url": "https://example.com/g", "gs1.gtin": "09506000134352",
     "gs1.linkTypes": "gs1:pip=https://example.com/p?a=1;b==2,c"},
]


def test_hostile_values_import_and_come_back_as_they_were(browser, web_app):
    from codeqr.domain import deletes
    from test_spreadsheets import FORMULA, _cells

    job = _imported(browser, _file(HOSTILE))
    assert (job["created"], job["failed"]) == (len(HOSTILE), 0), browser.get(job["location"]).get_data(as_text=True)
    codes = _codes(web_app)
    assert codes["text"]["text"] == HOSTILE[0]["text"]  # spaces, line breaks, quotes, emoji and RTL marks kept
    assert codes["vcard"]["vcard"]["note"] == "@SUM(A1)\n+1\r\n-2, 'three'"
    assert codes["wifi"]["wifi"]["password"] == ' p@ss;word,"=1 '
    assert codes["email"]["email"]["body"] == "=cmd|' /C calc'!A0\r\nLine 2\n\n"
    assert codes["event"]["event"]["start"] == "2027-03-19T18:00:00-03:30"
    assert codes["gs1"]["gs1"]["linkTypes"] == {"gs1:pip": "https://example.com/p?a=1;b==2,c"}

    archive = _export(browser)
    text = archive.read("manifest.csv").decode("utf-8-sig")
    for cell in _cells(text):  # opened in a spreadsheet, whichever separator it splits on
        assert not cell.lstrip(' "').startswith(FORMULA), cell
    with web_app.app_context():
        deletes.delete_many([qr["id"] for qr in codes.values()], for_operator())
    back = _imported(browser, text.encode())
    assert (back["created"], back["failed"]) == (len(HOSTILE), 0)
    remade = _codes(web_app)
    for type_name, qr in codes.items():
        assert {name: value for name, value in remade[type_name].items() if name not in _OWN} == \
            {name: value for name, value in qr.items() if name not in _OWN}, type_name


def _refused(browser, rows: list[dict]) -> tuple[str, list[dict]]:
    """The page of an import of ``rows`` (all refused) and its refused rows' CSV: each as given, and its reason."""
    job = _imported(browser, _file(rows))
    assert job["failed"] == len(rows), job
    refused = browser.get(job["location"] + "/refused.csv").data.decode("utf-8-sig")
    return job["location"], list(csv.DictReader(io.StringIO(refused, newline="")))


def test_a_refused_row_is_named_with_its_column(browser):
    location, refused = _refused(browser, [
        {"type": "text", "text": "Hello", "vcard.firstName": "Ada"},
        {"type": "vcard", "vcard.firstName": "Ada", "vcard.emails": "ada@example.com\nnot an address"},
        {"type": "wifi", "wifi.ssid": "Cafe", "wifi.password": "espresso-2026", "wifi.hidden": "maybe"},
        {"type": "gs1", "url": "https://example.com/g", "gs1.gtin": "09506000134352",
         "gs1.linkTypes": "https://example.com/no-type"},
        {"type": "vcard", "title": "No card"},
        {"type": "geo", "latlog.latitude": "north", "latlog.longitude": "2.2945"},
        {"type": "gs1", "url": "https://example.com/g", "gs1.gtin": "09506000134353"},
        {"type": "event", "event.summary": "Launch", "event.start": "next friday", "event.end": "2027-03-19T22:00:00Z"},
        {"type": "pix", "pix.key": "123e4567-e12b-12d1-a456-426655440000", "pix.name": "Fulano", "pix.city": "RIO",
         "pix.amount": "10,50", "title": "Comma"},
    ])
    problems = [row["problem"] for row in refused]
    # The progress page names a row without title nor url by its content.
    assert '<td>2</td><td class="row-name">Hello</td>' in browser.get(location).get_data(as_text=True)
    assert problems[0] == "Row 2: vcard.firstName: This part is not used by a Text QR Code: leave it empty."
    assert problems[1] == "Row 3: vcard.emails (line 2): Must be an e-mail address such as name@example.com."
    assert problems[2] == "Row 4: wifi.hidden: Use yes or no (or true/false, 1/0)."
    assert problems[3].startswith("Row 5: gs1.linkTypes: Write one link per line as type=URL")
    assert problems[4] == "Row 6: vcard.*: Fill in this part: a Contact card QR Code needs it."
    assert problems[5] == "Row 7: latlog.latitude: Enter a number with a dot for decimals, like 48.8584."
    assert problems[6].startswith("Row 8: gs1.gtin: ") and "check digit" in problems[6]
    assert problems[7].startswith("Row 9: event.start: ") and "2027-03-19T18:00:00+01:00" in problems[7]
    assert problems[8].startswith("Row 10: pix.amount: ") and "12.50" in problems[8]
    # The refused rows come back in the columns they were given in, to fix and import again.
    assert refused[1]["vcard.emails"] == "ada@example.com\nnot an address"
    assert refused[3]["gs1.linkTypes"] == "https://example.com/no-type"
    refused[1]["vcard.emails"] = "ada@example.com\nada@example.org"
    del refused[1]["problem"]
    assert _imported(browser, _file([refused[1]]))["created"] == 1


def test_a_file_of_contents_needs_no_url_column_but_its_columns_must_be_known(browser):
    job = _imported(browser, _file([{"type": "text", "text": "Only text"}, {"type": "phone", "phone": "+33612345678"}]))
    assert (job["created"], job["failed"]) == (2, 0)
    page = _import(browser, _file([{"type": "vcard", "vcard.nickname": "Ada"}])).get_data(as_text=True)
    assert "CodeQR does not know the column(s) vcard.nickname" in page
    page = _import(browser, _file([{"title": "Nothing to encode"}])).get_data(as_text=True)
    assert "one of them url" in page


def test_the_template_imports_one_code_of_each_type(browser, web_app):
    template = browser.get("/import/template.csv")
    rows = list(csv.DictReader(io.StringIO(template.data.decode("utf-8-sig"), newline="")))
    assert [row["type"] for row in rows] == list(PAYLOADS)
    vcard = next(row for row in rows if row["type"] == "vcard")
    assert (vcard["vcard.firstName"], vcard["vcard.phones"], vcard["vcard.emails"]) == \
        ("Ada", "'+442071234567", "ada@example.com")
    job = _imported(browser, template.data)
    assert (job["created"], job["failed"]) == (len(PAYLOADS), 0), browser.get(job["location"]).get_data(as_text=True)
    codes = _codes(web_app)
    assert set(codes) == set(PAYLOADS)
    assert codes["gs1"]["gs1"]["gtin"] == "09506000134352" and codes["epc"]["static"] is True


def test_the_import_page_lists_each_types_columns(browser):
    page = browser.get("/import").get_data(as_text=True)
    listed = page.split('id="import-contents"')[1]
    assert "<dt>Contact card (<code>vcard</code>)</dt>" in listed
    assert "<code>vcard.firstName</code>" in listed and "<code>gs1.linkTypes</code>" in listed
    assert "one item per line" in listed and "<code>type=URL</code>" in listed
    assert "<code>vcard.firstName</code>" not in page.split('id="import-contents"')[0]  # not among the other columns


def test_a_row_with_an_external_id_changes_the_type_of_its_code(browser, web_app):
    first = _imported(browser, _file([{"type": "text", "text": "Coming soon", "externalId": "poster-7"}]))
    assert first["created"] == 1
    changed = _imported(browser, _file([{"type": "vcard", "externalId": "poster-7", "vcard.firstName": "Ada",
                                         "vcard.emails": "ada@example.com"}]))
    assert (changed["updated"], changed["failed"]) == (1, 0)
    qr = _codes(web_app)["vcard"]
    assert (qr["externalId"], qr["text"], qr["vcard"]["emails"]) == ("poster-7", None, ["ada@example.com"])


#: Text a payload may hold: anything but the control characters it refuses (tab and line breaks are fine).
_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=[
    chr(code) for code in [*range(0x20), *range(0x7f, 0xa0)] if chr(code) not in "\t\n\r"]), min_size=1, max_size=60)


@settings(max_examples=400, deadline=None)
@given(text=_TEXT.filter(str.strip), note=_TEXT.filter(str.strip), phones=st.lists(
    st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True), max_size=3))
def test_a_content_written_in_a_manifest_reads_back_as_it_was(text, note, phones):
    """Whatever the text, the manifest's writer and the import's reader agree (no database:
    the CSV alone)."""
    from codeqr.domain.schemas import CORE
    from codeqr.jobs import csv_import
    from codeqr.jobs.spreadsheets import csv_lines

    header = ["type", "text", "vcard.firstName", "vcard.note", "vcard.phones"]
    rows = [["text", text, None, None, None], ["vcard", None, "Ada", note, "\n".join(phones)]]
    columns = csv_import.csv_columns(CORE)
    parsed = csv_import.parse("".join(csv_lines(header, rows)).encode(), columns)
    card = {"firstName": "Ada", "note": note} | ({"phones": phones} if phones else {})  # an empty cell: not given
    assert [csv_import._body(row, columns.kinds) for row in parsed] == [
        {"type": "text", "text": text}, {"type": "vcard", "vcard": card}]


def test_a_csv_of_gtins_makes_a_catalog_each_product_answering_its_digital_link(browser, web_app):
    # GTIN-13 and GTIN-8 examples with valid check digits, and GS1's own GTIN-14 example.
    products = {"4006381333931": "ABC1", "5901234123457": "", "96385074": "", "09506000134352": "LOT/7"}
    rows = [{"type": "gs1", "url": f"https://example.com/p/{gtin}", "gs1.gtin": gtin, "gs1.batch": batch,
             "gs1.linkTypes": f"gs1:pip=https://example.com/info/{gtin}"} for gtin, batch in products.items()]
    job = _imported(browser, _file(rows))
    assert (job["created"], job["failed"]) == (4, 0), browser.get(job["location"]).get_data(as_text=True)
    client = web_app.test_client()
    for gtin, batch in products.items():
        path = f"/01/{gtin}" + (f"/10/{batch.replace('/', '%2F')}" if batch else "")
        assert client.get(path).location == f"https://example.com/p/{gtin}", path
        assert client.get(path + "?linkType=gs1:pip").location == f"https://example.com/info/{gtin}"
