"""The link options in words (``links.describe``): each option, each rule attribute, a
split, a time window, the expiry before and after it comes, and the order of decision."""

from datetime import UTC, datetime

import pytest

from codeqr.links.decide import LinkRouting
from codeqr.links.describe import days, describe, plain

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
COUNTRIES = {"DE": "Germany", "FR": "France", "JP": "Japan"}


def said(data: dict, now: datetime = NOW) -> list[str]:
    link = LinkRouting.of_json({"url": "https://example.com/"} | data, "k1")
    return [plain(sentence) for sentence in describe(link, now, lambda code: COUNTRIES.get(code, code)).sentences]


def rule(attribute: str, value, operator: str = "equals") -> dict:
    return {"rules": [{"attribute": attribute, "operator": operator, "value": value, "url": "https://r.example/"}]}


def test_a_code_without_options_just_goes_to_its_url():
    assert said({}) == ["Goes to https://example.com/."]


def test_every_option_in_the_order_of_decision():
    assert said({
        "forwardQuery": True, "utm_source": "poster", "utm_campaign": "spring",
        "android": "https://a.example/", "ios": "https://i.example/",
        "geo": {"FR": "https://fr.example/", "DE": "https://de.example/"},
        "rules": [{"attribute": "device", "operator": "equals", "value": "Windows", "url": "https://w.example/"}],
        "expiresAt": "2026-12-31T18:00:00Z", "expiredUrl": "https://over.example/",
        "hasPassword": True,
    }) == [
        "Asks for a password before going on.",
        "Until 2026-12-31 18:00 UTC, as follows; after that it goes to https://over.example/.",
        "Rule 1: visitors whose device is Windows go to https://w.example/.",
        "Visitors from France go to https://fr.example/.",  # by the country's name
        "Visitors from Germany go to https://de.example/.",
        "iPhones and iPads go to https://i.example/.",
        "Android phones go to https://a.example/.",
        "Everyone else goes to https://example.com/.",
        "Adds utm_source=poster&utm_campaign=spring to the destination.",
        "Passes the scanned link's own query on.",
    ]


def test_expiry_without_a_url_shows_the_expired_page():
    assert said({"expiresAt": "2026-12-31T18:00:00Z"})[0] == (
        "Until 2026-12-31 18:00 UTC, as follows; after that it shows an “expired” page (410).")


def test_expiry_once_it_has_come():
    # At the very instant the scan is expired (decide's boundary), and after it.
    for now in (datetime(2026, 12, 31, 18, 0, tzinfo=UTC), datetime(2027, 1, 5, tzinfo=UTC)):
        assert said({"expiresAt": "2026-12-31T18:00:00Z", "expiredUrl": "https://over.example/"}, now)[0] == (
            "Expired since 2026-12-31 18:00 UTC: every scan goes to https://over.example/. "
            "Until then it did what follows.")
    assert said({"expiresAt": "2026-12-31T18:00:00Z"}, datetime(2027, 1, 1, tzinfo=UTC))[0] == (
        "Expired since 2026-12-31 18:00 UTC: every scan shows an “expired” page (410). Until then it did what follows.")
    # A minute before: not yet.
    assert said({"expiresAt": "2026-12-31T18:00:00Z"}, datetime(2026, 12, 31, 17, 59, tzinfo=UTC))[0].startswith("Until")


