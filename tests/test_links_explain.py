"""``GET /api/qrcodes/{id}/explain`` (issue 23): which step would decide a scan by a visitor
described by hand, and where it would go; and the warnings of rule values that never match."""

from urllib.parse import urlencode

from api_client import authorized_client
from codeqr.accounts import apikeys, users
from codeqr.context import for_operator

SITE, RULED, SOUTH, GERMANY, IPHONE, ANDROID, EXPIRED, A, B = (
    f"https://example.com/{name}" for name in ("site", "fr", "sa", "de", "ios", "android", "expired", "a", "b"))
IPHONE_AGENT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                "Version/17.0 Mobile/15E148 Safari/604.1")
PIXEL_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
               "Mobile Safari/537.36")
NEVER = 'Rule 4: device "mobile" never matches: devices are iOS, Android, Windows, Mac OS, Linux.'
CODE = {
    "url": SITE, "key": "explained", "password": "open sesame", "expiresAt": "2030-01-01T00:00:00Z",
    "expiredUrl": EXPIRED, "geo": {"DE": GERMANY}, "ios": IPHONE, "android": ANDROID, "utm_source": "poster",
    "rules": [
        {"attribute": "country", "operator": "equals", "value": "FR", "url": RULED},
        {"attribute": "continent", "operator": "equals", "value": "SA", "url": SOUTH},
        {"attribute": "utm_source", "operator": "equals", "value": "newsletter",
         "split": [{"url": A, "weight": 50}, {"url": B, "weight": 50}]},
        {"attribute": "device", "operator": "equals", "value": "mobile", "url": RULED},
    ],
}


def _explain(api, qrcode_id: str, **query):
    return api.get(f"/api/qrcodes/{qrcode_id}/explain?{urlencode(query)}")


def test_explain_says_each_step_and_answers_carry_never_matching_warnings(api):
    created = api.post("/api/qrcodes", json=CODE)
    assert created.status_code == 201, created.get_json()
    qr = created.get_json()
    assert qr["warnings"] == [NEVER]
    assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["warnings"] == [NEVER]
    plain = api.post("/api/qrcodes", json={"url": SITE}).get_json()
    assert plain["warnings"] == []
    assert _explain(api, plain["id"]).get_json() == {
        "step": "url", "destination": SITE, "rule": None, "variant": None, "gone": False, "warnings": []}

    def said(**query):
        answer = _explain(api, qr["id"], **query)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        assert body["warnings"] == [NEVER]
        return body["step"], body["destination"], body["rule"], body["variant"], body["gone"]

    assert said() == ("password", None, None, None, False)
    open_ = {"unlocked": "true"}
    assert said(**open_) == ("url", f"{SITE}?utm_source=poster", None, None, False)
    assert said(**open_, at="2030-01-01T00:00:00Z") == ("expired", f"{EXPIRED}?utm_source=poster", None, None, False)
    assert said(**open_, at="2029-12-31T23:59:59+00:00") == ("url", f"{SITE}?utm_source=poster", None, None, False)
    assert said(**open_, country="fr") == ("rule", f"{RULED}?utm_source=poster", 1, None, False)
    assert said(**open_, country="BR") == ("rule", f"{SOUTH}?utm_source=poster", 2, None, False)  # its continent
    assert said(**open_, country="BR", continent="EU") == ("url", f"{SITE}?utm_source=poster", None, None, False)
    step, destination, rule, variant, _ = said(**open_, utm_source="newsletter")
    assert (step, rule) == ("rule", 3) and (variant, destination) in {
        (1, f"{A}?utm_source=poster"), (2, f"{B}?utm_source=poster")}
    assert said(**open_, country="DE") == ("geo", f"{GERMANY}?utm_source=poster", None, None, False)
    assert said(**open_, userAgent=IPHONE_AGENT) == ("ios", f"{IPHONE}?utm_source=poster", None, None, False)
    assert said(**open_, userAgent=PIXEL_AGENT) == ("android", f"{ANDROID}?utm_source=poster", None, None, False)
    assert said(**open_, userAgent=PIXEL_AGENT, country="DE") == ("geo", f"{GERMANY}?utm_source=poster", None, None,
                                                                   False)

    # Expired with nowhere to go: the 410 page. An update's answer carries the warnings too.
    updated = api.patch(f"/api/qrcodes/{qr['id']}", json={"expiredUrl": None, "forwardQuery": True})
    assert updated.get_json()["warnings"] == [NEVER]
    assert said(**open_, at="2031-06-01T12:00:00+02:00") == ("expired", None, None, None, True)
    assert said(**open_, query="ref=flyer") == ("url", f"{SITE}?utm_source=poster&ref=flyer", None, None, False)
    assert _explain(api, "c" + "0" * 24).status_code == 404


def test_explain_refuses_hostile_values_with_a_clear_422_and_a_viewer_may_explain(app, api):
    qr = api.post("/api/qrcodes", json={"url": SITE, "key": "hostile"}).get_json()
    api.patch(f"/api/qrcodes/{qr['id']}", json={"key": "hostile-2", "keepOldLink": True})

    def refused(field: str, **query) -> str:
        answer = _explain(api, qr["id"], **query)
        assert answer.status_code == 422, answer.get_json()
        error = answer.get_json()["error"]
        assert [item["field"] for item in error["errors"]] == [field]
        return error["errors"][0]["message"]

    nul = _explain(api, qr["id"], userAgent="Mozilla\x00/5.0")  # every URL with a NUL: the app's own 400
    assert (nul.status_code, nul.get_json()["error"]["message"]) == (400, "NUL characters are not allowed in the URL")
    assert "control characters" in refused("userAgent", userAgent="Mozilla\x01/5.0")
    assert "control characters" in refused("city", city="Paris\x1b")
    assert "1024" in refused("userAgent", userAgent="M" * 10_000)
    assert "2048" in refused("query", query="a=" + "b" * 10_000)
    assert "ISO 8601" in refused("at", at="next tuesday")
    assert "time zone" in refused("at", at="2030-01-01T00:00:00")
    refused("country", country="France")
    refused("referrer", referrer="https://google.com/search")
    refused("unlocked", unlocked="perhaps")
    refused("utm_source", utm_source="x" * 10_000)

    with app.app_context():
        viewer = users.create("viewer@example.com", "a long enough password", role="viewer", ctx=for_operator())
        _, secret = apikeys.create("viewer's", owner=viewer, ctx=for_operator())
    as_viewer = authorized_client(app, secret)
    assert _explain(as_viewer, qr["id"]).get_json()["step"] == "url"
    # Removing an old link is a change: refused to a viewer, as an update is.
    assert as_viewer.delete(f"/api/qrcodes/{qr['id']}/aliases/hostile").status_code == 403
    assert [alias["key"] for alias in as_viewer.get(f"/api/qrcodes/{qr['id']}").get_json()["aliases"]] == ["hostile"]


def test_an_instant_at_the_edge_of_the_calendar_is_in_no_time_window(api):
    qr = api.post("/api/qrcodes", json={"url": "https://example.com/", "rules": [
        {"attribute": "time", "operator": "equals", "url": "https://example.com/night",
         "value": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "from": "00:00", "until": "24:00",
                   "timeZone": "Pacific/Kiritimati"}}]}).get_json()
    for instant in ("9999-12-31T23:59:00Z", "0001-01-01T00:00:00Z"):
        answer = api.get(f"/api/qrcodes/{qr['id']}/explain", query_string={"at": instant})
        assert answer.status_code == 200 and answer.get_json()["step"] == "url", answer.get_json()
