"""The smart rules' shape (issue 23): what is accepted, every invariant refused with a
sentence naming the rule, URLs checked as the QR Code's url is, and the warnings for
values no visitor can have."""

import pytest
from pydantic import TypeAdapter, ValidationError

from codeqr.links.rules import Rule, Rules, TimeWindow, device_of, never_matching, parse_rules

A, B, C, D, E = (f"https://example.com/{name}" for name in "abcde")
IOS = {"attribute": "device", "operator": "equals", "value": "iOS", "url": A}
WINDOW = {"days": ["mon", "fri"], "from": "09:00", "until": "17:30", "timeZone": "Europe/Paris"}


def split(*weights):
    return [{"url": f"https://example.com/v{number}", "weight": weight} for number, weight in enumerate(weights, 1)]


def refusal(rules) -> str:
    with pytest.raises(ValidationError) as caught:
        parse_rules(rules)
    return " | ".join(error["msg"] for error in caught.value.errors())


def test_a_condition_with_a_url_then_an_ab_split_is_accepted():
    rules = parse_rules([IOS, {"attribute": "time", "operator": "not_equals", "value": WINDOW, "url": B},
                         {"split": split(30, 70)}])
    assert [rule.attribute for rule in rules] == ["device", "time", None]
    assert rules[1].value == TimeWindow(days=["mon", "fri"], start="09:00", until="17:30", time_zone="Europe/Paris")
    assert [variant.weight for variant in rules[2].split or []] == [30, 70]
    assert rules[2].unconditional and not rules[0].unconditional


def test_no_rules_at_all_is_accepted():
    assert parse_rules([]) == []


def test_twenty_rules_are_accepted_and_twenty_one_refused():
    assert len(parse_rules([IOS] * 20)) == 20
    assert refusal([IOS] * 21) == "There are 21 rules; at most 20 are allowed."


def test_the_weights_must_add_up_to_100():
    assert refusal([{"split": split(50, 40)}]) == "Rule 1: the weights of its split add up to 90; they must add up to 100."
    assert refusal([IOS, IOS, {"split": split(50, 40, 30)}]) == (
        "Rule 3: the weights of its split add up to 120; they must add up to 100.")


@pytest.mark.parametrize("weight", [0, -5, 101, 50.5, 50.0])
def test_a_weight_is_a_whole_number_from_1_to_100(weight):
    assert refusal([IOS, {"split": [{"url": A, "weight": weight}, {"url": B, "weight": 50}]}]) == (
        f"Rule 2: the weight of variant 1 is {weight!r}; a weight is a whole number from 1 to 100.")


@pytest.mark.parametrize("weight", ["50", True, None, [50]])
def test_a_weight_of_another_type_is_refused(weight):
    with pytest.raises(ValidationError) as caught:
        parse_rules([{"split": [{"url": A, "weight": weight}, {"url": B, "weight": 50}]}])
    assert caught.value.errors()[0]["loc"][-1] == "weight"


@pytest.mark.parametrize("count", [0, 1, 5, 100_000])
def test_a_split_has_2_to_4_variants(count):
    variants = split(*([1] * count))
    assert refusal([{"split": variants}]) == (
        f"Rule 1: its split has {count} variant{'' if count == 1 else 's'}; a split has 2 to 4.")


def test_a_split_of_4_variants_is_accepted():
    assert len(parse_rules([{"split": split(10, 20, 30, 40)}])[0].split or []) == 4


@pytest.mark.parametrize("given,named", [
    ({"attribute": "device"}, "attribute"),
    ({"attribute": "device", "operator": "equals"}, "attribute and operator"),
    ({"value": "iOS"}, "value"),
    ({"operator": "not_equals", "value": "iOS"}, "operator and value"),
])
def test_a_condition_has_all_three_parts_or_none(given, named):
    assert refusal([{**given, "url": A}, {"split": split(50, 50)}]) == (
        f"Rule 1: its condition has only {named}; give an attribute, an operator and a value, or none of them.")


def test_a_rule_has_a_url_or_a_split_never_both():
    assert refusal([{**IOS, "split": split(50, 50)}]) == "Rule 1: it has both a url and a split; give one of them."
    assert refusal([IOS, {"attribute": "country", "operator": "equals", "value": "DE"}]) == (
        "Rule 2: it has neither a url nor a split; give one of them.")


def test_the_rule_without_condition_must_be_last():
    assert refusal([{"split": split(50, 50)}, IOS, IOS]) == (
        "Rule 1: it has no condition, so it matches every visitor and must be the last rule; "
        "2 rules after it would never be tried.")


def test_a_rule_without_condition_must_split():
    assert refusal([IOS, {"url": B}]) == (
        "Rule 2: it has no condition and no split; a rule for every visitor must split them "
        "(to send everyone to one place, change the QR Code's url).")


