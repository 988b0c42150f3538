"""EPS renderer: the drawing as PostScript level 3 vectors (for print shops and design
programs), its bounding box the image's size in points; text as outlines."""

from codeqr import Renderer, hookimpl
from codeqr.design import geometry
from codeqr.design.eps import to_eps


class EpsRenderer(Renderer):
    name = "eps"
    media_type = "application/postscript"
    label = "EPS"
    vector = True
    version = "1"

    def render(self, spec) -> bytes:
        return to_eps(geometry.draw(spec))


@hookimpl
def codeqr_register_renderers():
    return [EpsRenderer]
