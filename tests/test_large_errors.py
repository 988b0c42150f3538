"""Huge invalid inputs get short answers: the first problems, and how many more."""

import json

from codeqr.errors import MAX_LISTED
from test_web import _import

URL = "https://example.com/"
#: An answer listing MAX_LISTED problems fits in this many bytes, whatever was sent.
BOUND = 4096


def _unknown(count: int) -> dict:
    return {"url": URL, **{f"unknown{index:06d}": 1 for index in range(count)}}


def test_an_api_body_with_200000_unknown_fields_gets_a_short_422(api):
    response = api.post("/api/qrcodes", data=json.dumps(_unknown(200_000)), content_type="application/json")
    assert response.status_code == 422 and len(response.data) < BOUND
    message = response.get_json()["error"]["message"]
    assert "unknown000000" in message and "… and 199,980 more fields" in message
    assert api.get("/api/qrcodes/count").get_json() == 0


def test_a_422_lists_the_first_problems_and_counts_the_rest(api):
    # Few enough unknown fields for pydantic's one error each: the answer lists MAX_LISTED of them.
    response = api.post("/api/qrcodes", json=_unknown(MAX_LISTED + 5))
    assert response.status_code == 422
    message = response.get_json()["error"]["message"]
    assert message.count("Extra inputs are not permitted") == MAX_LISTED
    assert message.endswith("… and 5 more problems")


def test_a_bulk_item_lists_the_first_problems_and_counts_the_rest(api):
    response = api.post("/api/qrcodes/bulk", json=[_unknown(MAX_LISTED + 1), _unknown(200_000)])
    few, many = (item["error"]["message"] for item in response.get_json())
    assert few.count("Extra inputs are not permitted") == MAX_LISTED and few.endswith("… and 1 more problem")
    assert len(many) < BOUND and many.endswith("… and 199,980 more fields")


def test_a_csv_header_of_600000_unknown_columns_gets_a_short_page(browser):
    header = "url," + ",".join(f"c{index}" for index in range(600_000))
    page = _import(browser, f"{header}\n{URL}\n".encode())
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and len(page.data) < 100_000
    assert "c0, c1, c2" in text and "… and 599,980 more columns" in text
    assert "c599999" not in text
