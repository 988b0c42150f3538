"""A ``Drawing`` as Encapsulated PostScript (level 3), written here: paths with
moveto/lineto/curveto, fill or eofill; gradients as ``shfill`` shadings (types 2 and 3)
clipped to their path; bitmaps as images in ASCII85 with their transparency as a mask;
captions as their glyph outlines (an EPS carries no font).

The bounding box is the image's size in points: one pixel of the drawing is one point.
"""

import base64
import io

from PIL import Image

from ..design_rules import rgb
from .drawing import Bitmap, Caption, Drawing, Fill, LinearGradient, Paint, RadialGradient
from .paths import Path


def to_eps(drawing: Drawing) -> bytes:
    """Return the EPS of ``drawing``."""
    width, height = drawing.width, drawing.height
    out = [
        "%!PS-Adobe-3.0 EPSF-3.0",
        f"%%BoundingBox: 0 0 {width} {height}",
        f"%%HiResBoundingBox: 0 0 {width} {height}",
        "%%Creator: CodeQR",
        "%%LanguageLevel: 3",
        "%%EndComments",
        "save",
        # Short names for the path operators, in a dictionary of our own (dropped at the end).
        "4 dict begin /m /moveto load def /l /lineto load def /c /curveto load def /h /closepath load def",
        # The drawing's y grows downwards, PostScript's upwards: flip once for everything.
        f"0 {height} translate 1 -1 scale",
    ]
    for item in drawing.items:
        if isinstance(item, Fill):
            out.append(_fill(item.path, item.paint, item.evenodd))
        elif isinstance(item, Caption):
            out.append(_fill(item.outline, item.color, False))
        elif isinstance(item, Bitmap):
            out.append(_bitmap(item))
    out += ["end", "restore", "showpage", "%%EOF", ""]
    return "\n".join(out).encode("ascii")


def _number(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _path(path: Path) -> str:
    words = {"M": "m", "L": "l", "C": "c", "Z": "h"}
    return " ".join(" ".join([*map(_number, op[1:]), words[op[0]]]) for op in path.ops)


def _rgb(color: str) -> str:
    return " ".join(_number(channel / 255) for channel in rgb(color))


def _fill(path: Path, paint: Paint, evenodd: bool) -> str:
    """One path filled with a colour, or clipped to and filled by a shading."""
    if not path:
        return ""
    shape = f"newpath {_path(path)}"
    if isinstance(paint, str):
        return f"{shape} {_rgb(paint)} setrgbcolor {'eofill' if evenodd else 'fill'}"
    return f"gsave {shape} {'eoclip' if evenodd else 'clip'} newpath {_shading(paint)} shfill grestore"


def _shading(paint: LinearGradient | RadialGradient) -> str:
    """A PostScript level 3 shading dictionary: axial (type 2) or radial (type 3), padded
    with its end colours beyond its ends (as SVG's gradients are)."""
    start, end = paint.colors
    function = f"<< /FunctionType 2 /Domain [0 1] /C0 [{_rgb(start)}] /C1 [{_rgb(end)}] /N 1 >>"
    coords: tuple[float, ...]
    if isinstance(paint, LinearGradient):
        kind, coords = 2, (paint.x1, paint.y1, paint.x2, paint.y2)
    else:
        kind, coords = 3, (paint.cx, paint.cy, 0, paint.cx, paint.cy, paint.r)
    return (f"<< /ShadingType {kind} /ColorSpace /DeviceRGB /Coords [{' '.join(map(_number, coords))}] "
            f"/Extend [true true] /Function {function} >>")


def _bitmap(bitmap: Bitmap) -> str:
    """An image (type 3: its colours with a one-bit mask from the alpha channel, interleaved
    by sample) fitted into its box, centred, its proportions kept."""
    with Image.open(io.BytesIO(bitmap.png)) as image:
        rgba = image.convert("RGBA")
    w, h = rgba.size
    scale = min(bitmap.width / w, bitmap.height / h)
    x = bitmap.x + (bitmap.width - w * scale) / 2
    y = bitmap.y + (bitmap.height - h * scale) / 2
    # Each sample: the mask byte (255 where at least half opaque: only its high bit counts)
    # followed by red, green and blue.
    alpha = rgba.getchannel("A").point(lambda value: 255 if value >= 128 else 0)
    r, g, b = rgba.convert("RGB").split()
    samples = Image.merge("RGBA", (alpha, r, g, b)).tobytes()
    data = base64.a85encode(samples, wrapcol=76).decode("ascii")
    source = "currentfile /ASCII85Decode filter"
    matrix = f"[{w} 0 0 {h} 0 0]"  # the unit square, y downwards as the drawing's
    return "\n".join([
        "gsave",
        f"{_number(x)} {_number(y)} translate {_number(w * scale)} {_number(h * scale)} scale",
        "/DeviceRGB setcolorspace",
        "<< /ImageType 3 /InterleaveType 1",
        f"/DataDict << /ImageType 1 /Width {w} /Height {h} /BitsPerComponent 8 /Decode [0 1 0 1 0 1] "
        f"/ImageMatrix {matrix} /DataSource {source} >>",
        f"/MaskDict << /ImageType 1 /Width {w} /Height {h} /BitsPerComponent 8 /Decode [1 0] "
        f"/ImageMatrix {matrix} >>",
        ">> image",
        data + "~>",
        "grestore",
    ])
