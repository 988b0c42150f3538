"""The hostile corpus: crafted requests against every API route and method.

Every request gets an answer below 500 in CodeQR's error shape, and a refused one stores
nothing. The routes come from the app's URL map, so a new route joins the corpus by itself.
"""

import json
import logging
import re

import pytest
from sqlalchemy import func, select

from codeqr.app import MAX_JSON_DEPTH
from codeqr.domain.models import ApiKey, Folder, FolderUser, QRCode, QRCodeTag, Tag

URL = "https://example.com/a"


def _nested(depth: int, leaf=1):
    for _ in range(depth):
        leaf = [leaf]
    return leaf


#: Bodies as raw bytes: what a client could send, valid JSON or not.
BODIES = {
    "brackets": b"[" * 10_000,
    "braces": b'{"a":' * 10_000,
    "nested too deep": json.dumps(_nested(MAX_JSON_DEPTH + 1)).encode(),
    "nested 900 in a field": json.dumps({"url": URL, "title": _nested(900)}).encode(),
    "bulk with a deep item": json.dumps([{"url": URL + "1"}, {"url": URL + "2"}, {"url": URL, "title": _nested(900)}]).encode(),
    "not JSON": b"{'url': 'x'}",
    "truncated": b'{"url": "https://exa',
    "not UTF-8": b'{"url": "\xff\xfe"}',
    "NUL in a string": json.dumps({"url": URL, "title": "a\u0000b"}).encode(),
    "lone surrogate": b'{"url": "https://example.com/\\ud800"}',
    "huge number": b'{"url": "https://example.com/", "size": 1' + b"0" * 5000 + b"}",
    "NaN": b'{"url": "https://example.com/", "size": NaN}',
    "wrong types": json.dumps({"url": 5, "size": "big", "showLogo": "yes", "margin": [1]}).encode(),
    "long strings": json.dumps({"url": "https://example.com/" + "a" * 100_000, "title": "t" * 100_000}).encode(),
    "javascript url": json.dumps({"url": "javascript:alert(1)"}).encode(),
    "duplicate keys": b'{"url": "https://example.com/", "url": 5}',
    "array of scalars": json.dumps([1, "x", None, True]).encode(),
    "null": b"null",
    "empty": b"",
    # The link options (issue 23).
    "link options of the wrong shapes": json.dumps({"url": URL, "rules": {"a": 1}, "geo": [1], "expiresAt": 5,
                                                    "password": 7, "forwardQuery": "yes", "utm_source": ["x"],
                                                    "ios": {"u": URL}}).encode(),
    "10,000 rules": json.dumps({"url": URL, "rules": [{"url": URL}] * 10_000}).encode(),
    "geo of 100,000 countries": json.dumps({"url": URL, "geo": {f"{index:05}": URL for index in range(100_000)}}).encode(),
    "hostile rule values": json.dumps({"url": URL, "rules": [
        {"attribute": "device", "operator": "equals", "value": "\u202e" + "a" * 1000, "url": "javascript:alert(1)"},
        {"attribute": "__class__", "operator": "like", "value": "%", "url": URL},
        {"split": [{"url": URL, "weight": 1e308}, {"url": URL, "weight": -1}, {"url": URL}]}]}).encode(),
    "hostile time window": json.dumps({"url": URL, "rules": [{"attribute": "time", "operator": "equals", "url": URL,
                                                              "value": {"days": ["xyz"] * 1000, "from": "25:00",
                                                                        "until": "-1", "timeZone": "../../etc/passwd"}}]
                                       }).encode(),
    # Tags and folders (issue 24).
    "hostile tag": json.dumps({"name": "\u202e" + "t" * 100, "color": "red; DROP TABLE tags", "tag": ["x"]}).encode(),
    "hostile folder": json.dumps({"name": "f\n" * 200, "accessLevel": "admin", "userIds": [1e308, -1, 10**30, "1"]
                                  }).encode(),
    "folder of 100,000 people": json.dumps({"name": "crowd", "userIds": list(range(1, 100_001))}).encode(),
    "expiry and password out of bounds": json.dumps({"url": URL, "expiresAt": "99999-01-01T00:00:00Z",
                                                     "expiredUrl": "file:///etc/passwd", "password": "p" * 100_000,
                                                     "utm_campaign": "c\u0000" * 1000}).encode(),
    # The bulk update (issue 24): ids and changes past the schema, reaching the service.
    "bulk update of hostile ids": json.dumps({"qrcodeIds": ["ext_known", "cmissing0000000000000000000", "x" * 259,
                                                            "ext_' OR 1=1 --", "ext_known"] * 200,
                                              "data": {"archived": True}}).encode(),
    "bulk update of hostile tags": json.dumps({"qrcodeIds": ["ext_known"], "data": {
        "addTagNames": ["\u202e" + "t" * 49, " "], "removeTagNames": ["%", "_"] * 25}}).encode(),
    "bulk update refusing each code": json.dumps({"qrcodeIds": ["ext_known", "cmissing0000000000000000000"],
                                                  "data": {"fgColor": "#fefefe", "addTagNames": ["new"]}}).encode(),
    "bulk update of per-code fields": json.dumps({"qrcodeIds": ["ext_known"], "data": {
        "url": "javascript:alert(1)", "key": "api", "password": "p" * 100_000, "rules": [{"url": URL}] * 10_000,
        "data": {"data": _nested(20)}}}).encode(),
}

