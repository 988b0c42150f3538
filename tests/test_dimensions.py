"""Every dimension of the registry, end to end: scans sent through the redirect with
known user agents, addresses, referrers and languages come back from ``GET
/api/analytics`` as its ``groupBy`` and through its filter, waiting and enriched, and
show on the dashboard. Each module spells the dimensions through the registry."""

import ast
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api_client import authorized_client
from clock import Clock
from codeqr.analytics.dimensions import DIMENSIONS
from codeqr.context import for_operator

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.4 Mobile/15E148 Safari/604.1")
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"
IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
        "Mobile/15E148 Safari/604.1")
LONDON, AMSTERDAM = "81.2.69.160", "193.0.6.139"

#: Scans to send: (QR Code, user agent, address, referrer, Accept-Language, query of
#: the scanned link), and what each dimension must then say of it (None: the scan has
#: no value; a tuple: an item's values by their keys in alphabetical order). QR Code
#: "b" has a rule for NL.
SCANS = [
    (("a", IPHONE, LONDON, "https://news.example.org/story", "de-DE,de;q=0.9",
      "utm_source=flyer&utm_medium=print&utm_campaign=spring&utm_term=qr&utm_content=top"),
     {"country": "GB", "city": ("London", "GB"), "device": "mobile", "browser": "Mobile Safari", "os": "iOS",
      "referer": "news.example.org", "language": "de", "qrcode": "a", "url": "https://example.com/a",
      "continent": "EU", "region": ("GB", "England"), "referer_url": "https://news.example.org/story",
      "utm_source": "flyer", "utm_medium": "print", "utm_campaign": "spring", "utm_term": "qr", "utm_content": "top",
      "rule": None, "variant": (None, None)}),
    (("a", IPHONE, AMSTERDAM, None, "nl", "utm_source=mail"),
     {"country": "NL", "city": (None, None), "device": "mobile", "browser": "Mobile Safari", "os": "iOS",
      "referer": None, "language": "nl", "qrcode": "a", "url": "https://example.com/a",
      "continent": "EU", "region": (None, None), "referer_url": None,
      "utm_source": "mail", "utm_medium": None, "utm_campaign": None, "utm_term": None, "utm_content": None,
      "rule": None, "variant": (None, None)}),
    (("a", FIREFOX, LONDON, "https://blog.example.net/", "en-GB,en;q=0.8", "utm_source=flyer&utm_medium=print"),
     {"country": "GB", "city": ("London", "GB"), "device": "desktop", "browser": "Firefox", "os": "Windows",
      "referer": "blog.example.net", "language": "en", "qrcode": "a", "url": "https://example.com/a",
      "continent": "EU", "region": ("GB", "England"), "referer_url": "https://blog.example.net/",
      "utm_source": "flyer", "utm_medium": "print", "utm_campaign": None, "utm_term": None, "utm_content": None,
      "rule": None, "variant": (None, None)}),
    (("b", IPAD, LONDON, "https://news.example.org/other", "de", ""),
     {"country": "GB", "city": ("London", "GB"), "device": "tablet", "browser": "Mobile Safari", "os": "iOS",
      "referer": "news.example.org", "language": "de", "qrcode": "b", "url": "https://example.com/b",
      "continent": "EU", "region": ("GB", "England"), "referer_url": "https://news.example.org/other",
      "utm_source": None, "utm_medium": None, "utm_campaign": None, "utm_term": None, "utm_content": None,
      "rule": None, "variant": (None, None)}),
    (("b", FIREFOX, AMSTERDAM, None, None, "utm_campaign=spring"),
     {"country": "NL", "city": (None, None), "device": "desktop", "browser": "Firefox", "os": "Windows",
      "referer": None, "language": None, "qrcode": "b", "url": "https://example.com/b-nl",
      "continent": "EU", "region": (None, None), "referer_url": None,
      "utm_source": None, "utm_medium": None, "utm_campaign": "spring", "utm_term": None, "utm_content": None,
      "rule": 1, "variant": (None, None)}),
]
SCANNED_AT = datetime(2026, 6, 1, 10, 20, tzinfo=UTC)
#: The day of the scans: its whole hours come from the rollups once the scans are enriched.
DAY = {"start": "2026-06-01T00:00:00Z", "end": "2026-06-02T00:00:00Z"}


