"""No design is saved that does not scan: each is decoded (zxing-cpp) at its size and printed
2 cm wide when it is saved; one that does not decode is refused with 422, beside the field
to change and in words, and nothing is stored. The form's preview gives the same verdict."""

import csv
import io
from typing import get_args

import pytest
from sqlalchemy import text

from codeqr import db
from codeqr.design import values, verify
from codeqr.domain import field_checks
from codeqr.domain.rendering import Picture, render_spec
from codeqr.domain.schemas import Design
from test_web import _import, _wait
from web_client import csrf_of

URL = "https://example.com/menu"
#: (Static: the code holds the URL itself, not a short link.) A content short enough for the
#: smallest code at level Q (25 modules): a logo at the most Q allows hides too much of it.
SHORT = "https://example.com/"
#: A content of 57 modules at level L (margin included): about a pixel each at size 64.
LONG = "https://example.com/" + "a" * 150
#: A content too long for a code 2 cm wide at level H (modules under 0.3 mm).
LONGER = "https://example.com/" + "b" * 400

#: Designs that do not scan, why (the field to change), and the same design changed as the
#: sentence says: which must scan. The logo cases draw the instance logo through the geometry
#: (eyeColor makes the design not plain), where width and height set its size.
CASES = {
    "eye colour too close to the background": (
        {"url": URL, "eyeColor": "#eeeeee"}, "eyeColor", {"eyeColor": "#555555"}),
    "margin 0 on a dark background": (
        {"url": URL, "bgColor": "#111827", "fgColor": "#ffffff", "margin": 0}, "margin", {"margin": 2}),
    "a gradient that fades into the background": (
        {"url": URL, "fgGradient": {"colors": ["#000000", "#f4f4f4"]}}, "fgGradient",
        {"fgGradient": {"colors": ["#000000", "#1d4ed8"]}}),
    "a logo too large for level Q": (
        {"url": SHORT, "static": True, "showLogo": True, "level": "Q", "eyeColor": "#000000", "width": 4096,
         "height": 4096}, "showLogo", {"level": "H", "width": 100, "height": 100}),
    "a logo at level L": (
        {"url": URL, "showLogo": True, "level": "L", "eyeColor": "#000000", "width": 4096, "height": 4096},
        "level", {"level": "H"}),
    "a content too long for a small print": ({"url": LONGER, "static": True, "level": "H"}, "level", {"level": "L"}),
    "modules too small at its size": ({"url": LONG, "static": True, "level": "L", "size": 64}, "size",
                                      {"size": 256}),
}


def _rows(app) -> int:
    with app.app_context():
        count = db.session.execute(text("SELECT count(*) FROM qrcodes")).scalar_one()
        db.session.remove()
    return count


@pytest.mark.parametrize("case", CASES)
def test_a_design_that_does_not_scan_is_refused_with_its_field_and_a_sentence(app, api, case):
    body, field, fix = CASES[case]
    before = _rows(app)
    refused = api.post("/api/qrcodes", json=body)
    assert refused.status_code == 422, case
    error = refused.get_json()["error"]
    assert field in [item["field"] for item in error["errors"]], error
    assert _rows(app) == before  # nothing stored
    created = api.post("/api/qrcodes", json=body | fix)  # changed as the sentence says: it scans
    assert created.status_code == 201, created.get_json()


@pytest.mark.parametrize("case", [case for case in CASES if case != "a logo at level L"])
def test_the_decode_says_which_check_failed_and_what_to_change(case):
    """The verifier on its own (the level rule refuses a logo at level L before any decode)."""
    body, field, _ = CASES[case]
    design = Design(**_design_fields(body))
    from codeqr_plugins.logo import LogoOverlay
    from codeqr_plugins.png import PngRenderer

    problem = verify.verify(render_spec(Picture(body["url"], design), LogoOverlay({})), PngRenderer({}))
    assert problem is not None and problem.field == field, case
    assert problem.sentence.startswith("This design does not scan ")
    assert ("printed 2 cm wide" in problem.sentence) == (case == "a content too long for a small print")


def test_a_logo_at_level_l_does_not_decode_either():
    """What the level rule says, the decode finds too: the logo at level L's largest size."""
    body = CASES["a logo at level L"][0]
    from codeqr_plugins.logo import LogoOverlay
    from codeqr_plugins.png import PngRenderer

    problem = verify.verify(render_spec(Picture(URL, Design(**_design_fields(body))), LogoOverlay({})), PngRenderer({}))
    assert problem is not None and problem.field == "showLogo" and "error correction H" in problem.sentence


def _design_fields(body: dict) -> dict:
    """A ``Design`` of an API body's design fields (level M and the defaults otherwise)."""
    names = {"bgColor": "bg_color", "fgColor": "fg_color", "eyeColor": "eye_color", "fgGradient": "fg_gradient",
             "showLogo": "show_logo"}
    fields = {"bg_color": "#ffffff", "fg_color": "#000000", "size": 1024, "level": "M", "margin": 4, "show_logo": False}
    return fields | {names.get(name, name): value for name, value in body.items() if name not in ("url", "static")}


@pytest.mark.parametrize("field,choices", [("pattern", values.Pattern), ("eye_shape", values.EyeShape),
                                           ("shape", values.Shape), ("frame", values.Frame)])
