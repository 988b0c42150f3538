"""Every module pattern, eye shape and outline is drawn as asked and decodes to its text,
in PNG and SVG, at its own size and at 2 cm wide printed at 300 dpi (236 px)."""

from itertools import product
from typing import get_args

import pytest
from PIL import Image, ImageChops

from codeqr import pluginmanager
from codeqr.design import raster, values
from codeqr.design.drawing import Drawing, Fill
from codeqr.design.paths import Path
from codeqr.design.patterns import cells, eyes
from codeqr.domain.rendering import Picture, encode, render_spec
from codeqr.domain.schemas import Design
from decode import decode, to_image

TEXT = "https://go.example.org/abcdefghijkl-qr"
PATTERNS = get_args(values.Pattern)
EYES = get_args(values.EyeShape)
SHAPES = get_args(values.Shape)
#: 2 cm at 300 dots per inch: the smallest print the scan check promises.
PRINT_2CM = round(2 / 2.54 * 300)
_RENDERERS = pluginmanager.renderers(pluginmanager.build_plugin_manager((), ()))
RENDERERS = {fmt: _RENDERERS[fmt]({}) for fmt in ("png", "svg")}
MEDIA = {"png": "image/png", "svg": "image/svg+xml"}


def render(fmt: str, text: str = TEXT, **fields) -> bytes:
    design = Design(**{"level": "M", "size": 512, **fields})
    return RENDERERS[fmt].render(render_spec(Picture(text, design), None))


def pixels(fmt: str, **fields) -> Image.Image:
    return to_image(render(fmt, **fields), MEDIA[fmt]).convert("RGB")


def _scans(fmt: str, text: str = TEXT, **fields) -> bool:
    data = render(fmt, text, **fields)
    assert to_image(data, MEDIA[fmt]).size == (fields.get("size", 512),) * 2
    return decode(data, MEDIA[fmt]) == [text]


def test_the_values_are_every_value_of_the_schema():
    assert "classy-rounded" in PATTERNS and "leaf" in EYES and "circle" in SHAPES
    assert len(PATTERNS) == 6 and len(EYES) == 4 and len(SHAPES) == 3


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
@pytest.mark.parametrize("size", [512, PRINT_2CM])
@pytest.mark.parametrize(("pattern", "eye", "shape"), list(product(PATTERNS, EYES, SHAPES)))
def test_every_pattern_eye_and_outline_decodes(fmt, size, pattern, eye, shape):
    level = "LMQH"[(PATTERNS.index(pattern) + EYES.index(eye) + SHAPES.index(shape)) % 4]  # every level turns up
    assert _scans(fmt, size=size, level=level, pattern=pattern, eye_shape=eye, shape=shape)


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
@pytest.mark.parametrize(("pattern", "shape"), list(product(PATTERNS, SHAPES)))
def test_margin_0_decodes_with_each_pattern_and_outline(fmt, pattern, shape):
    eye = EYES[PATTERNS.index(pattern) % len(EYES)]
    assert _scans(fmt, margin=0, pattern=pattern, eye_shape=eye, shape=shape)


GRADIENTS = [{"type": "linear", "rotation": rotation, "colors": ["#1e3a8a", "#be185d"]} for rotation in
             (0, 45, 90, 135, 180, 225, 270, 315)] + [{"type": "radial", "colors": ["#be185d", "#1e3a8a"]}]


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
@pytest.mark.parametrize("gradient", GRADIENTS, ids=lambda g: f"{g['type']}-{g.get('rotation', '')}")
def test_gradients_decode(fmt, gradient):
    pattern = PATTERNS[GRADIENTS.index(gradient) % len(PATTERNS)]
    for size in (512, PRINT_2CM):
        assert _scans(fmt, size=size, fg_gradient=gradient, pattern=pattern, shape="square")


def _ball_centres(size: int, margin: int = 4) -> list[tuple[int, int]]:
    """The centre pixel of each eye's ball (top-left, top-right, bottom-left), no outline."""
    count = len(encode(TEXT, "M", margin))
    near, far = (margin + 3.5) * size / count, (count - margin - 3.5) * size / count
    return [(round(near), round(near)), (round(far), round(near)), (round(near), round(far))]


def test_a_gradient_paints_the_eyes_when_eye_color_is_null():
    gradient = {"type": "linear", "rotation": 0, "colors": ["#000000", "#0000ff"]}
    image = pixels("png", fg_gradient=gradient)
    left, right, _ = (image.getpixel(point) for point in _ball_centres(512))
    assert left[2] < 60 and right[2] > 180  # blue grows from left to right, eyes included


@pytest.mark.parametrize("eye", EYES)
def test_the_eye_colour_paints_the_eyes_and_decodes(eye):
    image = pixels("png", eye_color="#b91c1c", fg_color="#1e3a8a", eye_shape=eye)
    assert {image.getpixel(point) for point in _ball_centres(512)} == {(0xb9, 0x1c, 0x1c)}
    for fmt in RENDERERS:
        assert _scans(fmt, eye_color="#b91c1c", fg_color="#1e3a8a", eye_shape=eye)
        assert _scans(fmt, eye_color="#b91c1c", fg_color="#1e3a8a", eye_shape=eye, size=PRINT_2CM)


