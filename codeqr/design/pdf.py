"""A ``Drawing`` in PDF (fpdf2), as vectors: paths filled as they are (even-odd where
asked), gradients as PDF shadings, bitmaps as images and captions as real text in their
font, embedded (searchable, selectable, sharp at any zoom).

One drawing unit is one point (1/72 inch): a drawing placed at scale 1 on its own page
is the image's size in pixels, at 72 pixels per inch.
"""

import io
import os
from datetime import UTC, datetime

from fpdf import FPDF
from fpdf.drawing import GradientPaint
from fpdf.pattern import LinearGradient as PdfLinear
from fpdf.pattern import RadialGradient as PdfRadial

from .drawing import Bitmap, Caption, Drawing, Fill, LinearGradient, Paint, RadialGradient
from .paths import Path

#: Every PDF written carries this date: the same drawing gives the same bytes (the image
#: hash names them, exports rebuilt after a restart must not differ).
_FIXED_DATE = datetime(2000, 1, 1, tzinfo=UTC)


def document(width: float, height: float) -> FPDF:
    """A PDF in points, without margins nor page breaks, each page ``width`` × ``height``."""
    pdf = FPDF(unit="pt", format=(width, height))
    pdf.set_margin(0)
    pdf.set_auto_page_break(False)
    pdf.set_creation_date(_FIXED_DATE)
    pdf.set_producer("CodeQR")
    return pdf


def to_pdf(drawing: Drawing) -> bytes:
    """Return the one-page PDF of ``drawing``: the page is the image's size."""
    pdf = document(drawing.width, drawing.height)
    pdf.add_page()
    place(pdf, drawing, 0, 0, 1)
    return bytes(pdf.output())


def place(pdf: FPDF, drawing: Drawing, x: float, y: float, scale: float) -> None:
    """Draw ``drawing`` on the current page with its top-left corner at ``(x, y)`` (points,
    from the page's top-left) and each drawing unit ``scale`` points long."""
    for item in drawing.items:
        if isinstance(item, Fill):
            _fill(pdf, item.path.transformed(scale, x, y), _paint(item.paint, scale, x, y), item.evenodd)
        elif isinstance(item, Bitmap):
            pdf.image(io.BytesIO(item.png), x + item.x * scale, y + item.y * scale, item.width * scale,
                      item.height * scale, keep_aspect_ratio=True)
        elif isinstance(item, Caption):
            _caption(pdf, item, x, y, scale)


def _fill(pdf: FPDF, path: Path, paint, evenodd: bool) -> None:
    with pdf.new_path() as shape:
        shape.style.fill_color = paint
        shape.style.stroke_color = None
        shape.style.intersection_rule = "evenodd" if evenodd else "nonzero"
        for op in path.ops:
            if op[0] == "M":
                shape.move_to(*op[1:])
            elif op[0] == "L":
                shape.line_to(*op[1:])
            elif op[0] == "C":
                shape.curve_to(*op[1:])
            else:
                shape.close()


def _paint(paint: Paint, scale: float, dx: float, dy: float):
    """fpdf2's paint for ours, moved with the drawing. Gradients pad with their end colours
    beyond their ends, as SVG's do (so every format shows the same colours)."""
    if isinstance(paint, str):
        return paint
    colors = list(paint.colors)
    if isinstance(paint, LinearGradient):
        return GradientPaint(PdfLinear(paint.x1 * scale + dx, paint.y1 * scale + dy, paint.x2 * scale + dx,
                                       paint.y2 * scale + dy, colors, extend_before=True, extend_after=True))
    if isinstance(paint, RadialGradient):
        cx, cy = paint.cx * scale + dx, paint.cy * scale + dy
        return GradientPaint(PdfRadial(cx, cy, 0, cx, cy, paint.r * scale, colors, extend_before=True,
                                       extend_after=True))
    raise TypeError(f"no PDF paint for {paint!r}")


def _caption(pdf: FPDF, caption: Caption, x: float, y: float, scale: float) -> None:
    """The caption as text in its own font, embedded; its outline when the face has no
    font file to embed."""
    font_file = getattr(caption.face, "path", None)
    if not font_file:
        _fill(pdf, caption.outline.transformed(scale, x, y), caption.color, False)
        return
    family = os.path.splitext(os.path.basename(font_file))[0]  # stable: the same bytes every time
    if family.lower() not in pdf.fonts:
        pdf.add_font(family, fname=str(font_file))
    pdf.set_font(family, size=caption.size * scale)
    pdf.set_text_color(caption.color)
    for line in caption.lines:
        pdf.text(x + line.x * scale, y + line.baseline * scale, line.text)
