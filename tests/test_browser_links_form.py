"""The form's link options in a real browser (issue 23), in a browser set to New York time:
the rules editor (a split whose weights are summed in words as they are typed, a rule moved
up), a country row, the URL a scan goes to with the UTM shown live, and the expiry typed in
local time, stored as the instant it names. Screenshots at desktop and phone size go to
test-artifacts/screenshots/link-options-*.png."""

from datetime import UTC, datetime

import pytest

from browser import ON_SQLITE, SHOTS, other_page, sign_up, wait_until
from codeqr.context import for_operator
from codeqr.domain import qrcodes

pytestmark = [pytest.mark.browser, ON_SQLITE]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
ZONE = "America/New_York"


@pytest.fixture
def page_in_new_york(page, live_app):
    shown = other_page(page, live_app[0], viewport=SIZES["desktop"], timezone_id=ZONE)
    yield shown
    assert not shown.csp_violations, "the Content-Security-Policy refused something"


def _shoot(page, name: str) -> None:
    """The link options at both sizes; at neither may the page scroll sideways."""
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.locator("#link-options").screenshot(path=SHOTS / f"link-options-{name}-{size}.png")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (name, size)
    page.set_viewport_size(SIZES["desktop"])


def _rule(page, number: int):
    return page.locator(".rule-list > li").nth(number - 1)


def test_rules_countries_utm_and_expiry_are_edited_in_the_browser_and_saved(page_in_new_york, live_app):
    page, app = page_in_new_york, live_app[1]
    sign_up(page, "marketing@example.com")
    page.goto("/qrcodes/new")
    page.get_by_label("Destination URL").fill("https://shop.example/spring?ref=print#top")
    page.locator("#link-options > summary").click()

    # The expiry, typed in the browser's own time: 09:30 in New York on 1 March 2027 (EST, UTC-5).
    assert page.locator('[data-zone-hint-for="expires_at"]').inner_text() == f"The time is in your time zone, {ZONE}."
    page.locator("#expires_at").fill("2027-03-01T09:30")

    # Rule 1: a split for every visitor, its weights summed as they are typed.
    page.get_by_role("button", name="Add a rule").click()
    first = _rule(page, 1)
    first.get_by_label("A split between").check()
    first.locator('[data-part="variant-url"]').nth(0).fill("https://shop.example/a")
    first.locator('[data-part="variant-url"]').nth(1).fill("https://shop.example/b")
    first.locator('[data-part="weight"]').nth(0).fill("60")
    first.locator('[data-part="weight"]').nth(1).fill("30")
    assert first.locator('[data-part="sum"]').inner_text() == "The weights add up to 90; they must add up to 100."
    # The live check says what a save would: beside the rules, naming the rule.
    page.locator("#rules-error").get_by_text("Rule 1: the weights of its split add up to 90").wait_for()
    _shoot(page, "wrong-weights")
    first.locator('[data-part="weight"]').nth(1).fill("40")
    assert first.locator('[data-part="sum"]').inner_text() == "The weights add up to 100."

    # Rule 2: iPhones to their own page; a rule for every visitor must come last, so it moves up.
    page.get_by_role("button", name="Add a rule").click()
    second = _rule(page, 2)
    second.get_by_label("When").select_option("device")
    second.get_by_label("Value").fill("iOS")
    second.get_by_label("One URL").check()
    second.get_by_label("URL", exact=True).fill("https://shop.example/iphone")
    second.get_by_role("button", name="Move up").click()
    assert _rule(page, 1).locator("legend").first.inner_text() == "Rule 1"
    assert _rule(page, 1).get_by_label("Value").input_value() == "iOS"

    # Rule 3: weekday office hours, in the browser's zone unless changed; moved above the split.
    page.get_by_role("button", name="Add a rule").click()
    third = _rule(page, 3)
    third.get_by_label("When").select_option("time")
    assert third.get_by_label("Value").is_hidden() and third.get_by_label("Time zone").input_value() == ZONE
    for day in ("Mon", "Tue"):
        third.get_by_label(day, exact=True).check()
    third.get_by_label("From", exact=True).fill("09:00")
    third.get_by_label("Until", exact=True).fill("17:30")
    third.get_by_label("One URL").check()
    third.get_by_label("URL", exact=True).fill("https://shop.example/office")
    third.get_by_role("button", name="Move up").click()

    # A country of its own, picked by name.
    page.get_by_role("button", name="Add a country").click()
    row = page.locator(".geo-row").first
    row.get_by_label("Country").select_option(label="Germany (DE)")
    row.get_by_label("URL").fill("https://shop.example/de")

    # The URL a scan goes to follows the UTM fields: the destination's query and fragment kept.
    page.get_by_role("textbox", name="utm_source").fill("poster")
    page.get_by_role("textbox", name="utm_campaign").fill("spring sale")
    assert page.locator("#utm-url").inner_text() == (
        "https://shop.example/spring?ref=print&utm_source=poster&utm_campaign=spring+sale#top")
    wait_until(page, "() => !document.getElementById('rules-error').textContent.trim()")
    _shoot(page, "filled")

    with page.expect_navigation():
        page.get_by_role("button", name="Create").click()
    assert not page.url.endswith("/new"), page.locator(".field-error").all_inner_texts()
    qr_id = page.url.rsplit("/", 1)[1]
    with app.app_context():
        qr = qrcodes.find(qr_id, for_operator())
    assert qr.expires_at == datetime(2027, 3, 1, 14, 30, tzinfo=UTC)
    assert [rule.model_dump(mode="json", exclude_none=True) for rule in qr.rules] == [
        {"attribute": "device", "operator": "equals", "value": "iOS", "url": "https://shop.example/iphone"},
        {"attribute": "time", "operator": "equals",
         "value": {"days": ["mon", "tue"], "start": "09:00", "until": "17:30", "time_zone": ZONE},
         "url": "https://shop.example/office"},
        {"split": [{"url": "https://shop.example/a", "weight": 60}, {"url": "https://shop.example/b", "weight": 40}]},
    ]
    assert qr.geo == {"DE": "https://shop.example/de"}
    assert (qr.utm_source, qr.utm_campaign, qr.utm_medium) == ("poster", "spring sale", None)

    # Edited again, the options come back in the editors, the expiry in New York time.
    page.goto(f"/qrcodes/{qr_id}/edit")
    assert page.locator("#link-options").get_attribute("open") is not None
    assert page.locator("#expires_at").input_value() == "2027-03-01T09:30"
    assert page.locator(".rule-list > li").count() == 3
    assert _rule(page, 2).get_by_label("Until", exact=True).input_value() == "17:30"
    assert _rule(page, 3).locator('[data-part="sum"]').inner_text() == "The weights add up to 100."
    assert page.locator(".geo-row").first.get_by_label("Country").input_value() == "DE"
    _shoot(page, "edit")