#: Query strings sent to every route, with or without a body.
QUERIES = ["", "?ids=" + ",".join(["x"] * 500), "?page=-1&pageSize=1e9", "?interval=%00&timezone=../../etc",
           "?start=9999-99-99&end=0", "?sort=scans;DROP TABLE qrcodes", "?search=%25%5F%27%22",
           # What /api/qrcodes/info takes, valid as far as its schema sees: each lookup runs.
           "?domain=LOCALHOST&key=a--&qrcodeId=%27%20OR%201%3D1--&externalId=ext_%E2%80%AEext_%25",
           # The list's filters (issue 24): lists too long, repeated, instants and numbers out of bounds.
           "?tagIds=" + ",".join(["x"] * 1000) + "&tagNames=" + "%27," * 1000 + "&tagIds=c" + "0" * 24
           + "&groupBy=tagId;DROP&folderId=../..&createdAfter=99999-01-01T00:00:00Z&scansMin=1e99",
           "?" + "&".join(f"tagIds=c{index:024d}" for index in range(100)) + "&tagNames=%27&utm_source=%27%22"
           + "&expiresBefore=2027-01-01T00:00:00 99:99&hasUTM=2&groupBy=userId&lastScannedBefore=0001-01-01T00:00Z"]

#: What every path parameter (``<ref>``, ``<tag_id>``, ``<job_id>``, …) of a route is sent as.
MISSING_ID = "cmissing0000000000000000000"


def _api_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and rule.endpoint.startswith("api."):
            path = re.sub(r"<[^>]+>", MISSING_ID, rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, path


def _stored(app) -> tuple[int, ...]:
    from codeqr import db

    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (QRCode, ApiKey, Tag, QRCodeTag, Folder, FolderUser))


@pytest.fixture
def quiet_logs(caplog):
    caplog.set_level(logging.CRITICAL)


def test_no_hostile_request_gets_a_5xx_or_stores_anything(app, api, quiet_logs, capsys):
    api.post("/api/qrcodes", json={"url": URL, "externalId": "known"})
    tried, server_errors, stored_by_refused = 0, [], []
    for method, path in _api_routes(app):
        for query in QUERIES:
            for name, body in BODIES.items():
                before = _stored(app)
                response = api.open(path + query, method=method, data=body, content_type="application/json")
                tried += 1
                label = f"{method} {path}{query[:40]} [{name}] -> {response.status_code}"
                if response.status_code >= 500:
                    server_errors.append(label)
                if response.status_code >= 400:
                    error = response.get_json()["error"]  # every field's problem too, when it names fields
                    assert {"code", "message"} <= set(error) <= {"code", "message", "errors"}, label
                    if _stored(app) != before:
                        stored_by_refused.append(label)
    with capsys.disabled():
        print(f"\nhostile corpus: {tried} requests, {len(server_errors)} answered 5xx, "
              f"{len(stored_by_refused)} refused requests stored rows")
    assert server_errors == []
    assert stored_by_refused == []


