"""The web UI's part of organising QR Codes (issue 24): the form's tags (typed as names,
separated by commas) and folder, comments on several lines; tags, folder, archived,
comments and maker on the list and the detail page; the tag colours' contrast."""

import json
import re
from html import unescape
from pathlib import Path

import pytest

from codeqr import db
from codeqr.accounts import users
from codeqr.context import for_operator
from codeqr.domain import qrcodes
from codeqr.domain.models import Folder, FolderUser, QRCode, Tag
from codeqr.domain.tags import COLORS
from codeqr.web.organise import names_of, text_of
from web_client import ADMIN_EMAIL, csrf_of

URL = "https://example.com/"
CSS = Path(__file__).resolve().parent.parent / "codeqr" / "static" / "tags.css"


def _tag(app, name: str, color: str) -> str:
    with app.app_context():
        tag = Tag(name=name, color=color)
        db.session.add(tag)
        db.session.commit()
        return tag.id


def _folder(app, name: str, access_level=None, users_given=()) -> str:
    with app.app_context():
        folder = Folder(name=name, access_level=access_level)
        db.session.add(folder)
        db.session.flush()
        db.session.add_all(FolderUser(folder_id=folder.id, user_id=user) for user in users_given)
        db.session.commit()
        return folder.id


def _stored(app, qr_id: str):
    with app.app_context():
        return qrcodes.find(qr_id, for_operator())


def _created(app, **body) -> str:
    from codeqr.domain import writes
    from codeqr.domain.schemas import QRCodeCreate

    with app.app_context():
        return writes.create(QRCodeCreate.model_validate({"url": URL, **body}), ctx=for_operator()).id


def _input_value(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    return unescape(re.search(r'value="([^"]*)"', tag).group(1))


def _options(html: str, name: str) -> list[tuple[str, str, bool]]:
    """The options of the select ``name``: (value, text, selected)."""
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, flags=re.DOTALL).group(0)
    return [(unescape(re.search(r'value="([^"]*)"', attributes).group(1)), unescape(text.strip()),
             " selected" in attributes) for attributes, text in re.findall(r"<option([^>]*)>([^<]*)</option>", select)]


def _errors(html: str) -> dict:
    return {name: unescape(message) for name, message in
            re.findall(r'class="field-error" data-for="([^"]+)">([^<]+)</small>', html)}


def test_tag_names_are_read_and_written_as_one_line_a_comma_apart():
    assert names_of('shop,  "Smith, John" ,summer,, SHOP, "say ""hi"""') == ["shop", "Smith, John", "summer", 'say "hi"']
    assert text_of(["Shop", "Smith, John", 'say "hi"']) == 'Shop, "Smith, John", "say ""hi"""'
    assert names_of("") == [] and text_of([]) == ""


def test_the_form_posts_tags_by_name_and_a_folder_and_shows_them_back(browser, web_app):
    shop = _tag(web_app, "Shop", "green")
    spring = _folder(web_app, "Spring")
    _folder(web_app, "Autumn")
    page = browser.get("/qrcodes/new").get_data(as_text=True)
    assert _options(page, "folder_id")[0] == ("", "No folder", False)
    assert [text for _, text, _ in _options(page, "folder_id")] == ["No folder", "Autumn", "Spring"]
    choices = json.loads(re.search(r'<script type="application/json" id="tag-choices">(.*?)</script>', page).group(1))
    assert choices == [{"id": shop, "name": "Shop", "color": "green"}]
    # The organising fields come as a group of their own, right after the title's.
    assert page.index('data-group="link"') < page.index('data-group="organise"') < page.index('name="tag_names"')
    assert "<legend>Organise</legend>" in page

    token = csrf_of(browser, "/qrcodes/new")
    created = browser.post("/qrcodes/new", data={
        "url": URL, "tag_names": 'shop, "Smith, John", summer', "folder_id": spring,
        "comments": "Printed on the menu\nReprint in May", "csrf_token": token})
    assert created.status_code == 302, _errors(created.get_data(as_text=True))
    qr_id = created.headers["Location"].rsplit("/", 1)[1]
    qr = _stored(web_app, qr_id)
    assert [(tag.name, tag.id == shop) for tag in qr.tags] == [("Shop", True), ("Smith, John", False), ("summer", False)]
    assert qr.folder_id == spring and qr.comments == "Printed on the menu\nReprint in May"

    edit = browser.get(f"/qrcodes/{qr_id}/edit").get_data(as_text=True)
    assert _input_value(edit, "tag_names") == 'Shop, "Smith, John", summer'
    assert (spring, "Spring", True) in _options(edit, "folder_id")
    assert re.search(r'<textarea[^>]*name="comments"[^>]*>\s*Printed on the menu\nReprint in May</textarea>', edit)

    detail = browser.get(f"/qrcodes/{qr_id}").get_data(as_text=True)
    organisation = re.search(r'<dl id="organisation".*?</dl>', detail, flags=re.DOTALL).group(0)
    assert f'<a class="tag-chip tag-green" href="/qrcodes?tagIds={shop}"' in organisation
    assert re.findall(r'class="tag-chip tag-[a-z]+"[^>]*>([^<]*)</a>', organisation) == ["Shop", "Smith, John", "summer"]
    assert "Spring" in organisation and ADMIN_EMAIL.lower() in organisation
    assert '<dd class="comments">Printed on the menu\nReprint in May</dd>' in organisation

    listing = browser.get("/qrcodes").get_data(as_text=True)
    row = re.search(rf'<tr data-row>(?:(?!</tr>).)*{qr_id}(?:(?!</tr>).)*</tr>', listing, flags=re.DOTALL).group(0)
    assert re.findall(r'class="tag-chip tag-[a-z]+"[^>]*>([^<]*)</a>', row) == ["Shop", "Smith, John", "summer"]
    assert f'href="/qrcodes?tagIds={shop}"' in row
    assert re.search(r'<span class="visually-hidden">Folder: </span>Spring</span>', row)
    assert "Archived" not in row


