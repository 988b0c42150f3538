"""Every CSV CodeQR writes opens safely in a spreadsheet, whichever separator it splits on:
parsed as CSV with , or ; and split naively, no cell starts a formula. The CSVs are found by
fetching every GET route of the app (and the CSVs inside a ZIP it answers)."""

import csv
import io
import json
import re
import zipfile

from hypothesis import given, settings
from hypothesis import strategies as st

from codeqr.jobs.spreadsheets import cell_value, safe_cell
from test_web import _csv, _import, _wait, create
from web_client import csrf_of

#: What a spreadsheet runs as a formula when a cell starts with it.
FORMULA = ("=", "+", "-", "@", "\t", "\r")
#: Text that starts a formula after a separator, where a naive split starts a cell.
HOSTILE = ["https://a.test/;=1+1;", "a,=1+1,", "a\t=1+1", "a;@SUM(A1)", 'a;"=1+1', "a\n=1+1", "a;-2+3", "a; +3",
           "=1+1", "'=1+1", "a;'=1+1", "a\r=1"]
HOSTILE_URLS = ["https://a.test/;=1+1;", "https://a.test/,=1+1,", "https://a.test/?q=;@SUM(A1)"]


def _cells(text: str):
    """Every cell a spreadsheet could make of ``text``: CSV parsed with , and ;, and split naively."""
    for delimiter in ",;":
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            yield from row
    for line in re.split(r"\r\n|\r|\n", text):
        for separator in ",;\t":
            yield from line.split(separator)


def _fill(rule, values: dict) -> str:
    """The rule's path with its arguments from ``values`` (an export's job_id: ``export_id``)."""
    path = rule.rule
    for name in rule.arguments:
        key = "export_id" if name == "job_id" and rule.endpoint.startswith("web.export") else name
        path = re.sub(rf"<(\w+:)?{name}>", str(values[key]), path)
    return path


def _every_csv(app, client, values: dict, api_key: str) -> dict:
    """The CSVs every GET route answers (with Accept: text/csv), by endpoint, ZIP members included."""
    found = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.endpoint.startswith(("web.", "api.")):
            continue
        response = client.get(_fill(rule, values), headers={"Accept": "text/csv,*/*;q=0.1",
                                                            "Authorization": f"Bearer {api_key}"})
        body = response.get_data()
        response.close()
        if response.mimetype == "text/csv":
            found[rule.endpoint] = [body.decode("utf-8-sig")]
        elif response.mimetype == "application/zip":
            archive = zipfile.ZipFile(io.BytesIO(body))
            found[rule.endpoint] = [archive.read(name).decode("utf-8-sig") for name in archive.namelist()
                                    if name.endswith(".csv")]
    return found


def test_no_csv_the_app_writes_starts_a_formula_with_either_separator(browser, web_app):
    from codeqr.accounts import apikeys
    from codeqr.context import for_operator

    with web_app.app_context():
        _, api_key = apikeys.create("csv", ctx=for_operator())
    made = [create(web_app, url=url, title=title, externalId=f"ext-{index};=1+1")
            for index, (url, title) in enumerate(zip(HOSTILE_URLS * 4, HOSTILE))]
    # The link options too, their JSON cells (geo, rules) among them.
    conditions = [value for value in HOSTILE if value.isprintable() and value.strip() == value]  # what a rule takes
    made.append(create(web_app, url="https://a.test/links", utm_source="a;=1+1", ios=HOSTILE_URLS[0],
                       geo={"DE": HOSTILE_URLS[1]}, rules=[
                           {"attribute": "utm_source", "operator": "equals", "value": value, "url": HOSTILE_URLS[2]}
                           for value in conditions]))
    for qr in made:
        browser.get(f"/{qr['key']}", headers={"Referer": "https://a.test/;=1+1;,-2+3", "User-Agent": "x;=1+1",
                                              "Accept-Language": "fr;=1"})
    rows = [["ftp://x;=1+1", title, "", "", "", ""] for title in HOSTILE]
    imported = _import(browser, _csv(rows)).headers["Location"]
    assert _wait(browser, imported)["failed"] == len(HOSTILE)
    exported = browser.post("/export", data={"all": "1", "format": "png", "csrf_token": csrf_of(browser, "/qrcodes")})
    assert _wait(browser, exported.headers["Location"])["status"] == "done"
    values = {"qr_id": made[0]["id"], "ref": made[0]["id"], "job_id": imported.rsplit("/", 1)[1], "fmt": "png",
              "key_id": 1, "user_id": 1, "export_id": exported.headers["Location"].rsplit("/", 1)[1],
              "field": "pattern", "value": "dots", "logo_name": "logo-none.png",
              "tag_id": "c" + "0" * 24, "folder_id": "c" + "0" * 24, "slug": "localhost"}
    found = _every_csv(web_app, browser, values, api_key)
    assert {"web.events_csv", "api.scan_events", "web.import_template", "web.import_refused",
            "web.export_download"} <= set(found), set(found)
    texts = [text for texts in found.values() for text in texts]
    assert any("=1+1" in text for text in texts)
    for endpoint, texts in found.items():
        for text in texts:
            for cell in _cells(text):
                assert not cell.lstrip(' "').startswith(FORMULA), (endpoint, cell)
    # The JSON cells read back as they were written.
    (manifest,) = found["web.export_download"]
    links = next(row for row in csv.DictReader(io.StringIO(manifest)) if row["url"] == "https://a.test/links")
    assert [rule["value"] for rule in json.loads(cell_value(links["rules"]))] == conditions
    assert json.loads(cell_value(links["geo"])) == {"DE": "https://a.test/,=1+1,"}
    # Quoted, every cell: a spreadsheet keeps "a;b" together whichever separator it expects.
    template = found["web.import_template"][0].splitlines()
    assert all(line.startswith('"') and line.endswith('"') and '","' in line for line in template)
    refused = found["web.import_refused"][0]
    titles = [cell_value(row["title"]) for row in csv.DictReader(io.StringIO(refused))]
    # Read back as the first import read them (a ' before a formula is a spreadsheet's mark for text).
    assert titles == [{"'=1+1": "=1+1", "a;'=1+1": "a;=1+1"}.get(title, title) for title in HOSTILE]


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="=+-@\t\r\n,;\"' ab") | st.text())
def test_a_guarded_cell_reads_back_as_it_was(text):
    assert cell_value(safe_cell(text)) == text
