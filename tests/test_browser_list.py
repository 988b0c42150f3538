"""The QR Codes list in a real browser, with long data: nothing cut or wider than the page at
1280 × 800 and 390 × 844 in both themes, rows that stay put when ticked, one Tab stop a row,
no tools over an empty list, Copy buttons, row menus, and a selection of every code matching
the search (across pages) that can be exported or deleted.

Screenshots go to test-artifacts/screenshots/list-*.png.
"""

import csv
import io
import re
import urllib.error
import zipfile

import pytest

from browser import NO_REDIRECTS, ON_SQLITE, SHOTS, create_qrcodes, downloaded, sign_up
from codeqr.context import for_operator

pytestmark = ON_SQLITE

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

#: 300 characters, as a long title a person might paste.
LONG_TITLE = ("Spring catalogue poster for the outdoor furniture pages: teak garden bench with cushions, "
              "parasol and the matching side table ") * 3
LONG_TITLE = LONG_TITLE[:300]
LONG_URL = ("https://shop.example/catalogue/spring-2026/" + "outdoor-furniture-and-garden-living/" * 12
            + "teak-bench?ref=poster&utm_source=print&utm_campaign=spring")
LONG_KEY = "garden-bench-" * 11 + "2026"


def _long_data(app) -> list:
    """Codes with the longest names, links and keys people give, one of them scanned."""
    made = create_qrcodes(app, [
        {"url": LONG_URL, "title": LONG_TITLE, "key": LONG_KEY},
        {"url": LONG_URL + "&two", "title": LONG_TITLE.replace("Spring", "Summer"), "key": LONG_KEY[:-4] + "2027"},
        {"url": LONG_URL + "&three"},  # no title: named by its host
        {"url": "https://example.com/wifi", "title": "Wi-Fi"},
    ])
    for _ in range(3):
        with pytest.raises(urllib.error.HTTPError):  # a 302 the opener does not follow
            NO_REDIRECTS.open(made[0].short_link)
    return made


def _ids_left(app) -> set[str]:
    from codeqr.domain import qrcodes
    from codeqr.domain.filters import Filters

    with app.app_context():
        return {qr.id for qr in qrcodes.all_matching(Filters(), for_operator())}


#: What is cut or sticks out on the list: the page wider than the window, the table wider than
#: its box, a cell whose content spills, anything shown outside the window, or text clipped
#: without an ellipsis and its whole in a title (a name cut with "…" keeps it on hover).
_CUT = """() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  const name = (el) => `${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}"`;
  if (document.documentElement.scrollWidth > width) problems.push(`the page is ${document.documentElement.scrollWidth} px wide`);
  const table = document.querySelector("table.list");
  const box = table.parentElement.getBoundingClientRect();
  if (table.getBoundingClientRect().right > box.right + 0.5) problems.push("the table is wider than its box");
  for (const el of document.querySelectorAll("main *")) {
    if (!el.getClientRects().length || el.closest(".visually-hidden, details:not([open]) > :not(summary)")) continue;
    const shape = el.getBoundingClientRect();
    if (shape.width <= 1 && shape.height <= 1) continue;  // hidden but for screen readers
    if (shape.left < -0.5 || shape.right > width + 0.5) problems.push(`${name(el)} is outside the window`);
    const style = getComputedStyle(el);
    if (el.matches("td, th") && el.scrollWidth > el.clientWidth + 1) problems.push(`${name(el)} spills`);
    else if (el.scrollWidth > el.clientWidth + 1 && style.overflowX !== "visible"
             && !(style.textOverflow === "ellipsis" && el.title.endsWith(el.textContent.trim()))) {
      problems.push(`${name(el)} is cut`);
    }
  }
  return problems;
}"""


def _themes(page):
    for theme in ("light", "dark"):
        page.emulate_media(color_scheme=theme)
        yield theme
    page.emulate_media(color_scheme="light")


