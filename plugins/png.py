"""PNG renderer: the classic look as a two-colour palette image scaled to the exact size
(no colour masks, quick); any other design rasterised from its drawing."""

import io

from PIL import Image

from codeqr import Renderer, hookimpl
from codeqr.design import geometry, raster
from codeqr.design_rules import rgb


def palette_raster(spec) -> Image.Image:
    """Return the QR Code as a palette image of exactly ``spec.size`` pixels square."""
    count = len(spec.modules)
    # One byte per module (1 = dark), then nearest-neighbour scaling: modules are
    # whole pixels, at most one pixel apart in width when size is not a multiple.
    small = Image.frombytes("P", (count, count), bytes(dark for row in spec.modules for dark in row))
    small.putpalette(rgb(spec.bg_color) + rgb(spec.fg_color))
    return small.resize((spec.size, spec.size), Image.Resampling.NEAREST)


# Shifts palette indices of the overlay patch past the two QR colours.
_SHIFT = bytes((index + 2) % 256 for index in range(256))


def _with_overlay(image: Image.Image, spec) -> Image.Image:
    """Draw the overlay and keep a palette image: only the overlay's square is
    quantised (to 254 colours), so the QR colours stay exact and the PNG stays
    8-bit, several times quicker to write than a 24-bit one."""
    canvas = image.convert("RGB")
    spec.overlay.paint_raster(canvas, spec)
    x, y, side = spec.logo_box
    patch = canvas.crop((x, y, x + side, y + side)).quantize(254, method=Image.Quantize.FASTOCTREE)
    shifted = Image.frombytes("P", patch.size, patch.tobytes().translate(_SHIFT))
    image = image.copy()
    palette = patch.getpalette() or []  # a quantised image always has one
    image.putpalette([*rgb(spec.bg_color), *rgb(spec.fg_color), *palette[: 254 * 3]])
    image.paste(shifted, (x, y))  # P into P: indices are copied as they are
    return image


class PngRenderer(Renderer):
    name = "png"
    media_type = "image/png"
    version = "2"

    def render(self, spec) -> bytes:
        if not geometry.is_plain(spec.design):
            return raster.to_png(geometry.draw(spec))
        image = palette_raster(spec)
        if spec.overlay is not None:
            image = _with_overlay(image, spec)
        out = io.BytesIO()
        image.save(out, format="PNG", compress_level=1 if spec.size > 1024 else 6)
        return out.getvalue()


@hookimpl
def codeqr_register_renderers():
    return [PngRenderer]
