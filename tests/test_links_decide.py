"""The decision of a scan (issue 23): each step, their order when several match, expiry at
its boundary, every attribute and operator of the rules, and the A/B split's shares and
stickiness. Visitors of the phone steps come from real user agents, parsed as the
redirect parses them."""

import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from codeqr.links.decide import Decision, LinkRouting, Visitor, decide, pick_variant
from codeqr.links.rules import device_of, parse_rules
from codeqr.scans.agents import AgentParser

SITE, RULED, FRANCE, IPHONE, ANDROID, EXPIRED = (
    f"https://example.com/{name}" for name in ("site", "ruled", "fr", "ios", "android", "expired"))
NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)  # a Wednesday
AGENTS = {
    "iphone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Version/17.0 Mobile/15E148 Safari/604.1",
    "pixel": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
             "Mobile Safari/537.36",
    "mac": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 "
           "Safari/605.1.15",
    "windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
               "Safari/537.36",
}
PARSER = AgentParser()


def visitor_of(agent: str, **known) -> Visitor:
    """A visitor as the redirect will build one: its user agent parsed for real."""
    described = PARSER.describe(AGENTS[agent])
    return Visitor(device=device_of(described.os), os=described.os, browser=described.browser, **known)


def link(**fields) -> LinkRouting:
    return LinkRouting.of_json({"url": SITE, **fields}, key="code-1")


def rule(attribute, operator, value, url=RULED):
    return {"attribute": attribute, "operator": operator, "value": value, "url": url}


EVERYTHING = {
    "hasPassword": True, "expiresAt": "2027-03-10T12:00:00Z", "expiredUrl": EXPIRED,
    "rules": [rule("country", "equals", "FR")], "geo": {"FR": FRANCE}, "ios": IPHONE, "android": ANDROID,
}


def test_a_code_with_nothing_set_goes_to_its_url():
    assert decide(link(), Visitor(), NOW) == Decision("url", SITE)


def test_the_steps_decide_in_their_order_when_all_of_them_match():
    french_iphone = visitor_of("iphone", country="FR")
    assert decide(link(**EVERYTHING), french_iphone, NOW) == Decision("password", None)
    unlocked = visitor_of("iphone", country="FR", unlocked=True)
    assert decide(link(**EVERYTHING), unlocked, NOW) == Decision("expired", EXPIRED)
    alive = {**EVERYTHING, "expiresAt": None}
    assert decide(link(**alive), unlocked, NOW) == Decision("rule", RULED, rule=1)
    assert decide(link(**{**alive, "rules": None}), unlocked, NOW) == Decision("geo", FRANCE)
    assert decide(link(**{**alive, "rules": None, "geo": None}), unlocked, NOW) == Decision("ios", IPHONE)
    assert decide(link(**{**alive, "rules": None, "geo": None, "ios": None}), unlocked, NOW) == Decision("url", SITE)


def test_an_android_phone_goes_to_the_android_url_and_others_to_the_url():
    targets = link(ios=IPHONE, android=ANDROID)
    assert decide(targets, visitor_of("pixel"), NOW) == Decision("android", ANDROID)
    assert decide(targets, visitor_of("iphone"), NOW) == Decision("ios", IPHONE)
    assert decide(targets, visitor_of("mac"), NOW) == Decision("url", SITE)
    assert decide(targets, visitor_of("windows"), NOW) == Decision("url", SITE)
    assert decide(targets, Visitor(), NOW) == Decision("url", SITE)


def test_geo_goes_by_the_visitors_country_whatever_its_case():
    targets = link(geo={"fr": FRANCE, "DE": "https://example.com/de"})
    assert decide(targets, Visitor(country="FR"), NOW) == Decision("geo", FRANCE)
    assert decide(targets, Visitor(country="de"), NOW) == Decision("geo", "https://example.com/de")
    assert decide(targets, Visitor(country="US"), NOW) == Decision("url", SITE)
    assert decide(targets, Visitor(), NOW) == Decision("url", SITE)


def test_geo_takes_at_most_250_countries():
    many = {f"{chr(65 + number // 26)}{chr(65 + number % 26)}": SITE for number in range(251)}
    with pytest.raises(ValueError, match="geo has 251 countries; at most 250 are allowed."):
        link(geo=many)
    assert len(link(geo=dict(list(many.items())[:250])).geo) == 250