def test_nothing_is_cut_or_wider_than_the_page_with_long_data(page, live_app):
    _live, app = live_app
    sign_up(page, "long@example.com")
    _long_data(app)
    for sort in ("", "?sort=scans:7d"):  # the "Scans, last 7 days" column too
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            page.goto("/qrcodes" + sort)
            page.wait_for_load_state("networkidle")
            for theme in _themes(page):
                assert page.evaluate(_CUT) == [], (sort, size, theme)
                if not sort:
                    page.screenshot(path=SHOTS / f"list-long-{size}-{theme}.png", full_page=True)
            # The figures and dates are whole at both sizes, where they are shown.
            for cell in page.locator("td.when, td.figure").all():
                if cell.is_visible():
                    assert cell.evaluate("el => el.scrollWidth <= el.clientWidth"), (size, cell.inner_text())
    for viewport in ({"width": 1024, "height": 768}, {"width": 768, "height": 1024}):  # tablets, between the two
        page.set_viewport_size(viewport)
        page.goto("/qrcodes?sort=scans:30d")
        assert page.evaluate(_CUT) == [], viewport
        page.screenshot(path=SHOTS / f"list-long-tablet-{viewport['width']}.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    page.goto("/qrcodes")
    assert page.locator("td.when time").first.is_visible() and page.locator("th.created").is_visible()
    # A long name ends with "…" and is whole in its title.
    assert page.get_by_title(LONG_TITLE).first.evaluate("el => el.scrollWidth > el.clientWidth")
    # The bulk delete's question names them, long as they are, within the page.
    page.get_by_label("Select all on this page").check()
    page.locator("[data-bulk-bar]").get_by_role("button", name="Delete…").click()
    page.get_by_role("heading", name="Delete 4 QR Codes?").wait_for()
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], size
        page.screenshot(path=SHOTS / f"list-bulk-delete-long-{size}.png", full_page=True)


def _row_boxes(page) -> list:
    return [row.bounding_box() for row in page.locator("table.list tbody tr").all()]


def test_ticking_rows_moves_none_and_the_phone_keeps_select_all(page, live_app):
    _live, app = live_app
    sign_up(page, "tick@example.com")
    _long_data(app)
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.goto("/qrcodes")
        bar = page.locator("[data-bulk-bar]")
        before = _row_boxes(page)
        assert not bar.is_visible()
        page.get_by_label("Select Wi-Fi").check()
        assert bar.is_visible() and bar.locator("[data-selected-count]").inner_text() == "1"
        assert _row_boxes(page) == before, size
        select_all = page.get_by_label("Select all on this page")
        assert select_all.is_visible(), size
        shape = select_all.bounding_box()
        assert shape["x"] >= 0 and shape["x"] + shape["width"] <= viewport["width"], size
        select_all.check()
        assert bar.locator("[data-selected-count]").inner_text() == "4"
        assert _row_boxes(page) == before, size
        # The bar floats in the window, over the page, with the bulk actions.
        assert page.evaluate(_CUT) == [], size
        assert bar.get_by_role("button", name="Delete…").is_visible()
        assert bar.get_by_role("button", name="Export…").is_visible()
        page.screenshot(path=SHOTS / f"list-selected-{size}.png")
        bar.get_by_role("button", name="Clear selection").click()
        assert not bar.is_visible() and _row_boxes(page) == before


def _focus(page) -> str:
    return page.evaluate("""() => {
        const el = document.activeElement;
        const row = el.closest("tbody tr");
        const place = row ? `row ${[...row.parentElement.children].indexOf(row)}` : "outside";
        return `${place} ${el.tagName.toLowerCase()} ${el.getAttribute("aria-label") || el.textContent.trim().slice(0, 20)}`;
    }""")


def test_each_row_is_one_tab_stop_and_the_arrows_reach_the_rest(page, live_app):
    _live, app = live_app
    sign_up(page, "keys@example.com")
    create_qrcodes(app, [{"url": f"https://example.com/{i}", "title": f"Sign {i}"} for i in range(3)])
    page.goto("/qrcodes")
    page.get_by_label("Select all on this page").focus()
    stops = []
    for _ in range(12):
        page.keyboard.press("Tab")
        stops.append(_focus(page))
        if stops[-1].startswith("outside") and len(stops) > 1 and stops[-2].startswith("row"):
            break
    in_rows = [stop for stop in stops if stop.startswith("row")]
    assert in_rows == ["row 0 a Sign 2", "row 1 a Sign 1", "row 2 a Sign 0"], stops
    # From a row's name: left to its box, right to Copy and the menu, down to the next row.
    page.get_by_role("link", name="Sign 1", exact=True).focus()
    page.keyboard.press("ArrowLeft")
    assert _focus(page) == "row 1 input Select Sign 1"
    page.keyboard.press("Space")
    assert page.get_by_label("Select Sign 1").is_checked()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert _focus(page).startswith("row 1 button Copy")
    page.keyboard.press("ArrowRight")
    assert _focus(page) == "row 1 summary Actions for Sign 1"
    page.keyboard.press("Enter")
    menu = page.locator("details.row-menu[open]")
    assert menu.get_by_role("link", name="Edit").is_visible()
    page.keyboard.press("ArrowDown")
    assert _focus(page) == "row 1 a Edit"
    page.keyboard.press("Escape")
    assert _focus(page) == "row 1 summary Actions for Sign 1" and menu.count() == 0
    page.keyboard.press("ArrowDown")
    assert _focus(page) == "row 2 summary Actions for Sign 0"


