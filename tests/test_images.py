"""Every renderer's output decodes to the shortLink; ETags, 304s and re-rendering on change."""

import pytest

from codeqr import pluginmanager
from decode import decode, to_image

DESIGNS = [
    {},
    {"fgColor": "#1d4ed8", "bgColor": "#fef3c7"},
    {"fgColor": "#ffffff", "bgColor": "#111827"},  # light on dark
    {"showLogo": True},
    {"showLogo": True, "level": "Q", "fgColor": "#7c2d12"},
    {"size": 64, "margin": 1},
    {"size": 333, "level": "L", "margin": 0},
    {"size": 4096, "level": "H", "margin": 16, "showLogo": True},
    {"size": 517, "level": "Q"},
]


def _builtin_formats(renderers) -> list[str]:
    """Formats whose renderer is CodeQR's own (plugins/, installed as ``codeqr_plugins``).

    Other installed plugins (e.g. examples/codeqr-styled) add formats; their own tests cover them.
    """
    return sorted(name for name, cls in renderers.items() if cls.__module__.startswith("codeqr_plugins."))


FORMATS = _builtin_formats(pluginmanager.renderers(pluginmanager.build_plugin_manager((), ())))


def test_every_builtin_format_is_tested(app):
    """The decode test below runs over FORMATS: every built-in format, png and svg among them."""
    assert _builtin_formats(pluginmanager.renderers(app.extensions["codeqr"].pm)) == FORMATS
    assert {"png", "svg"} <= set(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("design", DESIGNS, ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()) or "plain")
def test_image_decodes_to_short_link_at_exact_size(api, client, fmt, design):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/x", **design}).get_json()
    response = client.get(f"/qr/{qr['id']}.{fmt}")
    assert response.status_code == 200
    media_type = response.headers["Content-Type"]
    assert decode(response.data, media_type) == [qr["shortLink"]]
    assert to_image(response.data, media_type).size == (qr["size"], qr["size"])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("margin", [0, 2, 7])
def test_the_quiet_zone_is_margin_modules_wide(api, client, fmt, margin):
    """Measured in the pixels: the top-left finder pattern's first row is 7 dark modules,
    which gives the module's width; the light border around the symbol is ``margin`` of them."""
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/x", "margin": margin, "size": 800}).get_json()
    response = client.get(f"/qr/{qr['id']}.{fmt}")
    image = to_image(response.data, response.headers["Content-Type"]).convert("L")
    left, top, right, bottom = image.point(lambda value: 255 if value < 128 else 0).getbbox()
    # Two pixels in from the symbol's top edge: the edge's own pixels blur in a lossy format (JPEG).
    finder_row = [image.getpixel((x, top + 2)) < 128 for x in range(left, right)]
    first = finder_row.index(True)
    module = (finder_row.index(False, first) - first) / 7
    borders = [left, top, image.width - right, image.height - bottom]
    assert [round(border / module) for border in borders] == [margin] * 4


def test_png_uses_the_exact_colours(api, client):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/x", "fgColor": "#1d4ed8", "bgColor": "#fef3c7",
                                        "size": 200}).get_json()
    image = to_image(client.get(f"/qr/{qr['id']}.png").data, "image/png").convert("RGB")
    assert {color for _, color in image.getcolors()} == {(0x1D, 0x4E, 0xD8), (0xFE, 0xF3, 0xC7)}


def test_etag_304_and_no_scan(api, client):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/x"}).get_json()
    first = client.get(f"/qr/{qr['id']}.png")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith('W/')
    assert "max-age" in first.headers["Cache-Control"]
    again = client.get(f"/qr/{qr['id']}.png", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(f"/qr/{qr['id']}.svg").headers["ETag"] != etag
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] == 0


def test_design_change_renders_anew_other_changes_keep_the_image(app, api, client):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/x"}).get_json()
    etag = client.get(f"/qr/{qr['id']}.png").headers["ETag"]
    storage = app.extensions["codeqr"].images.storage
    name = f"{etag.strip(chr(34))}.png"
    assert storage.get(name) is not None
    api.patch(f"/api/qrcodes/{qr['id']}", json={"url": "https://example.com/other", "title": "T"})
    assert client.get(f"/qr/{qr['id']}.png").headers["ETag"] == etag  # url is not in the image
    api.patch(f"/api/qrcodes/{qr['id']}", json={"fgColor": "#14532d"})
    assert storage.get(name) is None  # the old render is gone
    response = client.get(f"/qr/{qr['id']}.png")
    assert response.headers["ETag"] != etag
    assert decode(response.data, "image/png") == [qr["shortLink"]]
    api.patch(f"/api/qrcodes/{qr['id']}", json={"key": "new-key"})
    moved = client.get(f"/qr/{qr['id']}.png")
    assert decode(moved.data, "image/png") == ["http://localhost/new-key"]


def test_unknown_format_or_id_is_404(api, client):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/x"}).get_json()
    assert client.get(f"/qr/{qr['id']}.gif").status_code == 404
    assert client.get("/qr/cnothing00000000000000000.png").status_code == 404
