"""What link options decided, in the analytics: scans sent through the real redirect
to QR Codes with smart rules, A/B splits and an expiry, with the scanned links' own
UTM parameters, come back from ``GET /api/analytics`` grouped by CodeQR's
``utm_*``, ``continents``, ``regions`` and ``referer_urls`` and by our ``rules`` and
``variants``, waiting and enriched, and ``GET /api/events`` shows each scan's step,
rule, variant, UTM and continent (JSON and CSV)."""

import csv
import io
from collections import Counter
from datetime import UTC, datetime

import pytest

from api_client import authorized_client
from clock import Clock
from codeqr.context import for_operator

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.4 Mobile/15E148 Safari/604.1")
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"
LONDON, AMSTERDAM, US, BRAZIL, AUSTRALIA = "81.2.69.160", "193.0.6.139", "8.8.8.8", "200.160.2.3", "202.12.29.205"
STORY, OTHER = "https://news.example.org/story?id=7", "https://news.example.org/other"

#: Rule 1: visitors from the US are split; rule 2: from NL, one URL; rule 3: everyone
#: else is split. The code's own utm_source is added to every destination.
RULES = [
    {"attribute": "country", "operator": "equals", "value": "US",
     "split": [{"url": "https://example.com/us-a", "weight": 50}, {"url": "https://example.com/us-b", "weight": 50}]},
    {"attribute": "country", "operator": "equals", "value": "NL", "url": "https://example.com/nl"},
    {"split": [{"url": "https://example.com/c", "weight": 50}, {"url": "https://example.com/d", "weight": 50}]},
]
#: Where each (rule, variant) sends a visitor: which variant a visitor gets is the hash
#: of the code's id, so the tests read it from the redirect's answer.
VARIANTS = {"https://example.com/us-a?utm_source=poster": (1, 1), "https://example.com/us-b?utm_source=poster": (1, 2),
            "https://example.com/c?utm_source=poster": (3, 1), "https://example.com/d?utm_source=poster": (3, 2)}

#: (QR Code, user agent, address, query of the scanned link, referrer), in order.
SCANS = [
    ("split", IPHONE, US, "utm_source=flyer&utm_medium=print", None),
    ("split", IPHONE, AMSTERDAM, "", None),
    ("split", IPHONE, LONDON, "utm_source=flyer&utm_campaign=spring", None),  # the same visitor three times:
    ("split", IPHONE, LONDON, "utm_source=mail&utm_term=qr&utm_content=top", None),  # one variant
    ("split", IPHONE, LONDON, "", None),
    ("plain", FIREFOX, BRAZIL, "utm_medium=print", STORY),
    ("plain", IPHONE, AUSTRALIA, "", OTHER),
    ("expired", IPHONE, US, "utm_source=flyer", None),
]
SCANNED_AT = datetime(2026, 6, 1, 10, 20, tzinfo=UTC)
#: The day of the scans: once enriched, its whole hours come from the rollups.
DAY = {"start": "2026-06-01T00:00:00Z", "end": "2026-06-02T00:00:00Z"}


