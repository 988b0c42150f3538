"""The app's frame in a real browser: focus rings, touch targets, error pages, the main
menu, the users page, and every page at desktop and phone size, light and dark, with long
data, checked for content that is cut or sticks out.

Screenshots go to test-artifacts/screenshots/ (``chrome-…``).
"""

import re
import urllib.error
import urllib.request

import pytest

from browser import DESKTOP, NO_REDIRECTS, ON_SQLITE, PHONE, SHOTS, sign_up, web_pages
from codeqr.context import for_operator

pytestmark = ON_SQLITE

PASSWORD = "a long enough password"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
THEMES = ("light", "dark")

LONG_TITLE = ("Garden bench poster for the spring catalogue, outdoor furniture pages, with the teak range, "
              "the cushions in six colours and the summer delivery dates printed underneath ") * 2
LONG_URL = ("https://shop.example/catalogue/spring-2026/outdoor-furniture/teak-garden-bench-with-cushions"
            "?utm_source=poster&utm_medium=print&utm_campaign=spring-catalogue-2026-outdoor-furniture-range")
LONG_KEY = "garden-bench-spring-catalogue-2026-outdoor-furniture-teak-range-with-cushions"
LONG_EMAIL = "first.middle.lastname.of-the-marketing-department@subsidiary.example-company.com"
LONG_KEY_NAME = "zapier-integration-for-the-spring-catalogue-marketing-team-2026"


# -- Long data, and every page of the web UI ---------------------------------------------------


def _import_file(tmp_path, count: int = 6):
    path = tmp_path / "long.csv"
    lines = ["url,title,externalId,fgColor,size"]
    lines += [f"{LONG_URL}&n={i},\"{LONG_TITLE[:200]} {i}\",sku-{i},#111827,256" for i in range(count)]
    lines.append(f"javascript:alert(1),\"{LONG_TITLE[:150]}\",sku-bad,#111827,256")
    path.write_text("\n".join(lines) + "\n")
    return path


def _long_data(page, app, tmp_path) -> dict:
    """An admin signed in, and long titles, URLs, keys, emails and key names everywhere:
    the ids every page of the UI needs."""
    sign_up(page, "pages@example.com")
    with app.app_context():
        from codeqr.accounts import users
        from codeqr.domain import writes
        from codeqr.domain.schemas import QRCodeCreate

        made = [writes.create(QRCodeCreate.model_validate(body), ctx=for_operator()) for body in (
            {"url": LONG_URL, "title": LONG_TITLE, "key": LONG_KEY},
            {"url": LONG_URL + "&second=1", "title": LONG_TITLE[:120], "key": LONG_KEY[:60] + "-b"},
            {"url": "https://example.com/wifi", "title": "Wi-Fi"})]
        member = users.create(LONG_EMAIL, PASSWORD, role="member", ctx=for_operator())
        member_id = member.id
    for agent in (PHONE, DESKTOP):
        request = urllib.request.Request(made[0].short_link, headers={
            "User-Agent": agent, "Referer": "https://news.internationalgardenfurniturereviews.example/spring-issue"})
        with pytest.raises(urllib.error.HTTPError):
            NO_REDIRECTS.open(request)
    page.goto("/keys")
    page.get_by_label("Name").fill(LONG_KEY_NAME)
    page.get_by_role("button", name="Create key").click()
    page.locator("#new-key").wait_for()
    key_id = re.search(r"/keys/(\d+)/revoke", page.content()).group(1)
    page.goto("/import")
    page.get_by_label("CSV file").set_input_files(str(_import_file(tmp_path)))
    page.get_by_role("button", name="Import").click()
    page.locator("#import-errors").wait_for(timeout=60_000)
    import_job = page.url.rsplit("/", 1)[1]
    page.goto("/qrcodes")
    page.locator('input[name="ids"]').first.check()
    bar = page.locator("[data-bulk-bar]")
    bar.get_by_role("button", name="Export…").click()
    bar.get_by_role("button", name="Export selected").click()
    page.get_by_role("button", name=re.compile(r"Download the ZIP")).wait_for(timeout=60_000)
    export_job = page.url.rsplit("/", 1)[1]
    return {"qr_id": made[0].id, "key_id": key_id, "user_id": member_id, "import_job_id": import_job,
            "export_job_id": export_job, "slug": "localhost"}


