"""The print sheet: QR Codes laid out in a grid on A4 or Letter pages, for stickers and
labels. Each code is drawn as vectors from its own drawing (``codeqr.design.pdf``), with
a caption under it (its title and short link; a static code: its title) and crop marks in
the page's margin at every cell edge. As many pages as the codes need.

The options (paper, columns, rows, margin in millimetres) are checked before an export
starts: a layout whose codes would print smaller than ``MIN_CODE_MM`` is refused too.
"""

from collections.abc import Iterable, Mapping
from pathlib import Path as FilePath
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..design.drawing import Drawing
from ..design.pdf import document, place
from ..errors import InvalidInput, InvalidInputs

#: Page sizes in points (1/72 inch).
PAPERS = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}
MM = 72 / 25.4
#: The smallest printed code accepted: below about a centimetre phones struggle to focus.
MIN_CODE_MM = 10
#: The font captions are set in when the package ships it (frames' fonts), else Helvetica.
FONT = FilePath(__file__).parent.parent / "design" / "fonts" / "DejaVuSans.ttf"
#: The most QR Codes one sheet holds: the PDF is built in memory, in one go, and a heavy code
#: (a long static content in dots, at 4096 px, with a frame) takes 0.8 s and 170 KB of it.
MAX_CODES = 500
#: The name the export stores the sheet as, in its ZIP.
FILE_NAME = "print-sheet.pdf"


class SheetOptions(BaseModel):
    """How the sheet is laid out (the API's ``printSheet``; the form's ``sheet_*`` fields)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    paper: Literal["a4", "letter"] = Field("a4", description="a4 (210 × 297 mm) or letter (8.5 × 11 in)")
    columns: int = Field(3, ge=1, le=10, description="codes across a page, 1 to 10")
    rows: int = Field(4, ge=1, le=20, description="codes down a page, 1 to 20")
    margin: float = Field(10, ge=0, le=50, description="the page's margin in millimetres, 0 to 50 (the crop marks are in it)")

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def token(self) -> str:
        """The options as one word, kept in the export's list of formats (``sheet:a4:3:4:10``)."""
        return f"sheet:{self.paper}:{self.columns}:{self.rows}:{self.margin:g}"

    @classmethod
    def from_token(cls, token: str) -> "SheetOptions":
        _, paper, columns, rows, margin = token.split(":")
        return cls.model_validate({"paper": paper, "columns": columns, "rows": rows, "margin": margin})


_SENTENCES = {
    "paper": "Choose A4 or Letter paper.",
    "columns": "Choose between 1 and 10 columns.",
    "rows": "Choose between 1 and 20 rows.",
    "margin": "Choose a margin between 0 and 50 mm.",
}


def options(raw: Mapping) -> SheetOptions:
    """Check the sheet's options (missing ones take their defaults); raise ``InvalidInputs``
    with a sentence per bad option, or when the codes would print too small."""
    try:
        chosen = SheetOptions.model_validate(dict(raw))
    except ValidationError as error:
        problems: list = []
        for item in error.errors():
            name = str(item["loc"][0]) if item["loc"] else "printSheet"
            problems.append(InvalidInput(item["msg"].lower(), f"printSheet.{name}",
                                         sentence=_SENTENCES.get(name, f"The print sheet has no option {name!r}.")))
        raise InvalidInputs.of(problems) from None
    side = Layout(chosen).code_side / MM
    if side < MIN_CODE_MM:
        raise InvalidInput(f"the codes would print {side:.1f} mm wide, at least {MIN_CODE_MM} mm needed",
                           "printSheet", sentence=f"With these options the codes would print only {side / 10:.1f} cm "
                           f"wide: choose fewer columns or rows, or a smaller margin.")
    return chosen


class SheetCode(NamedTuple):
    """One code of the sheet: its drawing and its caption's lines."""

    drawing: Drawing
    caption: list[str]