def test_every_style_scans_in_plain_colours(field, choices):
    """The check refuses no style of its own accord: each pattern, eye, outline and frame."""
    from codeqr_plugins.png import PngRenderer

    for choice in get_args(choices):
        design = Design(**_design_fields({"size": 512}) | {field: choice})
        assert verify.verify(render_spec(Picture(URL, design), None), PngRenderer({})) is None, choice


def test_an_update_decodes_only_when_the_image_changes(app, api, monkeypatch):
    calls = []

    def spy(spec, renderer=None):
        calls.append(spec.text)
        return verify.verify(spec, renderer)

    monkeypatch.setattr(field_checks, "verify", spy)
    qr = api.post("/api/qrcodes", json={"url": URL}).get_json()
    assert calls == [qr["shortLink"]]  # the random key was drawn before the check: its very link
    assert api.patch(f"/api/qrcodes/{qr['id']}", json={"title": "Menu"}).status_code == 200
    assert len(calls) == 1  # the title is not in the image
    assert api.patch(f"/api/qrcodes/{qr['id']}", json={"fgColor": "#1d4ed8"}).status_code == 200
    assert len(calls) == 2
    assert api.patch(f"/api/qrcodes/{qr['id']}", json={"key": "menu"}).status_code == 200
    assert calls[-1].endswith("/menu")  # the encoded link changed: decoded again


def test_an_update_that_would_not_scan_changes_nothing(api):
    qr = api.post("/api/qrcodes", json={"url": URL, "bgColor": "#111827", "fgColor": "#ffffff"}).get_json()
    refused = api.patch(f"/api/qrcodes/{qr['id']}", json={"margin": 0, "title": "Dark"})
    assert refused.status_code == 422 and refused.get_json()["error"]["errors"][0]["field"] == "margin"
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json() == qr


def test_upsert_and_bulk_check_each_code(app, api):
    body, field, fix = CASES["eye colour too close to the background"]
    before = _rows(app)
    upsert = api.put("/api/qrcodes/upsert", json=body)
    assert upsert.status_code == 422 and upsert.get_json()["error"]["errors"][0]["field"] == field
    answer = api.post("/api/qrcodes/bulk", json=[body, body | fix | {"url": URL + "/2"}]).get_json()
    assert answer[0]["error"]["errors"][0]["field"] == field and answer[1]["url"] == URL + "/2"
    assert _rows(app) == before + 1


def test_the_preview_says_whether_the_design_scans(browser):
    token = csrf_of(browser, "/qrcodes/new")
    fields = {"url": URL, "fg_color": "#000000", "bg_color": "#ffffff", "size": "512", "margin": "4",
              "csrf_token": token}
    good = browser.post("/qrcodes/preview", data=fields).get_json()
    assert good["ok"] and good["scan"]["decodes"] is True
    bad = browser.post("/qrcodes/preview", data=fields | {"bg_color": "#111827", "fg_color": "#ffffff",
                                                         "margin": "0"}).get_json()
    assert not bad["ok"] and bad["unscannable"] and bad["image"].startswith("data:image/")
    assert bad["scan"]["decodes"] is False and bad["scan"]["field"] == "margin"
    assert bad["scan"]["sentence"] == bad["errors"]["margin"] and "margin to 2" in bad["scan"]["sentence"]
    other = browser.post("/qrcodes/preview", data=fields | {"fg_color": "#fefefe"}).get_json()
    assert other["scan"] is None  # colours too alike: the contrast rule says so, nothing decoded
    page = browser.get("/qrcodes/new").get_data(as_text=True)
    assert 'id="scan-verdict"' in page
    assert browser.get("/qrcodes").get_data(as_text=True).count("<tr>") == 0


def test_the_csv_import_refuses_a_row_that_does_not_scan_in_its_job(browser):
    rows = [["url", "bgColor", "fgColor", "margin"], [URL, "#111827", "#ffffff", "0"], [URL + "/ok", "", "", ""]]
    data = "".join(",".join(row) + "\n" for row in rows).encode()
    started = _import(browser, data)
    assert started.status_code == 302
    job = _wait(browser, started.headers["Location"])
    assert (job["created"], job["failed"]) == (1, 1)
    refused = list(csv.DictReader(io.StringIO(browser.get(started.headers["Location"] + "/refused.csv")
                                              .data.decode("utf-8-sig"))))
    assert refused[0]["problem"].startswith("Row 2: Margin in modules: This design does not scan")



def test_create_update_and_bulk_decode_outside_the_write_transaction(app, api, monkeypatch):
    """A decode takes up to seconds: no writer may wait for it (on SQLite, redirects count scans)."""
    writing = []

    def spy(spec, renderer=None):
        writing.append(bool(db.session().info.get("codeqr_writing")))
        return verify.verify(spec, renderer)

    monkeypatch.setattr(field_checks, "verify", spy)
    qr = api.post("/api/qrcodes", json={"url": URL}).get_json()
    assert api.patch(f"/api/qrcodes/{qr['id']}", json={"fgColor": "#1d4ed8"}).status_code == 200
    refused = api.patch(f"/api/qrcodes/{qr['id']}", json={"eyeColor": "#eeeeee"})
    assert refused.status_code == 422 and refused.get_json()["error"]["errors"][0]["field"] == "eyeColor"
    assert api.post("/api/qrcodes/bulk", json=[{"url": URL + "/1"}, {"url": URL + "/2"}]).status_code == 200
    assert writing == [False] * 5  # each image decoded once, none inside a transaction
