"""WebP renderer: the drawing rasterised (resvg), written lossless (every module's
colour exact, smaller than the PNG)."""

import io

from codeqr import Renderer, hookimpl
from codeqr.design import geometry, raster


class WebpRenderer(Renderer):
    name = "webp"
    media_type = "image/webp"
    label = "WebP"
    version = "1"

    def render(self, spec) -> bytes:
        out = io.BytesIO()
        raster.to_image(geometry.draw(spec)).save(out, format="WEBP", lossless=True, quality=80, method=4)
        return out.getvalue()


@hookimpl
def codeqr_register_renderers():
    return [WebpRenderer]
