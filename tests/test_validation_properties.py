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
@given(key=st.text(max_size=12))
def test_custom_keys_follow_the_rule(api, client, key):
    response = api.post("/api/qrcodes", json={"url": "https://example.com/", "key": key})
    reserved = key.lower() in {"api", "qr", "static", "admin", "login", "logout", "setup", "healthz"}
    shape = re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", key) is not None
    if shape and not reserved:
        assert response.status_code in (201, 409)  # 409: drawn twice
        if response.status_code == 201:
            assert client.get(f"/{key}").status_code == 302
    else:
        assert response.status_code == 422
