"""The geometry of a design: render spec -> ``Drawing`` (modules, eyes, outline, frame,
logo), in pixels of the final image. Every core format draws this one drawing."""

import io
from dataclasses import replace

from PIL import Image

from . import frames, patterns
from .drawing import Bitmap, Box, Drawing, Fill, Paint, RadialGradient
from .paths import Path

#: The design fields the geometry draws beyond the classic square code; a design with
#: each at its default is "plain", drawn by the renderers' fast paths.
STYLE_FIELDS = ("logo", "width", "height", "excavate", "pattern", "shape", "eye_shape", "eye_color", "fg_gradient",
                "frame")


def is_plain(design) -> bool:
    """Whether ``design`` is the classic look: square modules and eyes, one colour, no
    frame, outline nor own logo (the instance logo may be drawn over it)."""
    fields = type(design).model_fields
    return all(getattr(design, name) == fields[name].default for name in STYLE_FIELDS)


def draw(spec) -> Drawing:
    """Return the drawing of ``spec`` (a ``RenderSpec``)."""
    design = spec.design
    layout = frames.layout(spec)
    drawing = Drawing(design.size, layout.height, list(layout.behind))
    # The layout gives the code a square; an outline (``shape``) takes its edge, and the
    # symbol and quiet zone shrink, centred, inside it (``patterns.code_box``). The paint
    # spans the whole square, so outline and modules share one gradient.
    paint = module_paint(design, layout.code)
    code = patterns.code_box(spec, layout.code)
    pitch = code.width / len(spec.modules)
    spec = square_when_tiny(spec, pitch)
    drawing.items += patterns.outline(spec, layout.code, paint)
    logo = logo_box(spec, code)
    cleared = cleared_modules(spec, code, logo) if logo and design.excavate else frozenset()
    body = patterns.modules(spec, cleared).transformed(pitch, code.x, code.y)
    drawing.items.append(Fill(body, paint))
    eye_paint: Paint = design.eye_color or paint
    for eye in patterns.eyes(spec):
        drawing.items.append(Fill(eye.transformed(pitch, code.x, code.y), eye_paint, evenodd=True))
    if logo:
        drawing.items.append(Bitmap(*logo, png=logo_png(spec, logo)))
    drawing.items += layout.above
    return drawing


def square_when_tiny(spec, pitch: float):
    """``spec`` with square modules and eyes when its modules are under
    ``patterns.MIN_PITCH`` pixels: curves that small stop decoders."""
    design = spec.design
    if pitch >= patterns.MIN_PITCH or (design.pattern == "default" and design.eye_shape == "square"):
        return spec
    return replace(spec, design=design.model_copy(update={"pattern": "default", "eye_shape": "square"}))


def module_paint(design, code: Box) -> Paint:
    """fgColor, or the design's gradient laid over the code's square."""
    gradient = design.fg_gradient
    if gradient is None:
        return design.fg_color
    colors = (gradient.colors[0], gradient.colors[1])
    if gradient.type == "radial":
        return RadialGradient(code.x + code.width / 2, code.y + code.height / 2, code.width / 2 * 2 ** 0.5, colors)
    return patterns.linear_gradient(code, gradient.rotation, colors)


# -- the logo --------------------------------------------------------------------

#: The largest share of the symbol's side a logo may take, by error-correction level:
#: its square hides about that share squared of the modules, which the level must restore.
MAX_LOGO_SIDE = {"L": 0.15, "M": 0.2, "Q": 0.25, "H": 0.3}
#: The side of the logo when neither width nor height is given.
DEFAULT_LOGO_SIDE = {"L": 0.12, "M": 0.15, "Q": 0.17, "H": 0.22}


def logo_box(spec, code: Box) -> Box | None:
    """Where the logo goes, centred on the code: the design's width and height (one
    given: the other in proportion; none: the level's default side), shrunk to the most
    the level can lose. None when no logo is drawn."""
    design = spec.design
    if not design.show_logo or (spec.logo is None and spec.overlay is None):
        return None
    count = len(spec.modules)
    symbol = code.width * (count - 2 * design.margin) / count
    scale = code.width / design.size  # width and height are pixels of the code at its own size
    ratio = _aspect(spec)
    width, height = design.width, design.height
    if width is None and height is None:
        side = symbol * DEFAULT_LOGO_SIDE[design.level]
        width, height = (side, side / ratio) if ratio >= 1 else (side * ratio, side)
    elif width is None:
        height *= scale
        width = height * ratio
    elif height is None:
        width *= scale
        height = width / ratio
    else:
        width, height = width * scale, height * scale
    limit = symbol * MAX_LOGO_SIDE[design.level]
    shrink = min(1.0, limit / max(width, height))
    width, height = width * shrink, height * shrink
    return Box(code.x + (code.width - width) / 2, code.y + (code.height - height) / 2, width, height)


def _aspect(spec) -> float:
    """Width over height of the logo drawn (the instance overlay draws in a square)."""
    if spec.logo is None:
        return 1.0
    with Image.open(io.BytesIO(spec.logo)) as image:
        return image.width / image.height


def cleared_modules(spec, code: Box, logo: Box) -> frozenset[tuple[int, int]]:
    """The ``(x, y)`` modules under the logo, with half a module of room around it."""
    pitch = code.width / len(spec.modules)
    left, top = (logo.x - code.x) / pitch - 0.5, (logo.y - code.y) / pitch - 0.5
    right, bottom = left + logo.width / pitch + 1, top + logo.height / pitch + 1
    return frozenset((x, y) for y in range(int(top), int(bottom) + 1) for x in range(int(left), int(right) + 1)
                     if x + 1 > left and x < right and y + 1 > top and y < bottom)


def logo_png(spec, box: Box) -> bytes:
    """The PNG of the logo drawn: the QR Code's own, else the instance overlay painted on
    a transparent square (any overlay plugin draws this way)."""
    if spec.logo is not None:
        return spec.logo
    side = max(1, round(max(box.width, box.height)))
    size = spec.size
    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    spec.overlay.paint_raster(canvas, spec)
    x, y, kept = spec.logo_box
    out = io.BytesIO()
    canvas.crop((x, y, x + kept, y + kept)).resize((side, side), Image.Resampling.LANCZOS).save(out, format="PNG")
    return out.getvalue()


__all__ = ["Box", "Path", "draw", "is_plain"]
