"""The outlines every format draws: checked against pixels resvg draws from their SVG data."""

import io

import pytest
import resvg_py
from PIL import Image

from codeqr.design.paths import Path


def _pixels(path: Path, size: int = 100) -> Image.Image:
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}">'
           f'<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{path.svg_data()}"/></svg>')
    return Image.open(io.BytesIO(bytes(resvg_py.svg_to_bytes(svg_string=svg)))).convert("L")


def _dark(image: Image.Image, x: int, y: int) -> bool:
    return image.getpixel((x, y)) < 128


def test_a_rectangle_covers_its_box_and_nothing_else():
    image = _pixels(Path().rect(10, 20, 30, 40))
    assert _dark(image, 11, 21) and _dark(image, 38, 58)
    assert not _dark(image, 9, 30) and not _dark(image, 41, 30) and not _dark(image, 20, 61)


def test_rounded_corners_leave_the_corner_light_and_the_edges_dark():
    image = _pixels(Path().rounded_rect(10, 10, 80, 80, (20, 0, 20, 0)))
    assert not _dark(image, 12, 12) and not _dark(image, 87, 87)  # rounded: top-left, bottom-right
    assert _dark(image, 88, 11) and _dark(image, 11, 88)  # sharp: top-right, bottom-left
    assert _dark(image, 50, 11) and _dark(image, 11, 50)


def test_a_circle_is_round():
    image = _pixels(Path().ellipse(50, 50, 40, 40))
    for x, y in ((50, 12), (88, 50), (50, 88), (12, 50), (50, 50)):
        assert _dark(image, x, y), (x, y)
    for x, y in ((14, 14), (86, 86), (14, 86), (86, 14)):  # inside the box, outside the circle
        assert not _dark(image, x, y), (x, y)


def test_an_ellipse_keeps_its_two_radii():
    image = _pixels(Path().ellipse(50, 50, 45, 20))
    assert _dark(image, 7, 50) and _dark(image, 93, 50) and not _dark(image, 50, 25) and _dark(image, 50, 32)


@pytest.mark.parametrize("scale, dx, dy", [(2, 0, 0), (0.5, 10, 30), (3, -5, 7)])
def test_transformed_scales_then_moves_every_point(scale, dx, dy):
    path = Path().rect(1, 2, 3, 4).curve(1, 1, 2, 2, 3, 3)
    moved = list(path.transformed(scale, dx, dy).points())
    assert moved == [(x * scale + dx, y * scale + dy) for x, y in path.points()]


def test_svg_data_is_short_and_exact():
    assert Path().move(0, 0).line(1.5, -0.0).line(2.126, 3).close().svg_data() == "M0 0L1.5 0L2.13 3Z"
