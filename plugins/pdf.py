"""PDF renderer: the drawing as vectors on one page the image's size (one pixel = one
point, so a 1024 px code is a 36.1 cm page at 100%), the frame's caption as real text
with its font embedded."""

from codeqr import Renderer, hookimpl
from codeqr.design import geometry
from codeqr.design.pdf import to_pdf


class PdfRenderer(Renderer):
    name = "pdf"
    media_type = "application/pdf"
    label = "PDF"
    vector = True
    version = "1"

    def render(self, spec) -> bytes:
        return to_pdf(geometry.draw(spec))


@hookimpl
def codeqr_register_renderers():
    return [PdfRenderer]
