"""The form's tags and folder in a real browser (issue 24): tags added as chips from the
autocomplete (by mouse and by keyboard) and typed anew (a chip marked "new"), one removed,
a folder picked; saved, they show on the detail page and the list, each tag a chip in its
colour that leads to the list of its codes. Screenshots at desktop and phone size go to
test-artifacts/screenshots/organise-*.png."""

import pytest

from browser import ON_SQLITE, SHOTS, other_page, sign_up, wait_until
from codeqr import db
from codeqr.context import for_operator
from codeqr.domain import qrcodes
from codeqr.domain.models import Folder, Tag

pytestmark = [pytest.mark.browser, ON_SQLITE]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _made(app, *rows) -> list[str]:
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


def _shoot(page, locator, name: str) -> None:
    """``locator`` at both sizes; at neither may the page scroll sideways."""
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.locator(locator).first.screenshot(path=SHOTS / f"organise-{name}-{size}.png")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (name, size)
    page.set_viewport_size(SIZES["desktop"])


def _chips(scope) -> list[str]:
    """The names on the chips of ``scope``'s tags (a chip of the form holds its remove button too)."""
    return scope.locator(".tag-chips .tag-chip").evaluate_all("chips => chips.map((chip) => chip.firstChild.textContent)")


def test_tags_are_chosen_as_chips_saved_and_shown_on_the_detail_page_and_the_list(page, live_app):
    app = live_app[1]
    sign_up(page, "organiser@example.com")
    shop, summer, _ = _made(app, Tag(name="Shop window", color="green"), Tag(name="Summer", color="yellow"),
                            Tag(name="Spring sale", color="pink"))
    (campaigns,) = _made(app, Folder(name="Campaigns"))
    page.goto("/qrcodes/new")
    page.get_by_label("Destination URL").fill("https://shop.example/summer")
    page.get_by_label("Title").fill("Summer poster")
    entry = page.get_by_label("Tags", exact=True)
    posted = page.locator('input[name="tag_names"]')
    assert posted.get_attribute("type") == "hidden"  # the script writes the names the form posts

    # By mouse: typing offers the tags that hold the letters, those starting with them first.
    entry.fill("s")
    suggestions = page.get_by_role("listbox", name="Tags to add")
    options = suggestions.get_by_role("option")
    assert [text.strip() for text in options.all_inner_texts()][:3] == ["Shop window", "Spring sale", "Summer"]
    entry.fill("sho")
    suggestions.get_by_role("option", name="Shop window").click()
    editor = page.locator(".tag-editor")
    assert _chips(editor) == ["Shop window"] and editor.locator(".tag-chip.tag-green").count() == 1

    # By keyboard: down to the suggestion, Enter.
    entry.fill("sum")
    entry.press("ArrowDown")
    entry.press("Enter")
    assert editor.locator(".tag-chip.tag-yellow").inner_text().startswith("Summer")

    # A name no tag has: a chip marked "new"; a comma ends it.
    entry.press_sequentially("Flyer 2027,")
    new_chip = editor.locator(".tag-chip.tag-new")
    assert new_chip.locator(".tag-new-mark").text_content() == "new" and new_chip.inner_text().startswith("Flyer 2027")
    assert posted.input_value() == "Shop window, Summer, Flyer 2027"

    # Shown with its suggestions open, then one removed.
    entry.fill("spr")
    suggestions.get_by_role("option", name="Create spr (new tag)").wait_for()
    _shoot(page, 'fieldset[data-group="organise"]', "suggestions")
    entry.fill("")
    page.get_by_role("button", name="Remove the tag Summer").click()
    assert posted.input_value() == "Shop window, Flyer 2027"
    page.get_by_label("Folder").select_option(label="Campaigns")
    page.get_by_label("Comments").fill("On the shop window\nuntil August")
    _shoot(page, 'fieldset[data-group="organise"]', "form")

    page.get_by_role("button", name="Create").click()
    page.get_by_text("QR Code created.").wait_for()
    qr_id = page.url.rsplit("/", 1)[1]
    with app.app_context():
        qr = qrcodes.find(qr_id, for_operator())
        assert [tag.name for tag in qr.tags] == ["Flyer 2027", "Shop window"] and qr.folder_id == campaigns
        flyer = next(tag for tag in qr.tags if tag.name == "Flyer 2027")
    organisation = page.locator("#organisation")
    assert _chips(organisation) == ["Flyer 2027", "Shop window"]
    assert "Campaigns" in organisation.inner_text() and "organiser@example.com" in organisation.inner_text()
    assert organisation.locator("dd.comments").inner_text() == "On the shop window\nuntil August"
    _shoot(page, "section.about", "detail")

    page.goto("/qrcodes")
    row = page.locator("tr[data-row]", has_text="Summer poster")
    assert _chips(row) == ["Flyer 2027", "Shop window"]
    assert row.locator(f".tag-chip.tag-{flyer.color}").inner_text() == "Flyer 2027"
    assert "Campaigns" in row.locator(".folder-name").inner_text()
    _shoot(page, "table.list", "list")
    page.emulate_media(color_scheme="dark")  # the theme "Automatic" follows the device: the chips' dark colours
    # #14532d (tags.css), once the links' colour transition is over
    wait_until(page, "() => getComputedStyle(document.querySelector('tr[data-row] .tag-green')).backgroundColor"
                     " === 'rgb(20, 83, 45)'")
    _shoot(page, "table.list", "list-dark")
    page.emulate_media(color_scheme="light")
    row.get_by_role("link", name="Shop window").click()
    wait_until(page, "() => location.search === '?tagIds=" + shop + "'")

    # The edit page starts with the chips saved, in their colours.
    page.goto(f"/qrcodes/{qr_id}/edit")
    assert _chips(page.locator(".tag-editor")) == ["Flyer 2027", "Shop window"]
    assert page.locator(".tag-editor .tag-chip.tag-new").count() == 0
    assert summer  # made, offered, removed: not on the code

    # Without script: the names in a text box, a comma apart, the hint saying how.
    plain = other_page(page, live_app[0], viewport=SIZES["desktop"], java_script_enabled=False)
    plain.context.add_cookies(page.context.cookies())
    plain.goto(f"/qrcodes/{qr_id}/edit")
    assert plain.get_by_label("Tags", exact=True).input_value() == "Flyer 2027, Shop window"
    _shoot(plain, 'fieldset[data-group="organise"]', "without-script")
    assert not plain.csp_violations
