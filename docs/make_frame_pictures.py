"""Draw the picture of every frame shown in docs/designs.md: each frame (CodeQR's ids)
with its caption, side by side, rendered by CodeQR's own geometry.

    .venv/bin/python docs/make_frame_pictures.py   # writes docs/images/frames.png
"""

import io
from pathlib import Path

from PIL import Image

from codeqr.design import fonts, geometry, raster
from codeqr.design.drawing import Drawing, Fill
from codeqr.design.values import FRAME_LABELS
from codeqr.domain.rendering import Picture, render_spec
from codeqr.domain.schemas import Design

OUT = Path(__file__).with_name("images") / "frames.png"
SIZE = 320  # each code's width in pixels
GUTTER = 40
LABEL = 22  # the label's font size under each frame
#: Each frame in a colour and a caption of its own, to show what the fields do.
EXAMPLES = [
    {"frame": "frame-1"},
    {"frame": "frame-2", "frame_color": "#1d4ed8", "frame_text": "Menu & prices",
     "frame_text_styles": {"family": "serif", "weight": "bold"}},
    {"frame": "frame-3", "frame_color": "#047857", "frame_text": "Free Wi-Fi",
     "frame_text_styles": {"family": "sans-condensed", "weight": "bold", "size": "l"}},
    {"frame": "frame-5", "frame_color": "#facc15", "frame_text": "Scan to pay",
     "frame_text_styles": {"family": "sans", "weight": "bold"}},
    {"frame": "frame-6", "frame_color": "#be123c", "frame_text": "Join us on the terrace — scan for tonight’s menu",
     "frame_text_styles": {"family": "serif-elegant", "style": "italic", "size": "s"}},
]


def render(example: dict) -> Image.Image:
    design = Design(size=SIZE, level="M", margin=4, show_logo=False, **example)
    spec = render_spec(Picture("https://go.example.org/menu", design), None)
    return raster.to_image(geometry.draw(spec))


def label(frame: str) -> Image.Image:
    """``frame-1 · Caption below`` drawn with the frame fonts, centred in SIZE pixels."""
    face, text = fonts.face("sans"), f"{frame} · {FRAME_LABELS[frame]}"
    x = (SIZE - face.width(text, LABEL)) / 2
    drawing = Drawing(SIZE, 2 * LABEL, [Fill(face.outline(text, LABEL, x, LABEL * 1.2), "#4b5563")])
    return Image.open(io.BytesIO(raster.to_png(drawing)))


def main() -> None:
    images = [render(example) for example in EXAMPLES]
    assert [example["frame"] for example in EXAMPLES] == [name for name in FRAME_LABELS if name != "none"]
    height = max(image.height for image in images)
    sheet = Image.new("RGB", (len(images) * (SIZE + GUTTER) + GUTTER, height + 2 * GUTTER + 2 * LABEL), "#ffffff")
    for index, (example, image) in enumerate(zip(EXAMPLES, images)):
        x = GUTTER + index * (SIZE + GUTTER)
        sheet.paste(image, (x, GUTTER))
        caption = label(example["frame"])
        sheet.paste(caption, (x, GUTTER + height + LABEL // 2), caption)
    sheet.save(OUT, optimize=True)
    print(f"wrote {OUT} ({sheet.width}×{sheet.height})")


if __name__ == "__main__":
    main()
