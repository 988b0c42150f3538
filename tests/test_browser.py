"""The whole story in a real browser (Playwright driving Debian's chromium).

Screenshots of the main pages go to test-artifacts/screenshots/.
"""

import base64
import csv
import io
import re
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from browser import (
    DESKTOP,
    NO_REDIRECTS,
    ON_SQLITE,
    PHONE,
    SHOTS,
    colours_of_data_url,
    downloaded,
    set_color,
    sign_up,
    wait_until,
    watch_csp,
    web_pages,
)
from codeqr.context import for_operator
from decode import decode

pytestmark = ON_SQLITE


def _import_file(tmp_path, count: int = 1000) -> Path:
    path = tmp_path / "catalog.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "title", "externalId", "fgColor", "size"])
        for i in range(count):
            writer.writerow([f"https://shop.example/p/{i}", f"Product {i}", f"sku-{i}", "#111827", "256"])
    rows = path.read_text().splitlines()
    rows[11] = "javascript:alert(1),Bad,sku-bad-1,#111827,256"
    rows[22] = "https://shop.example/x,Bad size,sku-bad-2,#111827,5000"
    rows[33] = "https://shop.example/y,Bad colour,sku-bad-3,#fffffe,256"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_the_whole_story(page, live, tmp_path):
    # First run: setup creates the admin and signs in.
    page.goto("/")
    assert page.url.endswith("/setup")
    page.screenshot(path=SHOTS / "01-setup.png", full_page=True)
    page.get_by_label("Email").fill("marketing@example.com")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create the account").click()
    page.get_by_text("No QR Codes yet").wait_for()
    page.screenshot(path=SHOTS / "02-empty-list.png", full_page=True)

    # Create, with the live preview following the fields.
    page.get_by_role("link", name="New", exact=True).click()
    page.get_by_label("Destination URL").fill("https://example.com/spring-sale")
    preview = page.locator("#preview")
    wait_until(page, "document.getElementById('preview').src.startsWith('data:image/')")
    first_preview = preview.get_attribute("src")
    set_color(page, "#fg_color", "#1d4ed8")
    wait_until(page, "(old) => document.getElementById('preview').src !== old", first_preview)
    assert (0x1D, 0x4E, 0xD8) in colours_of_data_url(preview.get_attribute("src"))
    set_color(page, "#fg_color", "#fefefe")
    page.locator('.field-error[data-for="fg_color"]').get_by_text("too alike to scan").wait_for()
    set_color(page, "#fg_color", "#1d4ed8")
    page.get_by_label("Title").fill("Spring sale poster")
    page.get_by_label("Show the logo in the centre").check()
    wait_until(page, "document.getElementById('preview-status').textContent.includes('error correction H')")
    assert "The short link is made when you create" in page.locator("#preview-status").inner_text()
    page.screenshot(path=SHOTS / "03-create-with-preview.png", full_page=True)
    page.get_by_role("button", name="Create").click()

    # Detail: short link, downloads that decode.
    page.get_by_text("QR Code created.").wait_for()
    short_link = page.locator("#short-link").inner_text()
    assert short_link.startswith(live + "/") and short_link.endswith("-qr")
    page.screenshot(path=SHOTS / "04-detail.png", full_page=True)
    def from_menu(name):
        page.locator("#downloads").evaluate("menu => { menu.open = true; }")
        return lambda: page.get_by_role("link", name=name, exact=True).click()

    png = downloaded(page, from_menu("PNG, 512 px"))
    svg = downloaded(page, from_menu("SVG (vector, any size)"))
    assert decode(png, "image/png") == [short_link]
    assert decode(svg, "image/svg+xml") == [short_link]

    # Two people scan it, on a phone and on a desktop: the detail page shows both devices.
    for agent in (PHONE, DESKTOP):
        request = urllib.request.Request(short_link, headers={"User-Agent": agent})
        with pytest.raises(urllib.error.HTTPError) as redirect:  # the opener refuses to follow
            NO_REDIRECTS.open(request)
        assert redirect.value.code == 302
    page.reload()
    devices = page.locator("#breakdown-devices")
    devices.get_by_role("cell", name="Mobile").wait_for()
    assert devices.get_by_role("cell", name="Desktop").is_visible()
    assert page.locator("#analytics-total").inner_text() == "2"
    wait_until(page, "Boolean(window.Chart && Chart.getChart(document.getElementById('chart-timeseries')))")
    page.screenshot(path=SHOTS / "04b-detail-analytics.png", full_page=True)
    page.get_by_role("link", name="Analytics").click()
    page.locator("#breakdown-top_qrcodes").get_by_role("link", name="Spring sale poster").wait_for()
    page.screenshot(path=SHOTS / "04c-dashboard.png", full_page=True)
    page.go_back()

    # Edit, then the redirect goes to the new destination.
    page.get_by_role("button", name="Edit").click()
    page.wait_for_url(re.compile(r"/edit$"))
    page.get_by_role("heading", name="Edit Spring sale poster").wait_for()
    destination = page.get_by_label("Destination URL")
    destination.fill("https://example.com/summer-sale")
    assert destination.input_value() == "https://example.com/summer-sale"
    with page.expect_request(lambda request: request.method == "POST" and request.url.endswith("/edit")) as posted:
        page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("QR Code saved.").wait_for()
    shown = page.locator("#content-words").inner_text()
    # What the form sent and what the page shows, should they ever disagree (seen twice on a busy CI machine).
    assert "summer-sale" in shown, f"the page shows {shown!r}; the form sent {posted.value.post_data!r}"

    # Delete, with confirmation.
    page.get_by_role("button", name="Delete…").click()
    page.get_by_role("button", name="Delete it").click()
    page.get_by_text("deleted.").wait_for()

    # Import 1,000 rows, three of them bad, with progress.
    page.get_by_role("link", name="Import").click()
    page.screenshot(path=SHOTS / "05-import.png", full_page=True)
    page.get_by_label("CSV file").set_input_files(str(_import_file(tmp_path)))
    page.get_by_role("button", name="Import").click()
    page.locator("#import-errors").wait_for(timeout=180_000)
    summary = page.locator("#import-summary").inner_text()
    assert "1000 of 1000 rows processed: 997 created" in summary and "3 refused" in summary
    errors = page.locator("#import-errors").inner_text()
    assert "Destination URL:" in errors and "Size in pixels:" in errors and "too alike" in errors
    page.screenshot(path=SHOTS / "06-import-done.png", full_page=True)

    # Export the first page as a ZIP whose images all decode.
    page.get_by_role("button", name="See the QR Codes").click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=SHOTS / "07-list.png", full_page=True)
    page.get_by_label("Select all on this page").check()
    bar = page.locator("[data-bulk-bar]")
    bar.get_by_role("button", name="Export…").click()
    bar.locator('input[name="format"][value="svg"]').check()
    bar.get_by_role("button", name="Export selected").click()
    download = page.get_by_role("button", name=re.compile(r"Download the ZIP"))  # once the job is done
    download.wait_for(timeout=60_000)
    page.screenshot(path=SHOTS / "07b-export-done.png", full_page=True)
    archive = zipfile.ZipFile(io.BytesIO(downloaded(page, download.click)))
    manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert len(manifest) == 25
    for row in manifest:
        for name in row["files"].split():
            kind = "image/svg+xml" if name.endswith(".svg") else "image/png"
            assert decode(archive.read(name), kind) == [row["shortLink"]], name

    # A phone-sized screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/qrcodes/{manifest[0]['id']}")
    page.screenshot(path=SHOTS / "08-detail-phone.png", full_page=True)


