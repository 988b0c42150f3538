"""The GS1 Digital Link resolver: a gs1 QR Code encodes its Digital Link on the instance's
domain, and the instance answers it (GS1 Digital Link standard 1.4, RFC 9264 linksets)."""

import json

import pytest

from decode import decode

# GS1's own example GTIN (the Digital Link standard's: 09506000134352), and its GTIN-13 form.
GTIN = "09506000134352"
PRODUCT = "https://example.com/products/dal-giardino"
LEAFLET = "https://example.com/leaflets/dal-giardino.pdf"


@pytest.fixture
def product(api):
    body = {"type": "gs1", "url": PRODUCT, "title": "Dal Giardino risotto",
            "gs1": {"gtin": GTIN, "batch": "ABC123", "linkTypes": {"gs1:epil": LEAFLET}}}
    made = api.post("/api/qrcodes", json=body)
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def test_a_gs1_code_encodes_its_digital_link_on_the_instance_domain(client, product):
    assert product["shortLink"] == f"http://localhost/01/{GTIN}/10/ABC123"
    assert decode(client.get(f"/qr/{product['id']}.png").data, "image/png") == [product["shortLink"]]


def test_the_digital_link_redirects_to_the_default_link_and_counts_the_scan(api, client, product):
    answer = client.get(f"/01/{GTIN}/10/ABC123")
    assert answer.status_code == 302 and answer.location == PRODUCT
    assert "no-store" in answer.headers["Cache-Control"]
    assert api.get(f"/api/qrcodes/{product['id']}").get_json()["scans"] == 1
    assert client.head(f"/01/{GTIN}/10/ABC123").status_code == 302
    assert api.get(f"/api/qrcodes/{product['id']}").get_json()["scans"] == 1  # HEAD counts nothing


def test_a_link_type_goes_to_that_link_and_an_unknown_one_to_the_default(api, client, product):
    assert client.get(f"/01/{GTIN}/10/ABC123?linkType=gs1:epil").location == LEAFLET
    assert client.get(f"/01/{GTIN}/10/ABC123?linkType=gs1:recipeInfo").location == PRODUCT
    assert api.get(f"/api/qrcodes/{product['id']}").get_json()["scans"] == 2


def test_link_type_all_answers_the_linkset_and_counts_nothing(api, client, product):
    answer = client.get(f"/01/{GTIN}/10/ABC123?linkType=all")
    assert answer.status_code == 200 and answer.mimetype == "application/linkset+json"
    links = json.loads(answer.data)["linkset"][0]
    assert links["anchor"] == f"http://localhost/01/{GTIN}/10/ABC123"
    assert links["https://gs1.org/voc/defaultLink"] == [{"href": PRODUCT}]
    assert links["https://gs1.org/voc/epil"] == [{"href": LEAFLET}]
    assert api.get(f"/api/qrcodes/{product['id']}").get_json()["scans"] == 0


def test_a_more_specific_link_falls_back_to_the_batch_then_the_gtin(api, client, product):
    # A serial of the batch: no code of its own, so the batch's answers (as GS1 resolvers do).
    assert client.get(f"/01/{GTIN}/10/ABC123/21/12345").location == PRODUCT
    # The GTIN alone has no code: nothing answers it until one is made.
    assert client.get(f"/01/{GTIN}").status_code == 404
    api.post("/api/qrcodes", json={"type": "gs1", "url": "https://example.com/products", "gs1": {"gtin": GTIN}})
    assert client.get(f"/01/{GTIN}").location == "https://example.com/products"
    assert client.get(f"/01/{GTIN}/10/OTHER").location == "https://example.com/products"
    # The GTIN-13 form of the same product is the same link.
    assert client.get("/01/9506000134352/10/ABC123").location == PRODUCT


@pytest.mark.parametrize("path", [
    f"/01/{GTIN[:-1]}3/10/ABC123",  # a wrong check digit
    f"/01/{GTIN}/99/ABC123",  # an application identifier a path may not hold
    f"/01/{GTIN}/21/1/10/ABC123",  # qualifiers out of order
    "/01/abc",
    "/01/" + "9" * 200,
])
def test_a_link_that_is_not_a_valid_digital_link_is_a_404(client, product, path):
    assert client.get(path).status_code == 404


def test_a_batch_with_a_slash_is_percent_encoded_and_found(api, client):
    made = api.post("/api/qrcodes", json={"type": "gs1", "url": PRODUCT, "gs1": {"gtin": GTIN, "batch": "A/B"}})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["shortLink"] == f"http://localhost/01/{GTIN}/10/A%2FB"
    assert client.get(f"/01/{GTIN}/10/A%2FB").location == PRODUCT


def test_one_digital_link_is_one_code_and_upsert_finds_it(api, product):
    again = api.post("/api/qrcodes", json={"type": "gs1", "url": "https://example.com/x",
                                          "gs1": {"gtin": GTIN, "batch": "ABC123"}})
    assert again.status_code == 409 and again.get_json()["error"]["errors"][0]["field"] == "key"
    found = api.put("/api/qrcodes/upsert", json={"type": "gs1", "url": "https://example.com/new",
                                                 "gs1": {"gtin": GTIN, "batch": "ABC123"}})
    assert found.status_code == 200 and found.get_json()["id"] == product["id"]
    assert found.get_json()["url"] == "https://example.com/new"
    own_key = api.post("/api/qrcodes", json={"type": "gs1", "url": PRODUCT, "key": "mine",
                                             "gs1": {"gtin": GTIN, "batch": "B2"}})
    assert own_key.status_code == 422 and own_key.get_json()["error"]["errors"][0]["field"] == "key"


def test_a_gs1_code_moved_to_another_batch_answers_the_new_link_only(api, client, product):
    moved = api.patch(f"/api/qrcodes/{product['id']}", json={"gs1": {"gtin": GTIN, "batch": "NEW1"}})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["shortLink"].endswith("/10/NEW1")
    assert client.get(f"/01/{GTIN}/10/NEW1").location == PRODUCT
    assert client.get(f"/01/{GTIN}/10/ABC123").status_code == 404


def test_a_catalog_of_gtins_is_one_bulk_request(api, client):
    gtins = ["4006381333931", "5901234123457", "96385074"]  # GS1 and EAN examples with valid check digits
    made = api.post("/api/qrcodes/bulk", json=[{"type": "gs1", "url": f"https://example.com/p/{gtin}",
                                                "gs1": {"gtin": gtin}} for gtin in gtins]).get_json()
    assert all("id" in item for item in made), made
    for gtin in gtins:
        assert client.get(f"/01/{gtin}").location == f"https://example.com/p/{gtin}"