@pytest.fixture
def scanned(make_app, tmp_path):
    """An app whose GeoIP database knows London, scanned as ``SCANS`` says; its API
    client and QR Codes' ids by name."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    from codeqr.accounts import apikeys

    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-City")
    writer.insert_network(IPSet(["81.2.69.0/24"]), {"country": {"iso_code": "GB"},
                                                    "subdivisions": [{"names": {"en": "England"}}],
                                                    "city": {"names": {"en": "London"}}})
    writer.insert_network(IPSet(["193.0.6.0/24"]), {"country": {"iso_code": "NL"}})
    writer.to_db_file(str(tmp_path / "cities.mmdb"))
    clock = Clock()
    app = make_app(clock=clock, CODEQR_PROXY_FIX=1, CODEQR_GEOIP_DATABASE=str(tmp_path / "cities.mmdb"))
    with app.app_context():
        api = authorized_client(app, apikeys.create("t", ctx=for_operator())[1])
    netherlands = {"attribute": "country", "operator": "equals", "value": "NL", "url": "https://example.com/b-nl"}
    codes = {name: api.post("/api/qrcodes", json={"url": f"https://example.com/{name}", **options}).get_json()
             for name, options in (("a", {}), ("b", {"rules": [netherlands]}))}
    clock.set(SCANNED_AT)
    for (name, agent, address, referer, language, query), _ in SCANS:
        headers = {"User-Agent": agent, "X-Forwarded-For": address,
                   **({"Referer": referer} if referer else {}), **({"Accept-Language": language} if language else {})}
        assert api.get(f"/{codes[name]['key']}", query_string=query, headers=headers).status_code == 302
    return app, api, {name: code["id"] for name, code in codes.items()}


def _enrich(app) -> None:
    from codeqr.scans.enrichment import enrich_pending

    with app.app_context():
        while enrich_pending(app, wait=True):
            pass


def _expected(dimension, ids: dict) -> Counter:
    """What ``SCANS`` say of ``dimension``: scans per value, as the API names values."""
    values = [expected[dimension.name] for _, expected in SCANS]
    return Counter(ids[value] if dimension.name == "qrcode" else value for value in values)


def _answered(dimension, items: list[dict]) -> Counter:
    """Scans per item's value: its one value, or a tuple of its values by their keys in
    alphabetical order (a top QR Code's: its id)."""
    answered = Counter()
    for item in items:
        values = (item["id"],) if dimension.name == "qrcode" else tuple(
            item[key] for key in sorted(item) if key != "scans")
        answered[values[0] if len(values) == 1 else values] = item["scans"]
    return answered


@pytest.mark.parametrize("enriched", [False, True], ids=["waiting", "enriched"])
def test_each_dimension_answers_as_group_by_and_filter(scanned, enriched):
    app, api, ids = scanned
    if enriched:
        _enrich(app)
    for dimension in DIMENSIONS:
        items = api.get("/api/analytics", query_string={**DAY, "groupBy": dimension.group_by}).get_json()
        assert _answered(dimension, items) == _expected(dimension, ids), dimension.name
        if dimension.filter is None:
            continue
        for value, scans in _expected(dimension, ids).items():
            if value is None:
                continue
            count = api.get("/api/analytics", query_string={**DAY, dimension.name: value}).get_json()
            assert count == {"scans": scans}, (dimension.name, value)


def _dashboard(app) -> str:
    """The dashboard over all time, as an admin sees it."""
    from codeqr.accounts import users

    with app.app_context():
        users.create("admin@example.com", "correct horse battery", "admin", ctx=for_operator())
    browser = app.test_client()
    form = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    data = {"email": "admin@example.com", "password": "correct horse battery", **({"csrf_token": token[1]} if token else {})}
    assert browser.post("/login", data=data).status_code == 302
    return browser.get("/analytics?interval=all").get_data(as_text=True)


def test_each_dimension_with_a_panel_shows_on_the_dashboard(scanned):
    app, _, _ = scanned
    _enrich(app)
    page = _dashboard(app)
    with_panels = [dimension for dimension in DIMENSIONS if dimension.panel is not None]
    assert with_panels
    for dimension in with_panels:
        assert f'id="breakdown-{dimension.group_by}"' in page, dimension.name
        assert f">{dimension.panel.heading}<" in page


def test_the_panels_show_device_names_capitalized_and_no_referrer_as_direct(scanned):
    """What a reader sees for two values (of the registry's panel entries)."""
    app, _, _ = scanned
    page = _dashboard(app)
    devices = page[page.index('id="breakdown-devices"'):]
    assert 'title="Desktop' in devices[:devices.index("</article>")]
    referers = page[page.index('id="breakdown-referers"'):]
    assert 'title="Direct (no referrer)' in referers[:referers.index("</article>")]


def _hand_written_lists(path: Path, names: set, groups: set, values: set) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        elements = (node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set))
                    else node.keys if isinstance(node, ast.Dict) else [])
        words = [element.value for element in elements if isinstance(element, ast.Constant)]
        named = [word for word in words if word in names]
        if (len(named) >= 3 and len(named) == len(words)) or len(groups.intersection(words)) >= 3 \
                or len(values.intersection(words)) >= 3:
            found.append(f"{path.name}:{node.lineno} {words}")
    return found


def test_no_module_lists_the_dimensions_by_hand():
    """A tuple, list, set or dict's keys in a module other than the registry that
    spells three or more groupBy values or known values (devices), or only
    dimension names (three or more), is a second list that would fall behind the
    registry. (Lists of the events' columns, or of the rules' attributes, name
    dimensions among other words: those are not flagged.)"""
    names = {dimension.name for dimension in DIMENSIONS}
    groups = {dimension.group_by for dimension in DIMENSIONS} - names  # "os" is both
    package = Path(__file__).parent.parent / "codeqr"
    # The registry takes these through the modules that define them: the parser's
    # devices, the UTM fields.
    sources = {package / "scans" / "agents.py", package / "links" / "utm.py"}
    found = []
    for dimension in DIMENSIONS:
        if dimension.values is None:
            continue
        for path in package.rglob("*.py"):
            if path not in sources:
                found += _hand_written_lists(path, set(), set(), set(dimension.values))
    for path in package.rglob("*.py"):
        if path != package / "analytics" / "dimensions.py" and path not in sources:
            found += _hand_written_lists(path, names, groups, set())
    assert not found
