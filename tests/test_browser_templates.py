"""Templates in a real browser: the templates page marks the default and an admin chooses it,
at 1280 px and at 390 px, nothing wider than the page; the list filters the templates.

Screenshots go to test-artifacts/screenshots/templates-*.png.
"""

import pytest

from browser import SHOTS, sign_up
from codeqr.context import for_operator

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def database_url(tmp_path):
    """Browser stories run once, on SQLite."""
    return f"sqlite:///{tmp_path / 'codeqr.db'}"


def _make(app, bodies: list[dict]) -> list:
    from codeqr.domain import writes
    from codeqr.domain.schemas import QRCodeCreate

    with app.app_context():
        return [writes.create(QRCodeCreate.model_validate(body), ctx=for_operator()) for body in bodies]


@pytest.mark.browser
def test_an_admin_chooses_the_default_template_and_the_list_shows_templates(page, live_app):
    _live, app = live_app
    sign_up(page, "admin@example.com")
    brand, night, _plain = _make(app, [
        {"url": "https://example.com/brand", "title": "Brand blue", "useAsTemplate": True, "fgColor": "#1e3a8a",
         "pattern": "rounded", "frame": "frame-1", "frameText": "Scan me"},
        {"url": "https://example.com/night", "title": "Night", "useAsTemplate": True, "fgColor": "#f8fafc",
         "bgColor": "#0f172a"},
        {"url": "https://example.com/plain", "title": "Just a code"}])
    page.goto("/templates")
    page.get_by_label("Brand blue").check()
    page.get_by_role("button", name="Save the default").click()
    page.get_by_text("take the default template").wait_for()
    assert page.locator("mark", has_text="Default").count() == 1
    assert page.get_by_label("Brand blue").is_checked()
    for size, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), size
        page.screenshot(path=SHOTS / f"templates-{size}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    # A new QR Code starts with the default's design.
    page.goto("/qrcodes/new")
    assert page.locator('[name="fg_color"]').input_value() == "#1e3a8a"
    # The list: templates only, then the others.
    page.goto("/qrcodes")
    page.get_by_label("Templates").select_option("true")
    page.wait_for_url("**useAsTemplate=true**")
    names = page.locator("td.name > a").all_inner_texts()
    assert sorted(names) == ["Brand blue", "Night"]
    page.get_by_label("Templates").select_option("false")
    page.wait_for_url("**useAsTemplate=false**")
    assert page.locator("td.name > a").all_inner_texts() == ["Just a code"]
    assert night.id and brand.id
