"""Forms in a real browser: every problem said at once, colour fields with their hex text, the
design a save would refuse shown with its warning, API keys as the role allows, refused import
rows named as people know them.

Screenshots go to test-artifacts/screenshots/forms-*.png, at desktop and phone size, light and dark.
"""

import pytest

from browser import SHOTS, colours_of_data_url, sign_up, wait_until
from codeqr.context import for_operator

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def database_url(tmp_path):
    """Browser stories run once, on SQLite."""
    return f"sqlite:///{tmp_path / 'codeqr.db'}"


def _shoot(page, name: str) -> None:
    """Screenshots at both sizes in both themes; at none may the page scroll sideways."""
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            page.screenshot(path=SHOTS / f"forms-{name}-{size}-{scheme}.png", full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (name, size, scheme)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(SIZES["desktop"])


def _create(app, **body):
    from codeqr.domain import writes
    from codeqr.domain.schemas import QRCodeCreate

    with app.app_context():
        return writes.create(QRCodeCreate.model_validate(body), ctx=for_operator())


def _error(page, name: str):
    return page.locator(f'.field-error[data-for="{name}"]')


def test_every_problem_of_the_form_is_said_at_once_live_and_after_submitting(page, live_app):
    _, app = live_app
    sign_up(page, "forms@example.com")
    _create(app, url="https://example.com/first", key="menu")
    page.goto("/qrcodes/new")
    page.get_by_label("Destination URL").fill("https://example.com/second")
    page.get_by_label("Short link key").fill("menu")
    page.locator("#design-advanced > summary").click()  # size, margin and level wait under a disclosure
    page.get_by_label("Size in pixels").fill("5000")
    page.get_by_label("Foreground colour", exact=True).fill("#dddddd")
    # The live check: the three problems at once, each beside its field.
    _error(page, "size").get_by_text("4,096").wait_for()
    _error(page, "key").get_by_text("already uses").wait_for()
    _error(page, "fg_color").get_by_text("too alike to scan").wait_for()
    status = page.locator("#preview-status").inner_text()
    assert "Size in pixels" in status and "Short link key" in status and "Foreground colour" in status
    # Submitted: the same three.
    page.get_by_role("button", name="Create").click()
    page.wait_for_load_state("load")
    for name, words in (("size", "4,096"), ("key", "already uses"), ("fg_color", "too alike to scan")):
        assert words in _error(page, name).inner_text(), name
        assert page.locator(f"#{name}").get_attribute("aria-invalid") == "true"
    _shoot(page, "every-problem")


def test_a_colour_field_has_its_hex_text_beside_the_swatch_kept_in_sync(page):
    sign_up(page, "colours@example.com")
    page.goto("/qrcodes/new")
    background = page.get_by_label("Background colour", exact=True)
    swatch = page.locator("#bg_color-swatch")
    # A white background reads as #ffffff, beside its swatch on the same line.
    assert background.input_value() == "#ffffff" and swatch.input_value() == "#ffffff"
    text_box, swatch_box = background.bounding_box(), swatch.bounding_box()
    assert swatch_box["x"] + swatch_box["width"] <= text_box["x"]
    assert abs((swatch_box["y"] + swatch_box["height"] / 2) - (text_box["y"] + text_box["height"] / 2)) < 4
    # A brand colour pasted, with or without its #, in capitals or short: the swatch follows,
    # and the text is written as stored once the field is left.
    foreground = page.get_by_label("Foreground colour", exact=True)
    foreground.fill("1A73E8")
    assert page.locator("#fg_color-swatch").input_value() == "#1a73e8"
    foreground.press("Tab")
    assert foreground.input_value() == "#1a73e8"
    foreground.fill("#abc")
    assert page.locator("#fg_color-swatch").input_value() == "#aabbcc"
    # Picked on the palette: the text follows.
    page.locator("#fg_color-swatch").evaluate(
        "el => { el.value = '#14532d'; el.dispatchEvent(new Event('input', {bubbles: true})); }")
    assert foreground.input_value() == "#14532d"
    # Text that is no colour is said beside the field.
    foreground.fill("dark blue")
    page.get_by_label("Destination URL").fill("https://example.com/brand")
    _error(page, "fg_color").get_by_text("six hex digits").wait_for()
    assert "unknown" in page.locator("#fg_color-swatch").get_attribute("class")
    _shoot(page, "colour-error")
    # A colour pasted without its # is saved.
    foreground.fill("1d4ed8")
    foreground.press("Tab")  # leaving the field writes it as CodeQR stores it
    wait_until(page, "document.getElementById('fg_color').value === '#1d4ed8'")
    wait_until(page, "document.getElementById('fg_color-swatch').value === '#1d4ed8'")
    page.locator("#preview-status").get_by_text("Preview of the design").wait_for()
    page.get_by_role("button", name="Create").click()
    page.get_by_text("QR Code created.").wait_for()
    page.get_by_text("#1d4ed8").first.wait_for()  # the detail page says the colour (once the page is whole)


def test_colours_too_alike_are_said_once_and_the_design_is_shown_with_a_warning(page):
    sign_up(page, "contrast@example.com")
    page.goto("/qrcodes/new")
    page.get_by_label("Destination URL").fill("https://example.com/pale")
    page.locator("#preview-status").get_by_text("Preview of the design").wait_for()
    page.get_by_label("Foreground colour", exact=True).fill("#fefefe")
    _error(page, "fg_color").get_by_text("too alike to scan").wait_for()
    assert _error(page, "bg_color").inner_text() == ""  # said once, beside the foreground
    page.locator("#preview-status").get_by_text("may not scan").wait_for()
    image = page.locator("#preview")
    wait_until(page, "document.getElementById('preview').classList.contains('unscannable')")
    assert "stale" not in (image.get_attribute("class") or "")  # the failing design itself, not a faded old one
    assert (254, 254, 254) in colours_of_data_url(image.get_attribute("src"))
    _shoot(page, "contrast")
    # Submitted: said once still, and the preview shows the design again with its warning.
    page.get_by_role("button", name="Create").click()
    page.wait_for_load_state("load")
    assert "too alike to scan" in _error(page, "fg_color").inner_text() and _error(page, "bg_color").inner_text() == ""
    page.locator("#preview-status").get_by_text("may not scan").wait_for()
    page.get_by_label("Foreground colour", exact=True).fill("#14532d")
    page.locator("#preview-status").get_by_text("Preview of the design").wait_for()
    assert _error(page, "fg_color").inner_text() == ""
    assert "unscannable" not in (image.get_attribute("class") or "")


def test_a_viewers_new_key_form_offers_only_read_only_access(page, live_app):
    _, app = live_app
    sign_up(page, "admin@example.com")
    page.goto("/keys")
    assert page.get_by_label("Access").input_value() == "all"  # an admin's keys may change QR Codes
    from codeqr.accounts import users

    with app.app_context():
        users.create("viewer@example.com", "a long enough password", role="viewer", ctx=for_operator())
    page.get_by_role("button", name="Sign out").first.click()
    page.goto("/login")
    page.get_by_label("Email").fill("viewer@example.com")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    page.goto("/keys")
    access = page.get_by_label("Access")
    assert access.input_value() == "read_only"
    assert access.locator("option").all_inner_texts() == ["Read only"]
    assert "can only read" in page.locator("form.toolbar").inner_text()
    _shoot(page, "viewer-keys")
    page.get_by_label("Name").fill("reporting")
    page.get_by_role("button", name="Create key").click()
    page.get_by_text("Key reporting created").wait_for()
    assert page.locator("td[data-label=Access]").inner_text() == "Read only"


def test_refused_import_rows_name_the_field_by_its_label_and_the_row_by_its_title(page, tmp_path):
    sign_up(page, "import@example.com")
    path = tmp_path / "posters.csv"
    path.write_text("url,title,fgColor\n"
                    "https://example.com/spring,Spring poster,#zzzzzz\n"
                    "https://example.com/summer,,#111827\n"
                    "not a link,,#111827\n")
    page.goto("/import")
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Import").click()
    page.locator("#import-errors").wait_for()
    rows = [row.locator("td").all_inner_texts() for row in page.locator("#import-errors tbody tr").all()]
    assert [row[:2] for row in rows] == [["2", "Spring poster"], ["4", "not a link"]]
    assert rows[0][2].startswith("Foreground colour: ") and rows[1][2].startswith("Destination URL: ")
    assert "fgColor" not in page.locator("#import-errors").inner_text()
    _shoot(page, "import-refused")
