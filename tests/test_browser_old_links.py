"""The detail page's list of old links kept working, in a real browser: listed, readable at
desktop and phone width, and stopped with its button. Screenshots: test-artifacts/screenshots/old-links-*.png."""

from browser import ON_SQLITE, SHOTS, create_qrcode, sign_up

pytestmark = ON_SQLITE


def test_an_old_link_is_listed_and_stopped_from_the_detail_page(page, live_app):
    live, app = live_app
    sign_up(page, "old@example.com")
    qr = create_qrcode(app, url="https://example.com/menu", key="menu-2025", title="Menu")
    with app.app_context():
        from codeqr.context import for_operator
        from codeqr.domain import writes
        from codeqr.domain.schemas import QRCodeUpdate

        writes.update(qr.id, QRCodeUpdate.model_validate({"key": "menu-2026", "keepOldLink": True}),
                      ctx=for_operator())
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"/qrcodes/{qr.id}")
        listed = page.locator("ul.old-links")
        listed.scroll_into_view_if_needed()
        assert listed.locator("code").inner_text().endswith("/menu-2025")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # nothing sideways
        page.screenshot(path=SHOTS / f"old-links-{width}.png", full_page=True)
        page.goto(f"/qrcodes/{qr.id}/edit")  # the edit page has the Test a scan box under the form
        page.locator("#test-scan").scroll_into_view_if_needed()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=SHOTS / f"old-links-edit-{width}.png", full_page=True)
    page.goto(f"/qrcodes/{qr.id}")
    page.get_by_role("button", name="Stop this old link").click()
    page.get_by_text("no longer leads to this QR Code").wait_for()
    assert page.locator("ul.old-links").count() == 0
    assert page.request.get(f"{live}/menu-2025", max_redirects=0).status == 404
    assert page.request.get(f"{live}/menu-2026", max_redirects=0).status == 302