def test_every_problem_is_told_at_once():
    assert refusal([{"split": split(60, 60)}, {**IOS, "split": split(50, 50)}]) == (
        "Rule 1: the weights of its split add up to 120; they must add up to 100. "
        "Rule 1: it has no condition, so it matches every visitor and must be the last rule; "
        "1 rule after it would never be tried. "
        "Rule 2: it has both a url and a split; give one of them.")


def test_a_time_condition_takes_a_window_and_the_others_text():
    assert refusal([{"attribute": "time", "operator": "equals", "value": "09:00-17:00", "url": A}]) == (
        'Rule 1: a time condition takes a window, {"days": [...], "from": "HH:MM", "until": "HH:MM", '
        '"timeZone": "…"}, not text.')
    assert refusal([{"attribute": "country", "operator": "equals", "value": WINDOW, "url": A}]) == (
        "Rule 1: a country condition takes text, not a time window.")


@pytest.mark.parametrize("attribute", ["device", "country", "city", "region", "continent", "language", "referrer",
                                       "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
                                       "browser", "os"])
@pytest.mark.parametrize("operator", ["equals", "not_equals"])
def test_every_attribute_and_operator_is_accepted(attribute, operator):
    rule = parse_rules([{"attribute": attribute, "operator": operator, "value": "x", "url": A}])[0]
    assert (rule.attribute, rule.operator, rule.value) == (attribute, operator, "x")


@pytest.mark.parametrize("condition", [
    {"attribute": "mobile", "operator": "equals", "value": "yes"},
    {"attribute": "Device", "operator": "equals", "value": "iOS"},
    {"attribute": "device", "operator": "contains", "value": "iOS"},
    {"attribute": "device", "operator": "EQUALS", "value": "iOS"},
])
def test_attributes_and_operators_outside_codeqrs_are_refused(condition):
    with pytest.raises(ValidationError):
        parse_rules([{**condition, "url": A}])


@pytest.mark.parametrize("url,kind", [
    ("javascript:alert(1)", "url_scheme"),
    ("https://google.com@evil.example/", "url_userinfo"),
    ("https://example.com/a b", "url_spaces"),
    ("https://exa\\mple.com/", "url_host_characters"),
    ("/relative/path", "url_scheme"),
    ("https://example.com:99999/", "url_unreadable"),
])
def test_urls_in_rules_and_splits_follow_the_rules_of_the_codes_url(url, kind):
    for rules in ([{**IOS, "url": url}], [{"split": [{"url": url, "weight": 50}, {"url": B, "weight": 50}]}]):
        with pytest.raises(ValidationError) as caught:
            parse_rules(rules)
        assert [error["type"] for error in caught.value.errors()] == [kind]


def test_a_url_longer_than_the_codes_url_may_be_is_refused():
    with pytest.raises(ValidationError):
        parse_rules([{**IOS, "url": "https://example.com/" + "a" * 9000}])


@pytest.mark.parametrize("value", ["", "x" * 191, "x" * 1_000_000, "iOS\x00", "a\nb", "\x1b[31m"])
def test_a_value_is_one_line_of_1_to_190_characters(value):
    with pytest.raises(ValidationError):
        parse_rules([{**IOS, "value": value}])


def test_a_value_of_190_characters_in_any_script_is_accepted():
    assert parse_rules([{**IOS, "value": "São Paulo 東京 " + "ü" * 175}])[0].value == "São Paulo 東京 " + "ü" * 175


@pytest.mark.parametrize("hostile", [
    {"split": split(50, 50)}, "rules", 42, None, [[IOS]], ["not a rule"], [{**IOS, "extra": 1}],
    [{**IOS, "value": 5}], [{**IOS, "value": ["iOS"]}], [{**IOS, "url": None, "split": "50/50"}],
])
def test_rules_of_the_wrong_shape_are_refused(hostile):
    with pytest.raises(ValidationError):
        parse_rules(hostile)


def test_a_million_rules_are_refused_by_their_count():
    assert refusal([IOS] * 1_000_000) == "There are 1000000 rules; at most 20 are allowed."


@pytest.mark.parametrize("window,problem", [
    ({**WINDOW, "from": "25:00"}, "must be a time of day"),
    ({**WINDOW, "until": "9:00"}, "must be a time of day"),
    ({**WINDOW, "until": "24:01"}, "must be a time of day"),
    ({**WINDOW, "from": "24:00"}, "from must be before 24:00"),
    ({**WINDOW, "until": "09:00"}, "from and until are the same time"),
    ({**WINDOW, "timeZone": "Mars/Olympus"}, "IANA time zone"),
    ({**WINDOW, "timeZone": "../../../etc/passwd"}, "IANA time zone"),
    ({**WINDOW, "timeZone": "Europe/Paris\x00"}, "IANA time zone"),
    ({**WINDOW, "timeZone": "x" * 10_000}, "IANA time zone"),
    ({**WINDOW, "days": []}, "at least 1 item"),
    ({**WINDOW, "days": ["monday"]}, "'mon'"),
    ({**WINDOW, "days": ["mon"] * 8}, "at most 7 items"),
    ({"days": ["mon"], "from": "09:00", "until": "17:00"}, "Field required"),
    ({**WINDOW, "hours": 3}, "Extra inputs"),
])
def test_a_time_window_is_refused_when_malformed(window, problem):
    with pytest.raises(ValidationError, match=problem):
        parse_rules([{"attribute": "time", "operator": "equals", "value": window, "url": A}])


