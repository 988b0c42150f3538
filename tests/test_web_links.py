"""The web form's link options (issue 23) through the test client: every option set on create
and changed on edit, each problem beside its field, and the write-only password (never in a
page; blank keeps it; the box removes it)."""

import json
import re
from datetime import UTC, datetime

from werkzeug.security import check_password_hash

from codeqr import db
from codeqr.context import for_operator
from codeqr.domain import qrcodes
from codeqr.domain.models import QRCode
from test_web import create, error_slots
from web_client import csrf_of

RULES = [
    {"attribute": "device", "operator": "equals", "value": "iOS", "url": "https://example.com/ios-rule"},
    {"attribute": "time", "operator": "equals",
     "value": {"days": ["mon", "tue"], "from": "09:00", "until": "17:30", "timeZone": "Europe/Paris"},
     "url": "https://example.com/office-hours"},
    {"split": [{"url": "https://example.com/a", "weight": 70}, {"url": "https://example.com/b", "weight": 30}]},
]
EVERY_OPTION = {
    "url": "https://shop.example/spring?ref=print#top",
    # 09:30 in Paris on 1 March 2027 (winter time, UTC+1) is 08:30 UTC.
    "expires_at": "2027-03-01T09:30", "expires_at-zone": "Europe/Paris",
    "expired_url": "https://shop.example/over",
    "password": "open sesame",
    "ios": "https://apps.apple.com/app/id1", "android": "https://play.google.com/store/apps/details?id=x",
    "geo": json.dumps({"de": "https://shop.example/de", "FR": "https://shop.example/fr"}),
    "rules": json.dumps(RULES),
    "utm_source": "poster", "utm_medium": "print", "utm_campaign": "spring sale", "utm_term": "shoes",
    "utm_content": "a",
    "forward_query": ["y", ""],  # the box and its blank twin (_field.html)
}


def _stored(app, qr_id: str):
    with app.app_context():
        return qrcodes.find(qr_id, for_operator()), db.session.get(QRCode, qr_id).link


def _post(browser, path: str, fields: dict):
    return browser.post(path, data={**fields, "csrf_token": csrf_of(browser, path)})


def test_every_link_option_is_set_through_the_form_and_shown_again_but_the_password(browser, web_app):
    page = browser.get("/qrcodes/new").get_data(as_text=True)
    assert re.search(r'<details class="link-options" id="link-options"\s*>', page)  # collapsed: nothing set
    response = _post(browser, "/qrcodes/new", EVERY_OPTION)
    assert response.status_code == 302, error_slots(response.get_data(as_text=True))
    qr_id = response.headers["Location"].rsplit("/", 1)[1]
    qr, link = _stored(web_app, qr_id)
    assert qr.expires_at == datetime(2027, 3, 1, 8, 30, tzinfo=UTC)
    assert qr.expired_url == "https://shop.example/over"
    assert qr.has_password and check_password_hash(link["passwordHash"], "open sesame")
    assert (qr.ios, qr.android) == ("https://apps.apple.com/app/id1", "https://play.google.com/store/apps/details?id=x")
    assert qr.geo == {"DE": "https://shop.example/de", "FR": "https://shop.example/fr"}
    assert [rule.model_dump(mode="json", by_alias=True, exclude_none=True) for rule in qr.rules] == RULES
    assert (qr.utm_source, qr.utm_medium, qr.utm_campaign, qr.utm_term, qr.utm_content) == (
        "poster", "print", "spring sale", "shoes", "a")
    assert qr.forward_query is True

    html = browser.get(f"/qrcodes/{qr_id}/edit").get_data(as_text=True)
    assert re.search(r'<details class="link-options" id="link-options"\s*open>', html)
    # No time zone cookie (no script ran): the moment is shown in UTC, and the page says so.
    assert 'value="2027-03-01T08:30"' in html and 'name="expires_at-zone" value="UTC"' in html
    assert "The time is in UTC" in html and 'data-instant="2027-03-01T08:30:00+00:00"' in html
    assert "&#34;DE&#34;: &#34;https://shop.example/de&#34;" in html  # the countries' JSON, for the editor
    assert "https://example.com/office-hours" in html and "Europe/Paris" in html
    # The URL a scan goes to: the destination's query and fragment kept, the UTM added.
    assert ("https://shop.example/spring?ref=print&amp;utm_source=poster&amp;utm_medium=print"
            "&amp;utm_campaign=spring+sale&amp;utm_term=shoes&amp;utm_content=a#top") in html
    assert "A password is set" in html and "Remove the password" in html
    assert "open sesame" not in html and link["passwordHash"] not in html
    assert re.search(r'<input[^>]*name="password"[^>]*>', html).group(0).count('value=""') == 1

    # Cleared on edit: a blank option is no option.
    cleared = {"expires_at": "", "expires_at-zone": "UTC", "geo": "", "rules": "", "utm_source": "", "ios": "",
               "forward_query": ""}
    assert _post(browser, f"/qrcodes/{qr_id}/edit", cleared).status_code == 302
    qr, link = _stored(web_app, qr_id)
    assert (qr.expires_at, qr.geo, qr.rules, qr.utm_source, qr.ios, qr.forward_query) == (None, None, None, None,
                                                                                         None, False)
    assert qr.utm_medium == "print" and qr.has_password  # what the post did not clear stays