def test_the_first_matching_rule_decides():
    rules = [rule("country", "equals", "DE", "https://example.com/1"), rule("device", "equals", "iOS", "https://example.com/2"),
             rule("browser", "equals", "Mobile Safari", "https://example.com/3")]
    decided = decide(link(rules=rules), visitor_of("iphone", country="FR"), NOW)
    assert decided == Decision("rule", "https://example.com/2", rule=2)


def test_the_password_comes_before_everything_and_the_right_one_opens_the_rest():
    assert decide(link(hasPassword=True), Visitor(), NOW) == Decision("password", None)
    assert decide(link(hasPassword=True), Visitor(unlocked=True), NOW) == Decision("url", SITE)


@pytest.mark.parametrize("expires", ["2027-03-10T12:00:00Z", "2027-03-10T13:00:00+01:00",
                                     datetime(2027, 3, 10, 12, 0), datetime(2027, 3, 10, 12, 0, tzinfo=UTC)])
def test_a_code_expires_at_the_very_instant_of_expires_at(expires):
    expiring = link(expiresAt=expires, expiredUrl=EXPIRED)
    assert decide(expiring, Visitor(), NOW - timedelta(milliseconds=1)) == Decision("url", SITE)
    assert decide(expiring, Visitor(), NOW) == Decision("expired", EXPIRED)
    assert decide(expiring, Visitor(), NOW + timedelta(days=400)) == Decision("expired", EXPIRED)


def test_an_expired_code_without_expired_url_is_gone():
    decided = decide(link(expiresAt="2027-03-10T12:00:00Z"), Visitor(), NOW)
    assert decided == Decision("expired", None, gone=True) and decided.gone
    assert not decide(link(), Visitor(), NOW).gone
    assert not decide(link(hasPassword=True), Visitor(), NOW).gone


# One case per attribute: the visitor, a value of theirs written in another case, and
# a value that is close but not whole.
ATTRIBUTE_CASES = [
    ("device", visitor_of("mac"), "mac os", "Mac"),
    ("device", visitor_of("iphone"), "IOS", "iPhone"),
    ("country", Visitor(country="BR"), "br", "B"),
    ("city", Visitor(city="São Paulo"), "SÃO PAULO", "São"),
    ("region", Visitor(region="SP"), "sp", "S"),
    ("continent", Visitor(continent="SA"), "sa", "SAM"),
    ("language", Visitor(language="pt"), "PT", "pt-BR"),
    ("referrer", Visitor(referrer="news.google.com"), "News.Google.com", "google.com"),
    ("referrer", Visitor(referrer="www.google.com"), "google.com", "oogle.com"),
    ("referrer", Visitor(referrer="google.com"), "WWW.google.com", "www.google"),
    ("utm_source", Visitor(utm_source="Newsletter"), "newsletter", "news"),
    ("utm_medium", Visitor(utm_medium="email"), "EMAIL", "e-mail"),
    ("utm_campaign", Visitor(utm_campaign="Spring Sale"), "spring sale", "spring"),
    ("utm_term", Visitor(utm_term="straße"), "STRASSE", "strass"),
    ("utm_content", Visitor(utm_content="banner-1"), "Banner-1", "banner"),
    ("browser", visitor_of("pixel"), "chrome mobile", "Chrome"),
    ("os", visitor_of("mac"), "MAC OS X", "Mac OS"),
]


@pytest.mark.parametrize("attribute,visitor,same,close", ATTRIBUTE_CASES)
def test_every_attribute_equals_its_value_whole_and_in_any_case(attribute, visitor, same, close):
    assert decide(link(rules=[rule(attribute, "equals", same)]), visitor, NOW) == Decision("rule", RULED, rule=1)
    assert decide(link(rules=[rule(attribute, "equals", close)]), visitor, NOW) == Decision("url", SITE)


@pytest.mark.parametrize("attribute,visitor,same,close", ATTRIBUTE_CASES)
def test_every_attribute_not_equals_is_the_opposite(attribute, visitor, same, close):
    assert decide(link(rules=[rule(attribute, "not_equals", same)]), visitor, NOW) == Decision("url", SITE)
    assert decide(link(rules=[rule(attribute, "not_equals", close)]), visitor, NOW) == Decision("rule", RULED, rule=1)


@pytest.mark.parametrize("attribute", ["device", "country", "city", "region", "continent", "language", "referrer",
                                       "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
                                       "browser", "os"])
