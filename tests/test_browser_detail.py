"""A QR Code's detail page and the reader's time zone, in a real browser: confirmations
that stay, no page loaded twice, the hero (code, short link, Copy, Download, Print),
the bots said, the preview's caption whole, the export's expiry in local time.

Screenshots go to test-artifacts/screenshots/ (detail-*.png).
"""

import re
import urllib.error
import urllib.request

import pytest

from browser import DESKTOP, NO_REDIRECTS, ON_SQLITE, PHONE, SHOTS, create_qrcode, downloaded, sign_up, watch_csp
from decode import decode

pytestmark = ON_SQLITE

BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
#: CSS pixels per centimetre: CSS defines an inch as 96 px and 2.54 cm.
PX_PER_CM = 96 / 2.54


@pytest.fixture
def tokyo(page, live):
    """A page in a browser whose clock is in Tokyo (the page fixture's is the machine's),
    failing its test on any Content-Security-Policy refusal as the page fixture does."""
    context = page.context.browser.new_context(base_url=live, timezone_id="Asia/Tokyo", locale="en-GB",
                                               accept_downloads=True, viewport=SIZES["desktop"])
    violations = watch_csp(context)
    shown = context.new_page()
    shown.set_default_timeout(15_000)
    yield shown
    context.close()
    assert not violations, "the Content-Security-Policy refused something"


def _scan(short_link: str, agent: str) -> None:
    request = urllib.request.Request(short_link, headers={"User-Agent": agent})
    with pytest.raises(urllib.error.HTTPError) as redirect:  # the opener refuses to follow
        NO_REDIRECTS.open(request)
    assert redirect.value.code == 302


