"""A ``Drawing`` as SVG text: the SVG format itself, and what the rasteriser reads."""

import base64
from html import escape

from .drawing import Bitmap, Caption, Drawing, Fill, LinearGradient, Paint, RadialGradient


def to_svg(drawing: Drawing) -> str:
    """Return the SVG document of ``drawing``; text is drawn as glyph outlines, so it
    looks the same without the font."""
    defs: dict[Paint, str] = {}  # each gradient once, however many shapes it paints
    body: list[str] = []
    for item in drawing.items:
        if isinstance(item, Fill):
            fill = _paint(item.paint, defs)
            rule = ' fill-rule="evenodd"' if item.evenodd else ""
            body.append(f'<path fill="{fill}"{rule} d="{item.path.svg_data()}"/>')
        elif isinstance(item, Bitmap):  # fills its box: a logo given both width and height is drawn that size
            data = base64.b64encode(item.png).decode()
            body.append(f'<image x="{item.x:.2f}" y="{item.y:.2f}" width="{item.width:.2f}" height="{item.height:.2f}" '
                        f'preserveAspectRatio="none" href="data:image/png;base64,{data}"/>')
        elif isinstance(item, Caption):
            text = escape(" ".join(line.text for line in item.lines))
            body.append(f'<path fill="{item.color}" aria-label="{text}" d="{item.outline.svg_data()}"/>')
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{drawing.width}" height="{drawing.height}" '
            f'viewBox="0 0 {drawing.width} {drawing.height}">')
    return head + (f"<defs>{''.join(defs.values())}</defs>" if defs else "") + "".join(body) + "</svg>"


def _paint(paint: Paint, defs: dict[Paint, str]) -> str:
    """The ``fill`` of a paint; a gradient is added to ``defs`` and referred to."""
    if isinstance(paint, str):
        return paint
    name = f"g{list(defs).index(paint) if paint in defs else len(defs)}"
    if paint in defs:
        return f"url(#{name})"
    stops = (f'<stop offset="0" stop-color="{paint.colors[0]}"/>'
             f'<stop offset="1" stop-color="{paint.colors[1]}"/>')
    if isinstance(paint, LinearGradient):
        defs[paint] = (f'<linearGradient id="{name}" gradientUnits="userSpaceOnUse" x1="{paint.x1:.2f}" '
                    f'y1="{paint.y1:.2f}" x2="{paint.x2:.2f}" y2="{paint.y2:.2f}">{stops}</linearGradient>')
    elif isinstance(paint, RadialGradient):
        defs[paint] = (f'<radialGradient id="{name}" gradientUnits="userSpaceOnUse" cx="{paint.cx:.2f}" '
                    f'cy="{paint.cy:.2f}" r="{paint.r:.2f}">{stops}</radialGradient>')
    return f"url(#{name})"