def test_lost_requests_are_said_and_the_import_poll_retries(page, tmp_path):
    sign_up(page, "ops@example.com")

    page.route("**/qrcodes/preview", lambda route: route.abort())
    page.goto("/qrcodes/new")
    page.get_by_label("Destination URL").fill("https://example.com/offline")
    page.locator("#preview-status").get_by_text("could not be updated").wait_for()
    page.unroute("**/qrcodes/preview")
    page.get_by_label("Title").fill("Back online")
    page.locator("#preview-status").get_by_text("Preview of the design").wait_for()

    page.route("**/import/*.json", lambda route: route.abort())
    page.goto("/import")
    page.get_by_label("CSV file").set_input_files(str(_import_file(tmp_path, count=200)))
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Lost contact with the server; trying again").wait_for()
    page.unroute("**/import/*.json")
    page.get_by_role("button", name="See the QR Codes").wait_for(timeout=60_000)
    assert "200 of 200 rows processed" in page.locator("#import-summary").inner_text()


def test_the_first_tab_shows_the_skip_link_and_it_moves_focus_to_the_content(page):
    page.goto("/setup")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    box = page.locator(".skip-link").bounding_box()
    assert box["x"] >= 0 and box["width"] > 0  # on screen once focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"


def test_a_taken_key_is_said_live_and_after_submitting_the_message_stays(page):
    sign_up(page, "keys@example.com")
    page.goto("/qrcodes/new")
    page.get_by_label("Destination URL").fill("https://example.com/first")
    page.locator("#key").fill("spring")
    page.locator("#preview-status").get_by_text("Preview up to date").wait_for()
    page.get_by_role("button", name="Create").click()
    page.get_by_text("QR Code created.").wait_for()
    page.wait_for_load_state("load")  # the stylesheet too: the text can be found before it applies
    notice = page.locator(".flash.success")
    assert notice.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(236, 253, 245)"
    page.emulate_media(color_scheme="dark")  # the notice follows a dark page
    assert notice.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(6, 78, 59)"
    page.emulate_media(color_scheme="light")

    page.goto("/qrcodes/new")
    page.get_by_label("Destination URL").fill("https://example.com/second")
    page.locator("#key").fill("spring")
    taken = page.locator('.field-error[data-for="key"]')
    taken.get_by_text("already uses").wait_for()  # said before submitting
    # After submitting, the page's preview check must not wipe what the server said, even when
    # its own answer lacks it (here it is made to answer with no errors at all).
    page.route("**/qrcodes/preview", lambda route: route.fulfill(json={"ok": False, "errors": {}}))
    page.get_by_role("button", name="Create").click()
    page.locator("#preview-status").get_by_text("Fix the fields marked").wait_for()
    assert "already uses" in page.locator('.field-error[data-for="key"]').inner_text()
    page.unroute("**/qrcodes/preview")
    page.locator("#key").fill("summer")
    page.locator("#preview-status").get_by_text("Preview up to date").wait_for()
    assert page.locator('.field-error[data-for="key"]').inner_text() == ""


