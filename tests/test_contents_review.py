"""A hostile review of the content types (issue 21) through the real app: each test holds a
bug found in review, written before its fix, or a property the review checked by attack."""

import pytest

from api_client import authorized_client
from codeqr import hookimpl
from codeqr.accounts import apikeys
from codeqr.context import for_operator
from codeqr.scans.enrichment import enrich_pending

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


class _ScanRecorder:
    __name__ = "review_scan_recorder"

    def __init__(self):
        self.scans = []

    @hookimpl
    def codeqr_qrcode_scanned(self, app, event):
        self.scans.append(event)


@pytest.mark.parametrize("analytics", ["full", "off"])
def test_plugins_hear_of_landing_page_and_digital_link_scans_as_the_events_record_them(make_app, analytics):
    """With or without stored events, ``codeqr_qrcode_scanned`` gets each counted scan once,
    its url where the visitor was sent: "" for a landing page (not the code's whole content),
    the default link for a scan of a Digital Link."""
    recorder = _ScanRecorder()
    app = make_app(plugins=[recorder], CODEQR_ANALYTICS=analytics)
    with app.app_context():
        _, secret = apikeys.create("review", ctx=for_operator())
    api = authorized_client(app, secret)
    card = api.post("/api/qrcodes", json={"type": "vcard", "vcard": {"firstName": "Ada", "note": "secret"}})
    product = api.post("/api/qrcodes", json={"type": "gs1", "url": PRODUCT, "gs1": {"gtin": GTIN}})
    assert card.status_code == product.status_code == 201
    assert api.get("/" + card.get_json()["key"]).status_code == 200
    assert api.get(f"/01/{GTIN}").location == PRODUCT
    with app.app_context():
        enrich_pending(app)  # what the background thread (off in tests) does
    assert sorted((event["qrcodeId"], event["url"]) for event in recorder.scans) == sorted(
        [(card.get_json()["id"], ""), (product.get_json()["id"], PRODUCT)])


class _Refuser:
    """Refuses every scan of one QR Code (as a plugin pausing a campaign would)."""

    __name__ = "review_refuser"

    def __init__(self):
        self.refused_id = None

    @hookimpl
    def codeqr_redirect(self, id, key, url, visit):
        return 410 if id == self.refused_id else None


def test_the_redirect_hook_decides_on_digital_link_scans_too(make_app):
    """``codeqr_redirect`` is asked before any counted scan: a gs1 code's scans come through
    its Digital Link, and a plugin refusing them must not be bypassed there."""
    refuser = _Refuser()
    app = make_app(plugins=[refuser])
    with app.app_context():
        _, secret = apikeys.create("review", ctx=for_operator())
    api = authorized_client(app, secret)
    product = api.post("/api/qrcodes", json={"type": "gs1", "url": PRODUCT,
                                             "gs1": {"gtin": GTIN, "linkTypes": {"gs1:epil": LEAFLET}}}).get_json()
    refuser.refused_id = product["id"]
    assert api.get(f"/01/{GTIN}").status_code == 410
    assert api.get(f"/01/{GTIN}?linkType=gs1:epil").status_code == 410
    assert api.get(f"/api/qrcodes/{product['id']}").get_json()["scans"] == 0
    refuser.refused_id = None
    assert api.get(f"/01/{GTIN}?linkType=gs1:epil").location == LEAFLET
    assert api.get(f"/api/qrcodes/{product['id']}").get_json()["scans"] == 1


def test_a_gs1_code_turned_into_another_type_frees_its_products_digital_link(api, client):
    """A gs1 code's key is made from its product (``gs1-…``); once it holds another type, the
    product's Digital Link is free for a new gs1 code, and the old one answers it no more."""
    product = api.post("/api/qrcodes", json={"type": "gs1", "url": PRODUCT, "gs1": {"gtin": GTIN}}).get_json()
    moved = api.patch(f"/api/qrcodes/{product['id']}", json={"type": "url"})
    assert moved.status_code == 200, moved.get_json()
    assert not moved.get_json()["key"].startswith("gs1-")
    assert client.get(moved.get_json()["shortLink"]).location == PRODUCT
    again = api.post("/api/qrcodes", json={"type": "gs1", "url": LEAFLET, "gs1": {"gtin": GTIN}})
    assert again.status_code == 201, again.get_json()
    assert client.get(f"/01/{GTIN}").location == LEAFLET
    chosen = api.patch(f"/api/qrcodes/{again.get_json()['id']}", json={"type": "url", "key": "risotto"})
    assert chosen.get_json()["key"] == "risotto"


def test_upsert_of_a_gs1_code_never_takes_over_a_code_of_another_type(api):
    """Upsert finds a gs1 code by its key; a url code whose chosen key happens to be that one
    is not it: the upsert is a conflict, and the url code stays as it was."""
    from codeqr.contents.stored import gs1_key

    squatter = api.post("/api/qrcodes", json={"url": PRODUCT, "key": gs1_key(GTIN, None, None)}).get_json()
    found = api.put("/api/qrcodes/upsert", json={"type": "gs1", "url": LEAFLET, "gs1": {"gtin": GTIN}})
    assert found.status_code == 409 and found.get_json()["error"]["errors"][0]["field"] == "key"
    assert api.get(f"/api/qrcodes/{squatter['id']}").get_json() == squatter


def test_the_linkset_anchor_is_the_digital_link_the_code_encodes(make_app):
    """Behind a TLS proxy the request is http, but the code encodes its link with the
    instance's scheme (``CODEQR_SCHEME``): the linkset's anchor names that link."""
    app = make_app(CODEQR_SCHEME="https")
    with app.app_context():
        _, secret = apikeys.create("review", ctx=for_operator())
    api = authorized_client(app, secret)
    product = api.post("/api/qrcodes", json={"type": "gs1", "url": PRODUCT, "gs1": {"gtin": GTIN}}).get_json()
    assert product["shortLink"] == f"https://localhost/01/{GTIN}"
    linkset = api.get(f"/01/{GTIN}?linkType=all").get_json()
    assert [links["anchor"] for links in linkset["linkset"]] == [f"https://localhost/01/{GTIN}"]


def test_upserts_of_two_products_with_one_default_link_make_two_codes(api, client):
    """Products of a range often share their default link; each product's Digital Link is
    its own QR Code, so the second upsert creates, and the first product keeps its code."""
    other = "4006381333931"  # a GTIN-13 with a valid check digit, written out by hand
    first = api.put("/api/qrcodes/upsert", json={"type": "gs1", "url": PRODUCT, "gs1": {"gtin": GTIN}})
    second = api.put("/api/qrcodes/upsert", json={"type": "gs1", "url": PRODUCT, "gs1": {"gtin": other}})
    assert (first.status_code, second.status_code) == (201, 201), second.get_json()
    assert first.get_json()["id"] != second.get_json()["id"]
    assert api.get(f"/api/qrcodes/{first.get_json()['id']}").get_json()["gs1"]["gtin"] == GTIN
    assert client.get(f"/01/{GTIN}").location == client.get(f"/01/0{other}").location == PRODUCT
