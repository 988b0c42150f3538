"""The JSON API: create, get, list, count, update, upsert, delete, bulk, auth, errors."""

import re

import pytest

from clock import Clock

URL = "https://example.com/landing?utm_source=print"


@pytest.fixture
def app(make_app):
    """An app whose clock ticks at each reading: what is written later has a later time."""
    return make_app(clock=Clock())


def test_create_with_url_alone_gives_every_default(api):
    response = api.post("/api/qrcodes", json={"url": URL})
    assert response.status_code == 201
    qr = response.get_json()
    assert re.fullmatch(r"c[0-9a-z]{24}", qr["id"])
    assert re.fullmatch(r"[A-Za-z0-9]{12}-qr", qr["key"])
    assert qr["url"] == URL
    assert qr["domain"] == "localhost"
    assert qr["shortLink"] == f"http://localhost/{qr['key']}"
    assert qr["image"] == f"http://localhost/qr/{qr['id']}.png"
    assert (qr["bgColor"], qr["fgColor"], qr["size"], qr["level"], qr["margin"]) == ("#ffffff", "#000000", 1024, "M", 4)
    assert qr["showLogo"] is False and qr["scans"] == 0 and qr["lastScannedAt"] is None
    assert qr["title"] is None and qr["externalId"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", qr["createdAt"])
    assert qr["createdAt"] == qr["updatedAt"]


def test_image_url_serves_without_credentials(api, client):
    qr = api.post("/api/qrcodes", json={"url": URL}).get_json()
    response = client.get(qr["image"].replace("http://localhost", ""))
    assert response.status_code == 200 and response.mimetype == "image/png"


def test_create_normalises_colours_and_keeps_url_as_given(api):
    url = "HTTPS://Example.com/A%20b/../c?x=1#frag"
    qr = api.post("/api/qrcodes", json={"url": url, "bgColor": "#FFF", "fgColor": "#1A2B3C"}).get_json()
    assert qr["url"] == url
    assert (qr["bgColor"], qr["fgColor"]) == ("#ffffff", "#1a2b3c")


def test_logo_defaults_to_level_h_and_refuses_low_levels(api):
    assert api.post("/api/qrcodes", json={"url": URL, "showLogo": True}).get_json()["level"] == "H"
    assert api.post("/api/qrcodes", json={"url": URL, "showLogo": True, "level": "Q"}).get_json()["level"] == "Q"
    response = api.post("/api/qrcodes", json={"url": URL, "showLogo": True, "level": "L"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "unprocessable_entity"
    assert "level" in response.get_json()["error"]["message"]


def test_get_by_id_and_external_id(api):
    qr = api.post("/api/qrcodes", json={"url": URL, "externalId": "sku-42"}).get_json()
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json() == qr
    assert api.get("/api/qrcodes/ext_sku-42").get_json() == qr
    missing = api.get("/api/qrcodes/cnothere000000000000000000")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"


def test_custom_key_and_domain(api, client):
    qr = api.post("/api/qrcodes", json={"url": URL, "key": "spring-sale", "domain": "GO.example.org"}).get_json()
    assert qr["domain"] == "go.example.org"
    assert qr["shortLink"] == "http://go.example.org/spring-sale"
    redirect = client.get("/spring-sale", headers={"Host": "go.example.org"})
    assert redirect.status_code == 302 and redirect.headers["Location"] == URL
    assert client.get("/spring-sale").status_code == 404  # other domain


def test_duplicate_key_or_external_id_is_409_and_stores_nothing(api):
    api.post("/api/qrcodes", json={"url": URL, "key": "taken", "externalId": "e1"})
    for body in ({"url": URL, "key": "taken"}, {"url": URL, "externalId": "e1"}):
        response = api.post("/api/qrcodes", json=body)
        assert response.status_code == 409, body
        assert response.get_json()["error"]["code"] == "conflict"
    assert api.get("/api/qrcodes/count").get_json() == 1


def test_same_key_on_two_domains_is_allowed(api):
    assert api.post("/api/qrcodes", json={"url": URL, "key": "menu"}).status_code == 201
    assert api.post("/api/qrcodes", json={"url": URL, "key": "menu", "domain": "go.example.org"}).status_code == 201


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "ftp://example.com/file"}, "url"),
        ({"url": "/relative/path"}, "url"),
        ({"url": "example.com"}, "url"),
        ({"url": "http://"}, "url"),
        ({"url": "https://exa mple.com"}, "url"),
        ({"url": "https://example.com/\r\nSet-Cookie:x=1"}, "url"),
        ({"url": "https://example.com/\u202etxt.exe"}, "url"),
        ({"url": "https://example.com:99999/"}, "url"),
        ({"url": "https://example.com/" + "a" * 8200}, "url"),
        ({"url": URL, "bgColor": "white"}, "bgColor"),
        ({"url": URL, "fgColor": "#12345"}, "fgColor"),
        ({"url": URL, "fgColor": "#eeeeee"}, "fgColor"),  # too close to the white background
        ({"url": URL, "size": 63}, "size"),
        ({"url": URL, "size": 4097}, "size"),
        ({"url": URL, "size": "1024"}, "size"),
        ({"url": URL, "size": 100.5}, "size"),
        ({"url": URL, "margin": -1}, "margin"),
        ({"url": URL, "margin": 17}, "margin"),
        ({"url": URL, "level": "X"}, "level"),
        ({"url": URL, "level": "h"}, "level"),
        ({"url": URL, "showLogo": "true"}, "showLogo"),
        ({"url": URL, "showLogo": 1}, "showLogo"),
        ({"url": URL, "key": "api"}, "key"),
        ({"url": URL, "key": "QR"}, "key"),
        ({"url": URL, "key": "a/b"}, "key"),
        ({"url": URL, "key": "../etc"}, "key"),
        ({"url": URL, "key": "-lead"}, "key"),
        ({"url": URL, "key": "k" * 191}, "key"),
        ({"url": URL, "domain": "evil.example.net"}, "domain"),
        ({"url": URL, "externalId": "a/b"}, "externalId"),
        ({"url": URL, "title": "t" * 1001}, "title"),
        ({"url": URL, "scans": 1000}, "scans"),
        ({"url": 12}, "url"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_stores_nothing(api, body, field):
    response = api.post("/api/qrcodes", json=body)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "unprocessable_entity"
    assert field in error["message"]
    assert api.get("/api/qrcodes/count").get_json() == 0


def test_a_422_gives_every_problem_of_the_body_at_once_the_services_too(api):
    # The three problems together: a size out of range (the schema's), a key another QR
    # Code has and a foreground too close to the white background (the service's, after it).
    assert api.post("/api/qrcodes", json={"url": URL, "key": "menu"}).status_code == 201
    response = api.post("/api/qrcodes", json={"url": URL, "size": 5000, "key": "menu", "fgColor": "#dddddd"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "unprocessable_entity"
    assert sorted(item["field"] for item in error["errors"]) == ["fgColor", "key", "size"]
    messages = {item["field"]: item["message"] for item in error["errors"]}
    assert "4096" in messages["size"] and "already used" in messages["key"] and "bgColor" in messages["fgColor"]
    assert all(item["message"] in error["message"] for item in error["errors"])  # the one line says them all
    assert api.get("/api/qrcodes/count").get_json() == 1

    # The same on an update, where the stored fields fill in the rest of the body.
    other = api.post("/api/qrcodes", json={"url": URL + "&2"}).get_json()
    # (Colours too alike are the foreground's problem, whichever of the two was sent.)
    response = api.patch(f"/api/qrcodes/{other['id']}", json={"margin": 40, "key": "menu", "bgColor": "#111"})
    assert sorted(item["field"] for item in response.get_json()["error"]["errors"]) == ["fgColor", "key", "margin"]
    # Its own key is not taken, whichever way the QR Code is named.
    api.patch(f"/api/qrcodes/{other['id']}", json={"externalId": "poster-2", "key": "poster-2"})
    response = api.patch("/api/qrcodes/ext_poster-2", json={"margin": 40, "key": "poster-2"})
    assert [item["field"] for item in response.get_json()["error"]["errors"]] == ["margin"]
    # An upsert may find the QR Code whose key it sends: that key is not said to be taken.
    response = api.put("/api/qrcodes/upsert", json={"url": URL, "key": "menu", "size": 5000})
    assert [item["field"] for item in response.get_json()["error"]["errors"]] == ["size"]
    # Valid for the schema, refused by the service: both problems in one 422.
    response = api.post("/api/qrcodes", json={"url": URL, "key": "api", "fgColor": "#eee"})
    assert response.status_code == 422
    assert sorted(item["field"] for item in response.get_json()["error"]["errors"]) == ["fgColor", "key"]


def test_a_taken_key_alone_stays_a_409_with_its_field(api):
    assert api.post("/api/qrcodes", json={"url": URL, "key": "menu"}).status_code == 201
    response = api.post("/api/qrcodes", json={"url": URL, "key": "menu"})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "conflict" and [item["field"] for item in error["errors"]] == ["key"]


def test_the_spec_documents_every_fields_error(api):
    spec = api.get("/api/openapi.json").get_json()
    error = spec["components"]["schemas"]["HTTPError"]["properties"]["error"]
    assert {"code", "message", "errors"} <= set(error["properties"])
    item = error["properties"]["errors"]
    assert "field" in str(item) and "message" in str(item)


@pytest.mark.parametrize("data", [b"{bad", b"", b"\xff\xfe", b"[1, 2", b'{"url": "https://a.b"'])
def test_malformed_json_is_400(api, data):
    response = api.post("/api/qrcodes", data=data, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == {"error": {"code": "bad_request", "message": "the request body is not valid JSON"}}


def test_json_that_is_not_an_object_is_422(api):
    response = api.post("/api/qrcodes", json=["https://example.com"])
    assert response.status_code == 422


def test_api_requires_a_valid_key(client, api_key):
    assert client.get("/api/qrcodes").status_code == 401
    bad = client.get("/api/qrcodes", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.get_json()["error"]["code"] == "unauthorized"
    assert client.get("/api/qrcodes", headers={"Authorization": f"Basic {api_key}"}).status_code == 401
    assert client.get("/api/qrcodes", headers={"Authorization": f"Bearer {api_key}"}).status_code == 200


def test_revoked_key_is_refused(app, client, api_key):
    from codeqr.accounts import apikeys
    from codeqr.context import for_operator

    with app.app_context():
        apikeys.revoke("tests", ctx=for_operator())
    assert client.get("/api/qrcodes", headers={"Authorization": f"Bearer {api_key}"}).status_code == 401


def test_update_is_partial_and_moves_updated_at_only_on_change(api):
    qr = api.post("/api/qrcodes", json={"url": URL, "title": "Poster"}).get_json()
    same = api.patch(f"/api/qrcodes/{qr['id']}", json={"title": "Poster", "size": 1024}).get_json()
    assert same == qr
    changed = api.patch(f"/api/qrcodes/{qr['id']}", json={"fgColor": "#123456"}).get_json()
    assert changed["fgColor"] == "#123456" and changed["title"] == "Poster"
    assert changed["updatedAt"] > qr["updatedAt"] and changed["createdAt"] == qr["createdAt"]
    cleared = api.put(f"/api/qrcodes/{qr['id']}", json={"title": None}).get_json()
    assert cleared["title"] is None


def test_update_validates_the_resulting_design(api):
    qr = api.post("/api/qrcodes", json={"url": URL}).get_json()
    assert api.patch(f"/api/qrcodes/{qr['id']}", json={"level": "L", "showLogo": True}).status_code == 422
    assert api.patch(f"/api/qrcodes/{qr['id']}", json={"bgColor": "#000000"}).status_code == 422
    assert api.patch(f"/api/qrcodes/{qr['id']}", json={"size": None}).status_code == 422
    assert api.patch(f"/api/qrcodes/{qr['id']}", json={"id": "cother"}).status_code == 422
    logo = api.patch(f"/api/qrcodes/{qr['id']}", json={"showLogo": True}).get_json()
    assert logo["level"] == "H"  # what a logo needs, when the caller did not choose
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json() == logo


def test_update_to_a_taken_key_is_409(api):
    api.post("/api/qrcodes", json={"url": URL, "key": "first"})
    second = api.post("/api/qrcodes", json={"url": URL, "key": "second"}).get_json()
    response = api.patch(f"/api/qrcodes/{second['id']}", json={"key": "first"})
    assert response.status_code == 409
    assert api.get(f"/api/qrcodes/{second['id']}").get_json()["key"] == "second"


def test_update_by_external_id_and_unknown(api):
    api.post("/api/qrcodes", json={"url": URL, "externalId": "x-1"})
    assert api.patch("/api/qrcodes/ext_x-1", json={"title": "T"}).get_json()["title"] == "T"
    assert api.patch("/api/qrcodes/ext_nope", json={"title": "T"}).status_code == 404


def test_upsert_creates_then_finds_untouched_then_updates(api):
    created = api.put("/api/qrcodes/upsert", json={"url": URL, "title": "A"})
    assert created.status_code == 201
    first = created.get_json()
    untouched = api.put("/api/qrcodes/upsert", json={"url": URL, "title": "A"})
    assert untouched.status_code == 200 and untouched.get_json() == first
    url_only = api.put("/api/qrcodes/upsert", json={"url": URL})
    assert url_only.status_code == 200 and url_only.get_json() == first
    updated = api.put("/api/qrcodes/upsert", json={"url": URL, "title": "B"})
    assert updated.status_code == 200
    assert updated.get_json()["id"] == first["id"] and updated.get_json()["title"] == "B"
    assert updated.get_json()["updatedAt"] > first["updatedAt"]
    assert api.get("/api/qrcodes/count").get_json() == 1


def test_upsert_finds_the_oldest_and_respects_domain(api):
    oldest = api.post("/api/qrcodes", json={"url": URL}).get_json()
    api.post("/api/qrcodes", json={"url": URL})
    assert api.put("/api/qrcodes/upsert", json={"url": URL}).get_json()["id"] == oldest["id"]
    other = api.put("/api/qrcodes/upsert", json={"url": URL, "domain": "go.example.org"})
    assert other.status_code == 201 and other.get_json()["domain"] == "go.example.org"


def test_upsert_after_url_change_creates_a_new_one(api):
    first = api.put("/api/qrcodes/upsert", json={"url": URL}).get_json()
    api.patch(f"/api/qrcodes/{first['id']}", json={"url": "https://example.com/moved"})
    again = api.put("/api/qrcodes/upsert", json={"url": URL})
    assert again.status_code == 201 and again.get_json()["id"] != first["id"]


def test_upsert_rejects_bad_input_and_stores_nothing(api):
    assert api.put("/api/qrcodes/upsert", json={"url": "mailto:a@b.c"}).status_code == 422
    assert api.put("/api/qrcodes/upsert", json={"url": URL, "fgColor": "#fefefe"}).status_code == 422
    assert api.get("/api/qrcodes/count").get_json() == 0


def test_delete(api, client):
    qr = api.post("/api/qrcodes", json={"url": URL}).get_json()
    assert client.get(f"/qr/{qr['id']}.png").status_code == 200
    response = api.delete(f"/api/qrcodes/{qr['id']}")
    assert response.status_code == 200 and response.get_json() == {"id": qr["id"]}
    assert api.get(f"/api/qrcodes/{qr['id']}").status_code == 404
    assert api.delete(f"/api/qrcodes/{qr['id']}").status_code == 404
    assert client.get(f"/{qr['key']}").status_code == 404
    assert client.get(f"/qr/{qr['id']}.png").status_code == 404


def test_list_pages_sorts_and_filters(api, client):
    made = [api.post("/api/qrcodes", json={"url": f"https://example.com/{i}", "title": f"Item {i}"}).get_json()
            for i in range(7)]
    api.post("/api/qrcodes", json={"url": "https://other.org/", "title": "needle_50%", "domain": "go.example.org"})
    page1 = api.get("/api/qrcodes?pageSize=3").get_json()
    page3 = api.get("/api/qrcodes?pageSize=3&page=3").get_json()
    assert len(page1) == 3 and len(page3) == 2
    everything = api.get("/api/qrcodes?pageSize=100").get_json()
    assert [qr["createdAt"] for qr in everything] == sorted((qr["createdAt"] for qr in everything), reverse=True)
    oldest_first = api.get("/api/qrcodes?order=asc&pageSize=100").get_json()
    assert oldest_first[0]["id"] == made[0]["id"]
    for _ in range(3):
        client.get(f"/{made[4]['key']}")
    client.get(f"/{made[2]['key']}")
    by_scans = api.get("/api/qrcodes?sort=scans").get_json()
    assert [qr["id"] for qr in by_scans[:2]] == [made[4]["id"], made[2]["id"]]
    by_last = api.get("/api/qrcodes?sort=lastScannedAt").get_json()
    assert by_last[0]["id"] == made[2]["id"] and by_last[-1]["lastScannedAt"] is None
    assert [qr["title"] for qr in api.get("/api/qrcodes?search=50%25").get_json()] == ["needle_50%"]
    assert api.get("/api/qrcodes/count?search=item").get_json() == 7
    assert api.get("/api/qrcodes/count?domain=go.example.org").get_json() == 1
    assert api.get("/api/qrcodes?pageSize=101").status_code == 422
    assert api.get("/api/qrcodes?page=0").status_code == 422
    assert api.get("/api/qrcodes?sort=colour").status_code == 422


def test_bulk_create_reports_each_bad_item(api):
    body = [{"url": "https://example.com/1"}, {"url": "nope"}, {"url": "https://example.com/2", "key": "dup"},
            {"url": "https://example.com/3", "key": "dup"}, "not an object"]
    response = api.post("/api/qrcodes/bulk", json=body)
    assert response.status_code == 200
    results = response.get_json()
    assert len(results) == 5
    assert results[0]["url"] == "https://example.com/1"
    assert results[1]["error"]["code"] == "unprocessable_entity" and results[1]["qrcode"] == {"url": "nope"}
    assert results[2]["key"] == "dup"
    assert results[3]["error"]["code"] == "conflict"
    assert [item["field"] for item in results[1]["error"]["errors"]] == ["url"]  # each item's fields, as a 422 gives
    assert [item["field"] for item in results[3]["error"]["errors"]] == ["key"]
    assert "error" in results[4]
    assert api.get("/api/qrcodes/count").get_json() == 2


def test_bulk_limits(api):
    assert api.post("/api/qrcodes/bulk", json=[{"url": URL}] * 101).status_code == 422
    assert api.post("/api/qrcodes/bulk", json={"url": URL}).status_code == 422
    ids = ",".join(f"c{i:024d}" for i in range(101))
    assert api.delete(f"/api/qrcodes/bulk?ids={ids}").status_code == 422


def test_bulk_delete(api):
    a = api.post("/api/qrcodes", json={"url": URL}).get_json()
    api.post("/api/qrcodes", json={"url": URL, "externalId": "b"})
    c = api.post("/api/qrcodes", json={"url": URL}).get_json()
    response = api.delete(f"/api/qrcodes/bulk?ids={a['id']},ext_b,cmissing0000000000000000000")
    assert response.get_json() == {"deletedCount": 2}
    assert [qr["id"] for qr in api.get("/api/qrcodes").get_json()] == [c["id"]]
    assert api.delete("/api/qrcodes/bulk").status_code == 422


def test_unknown_api_route_uses_the_error_shape(api):
    response = api.get("/api/nothing")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    response = api.post("/api/qrcodes/count")
    assert response.status_code == 405 and "error" in response.get_json()


def test_openapi_spec_is_3_1_and_lists_every_route(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    paths = spec["paths"]
    assert set(paths) >= {"/api/qrcodes", "/api/qrcodes/count", "/api/qrcodes/upsert", "/api/qrcodes/bulk",
                          "/api/qrcodes/{ref}"}
    assert set(paths["/api/qrcodes/{ref}"]) == {"get", "patch", "put", "delete"}
    assert set(paths["/api/qrcodes/upsert"]["put"]["responses"]) >= {"200", "201", "422", "401"}
    assert not any(path.startswith("/qr") or path == "/{key}" for path in paths)


def test_nul_bytes_are_refused_cleanly(api, client):
    assert api.get("/api/qrcodes/c%00x").status_code == 400
    assert api.get("/api/qrcodes?search=a%00b").status_code == 400
    assert api.post("/api/qrcodes", json={"url": URL, "title": "a\x00b"}).status_code == 422
    assert client.get("/abc%00").status_code == 404
    assert client.get("/qr/c%00.png").status_code == 404


def test_null_means_default_on_create_and_upsert(api):
    qr = api.post("/api/qrcodes", json={"url": URL, "domain": None, "key": None, "level": None}).get_json()
    assert (qr["domain"], qr["level"]) == ("localhost", "M")
    again = api.put("/api/qrcodes/upsert", json={"url": URL, "domain": None, "key": None, "title": None})
    assert again.status_code == 200 and again.get_json() == qr


def test_validation_messages_are_our_words_without_pydantics_prefix(api):
    one = api.post("/api/qrcodes", json={"url": "ftp://example.com/"}).get_json()
    assert one["error"]["message"] == "url: must be an absolute http:// or https:// URL"
    bulk = api.post("/api/qrcodes/bulk", json=[{"url": "ftp://example.com/"}]).get_json()
    assert bulk[0]["error"]["message"] == "url: must be an absolute http:// or https:// URL"
