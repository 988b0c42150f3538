"""``GET /api/qrcodes/info`` (issue 24, CodeQR's ``/qrcodes/info``): one QR Code found by its short
link (an old one too), its id or its externalId; 404 when none is, or when it is in a folder the
asker does not see; 422 when the query names no QR Code."""

import pytest

from api_client import authorized_client, person_with_key

URL = "https://example.com/"
MISSING = "c" + "0" * 24


@pytest.fixture
def codes(api):
    spring = api.post("/api/qrcodes", json={"url": URL, "domain": "go.example.org", "key": "spring",
                                            "externalId": "sku-1"}).json
    odd = api.post("/api/qrcodes", json={"url": URL + "odd", "externalId": "ext_odd"}).json
    return spring, odd


def _found(api, query: str) -> str | None:
    answer = api.get("/api/qrcodes/info?" + query)
    if answer.status_code == 404:
        assert answer.json["error"]["code"] == "not_found"
        return None
    assert answer.status_code == 200, (query, answer.json)
    return answer.json["id"]


def test_a_qrcode_is_found_each_way(api, codes):
    spring, odd = codes
    for query in ("domain=go.example.org&key=spring", "domain=GO.Example.org&key=spring", f"qrcodeId={spring['id']}",
                  "externalId=sku-1", "externalId=ext_sku-1",
                  f"domain=go.example.org&key=spring&qrcodeId={spring['id']}&externalId=ext_sku-1"):
        assert _found(api, query) == spring["id"], query
    answer = api.get(f"/api/qrcodes/info?qrcodeId={spring['id']}").json
    assert answer == api.get(f"/api/qrcodes/{spring['id']}").json  # the QR Code's whole answer
    assert _found(api, "externalId=ext_odd") == odd["id"]  # an externalId of its own beginning with ext_
    assert _found(api, "externalId=ext_ext_odd") == odd["id"]


def test_an_old_link_finds_its_qrcode(api, codes):
    spring, _ = codes
    api.patch(f"/api/qrcodes/{spring['id']}", json={"key": "summer", "keepOldLink": True})
    assert _found(api, "domain=go.example.org&key=spring") == spring["id"]
    assert _found(api, "domain=go.example.org&key=summer") == spring["id"]
    assert _found(api, "domain=localhost&key=spring") is None  # an old link is of its domain


def test_no_match_is_a_404(api, codes):
    _, odd = codes
    for query in ("domain=go.example.org&key=autumn", "domain=localhost&key=spring", f"qrcodeId={MISSING}",
                  "qrcodeId=count", "qrcodeId=%27%20OR%201%3D1--", "externalId=sku-2", "externalId=odd",
                  "externalId=sku-%25", "domain=go.example.org&key=sprin_",
                  f"domain=go.example.org&key=spring&qrcodeId={odd['id']}",  # two ways, two QR Codes
                  "domain=go.example.org&key=spring&externalId=sku-2"):
        assert _found(api, query) is None, query


def test_a_query_naming_no_qrcode_is_a_422(api, codes):
    for query, field in (("", None), ("domain=go.example.org", "key"), ("key=spring", "domain"),
                         ("key=spring&externalId=sku-1", "domain"), ("domain=a%20b&key=spring", "domain"),
                         ("externalId=a/b", "externalId")):
        answer = api.get("/api/qrcodes/info?" + query)
        assert answer.status_code == 422, query
        if field is not None:
            assert field in {error["field"] for error in answer.json["error"]["errors"]}, (query, answer.json)


def test_a_qrcode_in_a_folder_not_seen_is_not_found(app, api):
    _, member_key = person_with_key(app, "member")
    member = authorized_client(app, member_key)
    hidden = api.post("/api/folders", json={"name": "Board only"}).json
    shown = api.post("/api/folders", json={"name": "Everyone", "accessLevel": "read"}).json
    secret = api.post("/api/qrcodes", json={"url": URL, "key": "plans", "externalId": "plans",
                                            "folderId": hidden["id"]}).json
    public = api.post("/api/qrcodes", json={"url": URL, "key": "menu", "folderId": shown["id"]}).json
    ways = ("domain=localhost&key=plans", f"qrcodeId={secret['id']}", "externalId=ext_plans")
    for query in ways:
        assert _found(member, query) is None, query
        assert _found(api, query) == secret["id"], query  # an admin sees every folder
    assert _found(member, "domain=localhost&key=menu") == public["id"]
    api.patch(f"/api/folders/{hidden['id']}", json={"accessLevel": "read"})
    assert _found(member, ways[0]) == secret["id"]
