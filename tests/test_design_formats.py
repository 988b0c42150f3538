"""Every image format, plain and styled, decodes to its content (PDF rasterised by PDFium,
EPS by Ghostscript: readers independent of the code that writes them); PDF captions are
text; ETags and 304s; the detail page's menu and the ZIP export offer every format; the
print sheet's pages, codes, captions and refusals."""

import io
import math
import re
from types import SimpleNamespace
from typing import get_args

import pypdfium2
import pytest
from PIL import Image, ImageDraw

from codeqr import pluginmanager
from codeqr.design import values
from codeqr.design.drawing import Bitmap, Caption, Drawing, Fill, TextLine
from codeqr.design.eps import to_eps
from codeqr.design.paths import Path
from codeqr.design.pdf import to_pdf
from codeqr.domain.rendering import Picture, render_spec
from codeqr.domain.schemas import Design
from codeqr.jobs.print_sheet import FILE_NAME
from decode import decode, pdf_pages, read, to_image
from test_web import _export, create
from web_client import csrf_of

#: Every format of the app (its own renderers; the example plugins' are tested by their own).
FORMATS = sorted(name for name, cls in pluginmanager.renderers(pluginmanager.build_plugin_manager((), ())).items()
                 if cls.__module__.startswith("codeqr_plugins."))
STYLED = {"pattern": "dots", "eyeColor": "#b91c1c", "level": "Q",
          "fgGradient": {"type": "linear", "colors": ["#1d4ed8", "#000000"], "rotation": 45}}