@pytest.mark.parametrize(("pattern", "eye", "shape"), list(product(PATTERNS, EYES, SHAPES)))
def test_png_and_svg_draw_the_same_geometry(pattern, eye, shape):
    fields = {"pattern": pattern, "eye_shape": eye, "shape": shape, "fg_gradient": GRADIENTS[-1]}
    png, svg = pixels("png", **fields), pixels("svg", **fields)
    difference = ImageChops.difference(png, svg).convert("L").point(lambda value: 255 if value > 48 else 0)
    assert sum(difference.histogram()[255:]) <= 512 * 512 // 1000  # anti-aliasing may differ, the shapes not


@pytest.mark.parametrize("field", ["pattern", "eye_shape", "shape"])
def test_each_value_draws_its_own_look(field):
    """No value falls back to another's drawing."""
    choices = {"pattern": PATTERNS, "eye_shape": EYES, "shape": SHAPES}[field]
    images = {value: render("png", **{field: value}) for value in choices}
    assert len(set(images.values())) == len(choices)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_tiny_codes_are_drawn_square_and_decode(pattern):
    """At 64 px a module is about 2 px: curves would be grey noise, so every pattern and eye
    draws the squares."""
    black = {"colors": ["#000000", "#000000"]}  # not the plain design: drawn by the geometry too
    square = render("png", size=64, margin=1, fg_gradient=black)
    eye = EYES[PATTERNS.index(pattern) % len(EYES)]
    styled = render("png", size=64, margin=1, pattern=pattern, eye_shape=eye, fg_gradient=black)
    assert styled == square
    assert decode(styled, "image/png") == [TEXT]


# -- the shapes, probed in pixels ------------------------------------------------------

SCALE = 100  # pixels per module in the probes below


def _probe(path: Path, points: list[tuple[float, float]], evenodd: bool = False) -> list[bool]:
    """Whether each point (in modules) of ``path`` drawn alone is dark."""
    shape = path.transformed(SCALE, SCALE, SCALE)
    side = 9 * SCALE
    background = Fill(Path().rect(0, 0, side, side), "#ffffff")
    image = raster.to_image(Drawing(side, side, [background, Fill(shape, "#000000", evenodd)])).convert("L")
    return [image.getpixel((SCALE + x * SCALE, SCALE + y * SCALE)) < 128 for x, y in points]


#: Points just inside each corner of module (0, 0): top-left, top-right, bottom-right, bottom-left.
CORNERS = [(0.08, 0.08), (0.92, 0.08), (0.92, 0.92), (0.08, 0.92)]
#: Which corners of a module with no dark neighbour are square, per pattern (the brief's words).
ALONE = {"default": [True] * 4, "rounded": [False] * 4, "extra-rounded": [False] * 4, "dots": [False] * 4,
         "classy": [False, True, False, True], "classy-rounded": [False, True, False, True]}


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_module_alone(pattern):
    assert _probe(cells({(0, 0)}, pattern), CORNERS) == ALONE[pattern]
    assert _probe(cells({(0, 0)}, pattern), [(0.5, 0.5), (0.5, 0.1), (0.1, 0.5)]) == [True] * 3


def test_dots_keep_a_gap_yet_cover_the_centre():
    """Two dots side by side: light between them, dark nearly to their edges (0.9 module)."""
    middle, edge, gap = _probe(cells({(0, 0), (1, 0)}, "dots"), [(0.5, 0.5), (0.5, 0.1), (1.0, 0.5)])
    assert (middle, edge, gap) == (True, True, False)


#: An L bend: module (0, 0) with dark neighbours right and below. Its top-left corner is
#: the only convex one: square, rounded by half a module, or by the whole module.
BEND = {"default": "square", "rounded": "half", "extra-rounded": "whole", "classy": "half",
        "classy-rounded": "whole"}


@pytest.mark.parametrize("pattern", sorted(BEND))
def test_an_l_bend_and_touching_modules_join(pattern):
    path = cells({(0, 0), (1, 0), (0, 1)}, pattern)
    near, middle = _probe(path, [(0.08, 0.08), (0.25, 0.25)])
    assert (near, middle) == {"square": (True, True), "half": (False, True), "whole": (False, False)}[BEND[pattern]]
    # Where neighbours touch, no notch: the shared edges are dark to their ends.
    assert _probe(path, [(1.0, 0.03), (1.0, 0.97), (0.03, 1.0), (0.97, 1.0), (0.97, 0.03), (0.03, 0.97)]) == [True] * 6


