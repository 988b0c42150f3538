"""JPEG renderer: the drawing rasterised (resvg), flattened onto white (JPEG keeps no
transparency), at quality 92 with full colour resolution (no chroma subsampling, which
would blur the edges of coloured modules)."""

import io

from codeqr import Renderer, hookimpl
from codeqr.design import geometry, raster


class JpegRenderer(Renderer):
    name = "jpg"  # what people type: /qr/{id}.jpg
    media_type = "image/jpeg"
    label = "JPEG"
    version = "1"

    def render(self, spec) -> bytes:
        out = io.BytesIO()
        raster.to_image(geometry.draw(spec)).save(out, format="JPEG", quality=92, subsampling=0, optimize=True)
        return out.getvalue()


@hookimpl
def codeqr_register_renderers():
    return [JpegRenderer]
