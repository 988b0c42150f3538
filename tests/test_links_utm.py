"""UTM parameters and the forwarded query added to a destination (issue 23): the
destination keeps its own query and fragment, the code's fields beat the destination's,
the forwarded query beats both, and hostile values stay inside the query."""

import pytest

from codeqr.links.utm import utm_of_query, with_parameters

CAMPAIGN = {"utm_source": "poster", "utm_medium": "print", "utm_campaign": "spring", "utm_term": "risotto",
            "utm_content": "a3"}


def test_all_five_are_added_in_their_order():
    assert with_parameters("https://example.com/menu", CAMPAIGN) == (
        "https://example.com/menu?utm_source=poster&utm_medium=print&utm_campaign=spring&utm_term=risotto"
        "&utm_content=a3")


def test_nothing_to_add_leaves_the_destination_as_it_is():
    for url in ("https://example.com/", "https://example.com/?", "https://example.com/a?b=%20c#d"):
        assert with_parameters(url, {}) == url
        assert with_parameters(url, {"utm_source": None, "utm_medium": ""}) == url


def test_the_destinations_own_query_is_kept_byte_for_byte():
    assert with_parameters("https://example.com/p?b=%20c&flag&a=1+2&x=%E2%82%AC", {"utm_source": "poster"}) == (
        "https://example.com/p?b=%20c&flag&a=1+2&x=%E2%82%AC&utm_source=poster")


def test_a_fragment_stays_last():
    assert with_parameters("https://example.com/p#section-2", {"utm_source": "poster"}) == (
        "https://example.com/p?utm_source=poster#section-2")
    assert with_parameters("https://example.com/p?x=1#a?b=c&d", {"utm_medium": "print"}) == (
        "https://example.com/p?x=1&utm_medium=print#a?b=c&d")


def test_the_codes_utm_source_replaces_the_destinations_where_it_stood():
    assert with_parameters("https://example.com/?a=1&utm_source=old&b=2&utm_source=older", {"utm_source": "poster"}) == (
        "https://example.com/?a=1&utm_source=poster&b=2")
    assert with_parameters("https://example.com/?utm_source&utm_medium=", {"utm_source": "poster"}) == (
        "https://example.com/?utm_source=poster&utm_medium=")


def test_an_encoded_name_counts_as_the_same_name():
    assert with_parameters("https://example.com/?utm%5Fsource=old", {"utm_source": "poster"}) == (
        "https://example.com/?utm_source=poster")


def test_values_are_encoded_so_they_stay_one_parameter():
    assert with_parameters("https://example.com/", {"utm_campaign": "Spring & Summer = 50% #1"}) == (
        "https://example.com/?utm_campaign=Spring+%26+Summer+%3D+50%25+%231")
    assert with_parameters("https://example.com/", {"utm_term": "crème brûlée 東京"}) == (
        "https://example.com/?utm_term=cr%C3%A8me+br%C3%BBl%C3%A9e+%E6%9D%B1%E4%BA%AC")


def test_control_characters_never_reach_the_url_raw():
    made = with_parameters("https://example.com/", {"utm_source": "a\r\nSet-Cookie: x=1\x00"}, "b=\r\n\x7f")
    assert made == "https://example.com/?utm_source=a%0D%0ASet-Cookie%3A+x%3D1%00&b=%0D%0A%7F"


def test_a_forwarded_query_is_passed_on_and_wins_over_the_codes_fields():
    assert with_parameters("https://example.com/?a=1#top", {"utm_source": "poster", "utm_medium": "print"},
                           "utm_source=mail&ref=7&ref=8") == (
        "https://example.com/?a=1&utm_source=mail&utm_medium=print&ref=7&ref=8#top")


def test_a_forwarded_query_keeps_its_escapes_and_escapes_the_rest():
    assert with_parameters("https://example.com/", {}, "q=caf%C3%A9&r=café&s=a b&t=x#y&&") == (
        "https://example.com/?q=caf%C3%A9&r=caf%C3%A9&s=a%20b&t=x%23y")


def test_a_forwarded_query_too_long_for_a_url_is_dropped():
    assert with_parameters("https://example.com/", {"utm_source": "poster"}, "x=" + "a" * 9000) == (
        "https://example.com/?utm_source=poster")
    assert with_parameters("https://example.com/", {}, "x=" + "a" * 8000) == "https://example.com/?x=" + "a" * 8000


def test_the_utm_of_a_scanned_links_query_are_its_first_non_empty_ones():
    assert utm_of_query("utm_source=mail&utm_source=other&utm_medium=&utm_term=sp%C3%A9cial+offer&x=1") == {
        "utm_source": "mail", "utm_term": "spécial offer"}
    assert utm_of_query("") == {}
    assert utm_of_query("utm_campaign") == {}


@pytest.mark.parametrize("query", ["utm_source=" + "a" * 1_000_000, "&" * 100_000, "%ZZ=%%", "utm_source=%00\x00"])
def test_hostile_queries_are_read_without_error(query):
    found = utm_of_query(query)
    assert all(len(value) <= 8192 for value in found.values())
