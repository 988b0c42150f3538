"""What the browser tests share: the live app, a page of Debian's chromium that fails its
test on any Content-Security-Policy refusal, and the steps many stories take.

A browser test module asks for ``page`` (and ``live``/``live_app``) and says
``pytestmark = ON_SQLITE``, as ``test_browser.py`` does: the stories run once, on SQLite.
"""

import base64
import os
import shutil
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from decode import to_image

CHROMIUM = os.environ.get("CODEQR_TEST_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
# Flags that keep chromium off the network it cannot reach here and out of the sandbox root lacks.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


#: Browser stories run once, on SQLite (the API tests cover both databases): the conftest's
#: ``database_url`` narrowed to its SQLite case, for a module's ``pytestmark``.
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live(live_app):
    return live_app[0]


@pytest.fixture
def live_app(make_app):
    """The app served on a free port: (its address, the app)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        reason = f"chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CODEQR_TEST_REQUIRE_SERVICES"):
            pytest.fail(reason)
        pytest.skip(reason)
    port = free_port()
    app = make_app(CODEQR_DEFAULT_DOMAIN=f"127.0.0.1:{port}", TESTING=False)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", app
    server.shutdown()


def other_page(page, live: str, **options):
    """A page of another context of ``page``'s browser (a clock in another zone, no script…),
    its CSP watched: check ``other.csp_violations`` when done."""
    context = page.context.browser.new_context(base_url=live, **options)
    shown = context.new_page()
    shown.set_default_timeout(15_000)
    shown.csp_violations = watch_csp(context)
    return shown


@pytest.fixture
def page(live_app):
    live = live_app[0]
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live, accept_downloads=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.csp_violations = watch_csp(context)
        yield page
        browser.close()
    assert not page.csp_violations, "the Content-Security-Policy refused something"


#: Reported to the console by every document: what the Content-Security-Policy refused.
_REPORT_CSP = """document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} refused ${event.blockedURI || "inline"} on ${document.URL}`);
});"""


def watch_csp(context) -> list:
    """Collect the Content-Security-Policy violations of every page of ``context`` (the
    event each document fires, and chromium's own "Refused to …" console errors)."""
    violations: list = []
    context.add_init_script(_REPORT_CSP)

    def note(message):
        if message.type == "error" and ("CSP violation" in message.text or "Content Security Policy" in message.text):
            violations.append(message.text)

    context.on("console", note)
    return violations


def create_qrcodes(app, bodies: list[dict]) -> list:
    """QR Codes made through the service as the operator, one for each body (as the API takes it)."""
    from codeqr.context import for_operator
    from codeqr.domain import writes
    from codeqr.domain.schemas import QRCodeCreate

    with app.app_context():
        return [writes.create(QRCodeCreate.model_validate(body), ctx=for_operator()) for body in bodies]


def create_qrcode(app, **body):
    """One QR Code made through the service as the operator."""
    return create_qrcodes(app, [body])[0]


def sign_up(page, email: str) -> None:
    """First run: the setup page makes the admin and signs them in."""
    page.goto("/setup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create the account").click()
    page.get_by_text("No QR Codes yet").wait_for()


def wait_until(page, expression: str, arg=None, seconds: float = 15) -> None:
    """Poll ``expression`` until it is true. Not ``page.wait_for_function``: it evals its
    predicate inside the page, which the Content-Security-Policy (rightly) refuses."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression, arg):
        assert time.monotonic() < deadline, f"still false after {seconds} s: {expression}"
        page.wait_for_timeout(50)


def set_color(page, selector, value):
    page.locator(selector).evaluate(
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }", value)


PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


NO_REDIRECTS = urllib.request.build_opener(_NoRedirects)


def colours_of_data_url(url: str) -> set:
    media_type, data = url.removeprefix("data:").split(";base64,")
    image = to_image(base64.b64decode(data), media_type).convert("RGB")
    return {colour for _, colour in image.getcolors(maxcolors=1 << 16)}


def downloaded(page, click) -> bytes:
    with page.expect_download() as info:
        click()
    return Path(info.value.path()).read_bytes()




def web_pages(app, ids: dict) -> list[tuple[str, str]]:
    """Every page of the web UI (a GET route answering HTML: no file extension), by endpoint
    name, with the ids ``ids`` gives (``qr_id``, ``key_id``, ``user_id``, ``import_job_id``,
    ``export_job_id``)."""
    from flask import url_for

    pages = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("web.") or "GET" not in rule.methods or "." in rule.rule.rsplit("/", 1)[-1]:
                continue
            if rule.endpoint == "web.qrcode_swatch":  # a picture of the design panel, not a page
                continue
            kind = "import" if rule.endpoint.startswith("web.import") else "export"
            values = {name: ids[f"{kind}_job_id"] if name == "job_id" else str(ids[name]) for name in rule.arguments}
            pages.append((rule.endpoint.removeprefix("web."), url_for(rule.endpoint, **values)))
    return pages
