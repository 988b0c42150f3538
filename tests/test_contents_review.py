"""A hostile review of the content types (issue 21) through the real app: each test holds a
bug found in review, written before its fix, or a property the review checked by attack."""

GTIN = "09506000134352"  # GS1's own example GTIN (GS1 Digital Link standard)
PRODUCT = "https://example.com/products/risotto"
LEAFLET = "https://example.com/leaflets/risotto.pdf"
RECALL = "https://example.com/recalls/risotto"


def test_upsert_of_a_gs1_code_updates_its_link_types_and_expiry(api, client):
    """Upsert finds a gs1 code by its Digital Link (GTIN, batch, serial); what else its payload
    says (link types, expiry) is an update like any other field, not dropped."""
    first = api.put("/api/qrcodes/upsert", json={"type": "gs1", "url": PRODUCT,
                                                 "gs1": {"gtin": GTIN, "linkTypes": {"gs1:epil": LEAFLET}}})
    assert first.status_code == 201, first.get_json()
    again = api.put("/api/qrcodes/upsert", json={"type": "gs1", "url": PRODUCT, "gs1": {
        "gtin": GTIN, "expiry": "2027-01-31", "linkTypes": {"gs1:epil": LEAFLET, "gs1:recallStatus": RECALL}}})
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["gs1"]["expiry"] == "2027-01-31"
    assert again.get_json()["updatedAt"] > first.get_json()["updatedAt"]
    assert client.get(f"/01/{GTIN}?linkType=gs1:recallStatus").location == RECALL
    same = api.put("/api/qrcodes/upsert", json={"type": "gs1", "url": PRODUCT, "gs1": {
        "gtin": GTIN, "expiry": "2027-01-31", "linkTypes": {"gs1:epil": LEAFLET, "gs1:recallStatus": RECALL}}})
    assert same.status_code == 200 and same.get_json()["updatedAt"] == again.get_json()["updatedAt"]


def test_a_landing_page_scan_is_counted_once_and_recorded_once(api, client):
    made = api.post("/api/qrcodes", json={"type": "text", "text": "Table 12"}).get_json()
    phone = api.post("/api/qrcodes", json={"type": "phone", "phone": "+33 6 12 34 56 78",
                                           "useDisplayPage": False}).get_json()
    for _ in range(2):
        assert client.get("/" + made["key"]).status_code == 200
    assert client.head("/" + made["key"]).status_code == 200
    assert client.get("/" + phone["key"]).location == "tel:+33612345678"
    assert api.get(f"/api/qrcodes/{made['id']}").get_json()["scans"] == 2
    events = api.get("/api/events", query_string={"interval": "all", "bots": "include"}).get_json()
    assert sorted((event["key"], event["url"]) for event in events) == sorted(
        [(made["key"], ""), (made["key"], ""), (phone["key"], "tel:+33612345678")])
