"""The check that a design scans: its image, drawn by the app's PNG renderer, decoded with
zxing-cpp at its own size and printed small; when it does not decode to exactly its
content, why, in words, beside the field to change.

Both checks are stricter than a screenshot decoded as it is: the image lies on white
paper (its background may not be the quiet zone a scanner needs), and zxing-cpp reads it
with one threshold for the whole image (``GlobalHistogram``), as simple scanners do, so a
part of the code fading toward the background is not rescued by local thresholds. The
print check draws the code 2 cm wide at 300 dpi (236 pixels) and blurs it by a pixel,
what ink and a phone's focus do to it, so modules too small to print fail.
"""

import dataclasses
import io
from typing import NamedTuple

import zxingcpp
from PIL import Image, ImageFilter

from ..design_rules import MIN_CONTRAST, contrast
from ..errors import InvalidInput
from . import frames, geometry, raster

#: The code's width on the small print: 2 cm at 300 dpi, in pixels.
PRINT_WIDTH = round(2 / 2.54 * 300)
#: The blur of the small print, in pixels at 300 dpi: ink spread and a phone's focus.
PRINT_BLUR = 1.0
#: The smallest module a small print should have, in pixels at 300 dpi (0.3 mm).
PRINT_MODULE = 3.5
#: The smallest module on screen, in pixels: below, neighbouring modules blur together.
SCREEN_MODULE = 2
#: The paper around the image: what a scanner sees past the image's edge.
PAPER = "#ffffff"


_QR_CODE = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


class Check(NamedTuple):
    """One decode: its name in sentences and the image's width in pixels."""

    where: str
    size: int


class Unscannable(InvalidInput):
    """A design that does not decode to its content; ``check`` says which decode failed."""

    def __init__(self, message: str, field: str | None, *, sentence: str, check: Check,
                 also: tuple[str, ...] = ()):
        super().__init__(message, field, sentence=sentence, also=also)
        self.check = check


def verify(spec, renderer=None) -> Unscannable | None:
    """Decode ``spec`` (a ``RenderSpec``, its logo read) drawn by ``renderer`` (the app's PNG
    renderer; None: the design's raster) at its size, then with the code 2 cm wide; the
    problem of the first that does not give back ``spec.text`` exactly, or None."""
    expected = spec.text.encode()  # what qrcode encodes: the text in UTF-8
    checks = [(Check("at its size", spec.size), spec, 0.0)]
    printed = _resized(spec, print_size(spec))
    checks.append((Check("printed 2 cm wide", printed.size), printed, PRINT_BLUR))
    for check, drawn, blur in checks:
        if expected not in decoded(_image(drawn, renderer), blur):
            return diagnose(spec, check)
    return None


def print_size(spec) -> int:
    """The image's width when its code is ``PRINT_WIDTH`` pixels wide (a frame takes room)."""
    size = spec.size
    for _ in range(2):  # a frame's caption need not scale with the image: measure again once
        code = frames.layout(_resized(spec, size)).code.width
        size = max(1, round(size * PRINT_WIDTH / code))
    return size


