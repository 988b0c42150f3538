"""The value types of the design fields (CodeQR's names and ids), shared by the schema,
the geometry and the forms."""

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

#: Module patterns (CodeQR's ``pattern``).
Pattern = Literal["default", "rounded", "dots", "classy", "classy-rounded", "extra-rounded"]
#: The outline drawn around the code (CodeQR's ``shape``).
Shape = Literal["none", "square", "circle"]
#: The finder eyes, outer ring and inner ball alike.
EyeShape = Literal["square", "rounded", "circle", "leaf"]
#: Frames (CodeQR's ids): caption below, above, a tab, a badge, top bars.
Frame = Literal["none", "frame-1", "frame-2", "frame-3", "frame-5", "frame-6"]

MAX_FRAME_TEXT = 200


def normalise_color(value: str) -> str:
    """``#ABC`` -> ``#aabbcc``: one spelling per colour, so equal designs hash alike."""
    value = value.lower()
    if len(value) == 4:
        value = "#" + "".join(c * 2 for c in value[1:])
    return value


Color = Annotated[
    str,
    Field(pattern=r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$", description="#rgb or #rrggbb, stored as #rrggbb"),
    AfterValidator(normalise_color),
]


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Gradient(_Value):
    """A two-colour gradient painting the modules (``fgGradient``), eyes included unless
    ``eyeColor`` is set."""

    type: Literal["linear", "radial"] = Field("linear", description="linear: along rotation; radial: from the centre out")
    colors: Annotated[list[Color], Field(min_length=2, max_length=2, description="[start, end]")]
    rotation: Annotated[int, Field(ge=0, le=359, description="linear: degrees clockwise from left-to-right")] = 0


class FrameTextStyles(_Value):
    """How the frame's caption is set (CodeQR's ``frameTextStyles``); every key optional."""

    weight: Literal["normal", "bold"] = "normal"
    style: Literal["normal", "italic"] = "normal"
    family: Literal["sans", "sans-condensed", "serif", "serif-elegant", "mono"] = "sans"
    size: Literal["s", "m", "l", "xl"] = "m"


#: What ``logo`` takes on input: a ``data:`` URI (an image of at most 1 MB, so about
#: 1.4 million characters in base64), an https URL, or the value an answer gave.
LogoSource = Annotated[str, Field(min_length=1, max_length=1_400_000)]

PATTERN_LABELS = {"default": "Squares", "rounded": "Rounded", "dots": "Dots", "classy": "Classy",
                  "classy-rounded": "Classy rounded", "extra-rounded": "Extra rounded"}
SHAPE_LABELS = {"none": "None", "square": "Square", "circle": "Circle"}
EYE_LABELS = {"square": "Square", "rounded": "Rounded", "circle": "Circle", "leaf": "Leaf"}
FRAME_LABELS = {"none": "No frame", "frame-1": "Caption below", "frame-2": "Caption above", "frame-3": "Tab",
                "frame-5": "Badge", "frame-6": "Top bars"}
