"""The QR Code form's design panel: its sections, the swatches (small pictures of each choice
drawn by the real geometry), the contrast verdicts said beside the colours, and a logo file
posted with the form."""

import base64
import functools
import hashlib
import re
from typing import Any, Literal, get_args, get_origin

from ..design import geometry
from ..design.svg import to_svg
from ..design.values import normalise_color
from ..design_rules import MIN_CONTRAST, contrast
from ..domain.rendering import Picture, render_spec
from ..domain.schemas import DESIGN_FIELDS, Design, QRCodeCreate, value_type

#: The panel's sections, in order: (id, heading, design fields by attribute name). A design
#: field in none of them (a plugin's) is shown in "More"; ``ADVANCED`` under a disclosure.
SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("pattern", "Pattern", ("pattern", "shape")),
    ("eyes", "Eyes", ("eye_shape", "eye_color")),
    ("colours", "Colours", ("fg_color", "bg_color", "fg_gradient")),
    ("logo", "Logo", ("show_logo", "logo", "width", "height", "excavate")),
    ("frame", "Frame", ("frame", "frame_color", "frame_text", "frame_text_color", "frame_text_styles")),
)
ADVANCED = ("size", "margin", "level")
#: Choices shown as swatches rather than a menu: what the geometry draws differently.
SWATCHED = ("pattern", "shape", "eye_shape", "frame")
#: Colour fields whose contrast is said beside them: field -> (the colour it is against, its words).
AGAINST = {"fg_color": ("bg_color", "the background"), "eye_color": ("bg_color", "the background"),
           "fg_gradient-colors": ("bg_color", "the background"),
           "frame_text_color": ("frame_color", "the frame colour")}
#: Hints under fields whose blank means something.
HINTS = {"eye_color": "Blank: the modules' colour.", "width": "Blank: in proportion, as large as the error correction allows.",
         "frame_text": "Blank: “SCAN ME”. Up to 200 characters, on at most 4 lines.",
         "frame_text_color": "Blank: black or white, whichever stands out on the frame colour."}
#: What the swatches encode, and how large they are drawn (SVG: only the proportions matter).
_SAMPLE, _SIZE = "https://codeqr.example/swatch", 120
#: The crop of a swatch whose choice is best seen close: (first module, modules shown), quiet zone
#: included. Eyes: the top left one; patterns: the bottom right, where no eye is.
_CROPS = {"eye_shape": (0, 9), "pattern": (-11, 10)}


def sections(design_fields: tuple[str, ...]) -> list[tuple[str, str, tuple[str, ...]]]:
    """The panel's sections holding the app's ``design_fields``: the core's, then "More" with
    any other (a plugin's), then the advanced ones."""
    placed = {name for _, _, names in SECTIONS for name in names} | set(ADVANCED)
    shown = [(key, title, tuple(name for name in names if name in design_fields)) for key, title, names in SECTIONS]
    more = tuple(name for name in design_fields if name not in placed)
    return shown + [("more", "More", more)] * bool(more) + [("advanced", "Size, margin and error correction", ADVANCED)]


def template_context(form, design_fields: tuple[str, ...]) -> dict[str, Any]:
    """What ``qrcodes/_design.html`` shows beside the form's fields."""
    return {"sections": sections(design_fields), "swatched": SWATCHED, "against": AGAINST, "hints": HINTS,
            "verdicts": verdicts(posted_values(form)), "version": swatch_version,
            "advanced_open": any(form[name].errors for name in ADVANCED if name in form._fields)}


def swatch_choices() -> dict[str, tuple[str, ...]]:
    """Each core design field whose values are a fixed choice, with those values."""
    found = {}
    for name in DESIGN_FIELDS:
        kind = value_type(QRCodeCreate.model_fields[name])
        if get_origin(kind) is Literal:
            found[name] = tuple(get_args(kind))
    return found


