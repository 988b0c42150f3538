"""The analytics pages in a real browser: cards that hold their content at both sizes in
both themes, and a dashboard people can explore (dates, comparison, filters from any
row or the map, kept in the address).

Scans come through the redirect as people's would, from several countries (their
forwarded address), devices (their user agent) and referring sites, some of them in
the week before, at the app's clock's time."""

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest

from browser import DESKTOP, NO_REDIRECTS, ON_SQLITE, PHONE, SHOTS, wait_until
from clock import Clock
from codeqr.context import for_operator
from codeqr.domain.timeutil import utcnow

pytestmark = ON_SQLITE

ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/124.0.0.0 Mobile Safari/537.36")
IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
        "Mobile/15E148 Safari/604.1")
GB, US, FR, AU, BR = "81.2.69.160", "8.8.8.8", "212.27.48.10", "202.12.29.205", "200.160.2.3"
LONG_REFERRER = "https://newsletter.mailing.spring-campaign-2026.example-marketing-platform-for-retailers.com/issue/12"
LONG_TITLE = "Garden bench poster for the spring catalogue, outdoor furniture pages, second printing"
#: Scans of the last day: (QR Code, user agent, address, referring page). 9 in all:
#: GB 3, FR 2, US 2, AU 1, BR 1; from a phone 5 (iPhone 3, Android 2)…
RECENT = [("bench", PHONE, GB, "https://www.instagram.com/p/1"), ("bench", PHONE, GB, "https://www.instagram.com/p/1"),
          ("bench", PHONE, GB, None), ("bench", DESKTOP, US, LONG_REFERRER), ("menu", DESKTOP, US, LONG_REFERRER),
          ("menu", ANDROID, FR, None), ("menu", ANDROID, FR, "https://t.co/x"), ("wifi", IPAD, AU, None),
          ("wifi", DESKTOP, BR, "https://www.facebook.com/")]
#: Scans ten days ago, in the week before the last seven days: 6.
EARLIER = [("bench", PHONE, GB, None)] * 4 + [("menu", DESKTOP, US, None)] * 2
#: The themes as Pico draws them: the device's choice (the theme is "auto").
THEMES = ("light", "dark")
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def make_app(make_app, clock):
    """Apps behind one proxy (a scan's country comes from its forwarded address) whose
    scans are stored at ``clock``'s time."""
    return lambda **overrides: make_app(clock=clock, CODEQR_PROXY_FIX=1, **overrides)


def _scan(short_link: str, agent: str, address: str, referer: str | None) -> None:
    headers = {"User-Agent": agent, "X-Forwarded-For": address, **({"Referer": referer} if referer else {})}
    with pytest.raises(urllib.error.HTTPError) as redirect:  # the opener refuses to follow
        NO_REDIRECTS.open(urllib.request.Request(short_link, headers=headers))
    assert redirect.value.code == 302


def _scanned(page, app, clock) -> dict:
    """Sign up, make three QR Codes and scan them: ``RECENT`` a day ago, ``EARLIER`` ten
    days ago. The QR Codes, by name."""
    # Setup answers only requests of this machine through no proxy: the admin is made here,
    # and the browser comes as through the proxy, as the scans do.
    with app.app_context():
        from codeqr.accounts import users
        from codeqr.domain import writes
        from codeqr.domain.schemas import QRCodeCreate

        users.create("analytics@example.com", "a long enough password", role="admin", ctx=for_operator())

        made = {name: writes.create(QRCodeCreate.model_validate(body), ctx=for_operator()) for name, body in (
            ("bench", {"url": "https://shop.example/bench", "title": LONG_TITLE, "key": "garden-bench"}),
            ("menu", {"url": "https://example.com/menu", "title": "Menu"}),
            ("wifi", {"url": "https://example.com/wifi", "title": "Wi-Fi"}))}
    page.context.set_extra_http_headers({"X-Forwarded-For": "192.0.2.7"})
    page.goto("/login")
    page.get_by_label("Email").fill("analytics@example.com")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    now = utcnow()
    clock.set(now - timedelta(days=10))
    for name, agent, address, referer in EARLIER:
        _scan(made[name].short_link, agent, address, referer)
    clock.set(now - timedelta(hours=20))
    for name, agent, address, referer in RECENT[:7]:
        _scan(made[name].short_link, agent, address, referer)
    clock.set(now - timedelta(minutes=2))  # today's bar: two scans of the last minutes
    for name, agent, address, referer in RECENT[7:]:
        _scan(made[name].short_link, agent, address, referer)
    return {name: qr for name, qr in made.items()}