def test_an_unknown_value_equals_nothing_and_is_not_equal_to_anything(attribute):
    assert decide(link(rules=[rule(attribute, "equals", "x")]), Visitor(), NOW) == Decision("url", SITE)
    assert decide(link(rules=[rule(attribute, "not_equals", "x")]), Visitor(), NOW) == Decision("rule", RULED, rule=1)


def time_rule(operator="equals", **window):
    value = {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "until": "17:00",
             "timeZone": "Europe/Paris", **window}
    return link(rules=[rule("time", operator, value)])


@pytest.mark.parametrize("instant,inside", [
    ("2027-03-10T07:59:59Z", False),  # Wednesday 08:59:59 in Paris (UTC+1)
    ("2027-03-10T08:00:00Z", True),  # 09:00, included
    ("2027-03-10T15:59:59Z", True),
    ("2027-03-10T16:00:00Z", False),  # 17:00, excluded
    ("2027-03-13T10:00:00Z", False),  # Saturday
    ("2027-03-29T07:30:00Z", True),  # Monday after the change to summer time: 09:30 (UTC+2)
    ("2027-03-29T15:30:00Z", False),  # 17:30 in summer time
])
def test_a_time_window_is_local_time_in_its_zone(instant, inside):
    at = datetime.fromisoformat(instant)
    assert decide(time_rule(), Visitor(), at).step == ("rule" if inside else "url")
    assert decide(time_rule("not_equals"), Visitor(), at).step == ("url" if inside else "rule")


@pytest.mark.parametrize("instant,inside", [
    ("2027-03-12T21:59:00Z", False),  # Friday 21:59 in Paris
    ("2027-03-12T22:00:00Z", False),  # Friday 23:00: after 22:00 on a day not listed
    ("2027-03-11T21:00:00Z", True),  # Thursday 22:00
    ("2027-03-12T04:59:00Z", True),  # Friday 05:59: the night that began on Thursday
    ("2027-03-12T05:00:00Z", False),  # Friday 06:00
    ("2027-03-11T04:00:00Z", False),  # Thursday 05:00: that night began on Wednesday
])
def test_an_overnight_window_belongs_to_the_day_it_starts_on(instant, inside):
    overnight = time_rule(days=["thu"], **{"from": "22:00", "until": "06:00"})
    assert decide(overnight, Visitor(), datetime.fromisoformat(instant)).step == ("rule" if inside else "url")


def test_a_whole_day_window_runs_to_midnight():
    sunday = time_rule(days=["sun"], timeZone="Asia/Tokyo", **{"from": "00:00", "until": "24:00"})
    assert decide(sunday, Visitor(), datetime(2027, 3, 13, 15, 0, tzinfo=UTC)).step == "rule"  # Sun 00:00 Tokyo
    assert decide(sunday, Visitor(), datetime(2027, 3, 14, 14, 59, tzinfo=UTC)).step == "rule"  # Sun 23:59
    assert decide(sunday, Visitor(), datetime(2027, 3, 14, 15, 0, tzinfo=UTC)).step == "url"  # Mon 00:00


def ab_test(*weights, key="code-1"):
    variants = [{"url": f"https://example.com/v{number}", "weight": weight} for number, weight in enumerate(weights, 1)]
    return LinkRouting.of_json({"url": SITE, "rules": [{"split": variants}]}, key=key)


@pytest.mark.parametrize("weights", [(50, 50), (20, 80), (10, 20, 30, 40), (25, 25, 25, 25), (1, 99), (97, 1, 1, 1)])
def test_a_split_over_2000_visitors_lands_within_3_points_of_its_weights(weights):
    shares = Counter(decide(ab_test(*weights), Visitor(identity=f"visitor {number}"), NOW).variant
                     for number in range(2000))
    for number, weight in enumerate(weights, 1):
        assert abs(shares[number] / 2000 * 100 - weight) <= 3, (number, shares)


def test_a_visitor_keeps_their_variant_and_the_decision_names_it():
    split = ab_test(50, 50)
    for number in range(200):
        visitor = Visitor(identity=f"visitor {number}")
        first = decide(split, visitor, NOW)
        later = decide(split, Visitor(identity=f"visitor {number}", country="JP"), NOW + timedelta(hours=5))
        assert later == first and first.rule == 1 and first.destination == f"https://example.com/v{first.variant}"


def test_two_codes_split_the_same_visitors_independently():
    first, second = ab_test(50, 50, key="code-1"), ab_test(50, 50, key="code-2")
    same = sum(decide(first, Visitor(identity=f"v{number}"), NOW).variant ==
               decide(second, Visitor(identity=f"v{number}"), NOW).variant for number in range(2000))
    assert 900 <= same <= 1100  # about half, as for two coins; always the same would be 2,000


