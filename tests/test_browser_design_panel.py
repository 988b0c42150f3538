"""The design panel in a real browser (issue 22): a swatch picked changes the preview, a light
foreground brings up the contrast verdict in words, and on a phone the preview stays in sight
while the frame's controls are in view. Screenshots at desktop and phone size go to
test-artifacts/screenshots/design-panel-*.png."""

import pytest

from browser import ON_SQLITE, SHOTS, set_color, sign_up, wait_until
from codeqr.web import design_panel

pytestmark = [pytest.mark.browser, ON_SQLITE]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _shoot(page, name: str) -> None:
    """Screenshots at both sizes (the viewport and the whole page); at neither may the page scroll sideways."""
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=SHOTS / f"design-panel-{name}-{size}.png")
        page.screenshot(path=SHOTS / f"design-panel-{name}-{size}-full.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (name, size)
    page.set_viewport_size(SIZES["desktop"])


def _preview_done(page) -> None:
    wait_until(page, "() => document.getElementById('preview-status').textContent.startsWith('Preview')")


def _new_with_url(page) -> None:
    sign_up(page, "designer@example.com")
    page.goto("/qrcodes/new")
    page.get_by_label("Destination URL").fill("https://example.com/menu")
    _preview_done(page)


def test_a_picked_swatch_is_posted_and_changes_the_preview(page):
    _new_with_url(page)
    before = page.locator("#preview").get_attribute("src")
    # Keyboard: the arrow keys move along a swatch group, as in any radio group.
    page.locator('input[name="pattern"][value="default"]').focus()
    page.keyboard.press("ArrowRight")
    assert page.locator('input[name="pattern"][value="rounded"]').is_checked()
    with page.expect_response(lambda answer: "/qrcodes/preview" in answer.url
                              and 'name="pattern"\r\n\r\ndots' in (answer.request.post_data or "")):
        page.locator('.swatch-tile:has(input[name="pattern"][value="dots"])').click()
    assert page.locator('input[name="pattern"][value="dots"]').is_checked()
    _preview_done(page)
    if design_panel.swatch("pattern", "dots") != design_panel.swatch("pattern", "default"):
        # Once the geometry draws dots, the preview shows them (until then both are squares).
        wait_until(page, "(before) => document.getElementById('preview').getAttribute('src') !== before", before)
    # Every swatch is a picture the server drew.
    loaded = page.locator(".swatch-tile img").evaluate_all(
        "(images) => images.map((image) => image.complete && image.naturalWidth > 0)")
    assert loaded and all(loaded)
    _shoot(page, "pattern")


def test_a_light_foreground_brings_up_the_contrast_verdict(page):
    _new_with_url(page)
    verdict = page.locator('.contrast-verdict[data-for="fg_color"]')
    # Light, yet enough to scan: the verdict says so, beside the field, with no error.
    set_color(page, "#fg_color", "#8a8a8a")
    wait_until(page, "() => document.querySelector('.contrast-verdict[data-for=\"fg_color\"]').textContent"
                     ".includes('enough to scan')")
    assert verdict.get_attribute("data-level") == "fair" and verdict.is_visible()
    assert "3.5 to 1" in verdict.inner_text()  # #8a8a8a on white
    page.locator("#design-colours").scroll_into_view_if_needed()
    _shoot(page, "contrast")
    # Too light: the error beside the field says it (the verdict, the same, is not said twice).
    set_color(page, "#fg_color", "#dddddd")
    wait_until(page, "() => document.querySelector('.contrast-verdict[data-for=\"fg_color\"]').textContent"
                     ".includes('too low to scan')")
    assert verdict.get_attribute("data-level") == "poor" and not verdict.is_visible()
    assert "1.4 to 1" in page.locator('.field-error[data-for="fg_color"]').inner_text()
    set_color(page, "#fg_color", "#1a3d6e")
    wait_until(page, "() => document.querySelector('.contrast-verdict[data-for=\"fg_color\"]').textContent"
                     ".includes('scans well')")
    assert verdict.is_visible()


def test_on_a_phone_the_preview_stays_in_sight_beside_the_frame_controls(page):
    page.set_viewport_size(SIZES["phone"])
    _new_with_url(page)
    frames = page.locator("#design-frame")
    frames.scroll_into_view_if_needed()
    before = page.locator("#preview").get_attribute("src")
    page.locator('.swatch-tile:has(input[name="frame"][value="frame-1"])').click()
    page.get_by_label("Frame text", exact=True).fill("Scan for the menu")
    wait_until(page, "(before) => document.getElementById('preview').getAttribute('src') !== before", before)
    _preview_done(page)
    height = SIZES["phone"]["height"]
    shown = page.locator("#preview").bounding_box()
    controls = page.locator('input[name="frame_text"]').bounding_box()
    assert shown["y"] >= 0 and shown["y"] + shown["height"] <= height, shown
    assert 0 <= controls["y"] <= height, controls
    assert controls["y"] >= shown["y"] + shown["height"]  # the preview does not cover them
    page.screenshot(path=SHOTS / "design-panel-phone-frame.png")


def test_the_template_picker_brings_a_design_and_keeps_what_was_typed(page):
    _new_with_url(page)
    page.locator('.swatch-tile:has(input[name="pattern"][value="dots"])').click()
    page.get_by_label("Title").fill("Dotted brand")
    page.get_by_label("Use as template").check()
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**/qrcodes/c*")
    page.goto("/qrcodes/new")
    page.get_by_label("Destination URL").fill("https://example.com/typed")
    picker = page.locator("#template-picker")
    assert "Dotted brand" in picker.inner_text()
    assert picker.locator("img").evaluate("(image) => image.complete && image.naturalWidth > 0")
    page.locator("#template-picker button", has_text="Dotted brand").click()
    page.wait_for_load_state()
    assert page.locator('input[name="pattern"][value="dots"]').is_checked()
    assert page.get_by_label("Destination URL").input_value() == "https://example.com/typed"
    picker.scroll_into_view_if_needed()
    _shoot(page, "template-picker")


def test_the_form_shows_the_verdict_under_the_preview(page):
    sign_up(page, "verdict@example.com")
    page.goto("/qrcodes/new")
    page.get_by_label("Destination URL").fill("https://example.com/menu")
    page.locator("#scan-verdict").get_by_text("It scans").wait_for()
    page.get_by_label("Background colour", exact=True).fill("#111827")
    page.get_by_label("Foreground colour", exact=True).fill("#ffffff")
    page.locator("#design-advanced > summary").click()  # size, margin and level wait under a disclosure
    page.get_by_label("Margin in modules").fill("0")
    page.locator("#scan-verdict").get_by_text("does not scan at its size").wait_for()
    assert "warning" in (page.locator("#scan-verdict").get_attribute("class") or "")
    page.screenshot(path=SHOTS / "design-panel-scan-verdict.png", full_page=True)