def _signed_areas(path: Path) -> list[float]:
    """Twice the signed area of each sub-path's end points: > 0 clockwise on screen."""
    areas, points = [], []
    for op in [*path.ops, ("M",)]:
        if op[0] == "M" and points:
            areas.append(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1])))
            points = []
        if op[0] in "MLC":
            points.append(op[-2:])
    return areas


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_module_shape_is_clockwise(pattern):
    """Non-zero winding joins shapes drawn the same way round; one drawn the other way
    would punch a hole where it overlaps."""
    modules = encode(TEXT, "M", 4)
    dark = {(x, y) for y, row in enumerate(modules) for x, on in enumerate(row) if on}
    areas = _signed_areas(cells(dark, pattern))
    assert areas and min(areas) > 0


#: Points just inside the corners of each eye's ring, per eye shape and eye (top-left,
#: top-right, bottom-left): dark where the corner is square. A leaf points at the centre.
EYE_CORNERS = {"square": [[True] * 4] * 3, "rounded": [[False] * 4] * 3, "circle": [[False] * 4] * 3,
               "leaf": [[True, False, True, False], [False, True, False, True], [False, True, False, True]]}


@pytest.mark.parametrize("eye", EYES)
def test_eye_corners(eye):
    spec = render_spec(Picture(TEXT, Design(level="M", margin=0, eye_shape=eye)), None)
    count = len(spec.modules)
    origins = [(0, 0), (count - 7, 0), (0, count - 7)]
    for index, ((ex, ey), path) in enumerate(zip(origins, eyes(spec))):
        moved = path.transformed(1, -ex, -ey)
        corners = [(x * 7, y * 7) for x, y in ((0.02, 0.02), (0.98, 0.02), (0.98, 0.98), (0.02, 0.98))]
        assert _probe(moved, corners, evenodd=True) == EYE_CORNERS[eye][index], index
        # the ring, the hole and the ball along the middle row: 1:1:3:1:1
        row = _probe(moved, [(x + 0.5, 3.5) for x in range(7)], evenodd=True)
        assert row == [True, False, True, True, True, False, True]


def _red_box(image: Image.Image) -> tuple[int, int, int, int]:
    """The bounding box of the red pixels of ``image``."""
    red, green, _ = image.split()
    mask = ImageChops.multiply(red.point(lambda v: 255 if v > 128 else 0), green.point(lambda v: 255 if v < 128 else 0))
    box = mask.getbbox()
    assert box
    return box


#: Whether the outline darkens the middle of the image's top edge, and its top-left corner.
EDGES = {"none": (False, False), "square": (True, True), "circle": (True, False)}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("margin", [0, 1, 4])
def test_the_outline_keeps_off_the_quiet_zone(shape, margin):
    """Measured in the pixels: red eyes give the symbol's box and its module; nothing but
    the background lies within ``margin`` modules of it, and never within 2 modules of it
    when there is an outline to keep off."""
    size = 600
    image = pixels("png", size=size, shape=shape, margin=margin, pattern="dots", eye_color="#ff0000")
    left, top, right, bottom = _red_box(image)
    module = (right - left) / (len(encode(TEXT, "M", margin)) - 2 * margin)
    band = round(max(margin, 0 if shape == "none" else 2) * module)
    outer = (max(0, left - band + 1), max(0, top - band + 1), min(size, right + band - 1), min(size, bottom + band - 1))
    if outer[:2] != (left, top):
        clear = image.crop(outer).convert("L")
        clear.paste(255, (left - outer[0] - 2, top - outer[1] - 2, right - outer[0] + 2, bottom - outer[1] + 2))
        assert clear.getextrema()[0] > 200
    edge = image.convert("L")
    if shape != "none" or margin:  # at margin 0 the symbol itself reaches the edges
        assert (edge.getpixel((size // 2, 2)) < 128, edge.getpixel((2, 2)) < 128) == EDGES[shape]


def test_the_api_draws_the_design_fields(api, client):
    """End to end: the design fields through the API, with the instance logo inside the
    shrunk code, served at /qr/{id}.png and .svg."""
    qr = api.post("/api/qrcodes", json={
        "url": "https://example.com/x", "pattern": "classy-rounded", "eyeShape": "leaf", "shape": "circle",
        "eyeColor": "#b91c1c", "fgGradient": {"type": "linear", "rotation": 45, "colors": ["#1e3a8a", "#111827"]},
        "size": PRINT_2CM, "showLogo": True}).get_json()
    assert (qr["pattern"], qr["eyeShape"], qr["shape"]) == ("classy-rounded", "leaf", "circle")
    for fmt in RENDERERS:
        response = client.get(f"/qr/{qr['id']}.{fmt}")
        assert response.status_code == 200
        assert decode(response.data, response.headers["Content-Type"]) == [qr["shortLink"]]
    plain = api.post("/api/qrcodes", json={"url": "https://example.com/y", "size": PRINT_2CM}).get_json()
    assert client.get(f"/qr/{plain['id']}.svg").data.count(b"<path") == 1  # the plain fast path