@pytest.mark.parametrize("name, status", [("bulk update of hostile ids", 200), ("bulk update of hostile tags", 200),
                                          ("bulk update refusing each code", 200),
                                          ("bulk update of per-code fields", 422)])
def test_the_bulk_update_bodies_reach_its_service(api, name, status):
    """Past the schema: the corpus tries the service itself, not only the body's shape."""
    api.post("/api/qrcodes", json={"url": URL, "externalId": "known"})
    response = api.patch("/api/qrcodes/bulk", data=BODIES[name], content_type="application/json")
    assert response.status_code == status, response.get_json()
    if status == 200:
        assert response.get_json()[0].get("externalId") == "known" or response.get_json()[0]["qrcodeId"] == "ext_known"


@pytest.mark.parametrize("depth, status", [(MAX_JSON_DEPTH - 1, 422), (MAX_JSON_DEPTH, 400)])
def test_nesting_beyond_the_limit_is_a_400(api, depth, status):
    # The body is an object (one level) holding the nested title: depth + 1 levels in all.
    response = api.post("/api/qrcodes", json={"url": URL, "title": _nested(depth)})
    assert response.status_code == status
    if status == 400:
        assert response.get_json()["error"] == {
            "code": "bad_request", "message": f"the request body nests deeper than {MAX_JSON_DEPTH} levels"}


def test_a_refused_bulk_request_stores_none_of_its_good_items(api):
    body = [{"url": URL + "1"}, {"url": URL + "2"}, {"url": URL, "title": _nested(900)}]
    assert api.post("/api/qrcodes/bulk", json=body).status_code == 400
    assert api.get("/api/qrcodes/count").get_json() == 0


def test_a_bulk_answer_that_cannot_be_written_stores_nothing(app, api, monkeypatch, quiet_logs):
    from codeqr.domain.schemas import BulkResult

    def fail(self, **kwargs):
        raise ValueError("cannot serialise")

    monkeypatch.setattr(BulkResult, "model_dump_json", fail)
    assert api.post("/api/qrcodes/bulk", json=[{"url": URL + "1"}, {"url": URL + "2"}]).status_code == 500
    assert _stored(app)[0] == 0


def test_a_failing_lifecycle_plugin_does_not_turn_stored_work_into_an_error(make_app, caplog):
    from api_client import authorized_client
    from codeqr import hookimpl
    from codeqr.accounts import apikeys
    from codeqr.context import for_operator

    class Broken:
        @hookimpl
        def codeqr_qrcode_created(self, app, qrcode):
            raise RuntimeError("webhook endpoint down")

    app = make_app(plugins=[Broken()])
    with app.app_context():
        _, secret = apikeys.create("t", ctx=for_operator())
    api = authorized_client(app, secret)
    assert api.post("/api/qrcodes", json={"url": URL}).status_code == 201
    assert api.get("/api/qrcodes/count").get_json() == 1
    assert "a codeqr_qrcode_created hook failed" in caplog.text


def test_the_corpus_reaches_the_tags_folders_and_info(app):
    reached = set(_api_routes(app))
    for method, path in [("GET", "/api/tags"), ("POST", "/api/tags"), ("PATCH", f"/api/tags/{MISSING_ID}"),
                         ("DELETE", f"/api/tags/{MISSING_ID}"), ("GET", "/api/folders"), ("POST", "/api/folders"),
                         ("GET", f"/api/folders/{MISSING_ID}"), ("PATCH", f"/api/folders/{MISSING_ID}"),
                         ("DELETE", f"/api/folders/{MISSING_ID}"), ("GET", "/api/qrcodes/info")]:
        assert (method, path) in reached
