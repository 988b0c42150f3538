"""The form's design panel (issue 22): every design field goes through the form and comes back
in the edit page as it was saved; the fields whose value is a model (the gradient, the frame
text's styles) are spread in the form, the CSV import and the export manifest and gathered
again; a bad colour is said beside its field, the contrast in words beside each colour; the
swatches are SVG pictures of every choice, drawn by the geometry."""

import base64
import csv
import io
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Literal, get_args, get_origin

import pytest
from pydantic import ValidationError

from codeqr.context import for_operator
from codeqr.domain.schemas import CORE, value_type
from codeqr.jobs import csv_import
from decode import decode
from test_web import _export, create
from web_client import csrf_of

#: A value other than the default for each core design field, as the form posts it, and as
#: the API then answers it. A test below checks this table names every design field.
POSTED = {
    "bg_color": ("#fffff0", "#fffff0"),
    "fg_color": ("#123456", "#123456"),
    "size": ("512", 512),
    "level": ("H", "H"),
    "margin": ("2", 2),
    "show_logo": ("y", True),
    "logo": (None, None),  # a file, not text: test_a_logo_file_is_posted_with_the_form
    "width": ("96", 96),
    "height": ("80", 80),
    "excavate": ("", False),
    "pattern": ("dots", "dots"),
    "shape": ("circle", "circle"),
    "eye_shape": ("leaf", "leaf"),
    "eye_color": ("#003300", "#003300"),
    "fg_gradient": ({"fg_gradient-type": "radial", "fg_gradient-colors": ["#aa0000", "0000AA"],
                     "fg_gradient-rotation": "30"},
                    {"type": "radial", "colors": ["#aa0000", "#0000aa"], "rotation": 30}),
    "frame": ("frame-2", "frame-2"),
    "frame_color": ("#222222", "#222222"),
    "frame_text": ("Scan for the menu", "Scan for the menu"),
    "frame_text_color": ("#ffffff", "#ffffff"),
    "frame_text_styles": ({"frame_text_styles-weight": "bold", "frame_text_styles-style": "italic",
                           "frame_text_styles-family": "serif", "frame_text_styles-size": "xl"},
                          {"weight": "bold", "style": "italic", "family": "serif", "size": "xl"}),
}