class Layout:
    """Where the cells of a page are, in points from its top-left corner."""

    def __init__(self, sheet: SheetOptions):
        self.width, self.height = PAPERS[sheet.paper]
        self.margin = sheet.margin * MM
        self.columns, self.rows = sheet.columns, sheet.rows
        self.cell_width = (self.width - 2 * self.margin) / sheet.columns
        self.cell_height = (self.height - 2 * self.margin) / sheet.rows
        self.padding = min(3 * MM, 0.08 * min(self.cell_width, self.cell_height))
        self.font_size = max(5.0, min(9.0, self.cell_height * 0.06))
        self.line_height = self.font_size * 1.3
        #: the side of a square code with two caption lines under it
        self.code_side = min(self.cell_width - 2 * self.padding,
                             self.cell_height - 2 * self.padding - 2 * self.line_height)

    def cell(self, index: int) -> tuple[float, float]:
        """The top-left corner of the ``index``-th cell of a page (row by row)."""
        row, column = divmod(index, self.columns)
        return self.margin + column * self.cell_width, self.margin + row * self.cell_height


def build(codes: Iterable[SheetCode], sheet: SheetOptions) -> bytes:
    """Return the sheet's PDF: ``codes`` in order, ``sheet.per_page`` to a page."""
    layout = Layout(sheet)
    pdf = document(layout.width, layout.height)
    font = _font(pdf)
    pdf.set_font(font, size=layout.font_size)
    pdf.set_text_color(0, 0, 0)
    placed = 0
    for code in codes:
        index = placed % sheet.per_page
        if index == 0:
            pdf.add_page()
            _crop_marks(pdf, layout)
        _code(pdf, layout, index, code, font)
        placed += 1
    if not placed:
        pdf.add_page()
    return bytes(pdf.output())


def _font(pdf) -> str:
    if FONT.exists():
        pdf.add_font("sheet", fname=str(FONT))
        return "sheet"
    return "helvetica"


def _code(pdf, layout: Layout, index: int, code: SheetCode, font: str) -> None:
    x, y = layout.cell(index)
    pad = layout.padding
    room_width = layout.cell_width - 2 * pad
    room_height = layout.cell_height - 2 * pad - len(code.caption) * layout.line_height
    drawing = code.drawing
    scale = min(room_width / drawing.width, room_height / drawing.height)
    left = x + (layout.cell_width - drawing.width * scale) / 2
    place(pdf, drawing, left, y + pad, scale)
    baseline = y + pad + drawing.height * scale + layout.line_height
    core = font == "helvetica"
    for line in code.caption:
        text = _fitted(pdf, _latin1(line) if core else line, room_width, "..." if core else "…")
        pdf.text(x + (layout.cell_width - pdf.get_string_width(text)) / 2, baseline - layout.line_height * 0.25, text)
        baseline += layout.line_height


def _fitted(pdf, text: str, width: float, ellipsis: str) -> str:
    """``text``, cut short with ``ellipsis`` if it is wider than ``width``."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + ellipsis) > width:
        text = text[:-1]
    return text + ellipsis


def _latin1(text: str) -> str:
    """What Helvetica can set (the fallback font has no other characters)."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _crop_marks(pdf, layout: Layout) -> None:
    """Short hairlines in the margin, in line with every cell edge; none without a margin."""
    gap = min(1 * MM, layout.margin / 4)
    length = min(5 * MM, layout.margin - 2 * gap)
    if length <= 0:
        return
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.25)
    top, bottom = layout.margin, layout.height - layout.margin
    left, right = layout.margin, layout.width - layout.margin
    for column in range(layout.columns + 1):
        at = left + column * layout.cell_width
        pdf.line(at, top - gap - length, at, top - gap)
        pdf.line(at, bottom + gap, at, bottom + gap + length)
    for row in range(layout.rows + 1):
        at = top + row * layout.cell_height
        pdf.line(left - gap - length, at, left - gap, at)
        pdf.line(right + gap, at, right + gap + length, at)