def decoded(image: Image.Image, blur: float = 0.0) -> list[bytes]:
    """The bytes of each QR Code zxing-cpp reads in ``image`` laid on paper, ``blur``red."""
    border = max(16, image.width // 8)
    paper = Image.new("L", (image.width + 2 * border, image.height + 2 * border), 255)
    mask = image.getchannel("A") if "A" in image.getbands() else None
    paper.paste(image.convert("L"), (border, border), mask)
    if blur:
        paper = paper.filter(ImageFilter.GaussianBlur(blur))
    found = zxingcpp.read_barcodes(paper, formats=_QR_CODE, try_rotate=False,
                                   binarizer=zxingcpp.Binarizer.GlobalHistogram)
    return [result.bytes for result in found]


def _image(spec, renderer) -> Image.Image:
    if renderer is None:
        return raster.to_image(geometry.draw(spec))
    with Image.open(io.BytesIO(renderer.render(spec))) as image:
        return image.convert("RGBA")


def _resized(spec, size: int):
    return dataclasses.replace(spec, design=spec.design.model_copy(update={"size": size}))


# -- why not -------------------------------------------------------------------


def diagnose(spec, check: Check) -> Unscannable:
    """The likeliest reason ``spec`` failed ``check``, from cheap measurements of its
    design: the margin, each colour against the background, module size, the logo."""
    design = spec.design
    count = len(spec.modules)
    module = frames.layout(_resized(spec, check.size)).code.width / count
    head = f"does not scan {check.where}"
    said = f"This design does not scan {check.where}"

    def problem(message: str, field: str | None, sentence: str, also: tuple[str, ...] = ()) -> Unscannable:
        return Unscannable(f"{head}: {message}", field, sentence=f"{said}: {sentence}", check=check, also=also)

    if design.margin < 2 and _dark_background(design):
        return problem(
            f"margin {design.margin} on a background darker than the paper around it leaves no quiet zone",
            "margin", "on paper, its dark background leaves no light border around the code. Set the margin "
                      "to 2 or more (4 is safest), or choose a light background.")
    for field, color, what in _colors(design):
        ratio = contrast(color, design.bg_color)
        if ratio < MIN_CONTRAST:
            shade = "lighter" if _lighter(design.bg_color, color) else "darker"
            return problem(
                f"{what} {color} is too close to bgColor (contrast {ratio:.2f}:1, need {MIN_CONTRAST:g}:1)", field,
                f"the {what} {color} is too close to the background (contrast {ratio:.1f} to 1, at least "
                f"{MIN_CONTRAST:g} needed). Make it {'darker' if shade == 'lighter' else 'lighter'}.")
    if check.size == spec.size and module < SCREEN_MODULE:
        return problem(f"{module:.1f} pixels per module at size {design.size}", "size",
                       f"at {design.size} pixels each module is {module:.1f} pixels wide. Make the image larger.")
    logo = _logo_share(spec)
    if logo is not None and (check.size == spec.size or module >= PRINT_MODULE):
        share, level = logo
        stronger = "" if level == "H" else " or choose error correction H"
        return problem(
            f"the logo covers {share:.0%} of the code's side, too much for error correction {level} here",
            "logo" if design.logo else "showLogo",
            f"the logo hides too much of the code ({share:.0%} of its width) for error correction {level} to "
            f"restore. Make it smaller (width and height){stronger}.", also=("level",) if stronger else ())
    if check.size != spec.size and module < PRINT_MODULE:
        millimetres = module * 25.4 / 300
        lower = {"H": "Q", "Q": "M", "M": "L"}.get(design.level)
        change = f"a shorter content or error correction {lower} (fewer, larger modules)" if lower \
            else "a shorter content"
        return problem(f"{module:.1f} pixels per module at 300 dpi ({millimetres:.2f} mm): the content is too "
                       "long for a small print", "level" if lower else None,
                       f"2 cm wide, each module is {millimetres:.2f} mm, too small for phones (0.3 mm or more "
                       f"needed): the content is long for a small print. Choose {change}.")
    style = next((name for name in ("pattern", "eye_shape", "shape", "frame")
                  if getattr(design, name) != type(design).model_fields[name].default), None)
    api = {"eye_shape": "eyeShape"}.get(style or "", style)
    return problem("no single cause found", api,
                   "try a plainer style, stronger colours, a smaller logo or a higher error correction level.")


def _colors(design) -> list[tuple[str, str, str]]:
    """Each colour the modules are drawn in: ``(API field, colour, what it paints)``."""
    found = [("fgColor", design.fg_color, "foreground colour")] if design.fg_gradient is None else [
        ("fgGradient", color, f"gradient's {end} colour") for end, color in zip(("start", "end"), design.fg_gradient.colors)]
    if design.eye_color is not None:
        found.append(("eyeColor", design.eye_color, "eye colour"))
    return found


def _lighter(a: str, b: str) -> bool:
    """Whether ``a`` is lighter than ``b`` (the contrast with black is larger)."""
    return contrast(a, "#000000") > contrast(b, "#000000")


def _dark_background(design) -> bool:
    """Whether the background is no quiet zone on white paper: darker than the modules, or
    far from the paper's white."""
    modules = [color for _, color, _ in _colors(design)]
    return any(_lighter(color, design.bg_color) for color in modules) or \
        contrast(design.bg_color, PAPER) >= MIN_CONTRAST


def _logo_share(spec) -> tuple[float, str] | None:
    """The share of the symbol's side the logo covers and the level, when one is drawn."""
    design = spec.design
    if not design.show_logo or (spec.logo is None and spec.overlay is None):
        return None
    if geometry.is_plain(design):  # the renderers' fast path: the overlay's own square
        code, side = float(design.size), float(spec.logo_box[2])
    else:
        box = frames.layout(spec).code
        logo = geometry.logo_box(spec, box)
        code, side = box.width, max(logo.width, logo.height) if logo else 0.0
    count = len(spec.modules)
    return side / (code * (count - 2 * design.margin) / count), design.level
