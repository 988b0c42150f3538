"""The Domains page (issue 24): admins add a domain, change where its root and unknown keys
go, and stop serving one; problems are said beside their field."""

import re

from web_client import csrf_of, signed_in


def test_an_admin_adds_changes_and_stops_serving_a_domain(web_app):
    browser = signed_in(web_app)
    page = browser.get("/admin/domains").get_data(as_text=True)
    assert "go.example.org" in page and "(settings)" in page and "Stop serving" not in page  # the settings' stay
    token = csrf_of(browser, "/admin/domains")
    refused = browser.post("/admin/domains", data={"csrf_token": token, "slug": "bad..name"})
    assert refused.status_code == 200
    assert "“bad..name” is not a domain name" in refused.get_data(as_text=True)
    refused = browser.post("/admin/domains", data={"csrf_token": token, "slug": "ok.example", "target": "ftp://x"})
    assert 'aria-invalid="true" id="target"' in refused.get_data(as_text=True)
    assert "Enter a full web address starting with http:// or https://" in refused.get_data(as_text=True)
    added = browser.post("/admin/domains", data={"csrf_token": token, "slug": "qr.shop.example",
                                                 "target": "https://shop.example/", "not_found_url": ""})
    assert added.status_code == 302
    page = browser.get("/admin/domains").get_data(as_text=True)
    assert "qr.shop.example" in page and "https://shop.example/" in page
    assert "qr.shop.example" in browser.get("/qrcodes/new").get_data(as_text=True)  # the form offers it
    edit = "/admin/domains/qr.shop.example"
    changed = browser.post(edit, data={"csrf_token": csrf_of(browser, edit), "target": "",
                                       "not_found_url": "https://shop.example/404", "placeholder": ""})
    assert changed.status_code == 302
    assert web_app.test_client().get("/x", headers={"Host": "qr.shop.example"}).headers["Location"] == \
        "https://shop.example/404"
    bad = browser.post(edit, data={"csrf_token": csrf_of(browser, edit), "target": "javascript:alert(1)"})
    assert bad.status_code == 200 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    remove = "/admin/domains/qr.shop.example/remove"
    assert "Stop serving qr.shop.example?" in browser.get(remove).get_data(as_text=True)
    assert browser.post(remove, data={"csrf_token": csrf_of(browser, remove)}).status_code == 302
    assert "<code>qr.shop.example</code>" not in browser.get("/admin/domains").get_data(as_text=True)


def test_a_hostile_domain_name_is_refused_beside_its_field_and_escaped(web_app):
    browser = signed_in(web_app)
    token = csrf_of(browser, "/admin/domains")
    answer = browser.post("/admin/domains", data={"csrf_token": token, "slug": "<script>alert(1)</script>"})
    html = answer.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert 'aria-invalid="true" id="slug"' in html


def test_the_form_shows_the_chosen_domains_example_destination(web_app):
    browser = signed_in(web_app)
    edit = "/admin/domains/localhost"
    browser.post(edit, data={"csrf_token": csrf_of(browser, edit), "placeholder": "https://shop.example/product/1"})
    page = browser.get("/qrcodes/new").get_data(as_text=True)
    assert 'data-placeholder="https://shop.example/product/1"' in page  # on the default domain's option
    url_input = re.search(r'<input[^>]*id="url"[^>]*>', page).group(0)
    assert 'placeholder="https://shop.example/product/1"' in url_input  # the default domain is chosen