def _chart_drawn(page) -> None:
    """Wait for the chart, and the map where there is one."""
    wait_until(page, "Boolean(window.Chart && Chart.getChart(document.getElementById('chart-timeseries')))")
    wait_until(page, "!document.getElementById('world-map') || Boolean(document.querySelector('#world-map svg'))")


def _luminance(rgb) -> float:
    def linear(channel):
        channel /= 255
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4
    red, green, blue = (linear(channel) for channel in rgb[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _contrast(one, other) -> float:
    lighter, darker = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


#: [r, g, b] of any CSS colour, as the browser reads it.
_RGB = """(colour) => {
  const canvas = document.createElement('canvas'); canvas.width = canvas.height = 1;
  const context = canvas.getContext('2d'); context.fillStyle = colour; context.fillRect(0, 0, 1, 1);
  return [...context.getImageData(0, 0, 1, 1).data];
}"""
#: The colour behind an element: its own background or the first ancestor's that is not see-through.
_BACKGROUND = """(element) => {
  for (let node = element; node; node = node.parentElement) {
    const colour = getComputedStyle(node).backgroundColor;
    if (colour && colour !== 'transparent' && !/rgba\\(.*, 0\\)$/.test(colour)) return colour;
  }
  return 'rgb(255, 255, 255)';
}"""
#: Every card of the panel whose content is wider than the card, or reaches past its edge.
_OVERFLOWING = """() => [...document.querySelectorAll('.analytics article')].flatMap((card) => {
  const box = card.getBoundingClientRect();
  const wide = [card, ...card.querySelectorAll('*')].filter((element) => {
    const rect = element.getBoundingClientRect();
    if (rect.width === 0 || element.closest('details:not([open]) > :not(summary)')) return false;
    return element.scrollWidth > element.clientWidth + 1 && getComputedStyle(element).overflowX !== 'auto'
      && !element.matches('a.filter, span.label, .chip > span')
      || rect.right > box.right + 1 || rect.left < box.left - 1;
  });
  return wide.map((element) => `${card.id || card.className}: ${element.tagName}.${element.className} `
    + `${element.scrollWidth}/${element.clientWidth} ${element.textContent.trim().slice(0, 40)}`);
})"""
#: Every breakdown row whose words or number take more than one line.
_WRAPPED = """() => [...document.querySelectorAll('table.bars tbody tr')].filter((row) => {
  const lines = (element) => {  // rows of text: boxes whose tops lie more than half a line apart
    const range = document.createRange(); range.selectNodeContents(element);
    const half = parseFloat(getComputedStyle(element).lineHeight) / 2;
    const tops = [...range.getClientRects()].filter((r) => r.width > 0).map((r) => r.top).sort((a, b) => a - b);
    return tops.filter((top, index) => index === 0 || top - tops[index - 1] > half).length;
  };
  const name = row.querySelector('a.filter, span.label');
  const height = parseFloat(getComputedStyle(name).lineHeight);
  return lines(name) > 1 || lines(row.querySelector('td.count')) > 1 || name.getBoundingClientRect().height > height * 1.5;
}).map((row) => row.textContent.replace(/\\s+/g, ' ').trim())"""


def _today_is_labelled(page, size: str) -> None:
    """The last tick (today's, this hour's) carries its label, whatever the number of points."""
    for interval in ("24h", "90d", "30d"):  # 25, 91 and 31 points
        page.goto(f"/analytics?interval={interval}")
        _chart_drawn(page)
        drawn = page.evaluate("""() => {
          const chart = Chart.getChart(document.getElementById('chart-timeseries'));
          return chart.scales.x.getLabelItems().map((item) => item.label).filter((label) => label !== '');
        }""")
        last = page.locator("#table-timeseries tbody tr").last.locator("time").text_content()
        tick = last.split(" ")[-1] if interval == "24h" else last.rsplit(" ", 1)[0]  # "14:00", "07 Dec"
        assert drawn[-1] == tick, (size, interval, drawn, last)
        assert len(drawn) >= 3, (size, interval, drawn)


def test_analytics_cards_hold_their_content_at_both_sizes_in_both_themes(page, live_app, clock):
    """Issue 20, analytics cards: the Referrers table spilled out of its card; bars and
    numbers wrapped in Browsers, Referrers and Top QR Codes; chart labels were grey 12 px,
    nearly invisible in dark mode; on phones today's label was dropped; countries were codes."""
    _live, app = live_app
    _scanned(page, app, clock)
    for theme in THEMES:
        page.emulate_media(color_scheme=theme)
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            page.goto("/analytics?interval=30d")
            _chart_drawn(page)
            page.screenshot(path=SHOTS / f"analytics-cards-{size}-{theme}.png", full_page=True)
            assert page.evaluate(_OVERFLOWING) == [], (size, theme)
            assert page.evaluate(_WRAPPED) == [], (size, theme)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (size, theme)
            _today_is_labelled(page, size)
            # The chart's words read against its card: contrast at least 4.5:1, at least 13 px.
            ticks = page.evaluate("""() => {
              const chart = Chart.getChart(document.getElementById('chart-timeseries'));
              return ['x', 'y'].map((axis) => ({colour: chart.options.scales[axis].ticks.color,
                                                 size: chart.options.scales[axis].ticks.font.size}));
            }""")
            card = page.evaluate(_RGB, page.locator("#chart-timeseries").evaluate(_BACKGROUND))
            for tick in ticks:
                assert _contrast(page.evaluate(_RGB, tick["colour"]), card) >= 4.5, (theme, tick, card)
                assert tick["size"] >= 13
    # Countries by name, with their flag; not their codes.
    countries = page.locator("#breakdown-countries")
    names = countries.locator("a.filter").all_inner_texts()
    assert [name.split(" ", 1)[1] if " " in name else name for name in names][:3] == ["United Kingdom", "United States", "France"]
    assert countries.locator("a.filter", has_text="France").locator(".flag").inner_text() == "\U0001F1EB\U0001F1F7"
    assert not countries.get_by_role("cell", name="FR", exact=True).count()


def test_people_explore_dates_comparison_filters_and_the_map_kept_in_the_address(page, live_app, clock):
    """Issue 20, analytics people explore: dates beside the presets, the period before
    (a second line, the change in %), a line chart, rows and the map that filter the page
    as removable chips, the address that keeps it all."""
    _live, app = live_app
    made = _scanned(page, app, clock)
    page.emulate_media(color_scheme="dark")

    # The last 7 days against the 7 before: 9 scans against 6, +50 %, drawn as two lines.
    page.goto("/analytics?interval=7d")
    page.get_by_label("Compare with the period before").check()
    page.wait_for_url("**compare=1**")
    _chart_drawn(page)
    assert page.locator("#analytics-total").inner_text() == "9"
    assert page.locator("#analytics-change").inner_text() == "+50% on the period before"
    assert page.locator("#analytics-previous").inner_text() == "6"
    lines = page.evaluate("""() => {
      const chart = Chart.getChart(document.getElementById('chart-timeseries'));
      return {type: chart.config.type, labels: chart.data.datasets.map((set) => set.label),
              sums: chart.data.datasets.map((set) => set.data.reduce((sum, value) => sum + (value || 0), 0))};
    }""")
    assert lines == {"type": "line", "labels": ["Scans", "The period before"], "sums": [9, 6]}
    page.screenshot(path=SHOTS / "analytics-compare-desktop-dark.png", full_page=True)

    # A row filters the whole page; its chip removes the filter; the address keeps it.
    page.locator("#breakdown-countries").get_by_role("link", name="France").click()
    page.wait_for_url("**country=FR**")
    chip = page.locator(".chips .chip")
    assert chip.inner_text().startswith("Country: \U0001F1EB\U0001F1F7 France")
    assert page.locator("#analytics-total").inner_text() == "2"
    assert page.locator("#breakdown-devices a.filter").all_inner_texts() == ["Mobile"]
    assert page.locator("#analytics-change").inner_text() == "The period before had none."
    page.locator("#breakdown-referers").get_by_role("link", name="t.co").click()
    page.wait_for_url("**referer=t.co**")
    assert page.locator("#analytics-total").inner_text() == "1"
    assert page.locator(".chips .chip").count() == 2
    shared = page.url
    other = page.context.new_page()  # the address shared: the same view
    other.goto(shared)
    assert other.locator("#analytics-total").inner_text() == "1"
    assert other.locator(".chips .chip").all_inner_texts()[0].startswith("Country: \U0001F1EB\U0001F1F7 France")
    assert other.get_by_label("Compare with the period before").is_checked()
    other.close()
    page.set_viewport_size(SIZES["phone"])
    page.screenshot(path=SHOTS / "analytics-filtered-phone-dark.png", full_page=True)
    page.get_by_role("link", name="Remove the filter Country: \U0001F1EB\U0001F1F7 France").click()
    page.wait_for_url(lambda url: "country=" not in url)
    assert "referer=t.co" in page.url and page.locator("#analytics-total").inner_text() == "1"
    page.get_by_role("link", name="Remove the filter Referring site: t.co").click()
    page.wait_for_url(lambda url: "referer=" not in url)
    assert page.locator(".chips .chip").count() == 0 and page.locator("#analytics-total").inner_text() == "9"

    # A new time frame keeps the filters; a top QR Code's row filters by it.
    page.set_viewport_size(SIZES["desktop"])
    page.locator("#breakdown-top_qrcodes").get_by_role("link", name="Menu").click()
    page.wait_for_url(f"**qrcodeId={made['menu'].id}**")
    assert page.locator(".chips .chip").inner_text().startswith("QR Code: Menu")
    assert page.locator("#analytics-total").inner_text() == "3"
    page.get_by_label("Time frame").select_option("30d")
    page.wait_for_url("**interval=30d**")
    assert f"qrcodeId={made['menu'].id}" in page.url and page.locator("#analytics-total").inner_text() == "5"
    page.get_by_role("link", name="Remove the filter QR Code: Menu").click()

    # Dates beside the presets, both days included: the day ten days ago holds the 6 scans before.
    day = (utcnow() - timedelta(days=10)).date().isoformat()
    page.goto("/analytics?interval=7d&timezone=UTC")
    page.get_by_label("From").fill(day)
    page.get_by_label("To (included)").fill(day)
    assert page.get_by_label("Time frame").input_value() == ""
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**from={day}**")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    assert query["from"] == [day] and query["to"] == [day] and "interval" not in query
    assert page.locator("#analytics-total").inner_text() == "6"

    # The map: countries scanned are shaded; choosing one filters the page by it.
    page.goto("/analytics?interval=30d")
    page.locator("#world-map path#gb.scanned").wait_for()
    assert page.locator("#world-map path.scanned").count() == 5
    assert "United Kingdom: 7" in page.locator("#world-map path#gb title").text_content()
    page.screenshot(path=SHOTS / "analytics-map-desktop-dark.png", full_page=True)
    page.locator("#world-map path#gb").dispatch_event("click")
    page.wait_for_url("**country=GB**")
    assert page.locator("#analytics-total").inner_text() == "7"
    page.emulate_media(color_scheme="light")
    page.screenshot(path=SHOTS / "analytics-map-filtered-desktop-light.png", full_page=True)
    page.set_viewport_size(SIZES["phone"])
    page.goto("/analytics?interval=30d&compare=1")
    _chart_drawn(page)
    page.screenshot(path=SHOTS / "analytics-compare-phone-light.png", full_page=True)


def test_the_pages_filters_are_the_apis_and_bad_addresses_are_told_plainly(page, live_app, clock):
    """Every filter the page offers is a parameter of GET /api/analytics answering the
    same count; an address asking for what cannot be answered gets a sentence, not a 500."""
    live, app = live_app
    _scanned(page, app, clock)
    from codeqr.accounts import apikeys

    with app.app_context():
        _, secret = apikeys.create("check", ctx=for_operator())
    page.goto("/analytics?interval=7d&timezone=UTC")
    links = page.locator(".breakdown a.filter").evaluate_all("links => links.map((link) => link.href)")
    assert len(links) >= 15
    for link in links:
        page.goto(link)
        shown = int(page.locator("#analytics-total").inner_text().replace(",", ""))
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
        asked = urllib.request.Request(f"{live}/api/analytics?{urllib.parse.urlencode({**params, 'groupBy': 'count'})}",
                                       headers={"Authorization": f"Bearer {secret}"})
        with urllib.request.urlopen(asked) as answer:
            assert json.load(answer) == {"scans": shown}, link
    day = utcnow().date()
    # An address the page cannot read is a 400; a question past the analytics' limits, a 422.
    for address, status, words in (
            (f"/analytics?from={day}&to={day - timedelta(days=3)}", 400, "The “To” date is before the “From” date"),
            ("/analytics?from=1970-01-01&to=8999-12-31", 422, "analytics cover at most"),
            ("/analytics?from=2026-02-31", 400, "The “From” date must be a day written as year-month-day"),
            ("/analytics?colour=blue", 400, "This page cannot filter by “colour”: it filters by country, device"),
            ("/analytics?device=fridge", 400, "There is no device “fridge”: choose one of"),
            ("/analytics?interval=2w", 400, "There is no time frame “2w”")):
        response = page.goto(address)
        assert response.status == status, address
        problem = page.locator("#analytics-problem").inner_text()
        assert words in problem, (address, problem)
    page.set_viewport_size(SIZES["phone"])
    page.screenshot(path=SHOTS / "analytics-bad-address-phone-light.png", full_page=True)