class _Controls(HTMLParser):
    """What a browser would post from a page's form: each named control's value (a ticked
    box, the checked radio, the selected option), in order, as (name, value) pairs."""

    def __init__(self):
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attr = dict(attrs)
        name = attr.get("name")
        if tag == "input" and name and attr.get("type") not in ("file", "submit"):
            if attr.get("type") in ("checkbox", "radio") and "checked" not in attr:
                return
            self.pairs.append((name, attr.get("value") or ("y" if attr.get("type") == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((attr.get("value", ""), "selected" in attr))
        elif tag == "textarea" and name:
            self._textarea = name
            self.pairs.append((name, ""))

    def handle_data(self, data):
        if self._textarea:
            self.pairs[-1] = (self._textarea, self.pairs[-1][1] + data)

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            chosen = next((value for value, selected in self._options if selected), self._options[0][0])
            self.pairs.append((self._select, chosen))
            self._select = None
        elif tag == "textarea":
            if self._textarea:  # the line break after <textarea> is not part of its value
                self.pairs[-1] = (self._textarea, self.pairs[-1][1].removeprefix("\n"))
            self._textarea = None


def posted_by(html: str) -> dict[str, list[str]]:
    """The form data a browser posts from ``html``'s QR Code form, without script."""
    form = re.search(r'<form[^>]*id="qrcode-form".*?</form>', html, flags=re.DOTALL).group(0)
    parser = _Controls()
    parser.feed(form)
    data: dict[str, list[str]] = {}
    for name, value in parser.pairs:
        data.setdefault(name, []).append(value)
    return data


def _form_data(values: dict) -> dict:
    data: dict = {"url": "https://example.com/designed"}
    for name, (posted, _) in values.items():
        if isinstance(posted, dict):
            data |= posted
        elif posted is not None:
            data[name] = posted
    return data


def _only() -> dict:
    from codeqr.domain import qrcodes
    from codeqr.domain.filters import ListQuery

    return qrcodes.list_page(ListQuery(), for_operator())[0].api()


def test_the_table_names_every_design_field():
    assert set(POSTED) == set(CORE.design_fields)


def test_each_design_field_goes_through_the_form_and_comes_back_in_the_edit_page(browser, web_app):
    token = csrf_of(browser, "/qrcodes/new")
    made = browser.post("/qrcodes/new", data={**_form_data(POSTED), "csrf_token": token})
    assert made.status_code == 302, re.findall(r'class="field-error"[^>]*>([^<]+)<', made.get_data(as_text=True))
    with web_app.app_context():
        saved = _only()
    for name in CORE.design_fields:
        assert saved[CORE.api_names[name]] == POSTED[name][1], name
    # The edit page shows each as saved: posted back as it is, it changes nothing.
    edit = f"/qrcodes/{saved['id']}/edit"
    again = browser.post(edit, data=posted_by(browser.get(edit).get_data(as_text=True)))
    assert again.status_code == 302, re.findall(r'class="field-error"[^>]*>([^<]+)<', again.get_data(as_text=True))
    with web_app.app_context():
        assert _only() == saved


@pytest.mark.parametrize("posted, expected", [
    ({}, None),  # nothing posted: no gradient
    ({"fg_gradient-type": "", "fg_gradient-colors": ["#ff0000", "#0000ff"]}, None),  # "None: one colour" wins
    ({"fg_gradient-type": "", "fg_gradient-colors": ["", ""], "fg_gradient-rotation": "0"}, None),
    ({"fg_gradient-type": "linear", "fg_gradient-colors": ["#ff0000", "#0000ff"], "fg_gradient-rotation": ""},
     {"type": "linear", "colors": ["#ff0000", "#0000ff"], "rotation": 0}),
])
def test_the_gradient_is_gathered_from_its_fields_blank_is_none(browser, web_app, posted, expected):
    token = csrf_of(browser, "/qrcodes/new")
    made = browser.post("/qrcodes/new", data={"url": "https://example.com/g", **posted, "csrf_token": token})
    assert made.status_code == 302
    with web_app.app_context():
        assert _only()["fgGradient"] == expected


def test_styles_at_their_defaults_are_none_and_an_edit_clears_the_gradient(browser, web_app):
    token = csrf_of(browser, "/qrcodes/new")
    defaults = {"frame_text_styles-weight": "normal", "frame_text_styles-style": "normal",
                "frame_text_styles-family": "sans", "frame_text_styles-size": "m"}
    browser.post("/qrcodes/new", data={"url": "https://example.com/s", **defaults, "fg_gradient-type": "linear",
                                       "fg_gradient-colors": ["#000000", "#333333"], "csrf_token": token})
    with web_app.app_context():
        saved = _only()
    assert saved["frameTextStyles"] is None and saved["fgGradient"]["colors"] == ["#000000", "#333333"]
    edit = f"/qrcodes/{saved['id']}/edit"
    data = posted_by(browser.get(edit).get_data(as_text=True)) | {"fg_gradient-type": [""]}
    assert browser.post(edit, data=data).status_code == 302
    with web_app.app_context():
        assert _only()["fgGradient"] is None


def _error_of(html: str, name: str) -> str:
    return re.search(rf'<small[^>]*class="field-error" data-for="{re.escape(name)}">([^<]*)</small>', html).group(1)


@pytest.mark.parametrize("posted, field, words", [
    ({"fg_color": "red"}, "fg_color", "Enter a colour as six hex digits"),
    ({"eye_color": "#12345"}, "eye_color", "Enter a colour as six hex digits"),
    ({"fg_gradient-type": "linear", "fg_gradient-colors": ["#000000", "navy"]}, "fg_gradient-colors",
     "Enter a colour as six hex digits"),
    ({"fg_gradient-type": "linear", "fg_gradient-colors": ["#000000", ""]}, "fg_gradient-colors",
     "Give the gradient two colours"),
    ({"fg_gradient-type": "linear", "fg_gradient-colors": ["#000000", "#222222"], "fg_gradient-rotation": "400"},
     "fg_gradient-rotation", "Enter a whole number from 0 to 359."),
    ({"frame_text_styles-family": "comic"}, "frame_text_styles-family", "Choose one of"),
    ({"pattern": "stars"}, "pattern", "Choose one of"),
])
def test_a_bad_value_is_said_beside_its_field_and_nothing_is_saved(browser, web_app, posted, field, words):
    token = csrf_of(browser, "/qrcodes/new")
    refused = browser.post("/qrcodes/new", data={"url": "https://example.com/b", **posted, "csrf_token": token})
    assert refused.status_code == 200
    assert words in _error_of(refused.get_data(as_text=True), field)
    with web_app.app_context():
        from codeqr.domain import qrcodes
        from codeqr.domain.filters import Filters
        assert qrcodes.count(Filters(), for_operator()) == 0


def _verdict(html: str, name: str) -> str:
    return re.search(rf'class="contrast-verdict" data-for="{re.escape(name)}"[^>]*>([^<]*)<', html).group(1)


def test_the_contrast_is_said_in_words_beside_each_colour(browser):
    token = csrf_of(browser, "/qrcodes/new")
    page = browser.post("/qrcodes/new", data={"url": "https://example.com/c", "fg_color": "#dddddd",
                                              "eye_color": "#000000", "frame_color": "#777777",
                                              "frame_text_color": "#808080", "csrf_token": token})
    html = page.get_data(as_text=True)
    assert "too low to scan" in _verdict(html, "fg_color") and "1.4 to 1" in _verdict(html, "fg_color")
    assert "scans well" in _verdict(html, "eye_color")  # 21 to 1
    assert "too low to scan" in _verdict(html, "frame_text_color")
    # The live preview says the same, for the script to show.
    answer = browser.post("/qrcodes/preview", data={"url": "https://example.com/c", "fg_color": "#767676",
                                                     "csrf_token": token}).get_json()
    level, words = answer["verdicts"]["fg_color"]
    assert level == "fair" and words.startswith("Contrast 4.5 to 1 with the background")


def test_a_logo_file_is_posted_with_the_form(browser, web_app):
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    token = csrf_of(browser, "/qrcodes/new")
    made = browser.post("/qrcodes/new", content_type="multipart/form-data",
                        data={"url": "https://example.com/l", "logo_file": (io.BytesIO(png), "logo.png", "image/png"),
                              "csrf_token": token})
    assert made.status_code == 302, made.get_data(as_text=True)
    with web_app.app_context():
        assert _only()["logo"]  # kept as the logo intake keeps it
    refused = browser.post("/qrcodes/new", content_type="multipart/form-data",
                           data={"url": "https://example.com/m", "csrf_token": token,
                                 "logo_file": (io.BytesIO(b"x" * (1024 * 1024 + 1)), "big.png", "image/png")})
    assert "larger than 1 MB" in _error_of(refused.get_data(as_text=True), "logo")


def _literal_fields() -> dict[str, tuple]:
    """Every core design field whose value is one of a fixed few, with those values."""
    return {name: get_args(kind) for name, info in CORE.create.model_fields.items()
            if name in CORE.design_fields and get_origin(kind := value_type(info)) is Literal}


def test_a_swatch_is_an_svg_for_every_value_of_every_choice_field(browser):
    fields = _literal_fields()
    assert {"pattern", "shape", "eye_shape", "frame", "level"} <= set(fields)
    page = browser.get("/qrcodes/new").get_data(as_text=True)
    for field, values in fields.items():
        for value in values:
            answer = browser.get(f"/qrcodes/swatches/{field}/{value}")
            assert answer.status_code == 200 and answer.mimetype == "image/svg+xml", (field, value)
            assert ET.fromstring(answer.data).tag == "{http://www.w3.org/2000/svg}svg"
            if field in ("shape", "frame", "level"):  # drawn whole: a code that scans
                assert decode(answer.data, "image/svg+xml") == ["https://codeqr.example/swatch"], (field, value)
            # Its address in the page carries its digest: kept for good, and asked again only when it changed.
            src = re.search(rf'src="(/qrcodes/swatches/{field}/{re.escape(value)}\?v=[0-9a-f]+)"', page)
            if src:
                kept = browser.get(src.group(1))
                assert "immutable" in kept.headers["Cache-Control"]
                assert browser.get(src.group(1), headers={"If-None-Match": kept.headers["ETag"]}).status_code == 304
    for wrong in ("/qrcodes/swatches/pattern/stars", "/qrcodes/swatches/fg_color/red",
                  "/qrcodes/swatches/title/x"):
        assert browser.get(wrong).status_code == 404


def test_the_panel_has_its_sections_and_every_swatch_is_a_labelled_radio(browser):
    html = browser.get("/qrcodes/new").get_data(as_text=True)
    headings = re.findall(r'<h3 id="design-[a-z]+-title">([^<]+)</h3>', html)
    assert headings == ["Pattern", "Eyes", "Colours", "Logo", "Frame"]
    assert re.search(r'<details class="design-section design-advanced"[^>]*>\s*<summary>Size, margin', html)
    for field in ("pattern", "shape", "eye_shape", "frame"):
        radios = re.findall(rf'<label class="swatch-tile">\s*<input type="radio" name="{field}" value="([^"]+)"', html)
        assert tuple(radios) == _literal_fields()[field]
    assert 'enctype="multipart/form-data"' in html and 'name="logo_file"' in html


def _manifest(archive) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))


def test_the_manifest_spreads_the_nested_fields_and_imports_back_unchanged(browser, web_app):
    qr = create(web_app, url="https://example.com/round", fgGradient={"type": "linear", "colors": ["#112233", "#445566"],
                                                                       "rotation": 45},
                frameTextStyles={"weight": "bold", "family": "mono"}, frame="frame-1", frameText="Menu")
    plain = create(web_app, url="https://example.com/plain")
    rows = {row["id"]: row for row in _manifest(_export(browser, ids=[qr["id"], plain["id"]], format=["svg"]))}
    row = rows[qr["id"]]
    assert (row["fgGradient.type"], row["fgGradient.colors"], row["fgGradient.rotation"]) == \
        ("linear", "#112233\n#445566", "45")
    assert (row["frameTextStyles.weight"], row["frameTextStyles.family"], row["frameTextStyles.size"]) == \
        ("bold", "mono", "m")
    assert rows[plain["id"]]["fgGradient.type"] == rows[plain["id"]]["frameTextStyles.family"] == ""
    assert "fgGradient" not in rows[qr["id"]]  # spread, never a JSON cell
    archive = _export(browser, ids=[qr["id"], plain["id"]], format=["svg"])
    with web_app.app_context():
        columns = csv_import.csv_columns(web_app.extensions["codeqr"].schemas)
        parsed = csv_import.parse(archive.read("manifest.csv"), columns)
        assert [csv_import.import_row(each, for_operator()) for each in parsed] == ["unchanged", "unchanged"]
        from codeqr.domain import qrcodes
        again = qrcodes.find(qr["id"], for_operator()).api()
    assert {name: again[name] for name in ("fgGradient", "frameTextStyles")} == \
        {"fgGradient": qr["fgGradient"], "frameTextStyles": qr["frameTextStyles"]}


def test_an_import_gathers_the_columns_and_names_the_one_at_fault(web_app):
    with web_app.app_context():
        columns = csv_import.csv_columns(web_app.extensions["codeqr"].schemas)
        assert {"fgGradient.type", "fgGradient.colors", "fgGradient.rotation", "frameTextStyles.family", "logo"} \
            <= set(columns.template)
        data = (b"url,fgGradient.type,fgGradient.colors,frameTextStyles.family,logo\n"
                b'https://example.com/a,radial,"#ff0000\n#0000ff", serif ,\n'
                b"https://example.com/b,linear,#ff0000,,\n"
                b"https://example.com/c,,,,https://logos.example/brand.png\n")
        first, second, third = csv_import.parse(data, columns)
        assert csv_import.import_row(first, for_operator()) == "created"
        made = _only()
        assert (made["fgGradient"], made["frameTextStyles"]["family"]) == \
            ({"type": "radial", "colors": ["#ff0000", "#0000ff"], "rotation": 0}, "serif")
        with pytest.raises(ValidationError) as refused:
            csv_import.import_row(second, for_operator())
        reason = csv_import._reason(refused.value, web_app.extensions["codeqr"].schemas, second)
        assert reason.startswith("fgGradient.colors: Give the gradient two colours"), reason
        assert third["logo"] == "https://logos.example/brand.png"  # the text, as written, for the logo intake


def test_pages_show_images_in_the_core_svg_beside_a_plugins_svg(app):
    """The codeqr-styled example registers ``styled-svg``, one look for every code: pages (and
    so the live preview) must show the core's ``svg``, which draws each code's design."""
    from codeqr.web.qrcodes import display_format

    renderers = app.extensions["codeqr"].images.renderers
    assert "styled-svg" in renderers, "the example plugin is installed with the test extra"
    with app.test_request_context():
        assert display_format() == "svg"
