"""Destination URLs never carry credentials, nor a host a browser reads otherwise: refused
with a clear message by the API (create, update, upsert, bulk), the web form and the CSV import."""

from test_web import _csv, _import, _wait, error_slots
from web_client import csrf_of

#: Destinations with credentials (user@ before the host), however written.
CREDENTIALS = [
    "https://google.com@evil.example/", "https://user:pass@host.example/", "https://user@host.example/",
    "https://@host.example/", "http://user:@host.example", "HTTPS://USER@HOST.EXAMPLE/",
    "https://google.com:443@evil.example/", "https://google.com;@evil.example/", "https://a@b@evil.example/",
    "https://user%3Apass@host.example/", "https://user@[::1]/",
]
#: Destinations that lead elsewhere than they seem: each is refused, by whatever way it comes.
DECEIVING = CREDENTIALS + [
    "https://google.com%40evil.example/", "https://google.com%2540evil.example/",
    "https://host.example\\@evil.example/", "https://evil.example\\google.com/", "https:\\\\user@host.example",
    "https:/\\user@host.example/", "https://\\user@host.example/", "https://google.com\uff20evil.example/",
    "https://google.com\ufe6bevil.example/",
]
#: What only plain credentials are told, in the API and in the people's words.
API_MESSAGE = "url: must not contain a user name or password (user@ before the host)"
SENTENCE = "Remove the name or password before the site name"
#: An @ after the host is part of the path, query or fragment: those stay allowed.
ALLOWED = ["https://example.com/path@x", "https://example.com/?next=a@b", "https://example.com/#@x",
           "https://example.com/%40", "https://example.com/a\\b"]


def test_the_api_refuses_every_deceiving_destination_on_every_write(api):
    existing = api.post("/api/qrcodes", json={"url": "https://example.com/kept"}).get_json()
    for url in DECEIVING:
        for method, path, body in [("POST", "/api/qrcodes", {"url": url}), ("PUT", "/api/qrcodes/upsert", {"url": url}),
                                   ("PATCH", f"/api/qrcodes/{existing['id']}", {"url": url}),
                                   ("PUT", f"/api/qrcodes/{existing['id']}", {"url": url})]:
            response = api.open(path, method=method, json=body)
            assert response.status_code == 422, (method, path, url)
        bulk = api.post("/api/qrcodes/bulk", json=[{"url": url}]).get_json()
        assert bulk[0]["error"]["code"] == "unprocessable_entity", url
    assert api.get("/api/qrcodes/count").get_json() == 1
    assert api.get(f"/api/qrcodes/{existing['id']}").get_json()["url"] == "https://example.com/kept"


def test_the_api_says_what_is_wrong_with_credentials(api):
    for url in CREDENTIALS:
        assert api.post("/api/qrcodes", json={"url": url}).get_json()["error"]["message"] == API_MESSAGE, url
        assert api.post("/api/qrcodes/bulk", json=[{"url": url}]).get_json()[0]["error"]["message"] == API_MESSAGE


def test_an_at_sign_after_the_host_is_allowed(api):
    for url in ALLOWED:
        response = api.post("/api/qrcodes", json={"url": url})
        assert response.status_code == 201 and response.get_json()["url"] == url


def test_the_web_form_refuses_them_with_a_sentence_beside_the_url(browser):
    token = csrf_of(browser, "/qrcodes/new")
    form = {"fg_color": "#000000", "bg_color": "#ffffff", "size": "512", "margin": "4", "csrf_token": token}
    for url in DECEIVING:
        errors = error_slots(browser.post("/qrcodes/new", data={**form, "url": url}).get_data(as_text=True))
        assert "url" in errors, url
        assert errors["url"][0].isupper() and errors["url"].endswith("."), errors
        if url in CREDENTIALS:
            assert errors["url"].startswith(SENTENCE), (url, errors)
    assert "No QR Codes yet" in browser.get("/qrcodes").get_data(as_text=True)


def test_a_csv_import_refuses_those_rows_and_says_why(browser):
    rows = [[url, f"Row {index}", "", "", "", ""] for index, url in enumerate(DECEIVING)]
    location = _import(browser, _csv(rows + [["https://example.com/fine", "Fine", "", "", "", ""]])).headers["Location"]
    job = _wait(browser, location)
    assert (job["created"], job["failed"]) == (1, len(DECEIVING))
    assert f"Destination URL: {SENTENCE}" in browser.get(location).get_data(as_text=True)


def _url_fields() -> list[str]:
    """API names of every field of a QR Code that takes a destination (of the shared ``Url`` type)."""
    import json

    from codeqr.domain.schemas import QRCodeCreate, Url, inline_schema

    pattern = json.dumps(Url.__metadata__[0].json_schema_extra["pattern"])
    properties = inline_schema(QRCodeCreate)["properties"]  # nested models written in place (rules' Rule)
    return [name for name, schema in properties.items() if pattern in json.dumps(schema)]


#: Fields holding destinations inside a structure: how each holds one (the others hold it whole).
HOLDING = {
    "geo": lambda url: {"DE": url},
    "rules": lambda url: [{"attribute": "os", "operator": "equals", "value": "iOS", "url": url}],  # splits: test_links_fields
}


def test_every_url_field_refuses_credentials(api):
    fields = _url_fields()
    assert "url" in fields and set(HOLDING) <= set(fields)
    for field in fields:
        value = HOLDING.get(field, lambda url: url)(CREDENTIALS[0])
        response = api.post("/api/qrcodes", json={"url": "https://example.com/", field: value})
        assert response.get_json()["error"]["message"] == API_MESSAGE.replace("url:", f"{field}:"), field
