"""The detail page's "Test a scan" box in a real browser: it answers in place (no page
loaded), an iPhone and a Windows PC apart on a code with an iPhone target, and the page
reads at desktop and phone width. Screenshots: test-artifacts/screenshots/test-scan-*.png."""

import re

from browser import ON_SQLITE, SHOTS, create_qrcode, other_page, sign_up

pytestmark = ON_SQLITE

SIZES = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}


def test_the_box_answers_an_iphone_and_a_windows_pc_apart(page, live_app):
    live, app = live_app
    page = other_page(page, live, timezone_id="Asia/Tokyo", locale="en-GB", viewport=SIZES["1280"])
    sign_up(page, "box@example.com")
    qr = create_qrcode(app, url="https://example.com/main", ios="https://example.com/ios", title="Spring poster",
                       geo={"DE": "https://example.com/de"}, expiresAt="2030-06-30T16:00:00Z",
                       rules=[{"attribute": "time", "operator": "equals", "url": "https://example.com/office",
                               "value": {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00",
                                         "until": "17:30", "timeZone": "Europe/Paris"}}],
                       utm_source="poster")
    documents: list[str] = []
    page.goto(f"/qrcodes/{qr.id}")
    page.on("request", lambda request: documents.append(request.url) if request.resource_type == "document" else None)
    summary = page.locator("#link-summary")
    assert "iPhones and iPads go to https://example.com/ios." in summary.inner_text()
    # The expiry in the reader's time zone (app.js), the UTC moment kept on hover.
    expiry = summary.locator("time")
    assert expiry.get_attribute("title") == "2030-06-30 16:00 UTC"
    assert expiry.inner_text().startswith("01/07/2030, 01:00")  # 16:00 UTC is 01:00 the next day in Tokyo

    box = page.locator("#test-scan")
    assert box.locator("[data-custom-agent]").is_hidden()  # only for "Another user agent…"
    answer = page.locator("#test-scan-answer")
    box.get_by_label("Device").select_option(label="iPhone")
    box.get_by_label("When (your time, Asia/Tokyo; blank: now)").fill("2026-12-05T20:00")  # a Saturday evening
    box.get_by_role("button", name="Test").click()
    answer.get_by_text("(decided by the target for iPhones and iPads)").wait_for()
    assert answer.inner_text() == ("This visitor would go to https://example.com/ios?utm_source=poster "
                                   "(decided by the target for iPhones and iPads).")
    box.get_by_label("Device").select_option(label="Windows PC")
    box.get_by_role("button", name="Test").click()
    answer.get_by_text("(decided by the QR Code's own URL)").wait_for()
    assert answer.locator("a").get_attribute("href") == "https://example.com/main?utm_source=poster"
    box.get_by_label("Country").select_option(label="Germany")
    box.get_by_role("button", name="Test").click()
    answer.get_by_text("(decided by their country)").wait_for()
    assert documents == [], "the box answered by loading a page"

    # A value that cannot be asked: its sentence beside its field.
    box.get_by_label("Device").select_option(label="Another user agent…")
    assert box.get_by_label("User agent (for “Another user agent…”)").is_visible()
    box.get_by_label("Came from (referrer)").fill("http://")
    box.get_by_role("button", name="Test").click()
    box.locator("#test-referrer-error").get_by_text("Must be the host or address of a page").wait_for()
    assert box.get_by_label("Came from (referrer)").get_attribute("aria-invalid") == "true"
    box.get_by_label("Came from (referrer)").fill("")
    box.get_by_role("button", name="Test").click()
    answer.get_by_text("This visitor would go to").wait_for()
    assert box.locator("#test-referrer-error").inner_text() == ""

    box.get_by_label("Device").select_option(label="iPhone")
    box.get_by_role("button", name="Test").click()
    answer.get_by_text("(decided by their country)").wait_for()
    for width, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.locator("#link-options-heading").scroll_into_view_if_needed()
        page.screenshot(path=SHOTS / f"test-scan-detail-{width}.png", full_page=True)
        page.locator("section.link-options").screenshot(path=SHOTS / f"test-scan-box-{width}.png")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], width
    assert not page.csp_violations
    page.context.close()


def test_without_a_script_the_form_reloads_the_page_with_its_answer(page, live_app):
    live, app = live_app
    sign_up(page, "noscript@example.com")
    qr = create_qrcode(app, url="https://example.com/main", ios="https://example.com/ios")
    plain = other_page(page, live, java_script_enabled=False, storage_state=page.context.storage_state())
    plain.goto(f"/qrcodes/{qr.id}")
    plain.locator("#test-scan").get_by_label("Device").select_option(label="Windows PC")
    plain.locator("#test-scan").get_by_role("button", name="Test").click()
    plain.wait_for_url(re.compile(r"test-device=windows"))
    assert plain.locator("#test-scan-answer").inner_text() == (
        "This visitor would go to https://example.com/main (decided by the QR Code's own URL).")
    assert plain.locator("#test-scan").get_by_label("Device").input_value() == "windows"
    plain.context.close()
