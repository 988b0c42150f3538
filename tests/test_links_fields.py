"""The link options as fields of a QR Code (issue 23): CodeQR's names, each refused with a
clear 422 when malformed, the password written and never answered, and where they may be set."""

import logging

import pytest
from sqlalchemy import text

from codeqr import db, hookimpl
from codeqr.domain.schemas import LINK_FIELDS
from test_url_credentials import DECEIVING

URL = "https://shop.example/spring?ref=print#top"
SPLIT = [{"url": "https://shop.example/a", "weight": 30}, {"url": "https://shop.example/b", "weight": 70}]
EVERY_OPTION = {
    "url": URL, "expiresAt": "2027-01-31T18:00:00+01:00", "expiredUrl": "https://shop.example/over",
    "password": "open sesame", "ios": "https://apps.apple.com/app/id1", "android": "https://play.google.com/x",
    "geo": {"de": "https://shop.example/de", "US": "https://shop.example/us"},
    "rules": [{"attribute": "country", "operator": "equals", "value": "FR", "url": "https://shop.example/fr"},
              {"split": SPLIT}],
    "utm_source": "poster", "utm_medium": "print", "utm_campaign": "spring", "utm_term": "shoes",
    "utm_content": "a4", "forwardQuery": True,
}


def _link_column(app, qrcode_id):
    with app.app_context():
        return db.session.execute(text("SELECT link FROM qrcodes WHERE id = :id"), {"id": qrcode_id}).scalar()


def test_every_option_is_taken_and_answered_with_codeqrs_names(api):
    created = api.post("/api/qrcodes", json=EVERY_OPTION)
    assert created.status_code == 201, created.get_json()
    answer = api.get(f"/api/qrcodes/{created.get_json()['id']}").get_json()
    assert answer["expiresAt"] == "2027-01-31T17:00:00.000Z"
    assert answer["expiredUrl"] == "https://shop.example/over"
    assert answer["ios"] == "https://apps.apple.com/app/id1" and answer["android"] == "https://play.google.com/x"
    assert answer["geo"] == {"DE": "https://shop.example/de", "US": "https://shop.example/us"}
    assert [rule["url"] for rule in answer["rules"]] == ["https://shop.example/fr", None]
    assert answer["rules"][1]["split"] == SPLIT
    assert (answer["utm_source"], answer["utm_medium"], answer["utm_campaign"], answer["utm_term"],
            answer["utm_content"]) == ("poster", "print", "spring", "shoes", "a4")
    assert answer["forwardQuery"] is True and answer["hasPassword"] is True
    assert "password" not in answer


def test_a_code_without_options_keeps_no_link_value(app, api):
    plain = api.post("/api/qrcodes", json={"url": URL}).get_json()
    assert _link_column(app, plain["id"]) is None  # SQL NULL: the redirect counts it in one statement
    assert plain["hasPassword"] is False and plain["rules"] is None and plain["forwardQuery"] is False
    set_then_cleared = api.post("/api/qrcodes", json={"url": URL + "2", "utm_source": "x"}).get_json()
    api.patch(f"/api/qrcodes/{set_then_cleared['id']}", json={"utm_source": None})
    assert _link_column(app, set_then_cleared["id"]) is None


class ChangeRecorder:
    __name__ = "change-recorder"

    def __init__(self):
        self.changes = []
        self.validated = []

    @hookimpl
    def codeqr_qrcode_updated(self, app, qrcode, changes):
        self.changes.append((qrcode, changes))

    @hookimpl
    def codeqr_validate_qrcode(self, app, qrcode):
        self.validated.append(qrcode)


