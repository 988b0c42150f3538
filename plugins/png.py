"""PNG renderer: a two-colour palette image scaled to the exact size (no colour masks)."""

import io

from PIL import Image

from codeqr import Renderer, hookimpl


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def raster(spec) -> Image.Image:
    """Return the QR Code as a palette image of exactly ``spec.size`` pixels square."""
    count = len(spec.modules)
    # One byte per module (1 = dark), then nearest-neighbour scaling: modules are
    # whole pixels, at most one pixel apart in width when size is not a multiple.
    small = Image.frombytes("P", (count, count), bytes(dark for row in spec.modules for dark in row))
    small.putpalette(_rgb(spec.bg_color) + _rgb(spec.fg_color))
    return small.resize((spec.size, spec.size), Image.Resampling.NEAREST)


class PngRenderer(Renderer):
    name = "png"
    media_type = "image/png"
    version = "1"

    def render(self, spec) -> bytes:
        image = raster(spec)
        if spec.overlay is not None:
            image = image.convert("RGB")
            spec.overlay.paint_raster(image, spec)
        out = io.BytesIO()
        image.save(out, format="PNG", compress_level=1 if spec.size > 1024 else 6)
        return out.getvalue()


@hookimpl
def codeqr_register_renderers():
    return [PngRenderer]