@pytest.fixture
def scanned(make_app, tmp_path):
    """An app whose GeoIP database knows London and Amsterdam, scanned as ``SCANS``
    say; its API client, the QR Codes' ids by name, and the (rule, variant) of the
    US visitor and of the London one, as the redirect sent them."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    from codeqr.accounts import apikeys

    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-City")
    writer.insert_network(IPSet(["81.2.69.0/24"]), {"country": {"iso_code": "GB"}, "city": {"names": {"en": "London"}},
                                                    "subdivisions": [{"names": {"en": "England"}}]})
    writer.insert_network(IPSet(["193.0.6.0/24"]), {"country": {"iso_code": "NL"},
                                                    "subdivisions": [{"names": {"en": "North Holland"}}]})
    writer.to_db_file(str(tmp_path / "cities.mmdb"))
    clock = Clock()
    app = make_app(clock=clock, CODEQR_PROXY_FIX=1, CODEQR_GEOIP_DATABASE=str(tmp_path / "cities.mmdb"))
    with app.app_context():
        api = authorized_client(app, apikeys.create("t", ctx=for_operator())[1])
    options = {"split": {"rules": RULES, "utm_source": "poster"}, "plain": {},
               "expired": {"expiresAt": "2026-05-01T00:00:00Z", "expiredUrl": "https://example.com/over"}}
    codes = {}
    for name, chosen in options.items():
        created = api.post("/api/qrcodes", json={"url": f"https://example.com/{name}", **chosen})
        assert created.status_code == 201, created.get_json()
        codes[name] = created.get_json()
    clock.set(SCANNED_AT)  # a month after the expiry
    sent, browsers = [], {}
    for name, agent, address, query, referer in SCANS:
        browser = browsers.setdefault((agent, address), app.test_client())  # a visitor keeps their cookies
        headers = {"User-Agent": agent, "X-Forwarded-For": address, **({"Referer": referer} if referer else {})}
        response = browser.get(f"/{codes[name]['key']}", query_string=query, headers=headers)
        assert response.status_code == 302
        sent.append(response.headers["Location"])
    assert sent[1] == "https://example.com/nl?utm_source=poster"
    assert sent[2] == sent[3] == sent[4]  # a visitor keeps their variant
    assert sent[5:] == ["https://example.com/plain", "https://example.com/plain", "https://example.com/over"]
    return app, api, {name: code["id"] for name, code in codes.items()}, VARIANTS[sent[0]], VARIANTS[sent[2]]


def _enrich(app) -> None:
    from codeqr.scans.enrichment import enrich_pending

    with app.app_context():
        while enrich_pending(app, wait=True):
            pass


def _items(api, group_by: str, **params) -> Counter:
    """Scans per item of a breakdown over ``DAY``: its value, or the tuple of its
    values by their keys in alphabetical order."""
    items = api.get("/api/analytics", query_string={**DAY, "groupBy": group_by, **params}).get_json()
    found = Counter()
    for item in items:
        values = tuple(item[key] for key in sorted(item) if key != "scans")
        found[values[0] if len(values) == 1 else values] = item["scans"]
    return found


def _count(api, **params) -> int:
    return api.get("/api/analytics", query_string={**DAY, **params}).get_json()["scans"]


@pytest.mark.parametrize("enriched", [False, True], ids=["waiting", "enriched"])
def test_each_new_group_by_and_filter_counts_the_scans(scanned, enriched):
    app, api, ids, us_visitor, london_visitor = scanned
    if enriched:
        _enrich(app)
    assert _items(api, "continents") == {"EU": 4, "NA": 2, "SA": 1, "OC": 1}
    assert _items(api, "regions") == {("GB", "England"): 3, ("NL", "North Holland"): 1, (None, None): 4}
    assert _items(api, "referer_urls") == {STORY: 1, OTHER: 1, None: 6}
    assert _items(api, "utm_sources") == {"flyer": 3, "mail": 1, None: 4}
    assert _items(api, "utm_mediums") == {"print": 2, None: 6}
    assert _items(api, "utm_campaigns") == {"spring": 1, None: 7}
    assert _items(api, "utm_terms") == {"qr": 1, None: 7}
    assert _items(api, "utm_contents") == {"top": 1, None: 7}
    assert _items(api, "rules") == {3: 3, 1: 1, 2: 1, None: 3}
    # Each variant with its rule: the US visitor's of rule 1, the London visitor's of rule 3.
    assert _items(api, "variants") == {london_visitor: 3, us_visitor: 1, (None, None): 4}
    assert _items(api, "variants", qrcodeId=ids["split"]) == {london_visitor: 3, us_visitor: 1, (None, None): 1}
    assert _items(api, "rules", qrcodeId=ids["plain"]) == {None: 2}
    assert [_count(api, utm_source="flyer"), _count(api, utm_source="flyer", qrcodeId=ids["split"])] == [3, 2]
    assert [_count(api, continent="eu"), _count(api, continent="NA", utm_medium="print")] == [4, 1]
    assert [_count(api, utm_campaign="spring"), _count(api, utm_term="qr"), _count(api, utm_content="top")] == [1, 1, 1]


def test_the_events_show_what_decided_each_scan_and_its_utm(scanned):
    app, api, ids, us_visitor, london_visitor = scanned
    _enrich(app)
    events = api.get("/api/events", query_string={**DAY, "pageSize": 100}).get_json()
    shown = [(event["qrcodeId"], event["step"], event["rule"], event["variant"], event["continent"], event["utm_source"],
              event["utm_medium"], event["utm_campaign"], event["utm_term"], event["utm_content"])
             for event in reversed(events)]  # in the order scanned
    split, plain, expired = ids["split"], ids["plain"], ids["expired"]
    assert shown == [
        (split, "rule", *us_visitor, "NA", "flyer", "print", None, None, None),
        (split, "rule", 2, None, "EU", None, None, None, None, None),
        (split, "rule", *london_visitor, "EU", "flyer", None, "spring", None, None),
        (split, "rule", *london_visitor, "EU", "mail", None, None, "qr", "top"),
        (split, "rule", *london_visitor, "EU", None, None, None, None, None),
        (plain, None, None, None, "SA", None, "print", None, None, None),
        (plain, None, None, None, "OC", None, None, None, None, None),
        (expired, "expired", None, None, "NA", "flyer", None, None, None, None),
    ]
    assert events[0]["url"] == "https://example.com/over"
    assert [event["step"] for event in _events(api, utm_source="flyer")] == ["expired", "rule", "rule"]
    rows = list(csv.DictReader(io.StringIO(api.get("/api/events", query_string={**DAY, "format": "csv"}).get_data(
        as_text=True))))
    assert [(row["step"], row["rule"], row["variant"], row["continent"], row["utm_source"], row["utm_term"])
            for row in rows[3:5]] == [("rule", str(london_visitor[0]), str(london_visitor[1]), "EU", "", ""),
                                      ("rule", str(london_visitor[0]), str(london_visitor[1]), "EU", "mail", "qr")]
    assert (rows[0]["step"], rows[0]["utm_source"], rows[2]["step"], rows[2]["rule"]) == ("expired", "flyer", "", "")


def _events(api, **params) -> list[dict]:
    return api.get("/api/events", query_string={**DAY, **params}).get_json()


def test_a_continent_or_utm_filter_out_of_bounds_is_refused_by_name(api):
    for params, field in (({"continent": "EUR"}, "continent"), ({"utm_source": "x" * 191}, "utm_source")):
        for path in ("/api/analytics", "/api/events"):
            response = api.get(path, query_string={"interval": "24h", **params})
            assert response.status_code == 422, (path, params)
            assert field in str(response.get_json()), (path, params)


@pytest.mark.parametrize("country,continent", [("DE", "EU"), ("BR", "SA"), ("EG", "AF"), ("TL", "AS"), ("AQ", "AN"),
                                               ("UM", "OC"), ("SX", "NA"), ("XK", "EU"), ("ZZ", None), (None, None)])
def test_the_continent_of_a_country_in_sql_is_the_redirects(country, continent):
    """What the enrichment and reads of waiting scans work out in SQL, for countries the
    converter knows and those the redirect names itself (Antarctica, the US islands)."""
    from sqlalchemy import String, create_engine, literal, select

    from codeqr.analytics.continents import continent as continent_column

    with create_engine("sqlite://").connect() as connection:
        assert connection.scalar(select(continent_column(literal(country, String)))) == continent


def test_migration_0013_gives_past_events_their_continent(app):
    from sqlalchemy import text

    from codeqr import db
    from schema_versions import migrate_from

    with app.app_context():
        migrate_from("0012", *(
            "INSERT INTO scan_events (timestamp, qrcode_id, domain, key, url, country, bot) "
            f"VALUES ('2026-01-01 00:00:00', 'c{index:024}', 'localhost', 'k{index}', 'https://example.com/', "
            f"{country}, false)" for index, country in enumerate(("'DE'", "'JP'", "'AQ'", "'ZZ'", "NULL"))))
        found = db.session.execute(text("SELECT country, continent FROM scan_events ORDER BY key")).all()
    assert [tuple(row) for row in found] == [("DE", "EU"), ("JP", "AS"), ("AQ", "AN"), ("ZZ", None), (None, None)]