def test_an_edit_keeps_the_tags_it_leaves_out_and_a_blank_field_removes_them(browser, web_app):
    folder = _folder(web_app, "Spring")
    qr_id = _created(web_app, tagNames=["one", "two"], folderId=folder)
    token = csrf_of(browser, f"/qrcodes/{qr_id}/edit")
    kept = browser.post(f"/qrcodes/{qr_id}/edit", data={"url": URL, "title": "Kept", "csrf_token": token})
    assert kept.status_code == 302
    qr = _stored(web_app, qr_id)
    assert [tag.name for tag in qr.tags] == ["one", "two"] and qr.folder_id == folder and qr.title == "Kept"

    cleared = browser.post(f"/qrcodes/{qr_id}/edit", data={"url": URL, "tag_names": " ", "folder_id": "",
                                                           "comments": "", "csrf_token": token})
    assert cleared.status_code == 302, _errors(cleared.get_data(as_text=True))
    qr = _stored(web_app, qr_id)
    assert qr.tags == [] and qr.folder_id is None and qr.comments is None
    edit = browser.get(f"/qrcodes/{qr_id}/edit").get_data(as_text=True)
    assert _input_value(edit, "tag_names") == "" and "Empty the field to remove every tag." in edit
    detail = browser.get(f"/qrcodes/{qr_id}").get_data(as_text=True)
    assert "<dt>Tags</dt><dd>None</dd>" in detail and "<dt>Folder</dt><dd>No folder</dd>" in detail


HOSTILE = ['<script>alert("t")</script>', '"><img src=x onerror=alert(1)>', "x' onmouseover='alert(1)"]


def test_hostile_tag_names_and_comments_are_shown_as_text(browser, web_app):
    qr_id = _created(web_app, tagNames=HOSTILE, comments="<b>bold</b>\n</dd><script>alert(2)</script>",
                     archived=True)
    pages = {path: browser.get(path).get_data(as_text=True)
             for path in ("/qrcodes?showArchived=true", f"/qrcodes/{qr_id}", f"/qrcodes/{qr_id}/edit", "/qrcodes/new")}
    for path, html in pages.items():
        for raw in [*HOSTILE, "<b>bold</b>", "<script>alert(2)", "<img src=x"]:
            assert raw not in html, (path, raw)
    detail = pages[f"/qrcodes/{qr_id}"]
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;</a>" in detail
    assert "&lt;b&gt;bold&lt;/b&gt;\n&lt;/dd&gt;&lt;script&gt;alert(2)&lt;/script&gt;</dd>" in detail
    assert 'id="archived-note"' in detail
    # The edit page gives the names back whole, and posting them again changes nothing.
    assert names_of(_input_value(pages[f"/qrcodes/{qr_id}/edit"], "tag_names")) == sorted(HOSTILE, key=str.lower)
    choices = re.search(r'id="tag-choices">(.*?)</script>', pages["/qrcodes/new"], flags=re.DOTALL).group(1)
    assert sorted(tag["name"] for tag in json.loads(choices)) == sorted(HOSTILE)
    row = re.search(rf'<tr data-row>(?:(?!</tr>).)*{qr_id}(?:(?!</tr>).)*</tr>', pages["/qrcodes?showArchived=true"],
                    flags=re.DOTALL).group(0)
    assert '<span class="archived-badge">Archived</span>' in row


