"""Every style in both formats decodes to the shortLink, at the exact size, in the exact colours."""

import itertools
import re

import pytest
from codeqr_styled import EYE_SHAPES, MODULE_SHAPES
from qr_decode import decode, to_image

from codeqr.domain.rendering import encode

STYLES = list(itertools.product(MODULE_SHAPES, EYE_SHAPES))
FORMATS = ["styled-png", "styled-svg"]
RED, YELLOW = "#b91c1c", "#facc15"

#: (test id, API body, CODEQR_STYLED_EYE_COLOR). A logo needs level Q or H (the API refuses L).
DESIGNS = [
    *[(f"{size}-{level}", {"size": size, "level": level}, None) for size in (200, 517, 1024) for level in "LH"],
    # 64 px only with a thin quiet zone: at margin 4 and level L even the built-in png does not decode.
    *[(f"64-{level}-margin1", {"size": 64, "level": level, "margin": 1}, None) for level in "LH"],
    *[(f"{size}-H-logo", {"size": size, "level": "H", "showLogo": True}, None) for size in (200, 517, 1024)],
    ("517-Q-logo", {"size": 517, "level": "Q", "showLogo": True}, None),
    ("colours-red-eyes", {"size": 517, "level": "L", "fgColor": "#1d4ed8", "bgColor": "#fef3c7"}, RED),
    ("colours-logo", {"size": 333, "level": "H", "fgColor": "#14532d", "bgColor": "#ecfdf5", "showLogo": True}, RED),
    # Light on dark with the smallest margin CodeQR saves on a dark background (2: a quiet zone on paper).
    ("light-on-dark-margin2", {"size": 333, "level": "L", "margin": 2, "fgColor": "#ffffff",
                               "bgColor": "#111827"}, YELLOW),
]


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("design", DESIGNS, ids=[d[0] for d in DESIGNS])
@pytest.mark.parametrize("modules,eyes", STYLES, ids=[f"{m}-{e}" for m, e in STYLES])
def test_image_decodes_to_short_link_at_exact_size(styled_api, modules, eyes, design, fmt):
    name, body, eye_color = design
    api = styled_api(modules, eyes, eye_color)
    # A fixed key per case: the same bytes on every run, so a pass is not luck of a random key.
    qr = api.create(key=f"{modules}-{eyes}-{name}-{fmt}", **body)
    response = api.image(qr, fmt)
    media_type = response.headers["Content-Type"]
    assert media_type.startswith("image/png" if fmt == "styled-png" else "image/svg+xml")
    assert decode(response.data, media_type) == [qr["shortLink"]]
    assert to_image(response.data, media_type).size == (qr["size"], qr["size"])


@pytest.mark.parametrize("modules,eyes", STYLES, ids=[f"{m}-{e}" for m, e in STYLES])
def test_png_uses_exactly_the_design_colours(styled_api, modules, eyes):
    colours = {"fgColor": "#1d4ed8", "bgColor": "#fef3c7", "size": 517}
    plain = styled_api(modules, eyes).create(**colours)
    image = to_image(styled_api(modules, eyes).image(plain, "styled-png").data, "image/png").convert("RGB")
    assert {color for _, color in image.getcolors()} == {_rgb("#1d4ed8"), _rgb("#fef3c7")}
    red = styled_api(modules, eyes, RED)
    image = to_image(red.image(red.create(**colours), "styled-png").data, "image/png").convert("RGB")
    assert {color for _, color in image.getcolors()} == {_rgb("#1d4ed8"), _rgb("#fef3c7"), _rgb(RED)}


def test_svg_fills_with_the_design_colours(styled_api):
    api = styled_api("dots", "circle", RED)
    svg = api.image(api.create(fgColor="#1d4ed8", bgColor="#fef3c7"), "styled-svg").data.decode()
    assert set(re.findall(r'fill="([^"]+)"', svg)) == {"#1d4ed8", "#fef3c7", RED}
    assert "<path" in svg and "<image" not in svg


def test_an_eye_colour_that_would_not_scan_gives_way_to_fg_color(styled_api):
    """Red eyes are darker than white modules on a near-black background: a decoder would miss them."""
    api = styled_api("rounded", "rounded", RED)
    qr = api.create(key="fallback", fgColor="#ffffff", bgColor="#111827", size=333)
    data = api.image(qr, "styled-png").data
    image = to_image(data, "image/png").convert("RGB")
    assert {color for _, color in image.getcolors()} == {_rgb("#ffffff"), _rgb("#111827")}
    assert decode(data, "image/png") == [qr["shortLink"]]
    assert RED not in api.image(qr, "styled-svg").data.decode()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("margin", [0, 1, 4, 16])
def test_the_quiet_zone_is_kept(styled_api, fmt, margin):
    api = styled_api("dots", "circle", RED)
    qr = api.create(size=600, margin=margin, level="H")
    response = api.image(qr, fmt)
    image = to_image(response.data, response.headers["Content-Type"]).convert("RGB")
    size = qr["size"]
    pitch = size / len(encode(qr["shortLink"], qr["level"], margin))
    zone = int(margin * pitch) - 1  # the pixel row at the symbol's edge may be antialiased
    if zone > 0:
        bands = [(0, 0, size, zone), (0, size - zone, size, size), (0, 0, zone, size), (size - zone, 0, size, size)]
        for band in bands:
            assert image.crop(band).getcolors() == [(zone * size, (255, 255, 255))], band
    # The top-left eye's frame: at the corner itself when there is no quiet zone.
    assert image.getpixel((int(pitch * (margin + 0.5)), int(pitch * (margin + 3.5)))) == _rgb(RED)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_logo_is_drawn(styled_api, fmt):
    api = styled_api("rounded", "circle")
    with_logo = api.image(api.create(size=400, level="H", showLogo=True), fmt)
    if fmt == "styled-svg":
        assert b"<image" in with_logo.data
    else:
        image = to_image(with_logo.data, "image/png").convert("RGB")
        assert len(image.getcolors(maxcolors=1 << 16)) > 2  # the logo's own colours


def test_changing_the_style_changes_the_etag_only_of_styled_formats(make_api):
    """Same QR Code (same key) in three apps: the style is part of the image hash."""
    etags = []
    for modules, eye_color in (("rounded", None), ("dots", None), ("dots", RED)):
        api = make_api(CODEQR_STYLED_MODULES=modules, CODEQR_STYLED_EYE_COLOR=eye_color)
        qr = api.create(key="same-key")
        etags.append({fmt: api.image(qr, fmt).headers["ETag"] for fmt in ("png", "svg", *FORMATS)})
    for fmt in ("png", "svg"):
        assert etags[0][fmt] == etags[1][fmt] == etags[2][fmt]
    for fmt in FORMATS:
        assert len({tags[fmt] for tags in etags}) == 3


def test_304_on_the_styled_etag(styled_api):
    api = styled_api("rounded", "rounded")
    qr = api.create()
    etag = api.image(qr, "styled-png").headers["ETag"]
    assert api.client.get(f"/qr/{qr['id']}.styled-png", headers={"If-None-Match": etag}).status_code == 304
