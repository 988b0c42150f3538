"""Frames and their captions: every frame in every font style scans at its exact width,
captions wrap within 4 lines inside the frame's bar, and text the fonts cannot draw is
refused with a 422 that names frameText."""

import itertools
import unicodedata
from pathlib import Path
from typing import get_args

import pytest
from fontTools.ttLib import TTFont

from codeqr import pluginmanager
from codeqr.design import frames, geometry
from codeqr.design.drawing import Caption, Fill
from codeqr.design.fonts import Face
from codeqr.design.values import Frame, FrameTextStyles
from codeqr.domain.rendering import Picture, render_spec
from codeqr.domain.schemas import Design
from decode import decode, to_image

LINK = "https://go.example.org/k1"
FRAMES = [frame for frame in get_args(Frame) if frame != "none"]
STYLE_VALUES = {name: get_args(info.annotation) for name, info in FrameTextStyles.model_fields.items()}
STYLES = [dict(zip(STYLE_VALUES, values)) for values in itertools.product(*STYLE_VALUES.values())]
RENDERERS = pluginmanager.renderers(pluginmanager.build_plugin_manager((), ()))
LONG_WORDS = ("Scan this code with your phone's camera to open the menu, see today's specials and order "
              "straight from your table without waiting for a waiter; pay by card or phone when you are done, "
              "then tell us how it was!")
WIDE = "W" * 200  # one word of the widest letter: broken between its letters


def spec_of(**fields):
    fields = {"size": 400, "level": "M", "margin": 4, "show_logo": False} | fields
    return render_spec(Picture(LINK, Design(**fields)), None)


def caption_of(drawing) -> Caption:
    (caption,) = [item for item in drawing.items if isinstance(item, Caption)]
    return caption


def bounds(points) -> tuple[float, float, float, float]:
    xs, ys = zip(*points)
    return min(xs), min(ys), max(xs), max(ys)


@pytest.mark.parametrize("frame", FRAMES)
@pytest.mark.parametrize("styles", STYLES, ids=lambda styles: "-".join(styles.values()))
def test_every_frame_in_every_font_style_decodes_at_its_exact_width(frame, styles):
    # The image's width varies with the case, down to small images.
    size = [96, 160, 333, 517][(FRAMES.index(frame) + STYLES.index(styles)) % 4]
    spec = spec_of(size=size, frame=frame, frame_text_styles=styles, frame_text="Scan me — menu")
    for name in ("png", "svg"):
        renderer = RENDERERS[name]({})
        data = renderer.render(spec)
        assert decode(data, renderer.media_type) == [LINK], name
        image = to_image(data, renderer.media_type)
        assert image.width == size, name
        assert image.height > size, name  # the caption's bar adds height, never width


@pytest.mark.parametrize("frame", FRAMES)
def test_long_text_wraps_within_four_lines_and_the_bar_grows(frame):
    heights, sizes = [], []
    for words in (1, 4, 12, 36):
        text = " ".join(LONG_WORDS.split()[:words])
        assert len(text) <= 200
        drawing = geometry.draw(spec_of(frame=frame, frame_text=text))
        caption = caption_of(drawing)
        baselines = {round(line.baseline, 3) for line in caption.lines}
        assert len(baselines) == len(caption.lines) <= frames.MAX_LINES
        assert " ".join(line.text for line in caption.lines) == text  # every word, in order
        heights.append((len(baselines), drawing.height))
        sizes.append(caption.size)
    line_counts = [lines for lines, _ in heights]
    assert line_counts[0] == 1 and max(line_counts) == frames.MAX_LINES
    # More lines, a taller image; the longest text is set smaller to stay within 4 lines.
    assert all(a[1] < b[1] for a, b in itertools.pairwise(heights) if a[0] < b[0])
    assert sizes[-1] < sizes[0] and sizes[:2] == [sizes[0]] * 2


@pytest.mark.parametrize("frame", FRAMES)
@pytest.mark.parametrize("family", STYLE_VALUES["family"])
def test_200_characters_fit_within_four_lines_and_the_image(frame, family):
    for text in (LONG_WORDS[:200], WIDE, "é" * 200):
        assert len(text) == 200
        styles = {"family": family, "weight": "bold", "size": "xl"}
        spec = spec_of(size=256, frame=frame, frame_text=text, frame_text_styles=styles)
        drawing = geometry.draw(spec)
        caption = caption_of(drawing)
        assert len({line.baseline for line in caption.lines}) <= frames.MAX_LINES
        assert "".join(line.text for line in caption.lines).replace(" ", "") == text.replace(" ", "")
        left, top, right, bottom = bounds(caption.outline.points())
        assert left >= 0 and top >= 0 and right <= drawing.width and bottom <= drawing.height, text[:10]
        assert decode(RENDERERS["png"]({}).render(spec), "image/png") == [LINK]