RADIAL = {"fgGradient": {"type": "radial", "colors": ["#166534", "#000000"]}, "bgColor": "#fefce8"}
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _pages(pdf: bytes) -> list[tuple[tuple[float, float], str]]:
    """Each page's size in points and its text (PDFium's reading)."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [(page.get_size(), page.get_textpage().get_text_range()) for page in document]
    finally:
        document.close()


def test_the_formats_are_the_six_people_ask_for():
    assert {"png", "svg", "jpg", "webp", "pdf", "eps"} <= set(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("design", [{}, STYLED, RADIAL], ids=["plain", "styled", "radial"])
def test_every_format_decodes_to_exactly_its_text(api, client, fmt, design):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/formats", "size": 400, **design}).get_json()
    response = client.get(f"/qr/{qr['id']}.{fmt}")
    assert response.status_code == 200, response.get_data(as_text=True)
    media_type = response.mimetype
    assert decode(response.data, media_type) == [qr["shortLink"]]
    assert to_image(response.data, media_type).size == (400, 400)  # PDF and EPS: 400 pt at 72 dpi


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_framed_design_decodes_in_every_format_and_its_pdf_caption_is_text(api, client, fmt):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/framed", "size": 400, "frame": "frame-1",
                                        "frameText": "Scan the menü", "frameColor": "#1e3a8a", **STYLED}).get_json()
    response = client.get(f"/qr/{qr['id']}.{fmt}")
    assert decode(response.data, response.mimetype) == [qr["shortLink"]]
    width, height = to_image(response.data, response.mimetype).size
    assert width == 400 and height > 400  # the frame's bar below the code
    if fmt == "pdf":
        assert " ".join(_pages(response.data)[0][1].split()) == "Scan the menü"
        assert b"/FontFile2" in response.data


PATTERNS, EYES, SHAPES, FRAMES = (get_args(kind) for kind in (values.Pattern, values.EyeShape, values.Shape,
                                                                values.Frame))
#: Each pattern, eye shape, outline and frame at least once (in turn, so the styles mix).
LOOKS = [{"pattern": PATTERNS[i % len(PATTERNS)], "eye_shape": EYES[i % len(EYES)], "shape": SHAPES[i % len(SHAPES)],
          "frame": FRAMES[i % len(FRAMES)], "level": "LMQH"[i % 4]}
         for i in range(max(map(len, (PATTERNS, EYES, SHAPES, FRAMES))))]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("look", LOOKS, ids=lambda look: "-".join(look.values()))
def test_every_pattern_eye_outline_and_frame_decodes_in_every_format(fmt, look):
    renderer = pluginmanager.renderers(pluginmanager.build_plugin_manager((), ()))[fmt]({})
    text = "https://go.example.org/every-look"
    design = Design(size=400, **look, eye_color="#7c2d12",
                    fg_gradient={"type": "radial", "colors": ["#1d4ed8", "#000000"]})
    data = renderer.render(render_spec(Picture(text, design), None))
    assert decode(data, renderer.media_type) == [text]


def test_jpeg_has_no_alpha_and_pdf_and_eps_are_vectors(api, client):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/v", "size": 300, **STYLED}).get_json()
    jpeg = Image.open(io.BytesIO(client.get(f"/qr/{qr['id']}.jpg").data))
    assert (jpeg.format, jpeg.mode) == ("JPEG", "RGB")
    webp = Image.open(io.BytesIO(client.get(f"/qr/{qr['id']}.webp").data))
    assert webp.format == "WEBP"
    pdf = client.get(f"/qr/{qr['id']}.pdf").data
    assert [size for size, _ in _pages(pdf)] == [(300, 300)]
    # Vectors: rendered 4 times larger, the code is still read (no image is scaled up) and
    # the PDF holds no image at all.
    assert read(pdf_pages(pdf, scale=4)[0]) == [qr["shortLink"]] and b"/Subtype /Image" not in pdf
    eps = client.get(f"/qr/{qr['id']}.eps").data
    assert eps.startswith(b"%!PS-Adobe-3.0 EPSF-3.0\n") and b"%%BoundingBox: 0 0 300 300\n" in eps
    assert b"shfill" in eps and b"eofill" in eps and b"image" not in eps


def test_pdf_captions_are_real_text_in_their_embedded_font():
    face = SimpleNamespace(path=FONT)
    box = Path().rect(10, 90, 80, 12)
    caption = Caption([TextLine("Scan me", 10, 40), TextLine("Zürich menu", 10, 70)], face, 14, "#7c2d12", box)
    drawing = Drawing(200, 100, [Fill(Path().rect(0, 0, 200, 100), "#ffffff"), caption])
    pdf = to_pdf(drawing)
    assert _pages(pdf)[0][1].split() == ["Scan", "me", "Zürich", "menu"]
    assert b"/FontFile2" in pdf and b"DejaVuSans" in pdf  # the TrueType font travels with the file
    # A face without a font file: its outline is drawn instead (and there is no text).
    bare = Caption(caption.lines, SimpleNamespace(), 14, "#000000", box)
    pdf = to_pdf(Drawing(200, 100, [bare]))
    assert _pages(pdf)[0][1].strip() == ""
    image = pdf_pages(pdf)[0].convert("L")
    assert image.getpixel((50, 96)) < 64 and image.getpixel((50, 40)) > 192


@pytest.mark.parametrize("writer", ["pdf", "eps"])
def test_vector_bitmaps_keep_their_transparency_and_eps_captions_are_outlines(writer):
    """A logo (green disc on transparent corners) over a black band: the band shows through
    the corners; an EPS draws a caption's outline (a PDF its text: above)."""
    logo = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    ImageDraw.Draw(logo).ellipse((0, 0, 39, 39), fill=(0, 160, 0, 255))
    png = io.BytesIO()
    logo.save(png, format="PNG")
    outline = Path().rect(150, 20, 30, 30)  # stands for glyphs: a square where the text is
    caption = Caption([TextLine("Hi", 150, 45)], SimpleNamespace(), 30, "#1e3a8a", outline)
    drawing = Drawing(200, 100, [Fill(Path().rect(0, 0, 200, 100), "#ffffff"), Fill(Path().rect(0, 0, 100, 100), "#000000"),
                                 Bitmap(10, 10, 80, 80, png.getvalue()), caption])
    data = to_pdf(drawing) if writer == "pdf" else to_eps(drawing)
    image = to_image(data, {"pdf": "application/pdf", "eps": "application/postscript"}[writer]).convert("RGB")
    assert image.size == (200, 100)
    green, corner, paper = image.getpixel((50, 50)), image.getpixel((13, 13)), image.getpixel((120, 50))
    assert green[1] > 120 and green[0] < 60 and max(corner) < 40 and min(paper) > 240
    if writer == "eps":
        assert image.getpixel((165, 35)) == pytest.approx((0x1E, 0x3A, 0x8A), abs=8)