def test_the_password_is_kept_hashed_and_never_shown_to_anyone(make_app, caplog):
    from api_client import authorized_client
    from codeqr.accounts import apikeys
    from codeqr.context import for_operator

    recorder = ChangeRecorder()
    app = make_app(plugins=[recorder])
    with app.app_context():
        _, secret = apikeys.create("tests", ctx=for_operator())
    api = authorized_client(app, secret)
    caplog.set_level(logging.DEBUG)
    created = api.post("/api/qrcodes", json={"url": URL, "password": "first secret"}).get_json()
    stored = _link_column(app, created["id"])
    assert "first secret" not in str(stored) and "passwordHash" in str(stored)
    api.patch(f"/api/qrcodes/{created['id']}", json={"password": "second secret"})
    api.patch(f"/api/qrcodes/{created['id']}", json={"password": None})
    assert [changes["password"] for _, changes in recorder.changes] == [["(hidden)", "(hidden)"], ["(hidden)", None]]
    seen = str(recorder.changes) + str(recorder.validated) + caplog.text + str(api.get("/api/qrcodes").get_json())
    assert "first secret" not in seen and "second secret" not in seen and "scrypt" not in seen
    assert api.get(f"/api/qrcodes/{created['id']}").get_json()["hasPassword"] is False


def test_an_upsert_with_the_same_password_changes_nothing(api):
    first = api.put("/api/qrcodes/upsert", json={"url": URL, "password": "same"}).get_json()
    again = api.put("/api/qrcodes/upsert", json={"url": URL, "password": "same"})
    assert again.status_code == 200 and again.get_json()["updatedAt"] == first["updatedAt"]
    other = api.put("/api/qrcodes/upsert", json={"url": URL, "password": "other"}).get_json()
    assert other["updatedAt"] != first["updatedAt"]


