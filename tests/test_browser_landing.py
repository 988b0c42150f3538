"""The landing pages of dynamic QR Codes in a real browser (issue 21): each type's page at a
phone's width (390 px) and a desktop's, light and dark, never scrolling sideways; one scan
counted however many files the page loads; the copy buttons copy; without script the page
reads and its downloads download; hostile strings in every text field run no script, even
with the Content-Security-Policy switched off.

Screenshots go to test-artifacts/screenshots/ (landing-*.png).
"""

from pathlib import Path

import icalendar
import pytest
import vobject

from browser import ON_SQLITE, SHOTS
from test_landing import CORPUS, FIELDS, PAYLOADS, make, scans

pytestmark = ON_SQLITE

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
#: Hostile strings that would leave a trace if they ran: a dialog, or a global set.
RUNNING = [
    "<img src=x onerror=window.pwned=1>",
    "<svg onload=window.pwned=1>",
    "<script>window.pwned=1</script>",
    '"><script>alert(document.domain)</script>',
    "<details open ontoggle=window.pwned=1>",
]


def _shoot(page, name: str) -> None:
    """Screenshots at a phone's and a desktop's size, light and dark: at none may the page
    scroll sideways, and on the phone every button is a thumb's size (44 px) or more."""
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.screenshot(path=SHOTS / f"landing-{name}-{size}-{scheme}.png", full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (name, size)
        if size == "phone":
            heights = page.locator(".button:visible, button:visible").evaluate_all(
                "(buttons) => buttons.map((button) => button.getBoundingClientRect().height)")
            assert all(height >= 44 for height in heights), (name, heights)
    page.emulate_media(color_scheme="light")


@pytest.mark.parametrize("type_name", sorted(PAYLOADS))
def test_each_page_at_a_phones_and_a_desktops_width(page, live_app, type_name):
    qr = make(live_app[1], type_name, PAYLOADS[type_name])
    page.goto(f"/{qr.key}")
    page.get_by_role("heading", level=1).wait_for()
    _shoot(page, type_name)


def test_long_words_wrap_on_a_phone(page, live_app):
    app = live_app[1]
    word = "W" * 300
    qr = make(app, "vcard", {"firstName": word, "note": word, "website": f"https://example.com/{word}"})
    page.set_viewport_size(SIZES["phone"])
    page.goto(f"/{qr.key}")
    page.screenshot(path=SHOTS / "landing-long-words-phone.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES["phone"]["width"]


def test_each_value_reads_in_its_own_direction(page, live_app):
    qr = make(live_app[1], "vcard", {"firstName": "דוד", "lastName": "לוי", "title": "\u202eEngineer",
                                     "organization": "Analytical Engines", "note": "שלום\nHello"})
    page.set_viewport_size(SIZES["phone"])
    page.goto(f"/{qr.key}")
    page.screenshot(path=SHOTS / "landing-right-to-left-phone.png", full_page=True)
    directions = page.locator("[dir=auto]").evaluate_all(
        "(elements) => elements.map((element) => [element.textContent, getComputedStyle(element).direction])")
    assert ["דוד לוי", "rtl"] in directions and ["Analytical Engines", "ltr"] in directions
    # The override in the title stays in its element: the organization after it is drawn after it,
    # left to right, not pulled before it reversed.
    title, organization = (page.locator(".role span").nth(index).bounding_box() for index in (0, 1))
    assert organization["x"] >= title["x"] + title["width"]


def test_a_page_counts_one_scan_whatever_it_loads(page, live_app):
    app = live_app[1]
    qr = make(app, "vcard", PAYLOADS["vcard"])
    loaded: list[str] = []
    page.on("requestfinished", lambda request: loaded.append(request.url))
    page.goto(f"/{qr.key}")
    page.get_by_role("link", name="Save contact").wait_for()
    page.wait_for_load_state("networkidle")
    assert {url.rsplit("/", 1)[1] for url in loaded} >= {qr.key, "landing.css", "landing.js"}
    assert scans(app, qr.id) == (1, 1)


def test_the_copy_buttons_copy_what_they_say(page, live_app, live):
    app = live_app[1]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live)
    text = make(app, "text", PAYLOADS["text"])
    page.goto(f"/{text.key}")
    page.get_by_role("button", name="Copy the text").click()
    page.get_by_role("button", name="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == "Table 12\nAsk for today's specials"
    payment = make(app, "crypto", PAYLOADS["crypto"])
    page.goto(f"/{payment.key}")
    page.get_by_role("button", name="Copy the address").click()
    page.get_by_role("button", name="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"


def test_without_script_a_page_reads_and_its_downloads_download(page, live_app, live):
    app = live_app[1]
    context = page.context.browser.new_context(base_url=live, java_script_enabled=False, accept_downloads=True,
                                               viewport=SIZES["phone"])
    bare = context.new_page()
    text = make(app, "text", PAYLOADS["text"])
    bare.goto(f"/{text.key}")
    assert bare.locator(".lines").inner_text() == "Table 12\nAsk for today's specials"
    assert not bare.get_by_role("button", name="Copy the text").is_visible()
    bare.screenshot(path=SHOTS / "landing-text-phone-no-script.png", full_page=True)

    card = make(app, "vcard", PAYLOADS["vcard"])
    bare.goto(f"/{card.key}")
    with bare.expect_download() as saved:
        bare.get_by_role("link", name="Save contact").click()
    assert saved.value.suggested_filename == "Ada Lovelace.vcf"
    read = vobject.readOne(Path(saved.value.path()).read_text())
    assert (read.fn.value, read.tel.value) == ("Ada Lovelace", "+442071234567")

    event = make(app, "event", PAYLOADS["event"])
    bare.goto(f"/{event.key}")
    with bare.expect_download() as saved:
        bare.get_by_role("link", name="Add to calendar").click()
    assert saved.value.suggested_filename == "Spring launch.ics"
    [read] = icalendar.Calendar.from_ical(Path(saved.value.path()).read_bytes()).walk("VEVENT")
    assert str(read["SUMMARY"]) == "Spring launch"
    context.close()
    assert scans(app, card.id) == (1, 1) and scans(app, event.id) == (1, 1)  # the downloads are no scans


def test_a_name_in_any_script_is_the_downloads_name(page, live_app):
    qr = make(live_app[1], "vcard", {"firstName": "José", "lastName": "Núñez"})
    page.goto(f"/{qr.key}")
    with page.expect_download() as saved:
        page.get_by_role("link", name="Save contact").click()
    assert saved.value.suggested_filename == "José Núñez.vcf"


def _chunks(strings: list[str], limit: int = 500) -> list[str]:
    """The strings joined by spaces into as few values of at most ``limit`` characters as fit."""
    chunks = [""]
    for string in strings:
        if chunks[-1] and len(chunks[-1]) + 1 + len(string) > limit:
            chunks.append("")
        chunks[-1] = f"{chunks[-1]} {string}".strip()
    return chunks


def test_hostile_strings_in_every_field_run_no_script_even_without_the_csp(page, live_app, live):
    app = live_app[1]
    # No Content-Security-Policy: only the escaping stands between a payload and a script.
    context = page.context.browser.new_context(base_url=live, bypass_csp=True, viewport=SIZES["phone"])
    exposed = context.new_page()
    dialogs: list[str] = []
    exposed.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # The trap works: markup that runs, run in this context, leaves its trace.
    exposed.set_content(f"<p>{RUNNING[0]}</p>")
    exposed.wait_for_load_state("load")
    assert exposed.evaluate("window.pwned") == 1
    for type_name, payload, field in FIELDS:
        for hostile in _chunks(CORPUS + RUNNING):
            qr = make(app, type_name, hostile if field is None else payload | {field: hostile})
            exposed.goto(f"/{qr.key}")
            exposed.wait_for_load_state("load")
            assert (dialogs, exposed.evaluate("window.pwned")) == ([], None), (type_name, field, hostile)
            assert hostile.split(" ")[0] in exposed.locator("main").inner_text(), (type_name, field)
    exposed.screenshot(path=SHOTS / "landing-hostile-phone.png", full_page=True)
    context.close()
