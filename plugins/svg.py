"""SVG renderer: the classic look as one path of dark modules on a background rectangle;
any other design written from its drawing."""

from codeqr import Renderer, hookimpl
from codeqr.design import geometry
from codeqr.design.svg import to_svg


def _path(modules) -> str:
    """Return path data drawing each horizontal run of dark modules as one rectangle."""
    parts = []
    for y, row in enumerate(modules):
        x = 0
        width = len(row)
        while x < width:
            if row[x]:
                start = x
                while x < width and row[x]:
                    x += 1
                parts.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return "".join(parts)


class SvgRenderer(Renderer):
    name = "svg"
    media_type = "image/svg+xml"
    vector = True
    version = "1"

    def render(self, spec) -> bytes:
        if not geometry.is_plain(spec.design):
            return to_svg(geometry.draw(spec)).encode()
        count = len(spec.modules)
        overlay = ""
        if spec.overlay is not None:
            # The overlay draws in pixels; the drawing above is in modules.
            overlay = f'<g transform="scale({count / spec.size:.6f})">{spec.overlay.svg_element(spec)}</g>'
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="{spec.size}" height="{spec.size}" viewBox="0 0 {count} {count}" '
            f'shape-rendering="crispEdges">'
            f'<rect width="{count}" height="{count}" fill="{spec.bg_color}"/>'
            f'<path fill="{spec.fg_color}" d="{_path(spec.modules)}"/>'
            f"{overlay}</svg>"
        )
        return svg.encode()


@hookimpl
def codeqr_register_renderers():
    return [SvgRenderer]