def test_times_are_shown_in_the_readers_time_zone_with_its_name(page, live):
    sign_up(page, "zones@example.com")
    page.goto("/keys")
    page.get_by_label("Name").fill("tokyo")
    page.get_by_role("button", name="Create key").click()
    utc = page.locator("time.local-time").first.get_attribute("datetime")
    tokyo = page.context.browser.new_context(base_url=live, timezone_id="Asia/Tokyo", locale="en-GB",
                                             storage_state=page.context.storage_state())
    shown = tokyo.new_page()
    shown.goto("/keys")
    created = shown.locator("time.local-time").first
    text, title = created.inner_text(), created.get_attribute("title")
    tokyo.close()
    hour = (int(utc[11:13]) + 9) % 24
    assert f"{hour:02d}:{utc[14:16]}" in text and "GMT+9" in text  # the reader's clock, the zone named
    assert title == f"{utc[:10]} {utc[11:16]} UTC"  # the UTC moment on hover, as without script


def test_on_a_phone_the_menu_folds_and_nothing_scrolls_sideways(page):
    sign_up(page, "phone@example.com")
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/qrcodes", "/keys", "/users", "/import"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    assert not page.locator(".nav-wide").is_visible()
    keys = page.locator(".nav-narrow").get_by_role("link", name="API keys")
    assert not keys.is_visible()
    page.locator(".nav-narrow summary").click()
    keys.click()
    assert page.url.endswith("/keys")
    page.screenshot(path=SHOTS / "09-menu-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.locator(".nav-wide").get_by_role("link", name="API keys").is_visible()
    assert not page.locator(".nav-narrow summary").is_visible()


SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _shoot_at_both_sizes(page, name: str) -> None:
    """Screenshots of the page at desktop and phone size; at neither may the page scroll
    sideways, and on the phone no short link may break inside."""
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=SHOTS / f"page-{name}-{size}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (name, size)
    for link in page.locator(".short-link").all():  # those shown (the phone's list rows leave them out)
        assert link.evaluate("el => el.getClientRects().length") <= 1, (name, link.inner_text())
    page.set_viewport_size(SIZES["desktop"])


def test_every_page_at_desktop_and_phone_size(page, live_app, tmp_path):
    live, app = live_app
    page.goto("/setup")
    _shoot_at_both_sizes(page, "setup")
    sign_up(page, "pages@example.com")
    with app.app_context():
        from codeqr.domain import writes
        from codeqr.domain.schemas import QRCodeCreate

        made = [writes.create(QRCodeCreate.model_validate(body), ctx=for_operator()) for body in (
            {"url": "https://shop.example/catalogue/spring-2026/outdoor-furniture/teak-garden-bench-with-cushions?ref=poster",
             "title": "Garden bench poster for the spring catalogue, outdoor furniture pages", "key": "garden-bench-spring-2026"},
            {"url": "https://example.com/menu", "fgColor": "#1d4ed8", "bgColor": "#ffffff"},
            {"url": "https://example.com/wifi", "title": "Wi-Fi"})]
        scanned = made[0].short_link
    for _ in range(2):
        with pytest.raises(urllib.error.HTTPError):
            NO_REDIRECTS.open(scanned)
    page.goto("/keys")
    page.get_by_label("Name").fill("zapier")
    page.get_by_role("button", name="Create key").click()
    _shoot_at_both_sizes(page, "keys-new-secret")
    page.goto("/users")
    page.get_by_label("Email").fill("member@example.com")
    page.get_by_label("Password (10 characters or more)").fill("a long enough password")
    page.get_by_role("button", name="Add user").click()
    page.goto("/import")
    page.get_by_label("CSV file").set_input_files(str(_import_file(tmp_path, count=40)))
    page.get_by_role("button", name="Import").click()
    page.locator("#import-errors").wait_for(timeout=60_000)
    import_job = page.url.rsplit("/", 1)[1]
    page.goto("/qrcodes")
    page.locator('input[name="ids"]').first.check()
    page.locator("[data-bulk-bar]").get_by_role("button", name="Export…").click()
    page.get_by_role("button", name="Export selected").click()
    page.get_by_role("button", name=re.compile(r"Download the ZIP")).wait_for(timeout=60_000)
    export_job = page.url.rsplit("/", 1)[1]
    page.goto("/keys")
    key_id = re.search(r"/keys/(\d+)/revoke", page.content()).group(1)
    page.goto("/users")
    user_id = re.search(r"/users/(\d+)/deactivate", page.content()).group(1)

    ids = {"qr_id": made[0].id, "key_id": key_id, "user_id": user_id, "import_job_id": import_job,
           "export_job_id": export_job, "slug": "localhost"}
    shot = []
    for name, path in web_pages(app, ids):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        _shoot_at_both_sizes(page, name)
        shot.append(name)
    assert {"qrcode_list", "qrcode_detail", "qrcode_edit", "qrcode_new", "qrcode_delete", "api_keys", "api_key_revoke",
            "user_list", "user_deactivate", "import_upload", "import_progress", "export_progress", "dashboard"} <= set(shot)
    # A long name is cut with an ellipsis on the desktop list and shown whole on hover.
    page.goto("/qrcodes?search=Garden")
    name = page.locator("td.name a.truncate").first
    assert name.evaluate("el => el.scrollWidth > el.clientWidth && getComputedStyle(el).textOverflow === 'ellipsis'")
    assert name.get_attribute("title").startswith("Garden bench poster for the spring catalogue")
    name.hover()
    assert name.evaluate("el => el.scrollWidth <= el.clientWidth")
    # A row form's button sits on the line of its inputs, not of their labels.
    for path, button in (("/keys", "Create key"), ("/users", "Add user")):
        page.goto(path)
        input_top = page.locator("form.toolbar.fields input:not([type=hidden])").first.bounding_box()["y"]
        button_box = page.get_by_role("button", name=button).bounding_box()
        assert abs(button_box["y"] - input_top) <= 1, (path, button_box["y"], input_top)
    # The white background swatch has an outline on a white page.
    page.goto("/qrcodes/new")
    assert page.locator("#bg_color").evaluate("el => parseFloat(getComputedStyle(el).borderTopWidth)") >= 1
    for name, path in (("not-found-in-app", "/qrcodes/c000000000000000000000000"), ("not-found-public", "/no-such-key")):
        page.goto(path)
        _shoot_at_both_sizes(page, name)
    page.goto(f"/qrcodes/new?duplicate={made[0].id}")
    _shoot_at_both_sizes(page, "qrcode-duplicate")
    signed_out = page.context.browser.new_page(base_url=live)
    refused = watch_csp(signed_out.context)
    signed_out.goto("/login")
    _shoot_at_both_sizes(signed_out, "login")
    signed_out.close()
    assert not refused and not page.csp_violations


def test_selection_bar_theme_copy_image_and_a_steady_preview(page, live_app):
    _live, app = live_app
    sign_up(page, "things@example.com")
    with app.app_context():
        from codeqr.context import for_operator
        from codeqr.domain import writes
        from codeqr.domain.schemas import QRCodeCreate

        made = [writes.create(QRCodeCreate(url=f"https://example.com/{i}", title=f"Sign {i}"), ctx=for_operator())
                for i in range(3)]
        scanned = made[0].short_link

    # The selection's actions show only while rows are selected, with how many.
    page.goto("/qrcodes")
    bar = page.locator("[data-bulk-bar]")
    assert not bar.is_visible()
    page.get_by_label("Select Sign 1").check()
    assert bar.is_visible() and bar.locator("[data-selected-count]").inner_text() == "1"
    page.get_by_label("Select all on this page").check()
    assert bar.locator("[data-selected-count]").inner_text() == "3"
    bar.get_by_role("button", name="Clear selection").click()
    assert not bar.is_visible() and not page.get_by_label("Select Sign 1").is_checked()

    # The theme chosen is drawn at once and on every page after.
    background = "getComputedStyle(document.documentElement).backgroundColor"
    light = page.evaluate(background)
    with page.expect_response("**/theme"):  # remembered by the server, without leaving the page
        page.get_by_label("Theme").select_option("dark")
    wait_until(page, "document.documentElement.dataset.theme === 'dark'")
    assert page.url.endswith("/qrcodes") and page.evaluate(background) != light
    page.goto("/keys")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    with page.expect_response("**/theme"):
        page.get_by_label("Theme").select_option("auto")
    wait_until(page, "!document.documentElement.dataset.theme")
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") is None

    # Copy image puts the PNG on the clipboard: it decodes to the short link.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"/qrcodes/{made[0].id}")
    page.get_by_role("button", name="Copy image").click()
    page.get_by_role("button", name="Image copied").wait_for()
    data = page.evaluate("""async () => {
        const [item] = await navigator.clipboard.read();
        const bytes = new Uint8Array(await (await item.getType("image/png")).arrayBuffer());
        return btoa(String.fromCharCode(...bytes));
    }""")
    assert decode(base64.b64decode(data), "image/png") == [scanned]
    page.get_by_role("button", name="Copy image").wait_for()  # the button is itself again
    page.locator("#downloads summary").click()
    with page.expect_download():
        page.get_by_role("link", name="PNG, 256 px", exact=True).click()
    assert page.locator("#downloads").get_attribute("open") is None  # the menu closed behind the choice

    # Colours refused on submitting are marked once, beside the foreground, and the preview
    # shows that design with its warning; once fixed, the mark and the warning go.
    page.goto("/qrcodes/new")
    page.get_by_label("Destination URL").fill("https://example.com/colours")
    set_color(page, "#fg_color", "#fefefe")
    page.locator("#preview-status").get_by_text("may not scan").wait_for()
    assert "unscannable" in page.locator("#preview").get_attribute("class")
    page.get_by_role("button", name="Create").click()
    page.locator('.field-error[data-for="fg_color"]').get_by_text("too alike to scan").wait_for()
    assert page.locator('.field-error[data-for="bg_color"]').inner_text() == ""
    set_color(page, "#fg_color", "#14532d")
    page.locator("#preview-status").get_by_text("Preview of the design").wait_for()
    assert page.locator('.field-error[data-for="fg_color"]').inner_text() == ""
    assert not {"stale", "unscannable"} & set((page.locator("#preview").get_attribute("class") or "").split())

    # The form keeps its width while the preview's caption changes; a scanned code warns
    # while its key is being changed.
    with pytest.raises(urllib.error.HTTPError):
        NO_REDIRECTS.open(scanned)
    page.goto(f"/qrcodes/{made[0].id}/edit")
    page.locator("#preview-status").get_by_text("Preview up to date").wait_for()
    width = page.locator("#qrcode-form").bounding_box()["width"]
    warning = page.locator("#link-warning")
    assert not warning.is_visible()
    page.locator("#key").fill("x")
    page.locator("#preview-status").get_by_text("http://127.0.0.1").wait_for()
    assert warning.is_visible() and "scanned 1 time" in warning.inner_text()
    page.locator("#design-advanced > summary").click()  # size, margin and level wait under a disclosure
    page.locator("#size").fill("1")
    page.locator("#preview-status").get_by_text("To see the preview, fix: Size in pixels").wait_for()
    assert page.locator("#qrcode-form").bounding_box()["width"] == width
    page.locator("#key").fill(scanned.rsplit("/", 1)[1])
    assert not warning.is_visible()


def test_the_api_docs_work_offline_and_list_the_operations(page, live):
    """Everything but the instance itself is cut off: the page must need no other site."""
    asked_elsewhere = []

    def only_this_machine(route):
        host = urllib.parse.urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            asked_elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_machine)
    page.goto("/api/docs")
    page.locator(".opblock").first.wait_for()
    operations = page.locator(".opblock-summary").evaluate_all(
        "blocks => blocks.map((block) => block.querySelector('.opblock-summary-method').textContent + ' '"
        " + block.querySelector('.opblock-summary-path').dataset.path)")
    assert {"POST /api/qrcodes", "GET /api/qrcodes/{ref}", "PUT /api/qrcodes/upsert", "GET /api/analytics"} <= set(operations)
    assert not asked_elsewhere
    assert page.evaluate("document.title").startswith("CodeQR API")


_LARGER_TEXT = "(one, other) => parseFloat(getComputedStyle(one).fontSize) > parseFloat(getComputedStyle(other).fontSize)"


def test_each_group_of_the_form_is_named_above_its_fields(page):
    from codeqr.domain.schemas import CORE

    sign_up(page, "groups@example.com")
    page.goto("/qrcodes/new")
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        for group in [*CORE.field_groups, "organise"]:  # the form's own group of the organising fields
            fieldset = page.locator(f'fieldset[data-group="{group}"]')
            summary = fieldset.locator("> details > summary")
            if summary.count():  # a group shown collapsed (the link options) is named by its summary
                assert summary.is_visible() and summary.inner_text().strip(), (group, size)
                continue
            legend = fieldset.locator("> legend")
            assert legend.is_visible() and legend.inner_text().strip(), (group, size)
            # Its name reads as a heading: larger than the labels, and above the first of them.
            first_label = fieldset.locator("label").first
            box = legend.bounding_box()
            assert box["y"] + box["height"] <= first_label.bounding_box()["y"], (group, size)
            assert legend.evaluate(_LARGER_TEXT, first_label.element_handle()), (group, size)