def test_every_format_has_its_etag_and_answers_304(api, client):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/etag", **STYLED}).get_json()
    etags = set()
    for fmt in FORMATS:
        first = client.get(f"/qr/{qr['id']}.{fmt}")
        etag = first.headers["ETag"]
        again = client.get(f"/qr/{qr['id']}.{fmt}", headers={"If-None-Match": etag})
        assert (again.status_code, again.data, again.headers["ETag"]) == (304, b"", etag), fmt
        etags.add(etag)
    assert len(etags) == len(FORMATS)
    changed = api.patch(f"/api/qrcodes/{qr['id']}", json={"eyeColor": "#1e3a8a"})
    assert changed.status_code == 200
    for fmt in FORMATS:
        assert client.get(f"/qr/{qr['id']}.{fmt}").headers["ETag"] not in etags


def test_the_detail_page_offers_every_format_by_its_label(browser, web_app):
    qr = create(web_app, url="https://example.com/", title="Menu", size=512)
    page = browser.get(f"/qrcodes/{qr['id']}").get_data(as_text=True)
    offered = set(re.findall(rf'/qrcodes/{qr["id"]}/download\.([\w-]+)\?size=', page))
    assert set(FORMATS) <= offered
    labels = set(re.findall(r"download>([^<]+)</a>", page))
    assert {"JPEG, 512 px (its size)", "WebP, 512 px (its size)", "PNG, 512 px (its size)", "SVG (vector, any size)",
            "PDF (vector, any size)", "EPS (vector, any size)"} <= labels
    for fmt in FORMATS:
        got = browser.get(f"/qrcodes/{qr['id']}/download.{fmt}?size=512")
        assert got.status_code == 200 and decode(got.data, got.mimetype) == [qr["shortLink"]], fmt


def test_the_zip_export_holds_each_chosen_format(browser, web_app):
    made = [create(web_app, url=f"https://example.com/{i}", title=f"Item {i}", size=300) for i in range(2)]
    form = browser.get("/qrcodes").get_data(as_text=True)
    assert set(FORMATS) <= set(re.findall(r'name="format" value="([\w-]+)"', form))
    archive = _export(browser, ids=[qr["id"] for qr in made], format=FORMATS)
    suffixes = {"png": ".png", "svg": ".svg", "jpg": ".jpg", "webp": ".webp", "pdf": ".pdf", "eps": ".eps"}
    media_types = {"png": "image/png", "svg": "image/svg+xml", "jpg": "image/jpeg", "webp": "image/webp",
                   "pdf": "application/pdf", "eps": "application/postscript"}
    for qr in made:
        for fmt in FORMATS:
            name = qr["key"] + suffixes[fmt]
            assert decode(archive.read(name), media_types[fmt]) == [qr["shortLink"]], name
    assert FILE_NAME not in archive.namelist()  # not asked for


# -- the print sheet ----------------------------------------------------------------

PAGE_POINTS = {"a4": (595, 842), "letter": (612, 792)}




