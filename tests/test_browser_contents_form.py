"""The content part of the QR Code form in a real browser (issue 21): the type picker shows
only the chosen type's fields, the static box follows the type, the preview follows a type
change and a static toggle (its image scanned by zxing), a static code's edit page warns
when its content changes, and without script every fieldset shows and the radio decides.

Screenshots go to test-artifacts/screenshots/contents-*.png, at desktop and phone size."""

import base64

from browser import CHROMIUM, CHROMIUM_ARGS, ON_SQLITE, SHOTS, create_qrcode, sign_up, wait_until
from codeqr.context import for_operator
from decode import decode

pytestmark = ON_SQLITE

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _shoot(page, name: str) -> None:
    """Screenshots at both sizes; at neither may the page scroll sideways."""
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=SHOTS / f"contents-{name}-{size}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (name, size)
    page.set_viewport_size(SIZES["desktop"])


def _pick(page, type_name: str) -> None:
    page.locator(f'.type-tile:has(input[value="{type_name}"])').click()


def _shown(page, type_name: str) -> bool:
    return page.locator(f'.type-fields[data-types~="{type_name}"]').first.is_visible()


def _preview_texts(page) -> list[str]:
    media_type, data = page.locator("#preview").get_attribute("src").removeprefix("data:").split(";base64,")
    return decode(base64.b64decode(data), media_type)


def _wait_for_status(page, words: str) -> None:
    wait_until(page, "(words) => document.getElementById('preview-status').textContent.includes(words)", words)


def test_the_picker_swaps_fieldsets_and_the_preview_follows_type_and_static(page):
    sign_up(page, "picker@example.com")
    page.goto("/qrcodes/new")
    # A website first: its URL shows, no other type's fields do.
    assert _shown(page, "url") and not _shown(page, "vcard") and not _shown(page, "wifi")
    assert not page.get_by_label("Show a page with buttons").is_visible()
    _shoot(page, "new-website")
    _pick(page, "text")
    assert _shown(page, "text") and not _shown(page, "url")
    page.locator("textarea[name=text]").fill("Table 12: ask for today's specials")
    static = page.get_by_label("Static: the code holds the content itself")
    assert not static.is_checked() and static.is_enabled()
    # Dynamic: the preview is the design of a short link to come, not the text.
    _wait_for_status(page, "short link is made when you create")
    assert _preview_texts(page) != ["Table 12: ask for today's specials"]
    static.check()
    _wait_for_status(page, "holds the content itself")
    assert _preview_texts(page) == ["Table 12: ask for today's specials"]
    static.uncheck()
    _wait_for_status(page, "short link is made when you create")
    # Wi-Fi is always static: the box is ticked and cannot be unticked, and the preview holds the network.
    _pick(page, "wifi")
    assert _shown(page, "wifi") and not _shown(page, "text")
    assert static.is_checked() and static.is_disabled()
    assert page.get_by_text("This type is always static").is_visible()
    page.get_by_label("Network name (SSID)").fill("Cafe Guest")
    page.get_by_label("Password", exact=True).fill("espresso-2026")
    _wait_for_status(page, "holds the content itself")
    assert _preview_texts(page) == ["WIFI:T:WPA;S:Cafe Guest;P:espresso-2026;;"]
    _shoot(page, "new-wifi")
    # Back to text: the box is people's own choice again (unticked, as they left it).
    _pick(page, "text")
    assert not static.is_checked() and static.is_enabled()
    # GS1 is never static; the phone types ask about the page with buttons.
    _pick(page, "gs1")
    assert not static.is_checked() and static.is_disabled() and _shown(page, "url")
    _pick(page, "phone")
    assert page.get_by_label("Show a page with buttons").is_visible()
    _pick(page, "vcard")
    _shoot(page, "new-contact")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Phone numbers, one a line").fill("+442071234567\n+441234")
    page.get_by_role("button", name="Create").click()
    page.wait_for_load_state("load")
    # The error stays beside its field, naming the line, with the contact type still chosen.
    assert "Line 2:" in page.locator('.field-error[data-for="vcard-phones"]').inner_text()
    assert _shown(page, "vcard") and not _shown(page, "url")
    page.get_by_label("Phone numbers, one a line").fill("+442071234567")
    page.get_by_role("button", name="Create").click()
    page.get_by_text("QR Code created.").wait_for()
    assert "+442071234567" in page.locator("#content-words").inner_text()
    _shoot(page, "detail-contact")


def test_a_static_codes_edit_page_warns_once_its_content_changes(page, live_app):
    _, app = live_app
    sign_up(page, "static@example.com")
    qr = create_qrcode(app, type="wifi", wifi={"ssid": "Cafe Guest", "password": "espresso-2026"})
    page.goto(f"/qrcodes/{qr.id}/edit")
    warning = page.locator("#static-warning")
    assert not warning.is_visible()
    assert page.get_by_label("Network name (SSID)").input_value() == "Cafe Guest"
    page.get_by_label("Password", exact=True).fill("ristretto-2027")
    warning.wait_for()
    assert "keep the old content" in warning.inner_text()
    _shoot(page, "edit-static-warning")
    page.get_by_label("Password", exact=True).fill("espresso-2026")
    warning.wait_for(state="hidden")  # back as printed: nothing to warn of
    page.goto(f"/qrcodes/{qr.id}")
    assert page.get_by_text("Static QR Code:").is_visible() and page.locator("#short-link").count() == 0
    assert not page.get_by_text("espresso-2026").is_visible()  # the password is hidden until asked
    page.get_by_text("Hidden: show the password").click()
    assert page.get_by_text("espresso-2026").is_visible()
    _shoot(page, "detail-wifi")


def test_without_script_every_fieldset_shows_and_the_chosen_radio_decides(live_app):
    live, app = live_app
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=live, java_script_enabled=False).new_page()
        page.set_default_timeout(15_000)
        page.goto("/setup")
        page.get_by_label("Email").fill("noscript@example.com")
        page.get_by_label("Password").fill("a long enough password")
        page.get_by_role("button", name="Create the account").click()
        page.goto("/qrcodes/new")
        assert _shown(page, "url") and _shown(page, "vcard") and _shown(page, "wifi") and _shown(page, "gs1")
        page.locator('input[name=type][value="text"]').check()
        page.locator("textarea[name=text]").fill("Chosen by its radio")
        page.get_by_label("Destination URL").fill("https://example.com/ignored")
        page.get_by_role("button", name="Create").click()
        page.wait_for_load_state("load")
        assert "Chosen by its radio" in page.locator("#content-words").inner_text()
        browser.close()
    from codeqr.domain import qrcodes
    from codeqr.domain.filters import ListQuery

    with app.app_context():
        [made] = qrcodes.list_page(ListQuery.model_validate({}), for_operator())
    assert (made.type, made.text, made.url) == ("text", "Chosen by its radio", None)  # the URL typed is not kept