@pytest.mark.parametrize("body, field, words", [
    ({"expiresAt": "2027-01-31T18:00:00"}, "expiresAt", "must say its time zone"),
    ({"expiresAt": "tomorrow"}, "expiresAt", "datetime"),
    ({"geo": {"ZZ": "https://x.example/"}}, "geo", "'ZZ' is not an ISO 3166-1 alpha-2 country code"),
    ({"geo": {"de": "https://x.example/", "DE": "https://y.example/"}}, "geo", "names a country twice"),
    ({"geo": {f"{a}{b}": "https://x.example/" for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJK"}},
     "geo", "at most 250"),
    ({"rules": [{"url": "https://x.example/"}]}, "rules", "Rule 1: it has no condition and no split"),
    ({"rules": [{"split": SPLIT}, {"attribute": "os", "operator": "equals", "value": "iOS", "url": URL}]}, "rules",
     "Rule 1: it has no condition, so it matches every visitor and must be the last rule"),
    ({"rules": [{"attribute": "country", "operator": "equals", "value": "DE", "url": URL, "split": SPLIT}]}, "rules",
     "Rule 1: it has both a url and a split"),
    ({"rules": [{"split": [{"url": URL, "weight": 30}, {"url": URL, "weight": 60}]}]}, "rules",
     "Rule 1: the weights of its split add up to 90; they must add up to 100."),
    ({"rules": [{"attribute": "country", "operator": "equals", "url": URL}]}, "rules",
     "Rule 1: its condition has only attribute and operator"),
    ({"rules": [{"attribute": "country", "operator": "equals", "value": "DE", "url": URL}] * 21}, "rules",
     "There are 21 rules; at most 20 are allowed."),
    ({"password": ""}, "password", "at least 1 character"),
    ({"password": "a\nb"}, "password", "must not contain control characters"),
    ({"password": "p" * 129}, "password", "at most 128 characters"),
    ({"utm_source": "a\nb"}, "utm_source", "must be one line"),
    ({"utm_campaign": "c" * 191}, "utm_campaign", "at most 190 characters"),
    ({"forwardQuery": "yes"}, "forwardQuery", "boolean"),
])
def test_a_malformed_option_is_refused_with_a_sentence_naming_it(api, body, field, words):
    response = api.post("/api/qrcodes", json={"url": URL} | body)
    assert response.status_code == 422
    errors = {error["field"]: error["message"] for error in response.get_json()["error"]["errors"]}
    assert field in errors and words.lower() in errors[field].lower(), errors
    assert api.get("/api/qrcodes/count").get_json() == 0


def test_every_url_of_the_options_follows_the_rules_of_url(api):
    for url in DECEIVING + ["javascript:alert(1)", "ftp://files.example/", "https://exa mple.com/", "/relative"]:
        for body in ({"expiredUrl": url}, {"ios": url}, {"android": url}, {"geo": {"DE": url}},
                     {"rules": [{"attribute": "os", "operator": "equals", "value": "iOS", "url": url}]},
                     {"rules": [{"split": [{"url": url, "weight": 50}, {"url": URL, "weight": 50}]}]}):
            response = api.post("/api/qrcodes", json={"url": URL} | body)
            assert response.status_code == 422, (body, response.get_json())
    assert api.get("/api/qrcodes/count").get_json() == 0


def test_options_are_refused_where_they_cannot_work(api):
    static = api.post("/api/qrcodes", json={"type": "text", "text": "hello", "static": True,
                                            "password": "x", "expiresAt": "2030-01-01T00:00:00Z"})
    assert static.status_code == 422
    assert {error["field"] for error in static.get_json()["error"]["errors"]} == {"password", "expiresAt"}
    page = api.post("/api/qrcodes", json={"type": "text", "text": "hello", "static": False,
                                          "ios": "https://x.example/", "password": "x"})
    assert page.status_code == 422
    assert [error["field"] for error in page.get_json()["error"]["errors"]] == ["ios"]  # a password may guard a page
    guarded_page = api.post("/api/qrcodes", json={"type": "text", "text": "hello", "static": False,
                                                  "password": "x", "expiresAt": "2030-01-01T00:00:00Z"})
    assert guarded_page.status_code == 201
    # A gs1 code is scanned through its Digital Link, whose resolver decides on no option yet.
    product = api.post("/api/qrcodes", json={"type": "gs1", "url": "https://example.com/p",
                                             "gs1": {"gtin": "09506000134352"}, "password": "x", "utm_source": "y"})
    assert product.status_code == 422
    assert {error["field"] for error in product.get_json()["error"]["errors"]} == {"password", "utm_source"}


def test_every_link_option_is_in_the_spec_with_its_codeqr_name(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    create = spec["components"]["schemas"]["QRCodeCreate"]["properties"]
    answer = spec["components"]["schemas"]["QRCodeOut"]["properties"]
    names = ["expiresAt", "expiredUrl", "password", "ios", "android", "geo", "rules", "utm_source", "utm_medium",
             "utm_campaign", "utm_term", "utm_content", "forwardQuery"]
    assert len(names) == len(LINK_FIELDS)
    assert set(names) <= set(create)
    assert set(names) - {"password"} | {"hasPassword"} <= set(answer) and "password" not in answer


def test_a_bulk_create_neither_answers_nor_keeps_a_password(app, api):
    from codeqr.domain.models import BulkJob

    answer = api.post("/api/qrcodes/bulk", json=[{"url": URL, "password": "bulk secret", "ios": "ftp://bad"},
                                                 {"url": URL + "2", "password": "other secret"}])
    refused, created = answer.get_json()
    assert refused["qrcode"]["password"] == "(hidden)" and created["hasPassword"] is True
    with app.app_context():
        jobs = db.session.execute(text("SELECT items, results FROM bulk_jobs")).all()
        assert db.session.query(BulkJob).count() == 1
    kept = str(jobs)
    assert "bulk secret" not in kept and "other secret" not in kept and "bulk secret" not in answer.get_data(as_text=True)


def test_no_countries_and_no_rules_are_none_and_change_nothing(api):
    created = api.post("/api/qrcodes", json={"url": URL, "geo": {}, "rules": []}).get_json()
    assert created["geo"] is None and created["rules"] is None
    again = api.patch(f"/api/qrcodes/{created['id']}", json={"geo": {}, "rules": []}).get_json()
    assert again["updatedAt"] == created["updatedAt"]