@pytest.mark.parametrize(("paper", "columns", "rows", "count"), [("a4", 2, 3, 7), ("letter", 3, 2, 6)])
def test_the_print_sheet_lays_every_code_out_on_its_pages(browser, web_app, paper, columns, rows, count):
    made = [create(web_app, url=f"https://example.com/s/{i}", title=f"Sticker {i}", size=256,
                   **({"pattern": "dots", "eyeColor": "#1e3a8a"} if i % 2 else {})) for i in range(count - 1)]
    made.append(create(web_app, type="text", text="Hello from a static code", static=True, title="Static one"))
    archive = _export(browser, ids=[qr["id"] for qr in made], sheet="1", sheet_paper=paper, sheet_columns=columns,
                      sheet_rows=rows, sheet_margin=12)
    assert not [name for name in archive.namelist() if name.endswith(".png")]  # no format ticked: the sheet alone
    sheet = archive.read(FILE_NAME)
    pages = _pages(sheet)
    assert len(pages) == math.ceil(count / (columns * rows))
    assert {tuple(round(side) for side in size) for size, _ in pages} == {PAGE_POINTS[paper]}
    text = "".join(words for _, words in pages)
    found = [found for image in pdf_pages(sheet, scale=300 / 72) for found in _every_code(image, columns, rows)]
    contents = [qr["shortLink"] or "Hello from a static code" for qr in made]
    assert sorted(found) == sorted(contents)
    for qr in made[:-1]:
        assert qr["title"] in text and qr["shortLink"] in text
    assert "Static one" in text


def _every_code(image: Image.Image, columns: int, rows: int) -> list[str]:
    """The codes read cell by cell (rendered at 300 dpi, a margin of 12 mm)."""
    width, height = image.size
    margin = 12 / 25.4 * 300
    cell_w, cell_h = (width - 2 * margin) / columns, (height - 2 * margin) / rows
    out = []
    for row in range(rows):
        for column in range(columns):
            left, top = margin + column * cell_w, margin + row * cell_h
            out += read(image.crop((round(left), round(top), round(left + cell_w), round(top + cell_h))))
    return out


def test_the_print_sheet_draws_crop_marks_in_the_margin(browser, web_app):
    qr = create(web_app, url="https://example.com/marks", title="Marks", size=256)
    archive = _export(browser, ids=[qr["id"]], sheet="1", sheet_columns=2, sheet_rows=2, sheet_margin=10)
    (image,) = pdf_pages(archive.read(FILE_NAME), scale=2)
    image = image.convert("L")
    mm = 2 * 72 / 25.4
    # In line with the middle column edge, in the top margin: a mark; beside it, paper.
    middle = round(image.width / 2)
    assert min(image.getpixel((x, round(5 * mm))) for x in range(middle - 2, middle + 3)) < 128
    assert image.getpixel((middle + round(10 * mm), round(5 * mm))) > 240


@pytest.mark.parametrize(("options", "said"), [
    ({"sheet_columns": 11}, "Choose between 1 and 10 columns."),
    ({"sheet_columns": 0}, "Choose between 1 and 10 columns."),
    ({"sheet_rows": 21}, "Choose between 1 and 20 rows."),
    ({"sheet_rows": "many"}, "Choose between 1 and 20 rows."),
    ({"sheet_margin": 51}, "Choose a margin between 0 and 50 mm."),
    ({"sheet_margin": -1}, "Choose a margin between 0 and 50 mm."),
    ({"sheet_margin": "nan"}, "Choose a margin between 0 and 50 mm."),
    ({"sheet_paper": "a3"}, "Choose A4 or Letter paper."),
    ({"sheet_columns": 10, "sheet_rows": 20}, "the codes would print only"),
])
def test_bad_print_sheet_options_are_refused_with_a_sentence(browser, web_app, options, said):
    qr = create(web_app, url="https://example.com/bad", title="Bad")
    token = csrf_of(browser, "/qrcodes")
    refused = browser.post("/export", data={"ids": qr["id"], "sheet": "1", **options, "csrf_token": token})
    assert refused.status_code == 422
    assert said in refused.get_data(as_text=True)


def test_a_print_sheet_of_too_many_codes_is_refused_with_a_sentence(browser, web_app, monkeypatch):
    from codeqr.jobs import print_sheet

    monkeypatch.setattr(print_sheet, "MAX_CODES", 2)  # the limit, lowered to keep the test small
    made = [create(web_app, url=f"https://example.com/many/{i}") for i in range(3)]
    token = csrf_of(browser, "/qrcodes")
    refused = browser.post("/export", data={"ids": [qr["id"] for qr in made], "sheet": "1", "csrf_token": token},
                           follow_redirects=True)
    assert "A print sheet holds at most 2 QR Codes: select fewer" in refused.get_data(as_text=True)