@pytest.mark.parametrize("frame", FRAMES)
@pytest.mark.parametrize("text", [None, "Scan me", "Μενού · Меню · Ærøskøbing", LONG_WORDS[:150], WIDE[:60]])
def test_the_caption_is_inside_the_frames_bar(frame, text):
    """Where the caption is drawn, the picture shows only the bar and the text: dark
    blue and black (and their blends), never the pale background."""
    spec = spec_of(frame=frame, frame_text=text, bg_color="#fef3c7", frame_color="#1d4ed8", frame_text_color="#000000")
    drawing = geometry.draw(spec)
    layout = frames.layout(spec)
    left, top, right, bottom = bounds(caption_of(drawing).outline.points())
    code = layout.code
    assert bottom < code.y or top > code.y + code.height  # clear of the code and its quiet zone
    image = to_image(RENDERERS["png"]({}).render(spec), "image/png").convert("RGB")
    box = (int(left), int(top), int(right) + 1, int(bottom) + 1)
    reds = image.crop(box).getchannel("R").getextrema()
    assert reds[1] < 60, (box, reds)  # 0x1d = 29 at most, blended with black


@pytest.mark.parametrize("frame", FRAMES)
def test_the_frame_leaves_the_quiet_zone_alone(frame):
    """Along the middle of each side of the code, the quiet zone's pixels are all the
    background colour, and just outside the code's box the frame begins."""
    spec = spec_of(size=600, frame=frame, bg_color="#ffffff", frame_color="#be123c")
    code = frames.layout(spec).code
    image = to_image(RENDERERS["png"]({}).render(spec), "image/png").convert("RGB")
    quiet = spec.margin * code.width / len(spec.modules)
    middle_x, middle_y = code.x + code.width / 2, code.y + code.height / 2
    for depth in range(1, int(quiet) - 1):
        for x, y in ((code.x + depth, middle_y), (code.x + code.width - depth, middle_y),
                     (middle_x, code.y + depth), (middle_x, code.y + code.height - depth)):
            assert image.getpixel((int(x), int(y))) == (255, 255, 255), (x, y)
    for x, y in ((code.x - 2, middle_y), (code.x + code.width + 1, middle_y)):
        assert image.getpixel((int(x), int(y))) == (0xbe, 0x12, 0x3c)


@pytest.mark.parametrize("frame", FRAMES)
def test_no_caption_for_empty_text_and_scan_me_for_null(frame):
    for text in ("", "  \n\t "):
        drawing = geometry.draw(spec_of(frame=frame, frame_text=text))
        assert not [item for item in drawing.items if isinstance(item, Caption)]
        assert drawing.height == drawing.width == 400
    caption = caption_of(geometry.draw(spec_of(frame=frame)))
    assert [line.text for line in caption.lines] == ["SCAN ME"]


@pytest.mark.parametrize("styles", STYLES, ids=lambda styles: "-".join(styles.values()))
def test_greek_cyrillic_and_accented_latin_are_drawn_glyph_by_glyph(styles):
    """Counted with fontTools itself: each letter's contours appear in the caption's outline."""
    text = "Ωμέγα Привет Łódź Ærøskøbing"
    caption = caption_of(geometry.draw(spec_of(size=800, frame="frame-1", frame_text=text, frame_text_styles=styles)))
    font = TTFont(caption.face.path)
    cmap, glyf = font.getBestCmap(), font["glyf"]
    letters = [char for char in text if not char.isspace()]
    assert all(ord(char) in cmap for char in letters)
    # A composite glyph (an accented letter) counts the contours of its parts.
    contours = sum(len(glyf[cmap[ord(char)]].getCoordinates(glyf)[1]) for char in letters)
    assert contours > len(letters)
    assert sum(1 for op in caption.outline.ops if op[0] == "M") == contours
    assert " ".join(line.text for line in caption.lines) == text