def _pages(app, ids: dict) -> list[tuple[str, str]]:
    """Every page of the web UI with real ids, and a few pages the routes alone do not show
    (errors, a duplicate, a search, the public 404)."""
    return [*web_pages(app, ids),
            ("qrcode_duplicate", f"/qrcodes/new?duplicate={ids['qr_id']}"),
            ("qrcode_search", "/qrcodes?search=Garden"),
            ("not_found_in_app", "/qrcodes/c000000000000000000000000"),
            ("not_found_public", "/no-such-key")]


#: Everything on the page whose text is cut, that scrolls sideways, or that sticks out of the
#: screen or its box. Not counted: what is hidden or off screen on purpose (the skip link,
#: text for screen readers only), a field's own text, and a cut text whose whole is its
#: ``title`` (shown on hover).
_CUT_OR_OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  const wide = document.documentElement.scrollWidth;
  if (wide > width) found.push(`the page scrolls sideways: ${wide} px wide`);
  const describe = (el) => {
    const classes = typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().replace(/\\s+/g, ".") : "";
    const text = (el.textContent || "").replace(/\\s+/g, " ").trim().slice(0, 40);
    return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${classes} "${text}"`;
  };
  const hiddenOnPurpose = (el) => el.closest(".visually-hidden, .skip-link, [hidden], details:not([open]) > :not(summary)");
  for (const el of document.body.querySelectorAll("*")) {
    if (hiddenOnPurpose(el)) continue;
    const rects = el.getClientRects();
    if (!rects.length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    // A box that scrolls sideways hides part of what it holds.
    if (["auto", "scroll"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1) {
      found.push(`scrolls sideways (${el.scrollWidth} px in ${el.clientWidth} px): ${describe(el)}`);
    }
    // Inside a box that scrolls sideways, the box is what must fit, not what it holds.
    let inScroller = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const overflow = getComputedStyle(up).overflowX;
      if (overflow === "auto" || overflow === "scroll") { inScroller = true; break; }
    }
    if (!inScroller && (box.left < -1 || box.right > width + 1)) {
      found.push(`sticks out of the screen (${Math.round(box.left)}–${Math.round(box.right)} of ${width} px): ${describe(el)}`);
    }
    // A field scrolls its own text: a long URL in an input is not cut.
    if (el.matches("input, select, textarea")) continue;
    const clips = ["hidden", "clip"].includes(style.overflowX) || style.textOverflow === "ellipsis";
    if (clips && el.scrollWidth > el.clientWidth + 1) {
      const whole = (el.getAttribute("title") || "").replace(/\\s+/g, " ").trim();
      const text = (el.textContent || "").replace(/\\s+/g, " ").trim();
      if (!(whole && whole.includes(text.replace(/…$/, "")))) found.push(`text cut: ${describe(el)}`);
    }
    // A table or a word wider than the card or cell that holds it spills over its neighbours.
    if (!clips && style.overflowX === "visible" && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1
        && !["inline", "contents"].includes(style.display)) {
      found.push(`content spills out (${el.scrollWidth} px in ${el.clientWidth} px): ${describe(el)}`);
    }
  }
  return found;
}"""


def _cut_or_overflowing(page, name: str) -> list[str]:
    """At both sizes, in both themes: what is cut or sticks out (screenshots of each)."""
    problems = []
    for theme in THEMES:
        page.emulate_media(color_scheme=theme)
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            page.wait_for_timeout(100)  # charts redraw at the new size
            page.screenshot(path=SHOTS / f"chrome-{name}-{size}-{theme}.png", full_page=True)
            problems += [f"{size}, {theme}: {problem}" for problem in page.evaluate(_CUT_OR_OVERFLOWING)]
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(SIZES["desktop"])
    return problems


def _visit(page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")


def test_every_page_at_desktop_and_phone_size_in_both_themes_with_long_data_cuts_nothing(page, live_app, tmp_path):
    live, app = live_app
    page.goto("/setup")
    problems = _cut_or_overflowing(page, "setup")
    ids = _long_data(page, app, tmp_path)
    shot = []
    for name, path in _pages(app, ids):
        _visit(page, path)
        problems += [f"{name}: {problem}" for problem in _cut_or_overflowing(page, name)]
        shot.append(name)
    assert {"qrcode_new", "qrcode_delete", "api_keys", "api_key_revoke", "user_list",
            "user_deactivate", "user_password", "import_upload", "import_progress", "export_progress"} <= set(shot)
    signed_out = page.context.browser.new_page(base_url=live)
    signed_out.goto("/login")
    problems += [f"login: {problem}" for problem in _cut_or_overflowing(signed_out, "login")]
    signed_out.close()
    assert not problems, "\n".join(problems)


# -- Touch targets -------------------------------------------------------------------------------

_SMALL_BUTTONS = """() => {
  const found = [];
  const targets = document.querySelectorAll(
    'button, [role="button"], input[type="submit"], input[type="button"], summary, details.dropdown > summary');
  for (const el of targets) {
    const box = el.getBoundingClientRect();
    if (!el.getClientRects().length || box.width === 0 || getComputedStyle(el).visibility === "hidden") continue;
    if (el.closest(".visually-hidden")) continue;
    if (box.height < 44) found.push(`${Math.round(box.height)} px: "${(el.textContent || el.value || "").trim().slice(0, 40)}"`);
  }
  return found;
}"""


def test_every_button_on_every_page_is_at_least_44_px_tall_on_a_phone(page, live_app, tmp_path):
    _live, app = live_app
    ids = _long_data(page, app, tmp_path)
    page.set_viewport_size(SIZES["phone"])
    small = []
    seen = 0
    for name, path in _pages(app, ids):
        _visit(page, path)
        found = page.evaluate(_SMALL_BUTTONS)
        for opener in page.locator("details > summary").all():  # menus' buttons too, one open at a time
            if opener.is_visible() and not opener.evaluate("summary => summary.parentElement.open"):
                opener.click()
                found += [button for button in page.evaluate(_SMALL_BUTTONS) if button not in found]
                opener.click()
        seen += page.locator("button:visible, [role=button]:visible").count()
        small += [f"{name}: {button}" for button in found]
    page.screenshot(path=SHOTS / "chrome-buttons-phone.png", full_page=True)
    assert seen > 30  # the check saw the pages' buttons
    assert not small, "\n".join(small)


# -- Focus rings ---------------------------------------------------------------------------------

_FOCUS_COLOURS = """(el) => {
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).slice(0, 4).map(Number);
  const style = getComputedStyle(el);
  const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2 ? style.outlineColor : null;
  const band = style.boxShadow === "none" ? null : (style.boxShadow.match(/rgba?\\([^)]*\\)/) || [null])[0];
  let under = el.parentElement;
  while (under && rgb(getComputedStyle(under).backgroundColor)[3] === 0) under = under.parentElement;
  const page = getComputedStyle(under || document.documentElement).backgroundColor;
  return {ring, band, outlineWidth: style.outlineWidth, control: style.backgroundColor, page};
}"""


def _luminance(colour: list) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
    red, green, blue = colour[:3]
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def _contrast(one: list, other: list) -> float:
    lighter, darker = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _rgb(text: str, under: list | None = None) -> list:
    values = [float(number) for number in re.findall(r"[\d.]+", text)]
    if len(values) == 4 and values[3] < 1:  # a see-through colour: what shows is the mix with what is under it
        alpha = values[3]
        return [alpha * value + (1 - alpha) * back for value, back in zip(values[:3], under or [255, 255, 255])]
    return values[:3]


def test_focus_rings_stand_out_from_the_page_and_the_control_in_both_themes(page):
    sign_up(page, "focus@example.com")
    faint = []
    for theme in ("light", "dark"):
        page.context.add_cookies([{"name": "codeqr_theme", "value": theme, "url": page.url}])
        for path in ("/qrcodes/new", "/keys", "/users"):
            page.goto(path)
            controls = page.locator("main a:visible, main button:visible, main [role=button]:visible, main input:visible, "
                                    "main select:visible, header a:visible, footer select:visible")
            for number in range(controls.count()):
                control = controls.nth(number)
                control.focus()
                # Keyboard focus (:focus-visible) as a Tab would give it.
                page.keyboard.press("Shift")
                seen = control.evaluate(_FOCUS_COLOURS)
                label = f"{theme} {path} {control.evaluate('el => el.outerHTML.slice(0, 60)')}"
                if not seen["ring"]:
                    faint.append(f"{label}: no ring ({seen['outlineWidth']})")
                    continue
                background = _rgb(seen["page"])
                ring = _rgb(seen["ring"], background)
                control_colour = _rgb(seen["control"], background)
                # The ring's outer band meets the page; the control meets the outer band, or
                # an inner band between them when there is one.
                against_page = _contrast(ring, background)
                against_control = max(_contrast(ring, control_colour),
                                      _contrast(_rgb(seen["band"], background), control_colour) if seen["band"] else 0)
                if against_page < 3 or against_control < 3:
                    faint.append(f"{label}: {against_page:.1f}:1 against the page, {against_control:.1f}:1 against the control")
        page.locator("main button").first.focus()
        page.keyboard.press("Shift")
        page.screenshot(path=SHOTS / f"chrome-focus-{theme}.png")
    assert not faint, "\n".join(faint[:40])


# -- Error pages ---------------------------------------------------------------------------------


def _statuses_answered(app) -> set[int]:
    """The statuses the app answers pages with: its own errors' (every CodeQRError kind) and
    the HTTP ones its views, Flask and the rate limits raise."""
    from codeqr.errors import CodeQRError

    kinds, statuses = [CodeQRError], set()
    while kinds:
        kind = kinds.pop()
        statuses.add(kind.status)
        kinds += kind.__subclasses__()
    return statuses | {400, 403, 404, 405, 413, 429, 500, 503}


def _error_page_problems(page, name: str, path: str) -> list[str]:
    """What is wrong with the error page at ``path``: a status number or "Error" in its
    title, a message that is not a capitalised sentence."""
    wrong = []
    answer = page.goto(path)
    if answer.status < 400:
        return [f"{name}: answered {answer.status}"]
    heading = page.locator("main h1").inner_text().strip()
    title = page.title()
    if re.search(r"\d|error", heading, re.IGNORECASE) or not heading[:1].isupper():
        wrong.append(f"{name}: the heading is {heading!r}")
    if re.search(r"\d|error", title, re.IGNORECASE):
        wrong.append(f"{name}: the tab's title is {title!r}")
    sentences = page.locator("main article p").evaluate_all(
        "ps => ps.filter((p) => p.textContent.trim() !== (p.querySelector('a')?.textContent || '').trim())"
        ".map((p) => p.textContent.replace(/\\s+/g, ' ').trim())")
    for sentence in sentences:
        if not sentence[:1].isupper() or sentence[-1] not in ".!?":
            wrong.append(f"{name}: {sentence!r} is not a capitalised sentence")
    return wrong


def test_every_error_page_is_titled_in_words_with_capitalised_sentences(page, live_app):
    live, app = live_app
    from flask import abort

    def refuse(status: int):
        abort(status)

    # A page for each status, from a route made for the test.
    app.add_url_rule("/test-status/<int:status>", "test_status", refuse)
    sign_up(page, "errors@example.com")
    statuses = _statuses_answered(app)
    assert {400, 403, 404, 409, 422, 500, 503} <= statuses
    pages = [(f"status {status}", f"/test-status/{status}") for status in sorted(statuses)]
    # And the real ones people meet: a bad link, a missing code, a wrong method.
    pages += [("bad analytics link (400)", "/analytics/events.csv?page=0"),
              ("missing QR Code (404)", "/qrcodes/c000000000000000000000000"),
              ("a form's address opened (405)", "/logout")]
    wrong = [problem for name, path in pages for problem in _error_page_problems(page, name, path)]
    # A viewer opening the users page is refused.
    with app.app_context():
        from codeqr.accounts import users

        users.create("viewer@example.com", PASSWORD, role="viewer", ctx=for_operator())
    viewer = page.context.browser.new_page(base_url=live)
    viewer.goto("/login")
    viewer.get_by_label("Email").fill("viewer@example.com")
    viewer.get_by_label("Password").fill(PASSWORD)
    viewer.get_by_role("button", name="Sign in").click()
    viewer.wait_for_url("**/qrcodes")
    wrong += _error_page_problems(viewer, "a viewer on the users page (403)", "/users")
    viewer.screenshot(path=SHOTS / "chrome-error-403.png")
    viewer.close()
    assert not wrong, "\n".join(wrong)


# -- The main menu -------------------------------------------------------------------------------

_NAV_PAGES = {"/qrcodes": "QR Codes", "/qrcodes/new": "New", "/analytics": "Analytics", "/import": "Import",
              "/keys": "API keys", "/users": "Users"}
_LOOK = ("el => { const s = getComputedStyle(el); return [s.fontWeight, s.textDecorationLine, s.borderBottomWidth, "
         "s.borderBottomStyle, s.color, s.backgroundColor].join(' '); }")


def test_the_menu_button_is_on_the_logos_line_and_the_menu_marks_the_current_page(page, live_app):
    _live, app = live_app
    sign_up(page, "menu@example.com")
    with app.app_context():
        from codeqr.domain import writes
        from codeqr.domain.schemas import QRCodeCreate

        made = writes.create(QRCodeCreate(url="https://example.com/menu", title="Menu"), ctx=for_operator())
    pages = dict(_NAV_PAGES)
    pages[f"/qrcodes/{made.id}"] = "QR Codes"  # a page under a menu entry marks that entry
    for size, menu in (("desktop", ".nav-wide"), ("phone", ".nav-narrow")):
        page.set_viewport_size(SIZES[size])
        for path, current in pages.items():
            page.goto(path)
            if size == "phone":
                brand = page.locator("a.brand").bounding_box()
                opener = page.locator(".nav-narrow summary")
                button = opener.bounding_box()
                # The menu button shares the logo's line, at the right.
                assert button["y"] < brand["y"] + brand["height"] and brand["y"] < button["y"] + button["height"], (
                    path, brand, button)
                assert button["x"] > brand["x"] + brand["width"]
                opener.click()
            marked = page.locator(f'{menu} a[aria-current="page"]')
            assert marked.count() == 1 and marked.inner_text() == current, (size, path)
            other = page.locator(f'{menu} a:not([aria-current]):not(.brand)').first
            assert marked.evaluate(_LOOK) != other.evaluate(_LOOK), (size, path)  # and visibly
            if path == "/keys":
                page.screenshot(path=SHOTS / f"chrome-menu-{size}.png")
    assert page.locator('.nav-wide a[aria-current="page"], .nav-narrow a[aria-current="page"]').count() == 2


# -- The users page ------------------------------------------------------------------------------


def test_a_password_is_reset_from_its_own_page_not_a_box_on_every_row(page, live_app):
    live, app = live_app
    sign_up(page, "admin@example.com")
    with app.app_context():
        from codeqr.accounts import users

        for number in range(3):
            users.create(f"person{number}@example.com", PASSWORD, role="member", ctx=for_operator())
    page.goto("/users")
    assert page.locator("table input[type=password]").count() == 0
    row = page.locator("tr", has_text="person1@example.com")
    row.get_by_role("button", name=re.compile("New password")).click()
    assert page.locator("main h1").inner_text() == "New password for person1@example.com"
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Set the password").click()
    # Refused beside the field, on the same page.
    page.locator(".field-error", has_text="10 characters").wait_for()
    assert page.locator("main h1").inner_text() == "New password for person1@example.com"
    page.screenshot(path=SHOTS / "chrome-user-password.png", full_page=True)
    page.get_by_label("New password").fill("the new long password")
    page.get_by_role("button", name="Set the password").click()
    page.get_by_text("person1@example.com has a new password").wait_for()
    assert page.url.endswith("/users")
    person = page.context.browser.new_page(base_url=live)
    person.goto("/login")
    person.get_by_label("Email").fill("person1@example.com")
    person.get_by_label("Password").fill("the new long password")
    person.get_by_role("button", name="Sign in").click()
    person.get_by_text("No QR Codes yet").wait_for()
    person.close()


def test_a_long_name_as_a_heading_takes_three_lines_at_most_and_shows_whole_on_hover(page, live_app):
    """A 300-character title filled a phone's first screen as the detail, edit, duplicate and
    delete pages' heading."""
    _live, app = live_app
    sign_up(page, "headings@example.com")
    with app.app_context():
        from codeqr.domain import writes
        from codeqr.domain.schemas import QRCodeCreate

        made = writes.create(QRCodeCreate(url=LONG_URL, title=LONG_TITLE), ctx=for_operator())
    page.set_viewport_size(SIZES["phone"])
    for path in (f"/qrcodes/{made.id}", f"/qrcodes/{made.id}/edit", f"/qrcodes/new?duplicate={made.id}",
                 f"/qrcodes/{made.id}/delete"):
        page.goto(path)
        heading = page.locator("main h1").first
        lines = heading.evaluate("h => h.getBoundingClientRect().height / parseFloat(getComputedStyle(h).lineHeight)")
        assert lines <= 3.05, (path, lines)
        assert LONG_TITLE.strip() in " ".join(heading.get_attribute("title").split()), path