def test_visitors_without_identity_are_still_spread():
    split = ab_test(50, 50)
    shares = Counter(decide(split, Visitor(), NOW + timedelta(milliseconds=number)).variant for number in range(2000))
    assert set(shares) == {1, 2} and abs(shares[1] - 1000) <= 60


def test_a_split_after_a_condition_is_numbered_by_its_position():
    routing = link(rules=[rule("country", "equals", "FR"),
                          {"split": [{"url": "https://example.com/a", "weight": 1},
                                     {"url": "https://example.com/b", "weight": 99}]}])
    assert decide(routing, Visitor(country="FR"), NOW) == Decision("rule", RULED, rule=1)
    decided = decide(routing, Visitor(country="DE", identity="someone"), NOW)
    assert decided.rule == 2 and decided.variant in (1, 2) and decided.step == "rule"


def test_pick_variant_fills_the_weights_in_order():
    variants = parse_rules([{"split": [{"url": "https://example.com/a", "weight": 1},
                                       {"url": "https://example.com/b", "weight": 99}]}])[0].split or []
    picked = Counter(pick_variant(variants, f"seed {number}")[0] for number in range(5000))
    assert 20 <= picked[1] <= 80 and picked[1] + picked[2] == 5000


def test_utm_and_the_forwarded_query_reach_every_destination():
    campaign = {"utm_source": "poster", "utm_medium": "print", "forwardQuery": True,
                "expiredUrl": EXPIRED, "geo": {"FR": FRANCE + "?lang=fr#top"}}
    visitor = Visitor(country="FR", query="ref=table%2012")
    assert decide(link(**campaign), visitor, NOW).destination == (
        "https://example.com/fr?lang=fr&utm_source=poster&utm_medium=print&ref=table%2012#top")
    expired = decide(link(**campaign, expiresAt="2027-01-01T00:00:00Z"), visitor, NOW)
    assert expired.destination == "https://example.com/expired?utm_source=poster&utm_medium=print&ref=table%2012"
    without_forward = decide(link(**{**campaign, "forwardQuery": False}), Visitor(query="ref=x"), NOW)
    assert without_forward.destination == "https://example.com/site?utm_source=poster&utm_medium=print"


def test_routing_refuses_rules_that_break_an_invariant():
    with pytest.raises(ValidationError, match="Rule 1: the weights of its split add up to 90"):
        link(rules=[{"split": [{"url": "https://example.com/a", "weight": 45},
                               {"url": "https://example.com/b", "weight": 45}]}])


@pytest.mark.parametrize("hostile", [
    "x" * 1_000_000, "\x00\r\n\x1b", "İstanbul", "\ud800", "🇫🇷", "",
])
def test_hostile_visitor_values_decide_without_error(hostile):
    routing = link(rules=[rule(attribute, "equals", "Paris") for attribute in
                          ("city", "referrer", "utm_source", "browser", "os", "device", "region")]
                   + [{"split": [{"url": "https://example.com/a", "weight": 50},
                                 {"url": "https://example.com/b", "weight": 50}]}],
                   geo={"FR": FRANCE}, ios=IPHONE)
    visitor = Visitor(device=hostile, os=hostile, browser=hostile, country=hostile, city=hostile, region=hostile,
                      continent=hostile, language=hostile, referrer=hostile, utm_source=hostile, identity=hostile)
    decided = decide(routing, visitor, NOW)
    assert decided.step == "rule" and decided.rule == 8 and decided.variant in (1, 2)


def test_istanbul_in_capitals_is_not_istanbul_in_small_letters_folded():
    # Case folding is Unicode's, not Turkish: "İSTANBUL" folds to "i̇stanbul", so a city
    # written with a dotted capital matches only itself and "i̇stanbul".
    routing = link(rules=[rule("city", "equals", "ISTANBUL")])
    assert decide(routing, Visitor(city="Istanbul"), NOW).step == "rule"
    assert decide(routing, Visitor(city="İstanbul"), NOW).step == "url"


def test_the_decision_imports_no_flask():
    """The package is the redirect's pure core: deciding loads no web framework."""
    script = ("import sys; from codeqr.links import decide, rules, utm; "
              "rules.never_matching([]); print(sorted(name for name in sys.modules if name.split('.')[0] == 'flask'))")
    assert subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout == "[]\n"
