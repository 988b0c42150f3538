"""Hypothesis on the validation edges: every input is stored as the rules say, or refused with a 422."""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codeqr.design_rules import contrast

SETTINGS = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
ANY_JSON = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)


@SETTINGS
@given(size=ANY_JSON)
def test_size_is_an_integer_from_64_to_4096(api, size):
    response = api.post("/api/qrcodes", json={"url": "https://example.com/", "size": size})
    valid = type(size) is int and 64 <= size <= 4096
    assert response.status_code == (201 if valid else 422), size
    if valid:
        assert response.get_json()["size"] == size


@SETTINGS
@given(color=st.from_regex(r"\A#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?\Z") | st.text(max_size=8))
def test_colours_are_normalised_or_refused(api, color):
    response = api.post("/api/qrcodes", json={"url": "https://example.com/", "bgColor": color})
    if not re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", color):
        assert response.status_code == 422
        return
    full = color.lower() if len(color) == 7 else "#" + "".join(c * 2 for c in color[1:].lower())
    # contrast() itself is checked against published WCAG ratios below.
    if contrast(full, "#000000") < 3:
        assert response.status_code == 422 and "contrast" in response.get_json()["error"]["message"]
    else:
        assert response.get_json()["bgColor"] == full


@SETTINGS
@given(url=st.text(max_size=60).map(lambda tail: "https://example.com/" + tail) | st.text(max_size=60))
def test_urls_are_stored_exactly_as_given_or_refused(api, client, url):
    response = api.post("/api/qrcodes", json={"url": url})
    assert response.status_code in (201, 422), url
    if response.status_code == 201:
        qr = response.get_json()
        assert qr["url"] == url
        assert url.lower().startswith(("http://", "https://"))
        assert not any(char.isspace() or ord(char) < 32 for char in url)
        assert client.get(f"/{qr['key']}").status_code == 302


@SETTINGS
@given(data=st.data())
def test_custom_keys_follow_the_rule(app, api, client, data):
    """The oracle of reserved words is the app's own set, built from its URL map."""
    reserved_keys = app.extensions["codeqr"].reserved_keys
    route_word = st.sampled_from(sorted(reserved_keys)).map(lambda word: word.upper() if len(word) % 2 else word)
    key = data.draw(st.text(max_size=12) | route_word, label="key")
    response = api.post("/api/qrcodes", json={"url": "https://example.com/", "key": key})
    reserved = key.lower() in reserved_keys
    shape = re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", key) is not None
    if shape and not reserved:
        assert response.status_code in (201, 409)  # 409: drawn twice
        if response.status_code == 201:
            assert client.get(f"/{key}").status_code == 302
    else:
        assert response.status_code == 422


#: Contrast ratios against white as WCAG checkers publish them (e.g. WebAIM's).
WCAG_REFERENCE = [("#767676", 4.54), ("#777777", 4.48), ("#949494", 3.03), ("#ff0000", 4.0), ("#0000ff", 8.59),
                  ("#808080", 3.95), ("#aaaaaa", 2.32), ("#ffff00", 1.07), ("#000000", 21.0), ("#ffffff", 1.0)]


def test_contrast_matches_published_wcag_ratios():
    for color, ratio in WCAG_REFERENCE:
        assert round(contrast(color, "#ffffff"), 2) == ratio, color
        assert contrast("#ffffff", color) == contrast(color, "#ffffff")


def test_the_contrast_floor_is_three_to_one(api):
    assert api.post("/api/qrcodes", json={"url": "https://example.com/", "fgColor": "#949494"}).status_code == 201
    refused = api.post("/api/qrcodes", json={"url": "https://example.com/", "fgColor": "#aaaaaa"})
    assert refused.status_code == 422 and "2.32:1" in refused.get_json()["error"]["message"]