@pytest.mark.parametrize("typed, message", [
    ("ok, " + "x" * 51, "The tag “" + "x" * 30 + "…”: use at most 50 characters."),
    ("ok, a\x01b", "The tag “a\x01b”: remove the invisible control characters from this text."),
    (", ".join(f"t{number}" for number in range(51)), "A QR Code carries at most 50 tags: remove 1."),
])
def test_a_refused_tag_name_is_said_beside_the_tags_field_and_nothing_is_made(browser, web_app, typed, message):
    token = csrf_of(browser, "/qrcodes/new")
    page = browser.post("/qrcodes/new", data={"url": URL, "tag_names": typed, "csrf_token": token})
    assert page.status_code == 200
    assert _errors(page.get_data(as_text=True))["tag_names"] == message
    with web_app.app_context():
        assert db.session.query(QRCode).count() == 0 and db.session.query(Tag).count() == 0


def test_a_folder_the_person_may_not_use_is_not_offered_and_is_refused(browser, web_app):
    with web_app.app_context():
        member = users.create("member@example.com", "a long enough password", role="member", ctx=for_operator()).id
    theirs = _folder(web_app, "Theirs", users_given=[member])
    open_ = _folder(web_app, "Open to all", access_level="write")
    readable = _folder(web_app, "Read only", access_level="read")
    private = _folder(web_app, "Private")
    client = web_app.test_client()
    client.post("/login", data={"email": "member@example.com", "password": "a long enough password",
                                "csrf_token": csrf_of(client, "/login")})
    page = client.get("/qrcodes/new").get_data(as_text=True)
    assert [(value, text) for value, text, _ in _options(page, "folder_id")] == [
        ("", "No folder"), (open_, "Open to all"), (theirs, "Theirs")]
    # The admin is offered every folder.
    assert len(_options(browser.get("/qrcodes/new").get_data(as_text=True), "folder_id")) == 5

    token = csrf_of(client, "/qrcodes/new")
    gone = "c" + "0" * 24  # a folder deleted since the page was shown
    for folder, message in [(private, "That folder does not exist (any more): choose another one."),
                            (gone, "That folder does not exist (any more): choose another one."),
                            (readable, "You can see this folder but not add QR Codes to it: ask an admin.")]:
        refused = client.post("/qrcodes/new", data={"url": URL, "folder_id": folder, "csrf_token": token})
        assert refused.status_code == 200
        assert _errors(refused.get_data(as_text=True))["folder_id"] == message, folder
    with web_app.app_context():
        assert db.session.query(QRCode).count() == 0
    filed = client.post("/qrcodes/new", data={"url": URL, "folder_id": theirs, "csrf_token": token})
    assert filed.status_code == 302
    detail = client.get(filed.headers["Location"]).get_data(as_text=True)
    assert "Theirs" in detail and "member@example.com" in detail


def _channel(value: int) -> float:
    value /= 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def _luminance(hex_colour: str) -> float:
    red, green, blue = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def _contrast(one: str, other: str) -> float:
    lighter, darker = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_oracle_agrees_with_known_values():
    assert round(_contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(_contrast("#777777", "#ffffff"), 2) == 4.48  # the classic grey that just fails AA


def test_each_tag_colour_reads_at_4_5_to_1_in_the_light_and_the_dark_theme():
    css = CSS.read_text()
    found = re.findall(r"\.tag-([a-z]+) \{ --tag-bg: light-dark\((#[0-9a-f]{6}), (#[0-9a-f]{6})\); "
                       r"--tag-fg: light-dark\((#[0-9a-f]{6}), (#[0-9a-f]{6})\); \}", css)
    rules = {name: colours for name, *colours in found}
    assert len(found) == len(rules)
    assert set(rules) == set(COLORS)  # each colour once, no other
    for name, (light_bg, dark_bg, light_fg, dark_fg) in rules.items():
        assert _contrast(light_fg, light_bg) >= 4.5, (name, "light")
        assert _contrast(dark_fg, dark_bg) >= 4.5, (name, "dark")