def test_an_empty_list_shows_no_search_sort_or_page_size(page, live_app):
    _live, app = live_app
    sign_up(page, "empty@example.com")
    page.goto("/qrcodes")
    page.get_by_text("No QR Codes yet").wait_for()
    for label in ("Search", "Sort by", "Rows per page"):
        assert page.get_by_label(label).count() == 0, label
    page.screenshot(path=SHOTS / "list-empty-desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    assert page.get_by_role("button", name="Search").count() == 0
    page.screenshot(path=SHOTS / "list-empty-phone.png", full_page=True)
    # A search that finds nothing keeps its field, to change it.
    create_qrcodes(app, [{"url": "https://example.com/menu", "title": "Menu"}])
    page.goto("/qrcodes?search=nothing-like-it")
    page.get_by_text("No QR Code matches").wait_for()
    assert page.get_by_label("Search").input_value() == "nothing-like-it"


def test_copy_button_and_row_menu_on_every_row(page, live_app):
    _live, app = live_app
    sign_up(page, "copy@example.com")
    made = create_qrcodes(app, [{"url": "https://example.com/menu", "title": "Menu", "key": "menu"},
                       {"url": "https://example.com/wifi", "title": "Wi-Fi", "key": "wifi"}])
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/qrcodes")
    assert page.get_by_role("button", name=re.compile("^Copy the short link of")).count() == 2
    copy = page.get_by_role("button", name="Copy the short link of Wi-Fi")
    copy.click()
    page.get_by_role("button", name="Copied the short link of Wi-Fi").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == made[1].short_link
    page.get_by_role("button", name="Copy the short link of Wi-Fi").wait_for()  # itself again

    # The row menu: edit, duplicate, download, delete, each for its own row.
    page.get_by_label("Actions for Menu").click()
    menu = page.locator("details.row-menu[open]")
    names = [link.inner_text() for link in menu.get_by_role("link").all()]
    assert names[:2] == ["Edit", "Duplicate"] and names[-1] == "Delete…"
    assert {"Download PNG", "Download SVG"} <= set(names[2:-1])  # and those of the format plugins
    shape = menu.locator("ul").bounding_box()
    assert shape["x"] >= 0 and shape["x"] + shape["width"] <= DESKTOP["width"]
    page.screenshot(path=SHOTS / "list-row-menu-desktop.png")
    png = downloaded(page, menu.get_by_role("link", name="Download PNG", exact=True).click)
    assert png.startswith(b"\x89PNG")
    page.get_by_label("Actions for Menu").click()
    page.locator("details.row-menu[open]").get_by_role("link", name="Duplicate").click()
    assert page.get_by_label("Title").input_value() == "Menu (copy)"
    page.goto("/qrcodes")
    page.get_by_label("Actions for Menu").click()
    page.locator("details.row-menu[open]").get_by_role("link", name="Edit").click()
    assert page.url.endswith(f"/qrcodes/{made[0].id}/edit")
    page.goto("/qrcodes")
    page.get_by_label("Actions for Wi-Fi").click()
    page.locator("details.row-menu[open]").get_by_role("link", name="Delete…").click()
    page.get_by_role("button", name="Delete it").click()
    page.get_by_text("deleted.").wait_for()
    assert _ids_left(app) == {made[0].id}


def test_on_a_phone_rows_are_one_line_and_the_tools_wait_behind_buttons(page, live_app):
    _live, app = live_app
    sign_up(page, "phone@example.com")
    _long_data(app)
    page.set_viewport_size(PHONE)
    page.goto("/qrcodes")
    for theme in _themes(page):
        page.screenshot(path=SHOTS / f"list-phone-{theme}.png", full_page=True)
    # Each row is one line: every cell shown sits on the row's one line, a Copy button in each.
    for row in page.locator("table.list tbody tr").all():
        shape = row.bounding_box()
        assert shape["height"] <= 60, shape
        cells = [cell.bounding_box() for cell in row.locator("td").all() if cell.is_visible()]
        assert len(cells) == 5 and all(cell["y"] == cells[0]["y"] for cell in cells)
        copy = row.get_by_role("button", name=re.compile("^Copy"))
        assert copy.is_visible() and copy.bounding_box()["height"] >= 44
    # Search, sort and export are buttons until asked for.
    search, sort = page.get_by_label("Search", exact=True), page.get_by_label("Sort by")
    assert not search.is_visible() and not sort.is_visible()
    assert page.locator(".list-export summary").is_visible()
    page.get_by_role("button", name="Sort", exact=True).click()
    assert sort.is_visible() and not search.is_visible()
    page.get_by_role("button", name="Search", exact=True).click()
    search.fill("Wi-Fi")
    search.press("Enter")
    page.wait_for_url(re.compile(r"search=Wi-Fi"))
    assert page.get_by_label("Search", exact=True).is_visible()  # a search under way stays in sight
    assert page.locator("table.list tbody tr").count() == 1
    page.screenshot(path=SHOTS / "list-phone-search.png", full_page=True)


def test_select_all_matching_across_pages_then_export_and_delete_exactly_those(page, live_app):
    _live, app = live_app
    sign_up(page, "bulk@example.com")
    promos = create_qrcodes(app, [{"url": f"https://shop.example/promo/{i}", "title": f"Promo {i}"} for i in range(30)])
    others = create_qrcodes(app, [{"url": f"https://shop.example/menu/{i}", "title": f"Menu {i}"} for i in range(5)])
    page.goto("/qrcodes?search=promo")
    bar = page.locator("[data-bulk-bar]")
    page.get_by_label("Select all on this page").check()
    assert bar.locator("[data-selected-count]").inner_text() == "25"
    bar.get_by_role("button", name="Select all 30 matching").click()
    assert "All 30 matching selected" in bar.inner_text()
    page.screenshot(path=SHOTS / "list-all-matching-desktop.png")
    # Unticking one row leaves "every matching": back to the rows ticked.
    page.get_by_label("Select Promo 29").uncheck()
    assert bar.locator("[data-selected-count]").inner_text() == "24"
    page.get_by_label("Select all on this page").check()
    bar.get_by_role("button", name="Select all 30 matching").click()

    # Exported: the 30 matching, not the page's 25, nor the others.
    bar.get_by_role("button", name="Export…").click()
    bar.get_by_role("button", name="Export selected").click()
    download = page.get_by_role("button", name=re.compile(r"Download the ZIP"))
    download.wait_for(timeout=60_000)
    archive = zipfile.ZipFile(io.BytesIO(downloaded(page, download.click)))
    manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert {row["id"] for row in manifest} == {qr.id for qr in promos}

    # Deleted, after a confirmation naming how many: the 30 matching, and no other.
    page.goto("/qrcodes?search=promo")
    page.get_by_label("Select all on this page").check()
    bar.get_by_role("button", name="Select all 30 matching").click()
    bar.get_by_role("button", name="Delete…").click()
    page.get_by_role("heading", name="Delete 30 QR Codes?").wait_for()
    assert "and 20 more" in page.locator("main").inner_text()
    page.screenshot(path=SHOTS / "list-bulk-delete-confirm.png", full_page=True)
    assert _ids_left(app) == {qr.id for qr in promos + others}  # nothing deleted before the answer
    page.get_by_role("button", name="Delete them").click()
    page.get_by_text("30 QR Codes deleted.").wait_for()
    assert _ids_left(app) == {qr.id for qr in others}


def test_bulk_delete_of_the_rows_ticked(page, live_app):
    _live, app = live_app
    sign_up(page, "ticked@example.com")
    made = create_qrcodes(app, [{"url": f"https://example.com/{i}", "title": f"Sign {i}"} for i in range(4)])
    page.goto("/qrcodes")
    page.get_by_label("Select Sign 1").check()
    page.get_by_label("Select Sign 3").check()
    page.locator("[data-bulk-bar]").get_by_role("button", name="Delete…").click()
    page.get_by_role("heading", name="Delete 2 QR Codes?").wait_for()
    page.get_by_role("button", name="Keep them").click()
    assert len(_ids_left(app)) == 4
    page.get_by_label("Select Sign 1").check()
    page.get_by_label("Select Sign 3").check()
    page.locator("[data-bulk-bar]").get_by_role("button", name="Delete…").click()
    page.get_by_role("button", name="Delete them").click()
    page.get_by_text("2 QR Codes deleted.").wait_for()
    assert _ids_left(app) == {made[0].id, made[2].id}