@pytest.mark.parametrize(("attribute", "value", "equals", "differs"), [
    ("device", "iOS", "visitors whose device is iOS", "visitors whose device is not iOS"),
    ("os", "Mac OS X", "visitors whose system is Mac OS X", "visitors whose system is not Mac OS X"),
    ("browser", "Chrome", "visitors using Chrome", "visitors not using Chrome"),
    ("country", "de", "visitors from Germany", "visitors not from Germany"),
    ("city", "Berlin", "visitors from the city of Berlin", "visitors not from the city of Berlin"),
    ("region", "BY", "visitors from the region BY", "visitors not from the region BY"),
    ("continent", "EU", "visitors from Europe", "visitors not from Europe"),
    ("language", "de", "visitors whose browser asks first for the language de",
     "visitors whose browser does not ask first for the language de"),
    ("referrer", "google.com", "visitors coming from google.com", "visitors not coming from google.com"),
    ("utm_source", "mail", "visitors whose scanned link has utm_source=mail",
     "visitors whose scanned link does not have utm_source=mail"),
    ("utm_medium", "print", "visitors whose scanned link has utm_medium=print",
     "visitors whose scanned link does not have utm_medium=print"),
    ("utm_campaign", "spring", "visitors whose scanned link has utm_campaign=spring",
     "visitors whose scanned link does not have utm_campaign=spring"),
    ("utm_term", "shoes", "visitors whose scanned link has utm_term=shoes",
     "visitors whose scanned link does not have utm_term=shoes"),
    ("utm_content", "a", "visitors whose scanned link has utm_content=a",
     "visitors whose scanned link does not have utm_content=a"),
])
def test_each_attribute_as_words(attribute, value, equals, differs):
    assert said(rule(attribute, value))[0] == f"Rule 1: {equals} go to https://r.example/."
    assert said(rule(attribute, value, "not_equals"))[0] == f"Rule 1: {differs} go to https://r.example/."


def test_a_time_window_in_its_own_zone():
    window = {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "until": "17:30", "timeZone": "Europe/Paris"}
    assert said(rule("time", window))[0] == (
        "Rule 1: visitors scanning on Mon–Fri from 09:00 to 17:30 (Europe/Paris) go to https://r.example/.")
    assert said(rule("time", window, "not_equals"))[0] == (
        "Rule 1: visitors scanning outside Mon–Fri from 09:00 to 17:30 (Europe/Paris) go to https://r.example/.")
    overnight = {"days": ["fri", "sat"], "from": "22:00", "until": "06:00", "timeZone": "Asia/Tokyo"}
    assert said(rule("time", overnight))[0] == (
        "Rule 1: visitors scanning on Fri, Sat from 22:00 to 06:00 the next day (Asia/Tokyo) go to https://r.example/.")


def test_days_in_few_words():
    assert days(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]) == "every day"
    assert days(["sat", "sun"]) == "Sat, Sun"
    assert days(["mon", "wed", "thu", "fri", "sun"]) == "Mon, Wed–Fri, Sun"
    assert days(["fri", "tue", "mon"]) == "Mon, Tue, Fri"  # in the week's order, whatever was given


def test_splits_with_and_without_a_condition():
    split = [{"url": "https://a.example/", "weight": 30}, {"url": "https://b.example/", "weight": 70}]
    assert said({"rules": [
        {"attribute": "country", "operator": "equals", "value": "JP", "split": split},
        {"split": split},
    ]}) == [
        "Rule 1: visitors from Japan are split: 30% to https://a.example/, 70% to https://b.example/.",
        "Rule 2: everyone else is split: 30% to https://a.example/, 70% to https://b.example/.",
        "Rule 2 takes everyone else, so the QR Code's own URL is not used.",
    ]
    assert said({"geo": {"DE": "https://de.example/"}, "ios": "https://i.example/", "rules": [{"split": split}]})[1] == (
        "Rule 1 takes everyone else, so the country targets, the phone targets and the QR Code's own URL are not used.")


def test_typed_values_show_their_invisible_characters():
    # A right-to-left override in a rule's value would turn the words after it around.
    assert said(rule("city", "Ber\u202elin"))[0] == "Rule 1: visitors from the city of Ber<U+202E>lin go to https://r.example/."
    assert said({"utm_term": "a\u200bb"})[1] == "Adds utm_term=a<U+200B>b to the destination."


def test_a_code_that_shows_a_page_of_its_content():
    link = LinkRouting.of_json({"url": "BEGIN:VCARD…", "hasPassword": True}, "k1")
    assert [plain(sentence) for sentence in describe(link, NOW, str, own_page=True).sentences] == [
        "Asks for a password before going on.", "Shows the QR Code's own page, with its content."]