def test_a_whole_day_window_and_an_overnight_one_are_accepted():
    for start, until in (("00:00", "24:00"), ("22:00", "06:00")):
        rules = parse_rules([{"attribute": "time", "operator": "equals", "url": A,
                              "value": {**WINDOW, "from": start, "until": until}}])
        assert isinstance(rules[0].value, TimeWindow)


@pytest.mark.parametrize("system,device", [
    ("iOS", "iOS"), ("Android", "Android"), ("Windows", "Windows"), ("Mac OS X", "Mac OS"), ("Linux", "Linux"),
    ("Ubuntu", "Linux"), ("Chrome OS", None), ("Windows Phone", None), (None, None), ("", None),
])
def test_the_device_of_a_system_is_codeqrs_name_for_it(system, device):
    assert device_of(system) == device


def warnings_for(attribute, value):
    return never_matching([Rule(attribute=attribute, operator="equals", value=value, url=A)])


@pytest.mark.parametrize("attribute,value,why", [
    ("device", "iphone", "devices are iOS, Android, Windows, Mac OS, Linux"),
    ("device", "mobile", "devices are iOS, Android, Windows, Mac OS, Linux"),
    ("device", "Mac OS X", "devices are iOS, Android, Windows, Mac OS, Linux"),
    ("country", "XX", "it is not an ISO 3166-1 alpha-2 country code (such as DE or US)"),
    ("country", "GER", "it is not an ISO 3166-1 alpha-2 country code (such as DE or US)"),
    ("country", "Germany", "it is not an ISO 3166-1 alpha-2 country code (such as DE or US)"),
    ("continent", "Europe", "continents are AF, AN, AS, EU, NA, OC, SA"),
    ("continent", "AM", "continents are AF, AN, AS, EU, NA, OC, SA"),
    ("region", "Bavaria", "a region is an ISO 3166-2 subdivision code without its country (such as BY or CA)"),
    ("language", "german", "a language is the two- or three-letter code a browser asks for first (such as de or en)"),
    ("language", "de-DE", "a language is the two- or three-letter code a browser asks for first (such as de or en)"),
    ("referrer", "https://google.com/", "a referrer is the host of the page the visitor came from "
                                        "(such as google.com), never a full URL"),
    ("city", " Paris", "no visitor's value starts or ends with a space"),
    ("utm_source", "mail\u200b", "no visitor's value holds invisible characters"),
])
def test_a_value_no_visitor_can_have_is_warned_of(attribute, value, why):
    assert warnings_for(attribute, value) == [f'Rule 1: {attribute} "{value}" never matches: {why}.']


@pytest.mark.parametrize("attribute,value", [
    ("device", "ios"), ("device", "MAC OS"), ("country", "de"), ("country", "US"), ("continent", "eu"),
    ("region", "BY"), ("language", "pt"), ("referrer", "www.google.com"), ("city", "São Paulo"),
    ("browser", "Mobile Safari"), ("os", "Chrome OS"), ("utm_campaign", "spring sale 2027"),
])
def test_a_value_a_visitor_can_have_is_not_warned_of(attribute, value):
    assert warnings_for(attribute, value) == []


def test_warnings_name_their_rule_and_skip_time_windows_and_splits():
    rules = parse_rules([{"attribute": "time", "operator": "equals", "value": WINDOW, "url": A},
                         {**IOS, "value": "Android"}, {**IOS, "value": "iPad"}, {"split": split(50, 50)}])
    assert never_matching(rules) == [
        'Rule 3: device "iPad" never matches: devices are iOS, Android, Windows, Mac OS, Linux.']


def test_the_schema_advertises_the_bounds_the_checks_hold():
    schema = TypeAdapter(Rules).json_schema()
    rule = schema["$defs"]["Rule"]["properties"]
    split = next(option for option in rule["split"]["anyOf"] if option.get("type") == "array")
    weight = schema["$defs"]["Variant"]["properties"]["weight"]
    assert (schema["maxItems"], split["minItems"], split["maxItems"]) == (20, 2, 4)
    assert (weight["minimum"], weight["maximum"]) == (1, 100)
    assert rule["operator"]["anyOf"][0]["enum"] == ["equals", "not_equals"]
    assert schema["$defs"]["TimeWindow"]["required"] == ["days", "from", "until", "timeZone"]
