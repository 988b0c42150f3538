"""The list's organising tools in a real browser: filter by a tag in the filter panel, select
every code matching (across pages), add a tag through the confirmation page, and see the new
chips on the same filtered list; the folder sidebar beside the list on a wide screen, a closed
drawer on a phone.

Screenshots go to test-artifacts/screenshots/list-organise-*.png.
"""

from browser import ON_SQLITE, SHOTS, create_qrcodes, sign_up

pytestmark = ON_SQLITE

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _codes(app) -> None:
    """30 codes tagged Shop (more than a page), 3 tagged Office, some in the folder Flyers."""
    from codeqr import db
    from codeqr.domain.models import Folder

    with app.app_context():
        folder = Folder(name="Flyers")
        db.session.add(folder)
        db.session.commit()
        flyers = folder.id
    create_qrcodes(app, [{"url": f"https://shop.example/item/{i}", "title": f"Shop item {i}", "tagNames": ["Shop"],
                          **({"folderId": flyers} if i % 3 == 0 else {})} for i in range(30)])
    create_qrcodes(app, [{"url": f"https://office.example/{i}", "title": f"Office {i}", "tagNames": ["Office"]}
                         for i in range(3)])


def test_filter_by_a_tag_select_all_matching_and_add_a_tag(page, live_app):
    _live, app = live_app
    sign_up(page, "organise@example.com")
    _codes(app)
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.goto("/qrcodes")
        drawer = page.locator("[data-folder-drawer]")
        assert drawer.get_attribute("open") is None if size == "phone" else drawer.get_attribute("open") == ""
        assert page.locator("nav[aria-label=Folders]").is_visible() is (size == "desktop")
        page.screenshot(path=SHOTS / f"list-organise-start-{size}.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    page.goto("/qrcodes")
    page.get_by_role("button", name="Filters").click()
    page.locator(".filter-tags").get_by_label("Shop").check()
    page.screenshot(path=SHOTS / "list-organise-panel-desktop.png", full_page=True)
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_text("30 QR Codes match").wait_for()
    assert "tagIds=" in page.url and "type=" not in page.url  # empty fields stay out of the address
    page.get_by_label("Select all on this page").check()
    page.get_by_role("button", name="Select all 30 matching").click()
    page.get_by_role("button", name="Organise…").click()
    page.get_by_role("button", name="Add a tag…").click()
    page.get_by_role("heading", name="Add a tag to 30 QR Codes?").wait_for()
    page.screenshot(path=SHOTS / "list-organise-confirm-desktop.png", full_page=True)
    page.get_by_label("The tag to add").fill("Summer")
    page.get_by_role("button", name="Add a tag to 30 QR Codes").click()
    page.get_by_text("Tag “Summer” added to 30 QR Codes.").wait_for()
    assert "tagIds=" in page.url  # back on the same filtered list
    rows = page.locator("tbody tr")
    assert rows.count() == 25
    for index in range(rows.count()):
        chips = rows.nth(index).locator(".tag-chip").all_inner_texts()
        assert sorted(chips) == ["Shop", "Summer"], chips
    page.screenshot(path=SHOTS / "list-organise-done-desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.reload()
    page.screenshot(path=SHOTS / "list-organise-done-phone.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The Office codes were not matched: no Summer for them.
    page.goto("/qrcodes?search=Office")
    assert page.locator(".tag-chip", has_text="Summer").count() == 0
