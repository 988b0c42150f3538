"""A ``Drawing`` as pixels: its SVG rasterised by resvg, so PNG, JPEG and WebP show
exactly what the SVG does."""

import io

import resvg_py
from PIL import Image

from .drawing import Drawing
from .svg import to_svg


def to_png(drawing: Drawing) -> bytes:
    """Return the PNG (RGBA) of ``drawing`` at its own size."""
    # No system fonts: text is outlines already, and loading them costs a tenth of a second.
    return bytes(resvg_py.svg_to_bytes(svg_string=to_svg(drawing), skip_system_fonts=True))


def to_image(drawing: Drawing) -> Image.Image:
    """Return ``drawing`` as a Pillow RGB image (for the formats Pillow writes, and checks)."""
    with Image.open(io.BytesIO(to_png(drawing))) as image:
        return image.convert("RGB")