def _luminance(color: str) -> float:
    """WCAG 2's relative luminance, written here apart from the code's own."""
    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
    red, green, blue = (linear(int(color[i:i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _ratio(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


COLORS = ["#" + "".join(parts) for parts in itertools.product(("00", "5a", "80", "a6", "ff"), repeat=3)]


def test_the_default_text_colour_contrasts_with_the_frame():
    for color in COLORS:
        caption = caption_of(geometry.draw(spec_of(frame="frame-1", frame_color=color)))
        other = "#ffffff" if caption.color == "#000000" else "#000000"
        assert caption.color in ("#000000", "#ffffff")
        assert _ratio(caption.color, color) >= _ratio(other, color), color
        assert _ratio(caption.color, color) >= 4.5, color  # black or white always reaches AA
    chosen = caption_of(geometry.draw(spec_of(frame="frame-1", frame_color="#000000", frame_text_color="#facc15")))
    assert chosen.color == "#facc15"


REFUSED = {
    "Arabic": ("اسمح لي", "ا"),
    "Hebrew": ("סרוק אותי", "ס"),
    "Devanagari": ("मुझे स्कैन करें", "स"),
    "emoji": ("Scan me 😀", "😀"),
    "emoji with a variation selector": ("I ❤️ QR", "U+FE0F"),
    "a lone combining mark": ("q\u0303 marks", "\u25cc\u0303"),
    "a joiner": ("a\u200db", "U+200D"),
}


@pytest.mark.parametrize("case", REFUSED, ids=str)
def test_text_that_needs_shaping_or_has_no_glyph_is_refused(api, case):
    text, named = REFUSED[case]
    before = api.get("/api/qrcodes").get_json()
    response = api.post("/api/qrcodes", json={"url": "https://example.com/", "frame": "frame-1", "frameText": text})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert [item["field"] for item in error["errors"]] == ["frameText"]
    char = named[-1] if not named.startswith("U+") else chr(int(named[2:], 16))
    assert f"U+{ord(char):04X} {unicodedata.name(char)}" in error["message"]
    assert api.get("/api/qrcodes").get_json() == before  # nothing stored


def test_the_refusal_in_words_names_the_characters():
    from codeqr.design_rules import frame_text_problem

    problem = frame_text_problem("Hi مرحبا", None)
    assert problem is not None and problem.field == "frameText"
    assert problem.sentence.startswith("The frame text cannot be drawn with “م”, “ر”, “ح”, “ب”, “ا”:")
    assert frame_text_problem("Ωμέγα Привет Łódź", FrameTextStyles(family="serif")) is None


def test_a_family_without_a_letter_says_which_family_has_it(api):
    """DejaVu Sans Mono has no Vietnamese: the update is refused, the sans font named."""
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/", "frame": "frame-2",
                                         "frameText": "Tiếng Việt"}).get_json()
    response = api.patch(f"/api/qrcodes/{qr['id']}", json={"frameTextStyles": {"family": "mono"}})
    assert response.status_code == 422
    assert "U+1EBF" in response.get_json()["error"]["message"]
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["frameTextStyles"] is None


def test_every_frame_is_drawn_in_frame_colour():
    for frame in FRAMES:
        drawing = geometry.draw(spec_of(frame=frame, frame_color="#047857"))
        assert any(isinstance(item, Fill) and item.paint == "#047857" for item in drawing.items), frame


FULL_DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.mark.skipif(not FULL_DEJAVU.exists(), reason="needs the whole DejaVu Sans (fonts-dejavu-core)")
def test_a_font_with_the_glyphs_still_refuses_what_needs_shaping():
    """The whole DejaVu Sans has Hebrew, Arabic and combining marks: drawn glyph after
    glyph they would read wrong, so a face refuses them even with their glyphs."""
    whole = Face("sans", path=FULL_DEJAVU)
    text = "שלום سلام q\u0303 a\u200db"
    assert all(ord(char) in TTFont(FULL_DEJAVU).getBestCmap() for char in "שس\u0303\u200d")
    assert whole.undrawable(text) == ["ש", "ל", "ו", "ם", "س", "ل", "ا", "م", "\u0303", "\u200d"]
    assert whole.undrawable("Ωμέγα Привет e\u0301") == []  # NFC composes é


@pytest.mark.parametrize("family", STYLE_VALUES["family"])
def test_wrapped_lines_are_as_full_as_the_width_allows(family):
    """Measured with fontTools' own advance widths: each line fits, and the next line's
    first word (or letter) would not have."""
    face = Face(family)
    font = TTFont(face.path)
    cmap, metrics, units = font.getBestCmap(), font["hmtx"].metrics, font["head"].unitsPerEm

    def width(text: str, size: float) -> float:
        return sum(metrics[cmap[ord(char)]][0] for char in text) * size / units

    for width_px in (60, 150, 333):
        for text in (LONG_WORDS, WIDE[:80], "a " + WIDE[:50] + " b c"):
            lines = frames.wrap(text.split(" "), face, 20, width_px)
            assert " ".join(lines).replace(" ", "") == text.replace(" ", "")
            assert all(width(line, 20) <= width_px or len(line) == 1 for line in lines)
        # Whole words where each fits a line; letters where one word is wider than a line.
        for text, glue in ((LONG_WORDS, " "), (WIDE[:80], "")):
            lines = frames.wrap(text.split(" "), face, 20, width_px)
            if glue and any(width(word, 20) > width_px for word in text.split(" ")):
                continue
            for line, following in itertools.pairwise(lines):
                more = following.split(" ")[0] if glue else following[0]
                assert width(line + glue + more, 20) > width_px, (line, more)