@functools.cache
def swatch(field: str, value: str) -> str:
    """The SVG of a swatch: a sample code with ``field`` set to ``value``, all else at its
    default, drawn by the geometry every format draws (cropped close for eyes and patterns)."""
    design = Design.model_validate({"level": "M", "size": _SIZE, "margin": 1, field: value})
    spec = render_spec(Picture(_SAMPLE, design), None)
    svg = to_svg(geometry.draw(spec))
    if field not in _CROPS:
        return svg
    count, (first, shown) = len(spec.modules), _CROPS[field]
    pitch, start = _SIZE / count, first % count
    box = f'viewBox="{start * pitch:.2f} {start * pitch:.2f} {shown * pitch:.2f} {shown * pitch:.2f}"'
    return re.sub(r'width="[^"]*" height="[^"]*" viewBox="[^"]*"', f'width="{_SIZE}" height="{_SIZE}" {box}', svg, count=1)


@functools.cache
def swatch_version(field: str, value: str) -> str:
    """A short digest of the swatch: its address changes when its picture does, so it may be cached for good."""
    return hashlib.sha256(swatch(field, value).encode()).hexdigest()[:12]


def _colour(text: Any) -> str | None:
    text = (text or "").strip() if isinstance(text, str) else ""
    if re.fullmatch(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", text):
        return normalise_color(text if text.startswith("#") else "#" + text)
    return None


def verdict(ratio: float, against: str) -> tuple[str, str]:
    """How well a colour stands out, in words: (``good``, ``fair`` or ``poor``, the sentence)."""
    said = f"Contrast {ratio:.1f} to 1 with {against}"
    if ratio < MIN_CONTRAST:
        return "poor", f"{said}: too low to scan (at least {MIN_CONTRAST:g} to 1 needed)."
    if ratio < 2 * MIN_CONTRAST:
        return "fair", f"{said}: enough to scan; more is safer in poor light."
    return "good", f"{said}: scans well."


def verdicts(values: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """The contrast verdict of each colour field of the form's ``values`` (form name -> posted
    text or list) that has a colour and a colour to be against; a gradient by its weaker end."""
    said = {}
    for name, (other, words) in AGAINST.items():
        back = _colour(values.get(other) or QRCodeCreate.model_fields[other].default)
        given = values.get(name)
        colours = [_colour(item) for item in (given if isinstance(given, list) else [given])]
        if back and colours and all(colours):
            said[name] = verdict(min(contrast(colour, back) for colour in colours if colour), words)
    return said


def posted_values(form) -> dict[str, Any]:
    """The colour texts the form holds (as posted, or as stored), by form field name."""
    return {name: form[name].data for name in AGAINST if name in form._fields} | {
        name: form[name].data for name in ("bg_color", "frame_color") if name in form._fields}


#: The image types a logo file may be (the logo intake sniffs the bytes itself).
_LOGO_TYPES = ("image/png", "image/jpeg", "image/webp", "image/svg+xml")
MAX_LOGO_BYTES = 1024 * 1024


def take_logo_file(form, upload) -> None:
    """A logo file posted with the form (``logo_file``, the drop zone without script) becomes
    the ``logo`` field's value as a ``data:`` URI, which the service takes as the API does."""
    if upload is None or not upload.filename:
        return
    data = upload.read(MAX_LOGO_BYTES + 1)
    problem = ("The logo is larger than 1 MB: choose a smaller image." if len(data) > MAX_LOGO_BYTES else
               "Choose a PNG, JPEG, WebP or SVG image for the logo." if upload.mimetype not in _LOGO_TYPES else None)
    if problem:  # said beside the field (its raw text set, so its Optional() keeps the error)
        form.logo.process_errors.append(problem)
        form.logo.raw_data, form.logo.data = [upload.filename], None
        return
    uri = f"data:{upload.mimetype};base64," + base64.b64encode(data).decode()
    form.logo.raw_data, form.logo.data = [uri], uri