def test_a_blank_password_keeps_the_one_set_the_box_removes_it(browser, web_app):
    qr_id = create(web_app, url="https://example.com/secret", password="first one")["id"]
    path = f"/qrcodes/{qr_id}/edit"
    assert _post(browser, path, {"title": "Renamed", "password": ""}).status_code == 302
    qr, link = _stored(web_app, qr_id)
    assert qr.title == "Renamed" and check_password_hash(link["passwordHash"], "first one")

    assert _post(browser, path, {"password": "second one"}).status_code == 302
    _, link = _stored(web_app, qr_id)
    assert check_password_hash(link["passwordHash"], "second one")
    assert not check_password_hash(link["passwordHash"], "first one")

    assert _post(browser, path, {"password": "", "remove_password": ["y", ""]}).status_code == 302
    qr, link = _stored(web_app, qr_id)
    assert not qr.has_password and not (link or {}).get("passwordHash")
    html = browser.get(path).get_data(as_text=True)
    assert "A password is set" not in html and "Remove the password" not in html


def test_a_copy_takes_the_options_but_not_the_password(browser, web_app):
    qr = create(web_app, url="https://example.com/original", password="only mine", rules=RULES[2:],
                utm_source="poster")
    _, link = _stored(web_app, qr["id"])
    html = browser.get(f"/qrcodes/new?duplicate={qr['id']}").get_data(as_text=True)
    assert "password is not copied" in html and "Remove the password" not in html
    assert "only mine" not in html and link["passwordHash"] not in html
    assert "https://example.com/b" in html and 'value="poster"' in html


def test_each_problem_is_said_beside_its_option_and_nothing_is_saved(browser, web_app):
    split_of_90 = [{"attribute": "country", "operator": "equals", "value": "DE", "url": "https://example.com/de"},
                   {"split": [{"url": "https://example.com/a", "weight": 60},
                              {"url": "https://example.com/b", "weight": 30}]}]
    fields = {"url": "https://example.com/bad-options", "expires_at": "soon", "expired_url": "ftp://over",
              "password": "typed secret", "geo": json.dumps({"ZZ": "https://example.com/zz"}),
              "rules": json.dumps(split_of_90), "utm_source": "x" * 191}
    response = _post(browser, "/qrcodes/new", fields)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    errors = error_slots(html)
    assert set(errors) == {"expires_at", "expired_url", "geo", "rules", "utm_source"}, errors
    assert errors["expires_at"] == "Enter a date and a time, like 31/01/2027 18:00."
    assert "http://" in errors["expired_url"] and "ZZ" in errors["geo"] and "190" in errors["utm_source"]
    assert errors["rules"] == "Rule 2: the weights of its split add up to 90; they must add up to 100."
    assert re.search(r'<details class="link-options" id="link-options"\s*open>', html)
    assert "typed secret" not in html  # not even the one just typed
    with web_app.app_context():
        assert not qrcodes.by_ids([], for_operator()) and db.session.query(QRCode).count() == 0

    # Without the editor the text areas take JSON: text that is none is named as such.
    errors = error_slots(_post(browser, "/qrcodes/new", {"url": "https://example.com/x", "rules": "[{",
                                                         "geo": '["DE"]'}).get_data(as_text=True))
    assert errors["rules"].startswith("Write the rules as JSON, a list of rules:")
    assert errors["geo"].startswith("Write the countries as JSON, a country code and its URL each:")
