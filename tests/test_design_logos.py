"""A QR Code's own logo: taken in from a data: URI, an https URL (fetched once, safely) or the
name an answer gave; refused plainly (422 beside ``logo``, nothing stored) when it is not a
safe image; drawn in the centre at the size asked, bounded by the level."""

import base64
import io
import struct
import time
import zlib
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageChops

from codeqr import db
from codeqr.design import logos
from codeqr.domain.timeutil import utcnow
from codeqr.errors import InvalidInput
from codeqr.operations import safe_fetch
from decode import decode, to_image
from logo_servers import Answer, ImageServer, huge, self_signed, slow_headers, trickle

URL = "https://example.org/"
RED = (255, 0, 0, 255)


# -- making files -------------------------------------------------------------------------


def image_bytes(fmt: str = "PNG", size=(64, 64), color=RED, **options) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGBA" if fmt != "JPEG" else "RGB", size, color if fmt != "JPEG" else color[:3])
    image.save(out, format=fmt, **options)
    return out.getvalue()


def data_uri(data: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def png_header_only(width: int, height: int) -> bytes:
    """A small PNG claiming ``width`` × ``height`` grey pixels: a decompression bomb."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    rows = zlib.compress(b"\0" * (width + 1) * 4, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


def svg(body: str, head: str = "") -> bytes:
    return (f'{head}<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="64" height="64" viewBox="0 0 64 64">{body}</svg>').encode()


def ring(side: int = 120, border: int = 10) -> bytes:
    """A red square frame, transparent inside: what lies under the logo shows through."""
    image = Image.new("RGBA", (side, side), RED)
    image.paste((0, 0, 0, 0), (border, border, side - border, side - border))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# -- the app and its storage --------------------------------------------------------------


def stored(app) -> list[str]:
    """Every file the filesystem storage holds."""
    root = Path(app.config["CODEQR_STORAGE_PATH"])
    return sorted(path.name for path in root.rglob("*") if path.is_file())


def refused(api, app, logo: str, **fields) -> str:
    """Send ``logo`` on create; check the 422 names ``logo`` alone and nothing is stored."""
    before = stored(app)
    answer = api.post("/api/qrcodes", json={"url": URL, "logo": logo, **fields})
    assert answer.status_code == 422, answer.get_json()
    errors = answer.get_json()["error"]["errors"]
    assert [error["field"] for error in errors] == ["logo"], errors
    assert stored(app) == before
    assert api.get("/api/qrcodes/count").get_json() == 0
    return errors[0]["message"]


def created(api, **fields) -> dict:
    answer = api.post("/api/qrcodes", json={"url": URL, **fields})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def picture(api, qr: dict, fmt: str = "png") -> Image.Image:
    answer = api.get(f"/qr/{qr['id']}.{fmt}")
    assert answer.status_code == 200
    assert decode(answer.data, answer.mimetype) == [qr["shortLink"]]
    return to_image(answer.data, answer.mimetype).convert("RGB")


def red_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """The bounding box of the red (logo) pixels."""
    r, g, _ = image.split()
    return ImageChops.subtract(r, g).point(lambda v: 255 if v > 150 else 0).getbbox()


def symbol_side(image: Image.Image) -> int:
    """The width of the symbol: the span of its dark modules (the finder eyes at its corners)."""
    box = image.convert("L").point(lambda v: 255 if v < 60 else 0).getbbox()
    assert box is not None
    return box[2] - box[0]


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def server(certificate, monkeypatch):
    """A real HTTPS server on loopback, trusted and allowed as a first hop by this test alone."""
    server = ImageServer(certificate)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    monkeypatch.setattr(safe_fetch, "TEST_FIRST_HOPS", frozenset({("127.0.0.1", server.port)}))
    yield server
    server.stop()


# -- refused: addresses -------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/logo.png", "https://[::1]/logo.png", "https://10.0.0.1/logo.png",
    "https://169.254.169.254/latest/meta-data/", "https://0.0.0.0/logo.png", "https://[::ffff:127.0.0.1]/logo.png",
    "https://[::ffff:a9fe:a9fe]/logo.png", "https://[fd00:ec2::254]/logo.png", "https://100.64.0.1/logo.png",
    "https://224.0.0.1/logo.png", "https://2130706433/logo.png", "https://localhost/logo.png",
    "https://[2002:7f00:1::]/logo.png", "https://[::127.0.0.1]/logo.png",
])
def test_a_logo_url_leading_inside_is_refused(api, app, url):
    message = refused(api, app, url)
    assert "only public web addresses can be fetched" in message


def test_a_name_resolving_inside_is_refused(api, app, monkeypatch):
    names = {"logo.example.com": ["10.1.2.3"], "rebind.example.com": ["93.184.216.34", "127.0.0.1"],
             "meta.example.com": ["169.254.169.254"]}
    monkeypatch.setattr(safe_fetch, "lookup", lambda host, port: names[host])
    for host in names:
        assert "only public web addresses" in refused(api, app, f"https://{host}/logo.png")
    assert "cloud metadata" in refused(api, app, "https://meta.example.com/logo.png")


@pytest.mark.parametrize(("url", "words"), [
    ("http://example.org/logo.png", "only https"), ("https://user:pass@example.org/logo.png", "user name or password"),
    ("ftp://example.org/logo.png", "data: URI or an https://"), ("logo.png", "data: URI or an https://"),
    ("logo-00000000000000000000000000000000.png", "no logo is kept"),
])
def test_a_logo_that_is_no_https_url_is_refused(api, app, url, words):
    assert words in refused(api, app, url)


def test_the_test_allow_list_is_no_setting_nor_input(app):
    assert not safe_fetch.TEST_FIRST_HOPS
    assert not any("FIRST_HOP" in name for name in app.config)


# -- refused: what a server answers ------------------------------------------------------------


def test_a_redirect_to_loopback_is_refused_though_the_first_hop_was_allowed(api, app, server):
    server.answers["/logo.png"] = Answer(image_bytes())
    server.answers["/moved"] = Answer(status=302, headers={"Location": server.url("/logo.png")})
    assert "127.0.0.1" in refused(api, app, server.url("/moved"))
    assert [path for path, _ in server.requests] == ["/moved"]  # the second hop was never asked


def test_more_than_three_redirects_are_refused(api, app, server, monkeypatch):
    for hop in range(5):
        server.answers[f"/r{hop}"] = Answer(status=302, headers={"Location": server.url(f"/r{hop + 1}")})
    monkeypatch.setattr(safe_fetch, "TEST_FIRST_HOPS", frozenset())  # every hop must be allowed: patch the check
    monkeypatch.setattr(safe_fetch, "public_address", lambda address: True)
    assert "more than 3 times" in refused(api, app, server.url("/r0"))
    assert len(server.requests) == 4


@pytest.mark.parametrize(("answer", "words"), [
    (Answer(b"\0" * (20 * 1024 * 1024)), "larger than 1,024 KB"),  # declared
    (Answer(huge(20 * 1024 * 1024)), "larger than 1,024 KB"),  # read until the limit
    (Answer(trickle(60)), "took too long"),
    (Answer(slow_headers(60), status=0), "took too long"),
    (Answer(image_bytes("JPEG"), headers={"Content-Type": "image/png"}), "says it is a PNG but its bytes are a JPEG"),
    (Answer(b"nothing here", 404), "404"),
])
def test_what_a_server_answers_is_refused(api, app, server, monkeypatch, answer, words):
    monkeypatch.setattr(safe_fetch, "TIMEOUT_SECONDS", 1.5)  # the slow body: cut off sooner than 5 s
    server.answers["/logo.png"] = answer
    assert words in refused(api, app, server.url("/logo.png"))
    if not isinstance(answer.body, bytes):  # the fetch stopped reading: the server finds the line cut
        assert server.hangs_up("/logo.png")


def test_a_jpeg_named_png_is_refused(api, app, server):
    server.answers["/photo.png"] = Answer(image_bytes("JPEG"), headers={"Content-Type": "application/octet-stream"})
    assert "says it is a PNG but its bytes are a JPEG" in refused(api, app, server.url("/photo.png"))
    assert "says it is a PNG but its bytes are a JPEG" in refused(api, app, data_uri(image_bytes("JPEG"), "image/png"))


# -- refused: the files --------------------------------------------------------------------------


INLINE_PNG = data_uri(image_bytes(size=(8, 8)))
REFUSED_FILES = {
    "a PNG decompression bomb": (data_uri(png_header_only(50_000, 50_000)), "too many pixels"),
    "more pixels than the limit": (data_uri(png_header_only(6_000, 6_000)), "too many pixels"),
    "an SVG with a script": (data_uri(svg('<script>alert(1)</script><rect width="9" height="9"/>'), "image/svg+xml"),
                             "<script>"),
    "an SVG with an external image": (data_uri(svg('<image href="https://evil.example/x.png" width="9" height="9"/>'),
                                               "image/svg+xml"), "links to something outside"),
    "an SVG reading a file": (data_uri(svg('<image xlink:href="file:///etc/passwd" width="9" height="9"/>'),
                                       "image/svg+xml"), "links to something outside"),
    "an SVG with an event": (data_uri(svg('<rect onload="alert(1)" width="9" height="9"/>'), "image/svg+xml"),
                             "event attribute"),
    "an SVG with foreignObject": (data_uri(svg("<foreignObject><p>hi</p></foreignObject>"), "image/svg+xml"),
                                  "foreignObject"),
    "an SVG with entities": (data_uri(svg("<text>&a;</text>", '<!DOCTYPE svg [<!ENTITY a "aaaa">]>'), "image/svg+xml"),
                             "DOCTYPE"),
    "an SVG with a CSS link": (data_uri(svg('<rect style="fill:url(https://evil.example/#x)" width="9" height="9"/>'),
                                        "image/svg+xml"), "links to something outside"),
    "an SVG importing CSS": (data_uri(svg("<style>@import 'https://evil.example/a.css';</style>"), "image/svg+xml"),
                             "style sheet"),
    "an SVG with an inline bomb": (data_uri(svg(f'<image href="{data_uri(png_header_only(50_000, 50_000))}"/>'),
                                            "image/svg+xml"), "too many pixels"),
    "an HTML page": (data_uri(b"<html><body>hi</body></html>", "image/svg+xml"), "not an SVG"),
    "a GIF": (data_uri(image_bytes("GIF"), "image/gif"), "must hold a PNG, JPEG, WebP or SVG"),
    "a GIF said to be a PNG": (data_uri(image_bytes("GIF")), "not a PNG, JPEG, WebP or SVG"),
    "a damaged PNG": (data_uri(image_bytes()[:40]), "damaged"),
    "broken base64": ("data:image/png;base64,@@@@", "base64 is damaged"),
    "a data: URI not in base64": ("data:image/svg+xml,<svg/>", "must be base64"),
}


@pytest.mark.parametrize("case", REFUSED_FILES)
def test_a_file_that_is_no_safe_image_is_refused(api, app, case):
    logo, words = REFUSED_FILES[case]
    assert words in refused(api, app, logo)


def test_an_svg_fetched_with_a_script_is_refused(api, app, server):
    server.answers["/logo.svg"] = Answer(svg("<script>alert(1)</script>"), headers={"Content-Type": "image/svg+xml"})
    assert "<script>" in refused(api, app, server.url("/logo.svg"))


# -- taken in --------------------------------------------------------------------------------------


def test_a_data_png_is_kept_once_and_drawn_in_the_centre(api, app):
    before = stored(app)
    qr = created(api, logo=data_uri(image_bytes(size=(300, 200))))
    assert logos.NAME.fullmatch(qr["logo"]) and qr["showLogo"] is True and qr["level"] == "H"
    assert sorted(set(stored(app)) - set(before)) == [qr["logo"]]
    image = picture(api, qr)
    box = red_box(image)
    assert box is not None
    centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    assert abs(centre[0] - image.width / 2) <= 2 and abs(centre[1] - image.height / 2) <= 2
    assert abs((box[2] - box[0]) / (box[3] - box[1]) - 1.5) < 0.05  # proportional
    kept = Image.open(io.BytesIO(api.get(f"/logos/{qr['logo']}").data))
    assert kept.format == "PNG" and kept.mode == "RGBA" and kept.size == (300, 200)
    assert zxingcpp.read_barcodes(image)[0].ec_level == "H"


@pytest.mark.parametrize(("fmt", "media_type", "options"), [
    ("WEBP", "image/webp", {}), ("JPEG", "image/jpeg", {}),
    ("WEBP", "image/webp", {"save_all": True, "append_images": [Image.new("RGBA", (64, 64), (0, 0, 255, 255))]}),
    ("PNG", "image/png", {"save_all": True, "append_images": [Image.new("RGBA", (64, 64), (0, 0, 255, 255))]}),
])
def test_webp_jpeg_and_animations_are_taken_by_their_first_frame(api, app, fmt, media_type, options):
    qr = created(api, logo=data_uri(image_bytes(fmt, **options), media_type))
    assert red_box(picture(api, qr)) is not None
    kept = Image.open(io.BytesIO(api.get(f"/logos/{qr['logo']}").data)).convert("RGB")
    assert kept.getpixel((32, 32))[0] > 200 and kept.getpixel((32, 32))[2] < 60  # red, the first frame


def test_a_sanitised_svg_is_rasterised_never_kept_as_svg(api, app):
    drawing = svg(f'<defs><linearGradient id="g"><stop offset="0" stop-color="#f00"/></linearGradient></defs>'
                  f'<rect width="64" height="64" fill="url(#g)"/><image href="{INLINE_PNG}" width="8" height="8"/>')
    qr = created(api, logo=data_uri(drawing, "image/svg+xml"))
    kept = api.get(f"/logos/{qr['logo']}")
    assert kept.data.startswith(b"\x89PNG") and Image.open(io.BytesIO(kept.data)).size == (logos.MAX_SIDE,) * 2
    assert red_box(picture(api, qr)) is not None
    assert red_box(picture(api, qr, "svg")) is not None


def test_an_https_logo_is_fetched_once(api, app, server):
    server.answers["/brand/logo.png"] = Answer(image_bytes(), headers={"Content-Type": "image/png"})
    qr = created(api, logo=server.url("/brand/logo.png"))
    assert [path for path, _ in server.requests] == ["/brand/logo.png"]
    assert server.requests[0][1]["Host"] == f"127.0.0.1:{server.port}"
    picture(api, qr)
    picture(api, qr, "svg")
    assert len(server.requests) == 1  # drawn from storage, never fetched again


def test_the_name_answered_and_its_url_are_the_same_logo(api, app):
    qr = created(api, logo=data_uri(image_bytes()))
    files = stored(app)
    served = api.get(f"/logos/{qr['logo']}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert "immutable" in served.headers["Cache-Control"]
    assert api.get(f"/logos/{qr['logo']}", headers={"If-None-Match": served.headers["ETag"]}).status_code == 304
    again = created(api, logo=qr["logo"])
    by_url = created(api, logo=f"http://localhost/logos/{qr['logo']}")
    assert again["logo"] == by_url["logo"] == qr["logo"]
    assert stored(app)[: len(files)] == files and [n for n in stored(app) if n.startswith("logo-")] == [qr["logo"]]
    assert api.get("/logos/logo-00000000000000000000000000000000.png").status_code == 404
    assert api.get("/logos/..%2Fsecret").status_code == 404


# -- drawn at the size asked ---------------------------------------------------------------------------


def test_width_and_height_are_honoured(api, app):
    for width, height in ((150, 100), (100, None), (None, 120)):
        fields = {"width": width, "height": height}
        qr = created(api, logo=data_uri(image_bytes(size=(200, 200))), **{k: v for k, v in fields.items() if v})
        box = red_box(picture(api, qr))
        assert box is not None
        shown = box[2] - box[0], box[3] - box[1]
        expected = (width or height, height or width)
        assert abs(shown[0] - expected[0]) <= 2 and abs(shown[1] - expected[1]) <= 2, (fields, shown)


@pytest.mark.parametrize(("level", "share"), [("H", 0.30), ("Q", 0.25)])
def test_a_logo_too_large_is_shrunk_to_what_the_level_can_lose(api, app, level, share):
    qr = created(api, logo=data_uri(image_bytes(size=(200, 200))), width=900, height=900, level=level)
    image = picture(api, qr)
    box = red_box(image)
    assert box is not None
    assert abs((box[2] - box[0]) - share * symbol_side(image)) <= 3


def test_excavate_clears_the_modules_under_the_logo(api, app):
    def dark_inside(qr) -> int:
        image = picture(api, qr)
        box = red_box(image)
        assert box is not None
        inner = image.crop((box[0] + 16, box[1] + 16, box[2] - 16, box[3] - 16)).convert("L")
        return sum(inner.histogram()[:60])
    logo = data_uri(ring())
    assert dark_inside(created(api, logo=logo, width=200, height=200)) == 0
    assert dark_inside(created(api, logo=logo, width=200, height=200, excavate=False)) > 0


def test_show_logo_false_keeps_the_logo_undrawn(api, app):
    qr = created(api, logo=data_uri(image_bytes()), showLogo=False)
    assert qr["showLogo"] is False and qr["logo"] and qr["level"] == "H"  # ready to show it
    assert red_box(picture(api, qr)) is None
    shown = api.patch(f"/api/qrcodes/{qr['id']}", json={"showLogo": True}).get_json()
    assert red_box(picture(api, shown)) is not None


# -- every service ---------------------------------------------------------------------------------------


def test_update_upsert_and_bulk_take_the_logo_in(api, app):
    qr = created(api)
    before = stored(app)
    bad = api.patch(f"/api/qrcodes/{qr['id']}", json={"logo": "https://10.0.0.1/x.png"})
    assert bad.status_code == 422 and bad.get_json()["error"]["errors"][0]["field"] == "logo"
    assert stored(app) == before and api.get(f"/api/qrcodes/{qr['id']}").get_json()["logo"] is None
    changed = api.patch(f"/api/qrcodes/{qr['id']}", json={"logo": data_uri(image_bytes())}).get_json()
    assert changed["logo"] and changed["showLogo"] is True and changed["level"] == "H"
    upserted = api.put("/api/qrcodes/upsert", json={"url": "https://example.org/other",
                                                    "logo": data_uri(image_bytes("WEBP"), "image/webp")})
    assert upserted.status_code == 201 and red_box(picture(api, upserted.get_json())) is not None
    files = stored(app)
    bulk = api.post("/api/qrcodes/bulk", json=[{"url": "https://example.org/a", "logo": data_uri(image_bytes())},
                                               {"url": "https://example.org/b", "logo": "https://127.0.0.1/x.png"}])
    first, second = bulk.get_json()
    assert first["logo"] == changed["logo"] and second["error"]["errors"][0]["field"] == "logo"
    assert stored(app) == files
    cleared = api.patch(f"/api/qrcodes/{qr['id']}", json={"logo": None}).get_json()
    assert cleared["logo"] is None


def test_a_logo_refused_with_other_problems_stores_nothing(api, app):
    before = stored(app)
    answer = api.post("/api/qrcodes", json={"url": URL, "logo": data_uri(image_bytes()), "fgColor": "#fefefe"})
    assert answer.status_code == 422
    assert stored(app) == before



# -- the CSV import, the form's upload and preview ---------------------------------------------------------


def test_the_csv_import_takes_logos_in_row_by_row(app):
    from codeqr.context import for_operator
    from codeqr.domain.models import ImportJob
    from codeqr.jobs import csv_import

    before = stored(app)
    with app.app_context():
        job_id = csv_import.start([{"url": "https://example.org/1", "logo": data_uri(image_bytes())},
                                   {"url": "https://example.org/2", "logo": "https://10.0.0.1/x.png"},
                                   {"url": "https://example.org/3", "logo": data_uri(image_bytes("JPEG"), "image/png")}],
                                  "logos.csv", for_operator()).id
        app.extensions["codeqr"].jobs.wake()
    end = time.monotonic() + 60
    while time.monotonic() < end:
        with app.app_context():
            job = db.session.get(ImportJob, job_id)
            if job.status == "done":
                break
        time.sleep(0.05)
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert (job.status, job.created, job.failed) == ("done", 1, 2)
        messages = [error.message for error in csv_import.errors(job_id)]
    assert "only public web addresses" in messages[0] and "its bytes are a JPEG" in messages[1]
    assert len(set(stored(app)) - set(before)) == 1


def test_an_upload_is_taken_in_by_its_bytes(app):
    storage = app.extensions["codeqr"].images.storage
    with pytest.raises(InvalidInput, match="its bytes are a JPEG") as refusal:
        logos.intake_bytes(image_bytes("JPEG"), "photo.png")
    assert refusal.value.field == "logo"
    with pytest.raises(InvalidInput, match="not a PNG, JPEG, WebP or SVG"):
        logos.intake_bytes(b"MZ\x90\x00 an executable", "logo.png")
    assert stored(app) == []
    logo = logos.intake_bytes(image_bytes("WEBP"), "brand.webp")
    with app.app_context():
        assert logos.keep(logo, storage, utcnow()) == logo.name and stored(app) == [logo.name]
    assert logos.intake_bytes(image_bytes("WEBP"), None).name == logo.name  # the same image, the same name


def test_the_preview_draws_a_kept_logo_and_leaves_out_one_not_taken_in(app):
    from codeqr.context import for_operator
    from codeqr.domain import field_checks
    from codeqr.domain.schemas import QRCodeCreate

    storage = app.extensions["codeqr"].images.storage
    with app.app_context():
        name = logos.keep(logos.intake_bytes(image_bytes()), storage, utcnow())
    with app.test_request_context():
        for given, shown in ((name, name), (data_uri(image_bytes("WEBP"), "image/webp"), None)):
            data = QRCodeCreate.model_validate({"url": URL, "logo": given, "showLogo": True})
            preview, _, problems = field_checks.preview_picture(data, for_operator())
            assert preview.design.logo == shown and problems == []
    assert stored(app) == [name]