def _shoot(page, name: str) -> None:
    """Screenshots at desktop and phone size, light and dark; at none may the page scroll sideways."""
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.screenshot(path=SHOTS / f"detail-{name}-{size}-{scheme}.png", full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (name, size)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(SIZES["desktop"])


def _documents(page) -> list[str]:
    """The paths of every page (HTML document) the browser asks for from now on."""
    asked: list[str] = []
    page.on("request", lambda request: asked.append(re.sub(r"^https?://[^/]+", "", request.url))
            if request.resource_type == "document" else None)
    return asked


def test_confirmations_stay_and_no_page_is_loaded_twice_to_learn_the_time_zone(tokyo):
    page = tokyo
    asked = _documents(page)
    sign_up(page, "zone@example.com")

    page.goto("/qrcodes/new")
    page.get_by_label("Destination URL").fill("https://example.com/zones")
    page.locator("#preview-status").get_by_text("Preview", exact=False).wait_for()
    page.get_by_role("button", name="Create").click()
    page.wait_for_load_state("networkidle")
    detail = re.sub(r"^https?://[^/]+", "", page.url)
    assert page.get_by_text("QR Code created.").is_visible()  # still there once the page has settled
    assert asked.count(detail) == 1, asked  # the page the form led to, loaded once
    assert "times in Asia/Tokyo" in page.locator(".analytics .total").inner_text()  # the reader's zone, named

    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Destination URL").fill("https://example.com/zones-2")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("QR Code saved.").is_visible()
    assert asked.count(detail) == 2, asked  # once after creating, once after saving

    # The first analytics page of a visit: loaded once, drawn in the reader's zone.
    page.goto("/analytics")
    page.wait_for_load_state("networkidle")
    assert asked.count("/analytics") == 1, asked
    assert "times in Asia/Tokyo" in page.locator(".analytics .total").inner_text()

    # A browser that has not said its zone yet (cookie gone): the page is drawn once, in
    # UTC, and says so; the next is in the reader's zone.
    page.context.clear_cookies(name="codeqr_timezone")
    page.goto(detail)
    page.wait_for_load_state("networkidle")
    assert asked.count(detail) == 3, asked
    assert "times in UTC" in page.locator(".analytics .total").inner_text()
    # Choosing a time frame keeps the zone in the cookie, not in the address.
    page.get_by_label("Time frame").select_option("7d")
    page.wait_for_url(re.compile(r"interval=7d"))
    assert "timezone" not in page.url
    assert "times in Asia/Tokyo" in page.locator(".analytics .total").inner_text()


@pytest.mark.parametrize("value", ["../../../etc/passwd", "Nowhere/Land", "Asia", "x" * 500, "%00", "Etc/GMT+99"])
def test_a_hostile_time_zone_cookie_draws_the_pages_in_utc(page, live_app, value):
    live, app = live_app
    sign_up(page, "cookie@example.com")
    qr = create_qrcode(app, url="https://example.com/cookie")
    page.context.add_cookies([{"name": "codeqr_timezone", "value": value, "url": live}])
    page.route("**/static/app.js", lambda route: route.abort())  # the script would set the cookie right
    for path in (f"/qrcodes/{qr.id}", "/analytics"):
        response = page.goto(path)
        assert response.status == 200, (value, path)
        assert "times in UTC" in page.locator(".analytics .total").inner_text(), (value, path)


def test_a_time_zone_cookie_with_control_characters_draws_the_page_in_utc(page, live_app):
    live, app = live_app
    sign_up(page, "bytes@example.com")
    qr = create_qrcode(app, url="https://example.com/bytes")
    session = "; ".join(f"{cookie['name']}={cookie['value']}" for cookie in page.context.cookies())
    for value in ("Asia/Tokyo\x01", "UTC\x7f", "Europe/\x00Paris"):
        request = urllib.request.Request(f"{live}/qrcodes/{qr.id}", headers={"Cookie": f"{session}; codeqr_timezone={value}"})
        with urllib.request.urlopen(request) as response:
            assert response.status == 200
            assert "times in UTC" in response.read().decode()


def test_escape_closes_the_download_menu_and_gives_focus_back(page, live_app):
    app = live_app[1]
    sign_up(page, "escape@example.com")
    qr = create_qrcode(app, url="https://example.com/escape")
    page.goto(f"/qrcodes/{qr.id}")
    menu = page.locator("#downloads")
    menu.locator("summary").click()
    page.get_by_role("link", name="SVG (vector, any size)").wait_for()
    page.keyboard.press("Escape")
    assert menu.evaluate("menu => menu.open") is False
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    assert not page.get_by_role("link", name="SVG (vector, any size)").is_visible()
    # A click elsewhere closes it too.
    menu.locator("summary").click()
    page.locator("h1").click()
    assert menu.evaluate("menu => menu.open") is False


def test_the_hero_is_the_code_and_its_short_link_with_copy_download_and_print(page, live_app):
    live, app = live_app
    sign_up(page, "hero@example.com")
    qr = create_qrcode(app, url="https://shop.example/catalogue/spring-2026/outdoor-furniture/teak-garden-bench?ref=poster",
                 title="Garden bench poster for the spring catalogue", key="garden-bench-spring-2026-outdoor-teak")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live)
    page.goto(f"/qrcodes/{qr.id}")
    page.wait_for_load_state("load")

    hero, image = page.locator(".hero"), page.locator(".hero img")
    link, copy = page.locator("#short-link"), page.get_by_role("button", name="Copy", exact=True)
    assert image.bounding_box()["width"] >= 300  # a large image
    assert float(link.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")) >= 24  # the link large
    assert link.inner_text() == qr.short_link
    link_box, copy_box = link.bounding_box(), copy.bounding_box()
    assert copy_box["x"] > link_box["x"] and abs(copy_box["y"] + copy_box["height"] / 2
                                                  - (link_box["y"] + link_box["height"] / 2)) < 8  # Copy beside it
    copy.click()
    page.get_by_role("button", name="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == qr.short_link

    # One primary download, the menu of formats and sizes beside it.
    main = page.get_by_role("button", name="Download PNG", exact=True)
    menu = page.locator("#downloads summary")
    assert abs(main.bounding_box()["y"] - menu.bounding_box()["y"]) < 4 and menu.bounding_box()["x"] > main.bounding_box()["x"]
    assert decode(downloaded(page, main.click), "image/png") == [qr.short_link]
    assert not main.evaluate("el => el.classList.contains('secondary')")  # the primary one
    menu.click()
    assert page.locator("#downloads").get_by_role("link", name="PNG, 1024 px").is_visible()
    page.keyboard.press("Escape")

    # Then destination and design, then the analytics.
    tops = [page.locator(selector).bounding_box()["y"] for selector in (".hero", ".about >> nth=0", ".analytics")]
    assert tops == sorted(tops), tops
    assert "https://shop.example/catalogue" in page.locator(".about >> nth=0").inner_text()
    assert page.get_by_role("button", name="Print…").is_visible()
    _shoot(page, "hero")

    # Printed: the code alone at the size chosen, in centimetres, with its caption.
    page.set_viewport_size(SIZES["phone"])  # the printed size does not follow the screen's
    choices = page.locator("#print-size option").evaluate_all("options => options.map((o) => o.value)")
    assert len(choices) >= 3
    for cm in choices:
        page.locator("#print-size").select_option(cm)
        page.emulate_media(media="print")
        printed = image.bounding_box()
        assert abs(printed["width"] - int(cm) * PX_PER_CM) < 1 and abs(printed["height"] - int(cm) * PX_PER_CM) < 1, cm
        page.emulate_media(media="screen")
    page.locator("#print-size").select_option("5")
    page.emulate_media(media="print")
    caption = page.locator(".hero figcaption")
    assert caption.is_visible()
    assert qr.short_link in caption.inner_text() and "Garden bench poster" in caption.inner_text()
    for hidden in ("body > header", "body > footer", ".about >> nth=0", ".about >> nth=1", ".analytics",
                   "#short-link", "h1"):  # the second .about: what a scan does
        assert not page.locator(hidden).is_visible(), hidden
    page.screenshot(path=SHOTS / "detail-printed.png", full_page=True)
    page.emulate_media(media="screen")
    assert not caption.is_visible()  # on the screen the short link beside says it
    assert hero.is_visible()


def test_the_scan_count_says_how_many_bots_the_analytics_leave_out(page, live_app):
    app = live_app[1]
    sign_up(page, "bots@example.com")
    qr = create_qrcode(app, url="https://example.com/bots", title="Bots")
    for agent in (PHONE, DESKTOP, BOT):
        _scan(qr.short_link, agent)
    page.goto(f"/qrcodes/{qr.id}")
    said = " ".join(page.locator("#scan-count").inner_text().split())
    assert said.startswith("3 scans in all, 1 of them by bots and scripts, left out of the analytics below."), said
    assert page.locator("#analytics-total").inner_text() == "2"

    people = create_qrcode(app, url="https://example.com/people", title="People")
    _scan(people.short_link, PHONE)
    page.goto(f"/qrcodes/{people.id}")
    assert " ".join(page.locator("#scan-count").inner_text().split()).startswith("1 scan in all. Last scanned")

    crawled = create_qrcode(app, url="https://example.com/crawled", title="Crawled")
    for _ in range(2):
        _scan(crawled.short_link, BOT)
    page.goto(f"/qrcodes/{crawled.id}")
    said = " ".join(page.locator("#scan-count").inner_text().split())
    assert said.startswith("2 scans in all, all by bots and scripts, left out of the analytics below."), said


def test_the_previews_caption_shows_the_short_link_whole(page, live_app):
    app = live_app[1]
    sign_up(page, "caption@example.com")
    qr = create_qrcode(app, url="https://example.com/caption", key="a-rather-long-key-for-the-spring-catalogue-poster-2026")
    page.goto(f"/qrcodes/{qr.id}/edit")
    shown = page.locator("#preview-status .short-link")
    shown.wait_for()
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        assert shown.inner_text() == qr.short_link
        assert shown.evaluate("el => el.scrollWidth <= el.clientWidth"), size  # nothing cut or scrolled away
        caption, box = page.locator("#preview-status").bounding_box(), shown.bounding_box()
        assert box["x"] >= caption["x"] - 1 and box["x"] + box["width"] <= caption["x"] + caption["width"] + 1, size
        page.screenshot(path=SHOTS / f"detail-preview-caption-{size}.png", full_page=True)


def test_the_exports_expiry_is_in_the_readers_time_zone(tokyo, live_app):
    app = live_app[1]
    page = tokyo
    sign_up(page, "expiry@example.com")
    create_qrcode(app, url="https://example.com/expiry")
    page.goto("/qrcodes")
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    started = page.request.post("/export", form={"csrf_token": token, "all": "1", "format": "png"})
    assert started.ok
    page.goto(started.url)
    page.get_by_role("button", name=re.compile(r"Download the ZIP")).wait_for(timeout=60_000)
    expiry = page.locator("p", has_text="The file is kept until").locator("time.local-time")
    utc = expiry.get_attribute("datetime")
    text, title = expiry.inner_text(), expiry.get_attribute("title")
    hour = (int(utc[11:13]) + 9) % 24
    assert f"{hour:02d}:{utc[14:16]}" in text and "GMT+9" in text, text  # the reader's clock, the zone named
    assert title == f"{utc[:10]} {utc[11:16]} UTC"  # the UTC moment on hover
    page.screenshot(path=SHOTS / "detail-export-expiry.png", full_page=True)
