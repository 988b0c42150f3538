"""The API reads a body only when it says it is JSON: any other Content-Type is a 415."""

import json

import pytest

URL = "https://example.com/media"


def _body_routes(app):
    """(method, rule) of every API operation that takes a JSON body, from the URL map."""
    for rule in app.url_map.iter_rules():
        spec = getattr(app.view_functions[rule.endpoint], "_spec", {})
        if rule.endpoint.startswith("api.") and spec.get("body") is not None:
            for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
                yield method, rule.rule


def _valid_body(rule: str, method: str):
    if rule.endswith("/bulk"):
        return [{"url": URL + "/bulk"}]
    if "<ref>" in rule:
        return {"title": "changed"}
    return {"url": URL + "/new"}


#: Each way of sending a JSON text without saying it is JSON, as test client arguments.
NOT_JSON = {
    "text/plain": lambda text: {"data": text, "content_type": "text/plain"},
    "form": lambda text: {"data": text, "content_type": "application/x-www-form-urlencoded"},
    "form fields": lambda text: {"data": {text: ""}},
    "multipart": lambda text: {"data": {"json": text}, "content_type": "multipart/form-data"},
    "no Content-Type": lambda text: {"data": text.encode()},
    "JSON in text/json": lambda text: {"data": text, "content_type": "text/json"},
}


def _state(api, ref):
    return api.get("/api/qrcodes/count").get_json(), api.get(f"/api/qrcodes/{ref}").get_json()


def test_every_body_route_refuses_a_body_not_sent_as_json(app, api):
    existing = api.post("/api/qrcodes", json={"url": URL, "title": "kept"}).get_json()
    routes = list(_body_routes(app))
    assert {("POST", "/api/qrcodes"), ("PUT", "/api/qrcodes/upsert"), ("POST", "/api/qrcodes/bulk"),
            ("PATCH", "/api/qrcodes/<ref>")} <= set(routes)
    before = _state(api, existing["id"])
    for method, rule in routes:
        text = json.dumps(_valid_body(rule, method))
        path = rule.replace("<ref>", existing["id"])
        for name, how in NOT_JSON.items():
            response = api.open(path, method=method, **how(text))
            assert response.status_code == 415, (method, rule, name, response.get_data(as_text=True))
            assert response.get_json()["error"] == {
                "code": "unsupported_media_type",
                "message": "the request body must be JSON, sent with Content-Type: application/json"}
        assert _state(api, existing["id"]) == before, (method, rule)


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "Application/JSON;charset=UTF-8", "application/merge-patch+json"])
def test_json_with_or_without_a_charset_is_read(api, content_type):
    created = api.post("/api/qrcodes", data=json.dumps({"url": URL}), content_type=content_type)
    assert created.status_code == 201
    ref = created.get_json()["id"]
    changed = api.patch(f"/api/qrcodes/{ref}", data=json.dumps({"title": "t"}), content_type=content_type)
    assert changed.status_code == 200 and changed.get_json()["title"] == "t"


def test_the_spec_documents_the_415_of_every_operation_with_a_body(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    with_body = [(path, method) for path, operations in spec["paths"].items()
                 for method, operation in operations.items() if "requestBody" in operation]
    assert len(with_body) == len(list(_body_routes(app)))
    for path, method in with_body:
        assert "415" in spec["paths"][path][method]["responses"], (path, method)
