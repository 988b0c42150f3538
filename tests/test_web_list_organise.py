"""The list page's organising tools (issue 24): the filter panel's filters in the address,
the folder sidebar's counts, the bulk actions (each asked once on a confirmation page, on
the ticked codes or on every one matching), and what they refuse."""

import re
from html import unescape

import pytest
from sqlalchemy import update

import folder_people
from api_client import authorized_client, person_with_key
from codeqr import db
from codeqr.context import for_operator
from codeqr.domain import qrcodes, writes
from codeqr.domain.filters import Filters
from codeqr.domain.models import Folder, QRCode, Tag
from codeqr.domain.schemas import QRCodeCreate
from web_client import csrf_of


def _made(app, **body) -> str:
    with app.app_context():
        return writes.create(QRCodeCreate.model_validate({"url": "https://example.com/", **body}), for_operator()).id


def _add(app, row) -> str:
    with app.app_context():
        db.session.add(row)
        db.session.commit()
        return row.id


def _listed(html: str) -> set[str]:
    return set(re.findall(r'<input type="checkbox" name="ids" value="([^"]+)"', html))


def _flashes(html: str) -> list[str]:
    return [unescape(text) for text in re.findall(r'<p class="flash [a-z]+"[^>]*>([^<]*)</p>', html)]


def _tags_of(app, qr_id: str) -> set[str]:
    with app.app_context():
        return {tag.name for tag in qrcodes.find(qr_id, for_operator()).tags}


@pytest.fixture
def shop(web_app):
    """Five codes: two tagged "Shop" (one also "Sale", one in the folder "Flyers", scanned 7
    times), a static text, an archived one, one with a password; the tag and folder ids."""
    shop = _add(web_app, Tag(name="Shop", color="green"))
    sale = _add(web_app, Tag(name="Sale", color="red"))
    flyers = _add(web_app, Folder(name="Flyers"))
    codes = {"tagged": _made(web_app, title="Tagged", tagIds=[shop, sale]),
             "filed": _made(web_app, title="Filed", tagIds=[shop], folderId=flyers, comments="a note"),
             "text": _made(web_app, type="text", text="hello", url=None, static=True, title="Text"),
             "archived": _made(web_app, title="Old", archived=True),
             "locked": _made(web_app, title="Locked", password="a password of 12")}
    with web_app.app_context():
        db.session.execute(update(QRCode).where(QRCode.id == codes["filed"]).values(scans=7))
        db.session.commit()
    return {"shop": shop, "sale": sale, "flyers": flyers, **codes}


def test_the_filters_in_the_address_list_the_codes_the_api_lists_for_them(browser, web_app, shop):
    api = authorized_client(web_app, person_with_key(web_app, "admin")[1])
    queries = {f"tagIds={shop['sale']}": {"tagged"}, f"tagIds={shop['sale']}&tagIds={shop['shop']}": {"tagged", "filed"},
               f"folderId={shop['flyers']}": {"filed"}, "folderId=unfiled": {"tagged", "text", "locked"},
               "type=text": {"text"}, "static=true": {"text"}, "showArchived=true&search=old": {"archived"},
               "hasPassword=true": {"locked"}, "hasComments=true": {"filed"}, "scansMin=5": {"filed"},
               "scansMax=6&hasPassword=false": {"tagged", "text"}, "createdAfter=2000-01-01T00:00:00Z&type=text": {"text"},
               "createdBefore=2000-01-01": set(), "lastScannedBefore=2999-01-01&static=false&hasPassword=false":
                   {"tagged", "filed"}}
    for query, expected in queries.items():
        page = browser.get(f"/qrcodes?{query}").get_data(as_text=True)
        # A date field's day is its midnight where the reader is (UTC here); the API takes instants only.
        instants = re.sub(r"=(\d{4}-\d{2}-\d{2})(&|$)", r"=\1T00:00:00Z\2", query)
        answer = api.get(f"/api/qrcodes?{instants}&pageSize=100").get_json()
        assert isinstance(answer, list), (query, answer)
        assert _listed(page) == {shop[name] for name in expected} == {qr["id"] for qr in answer}, query
        count = f"{len(expected)} QR Code{'s' if len(expected) != 1 else ''} match"
        assert count in page, query
    # The panel's fields keep what the address says; empty and bad values are ignored, not refused.
    page = browser.get(f"/qrcodes?tagIds={shop['sale']}&type=&scansMin=lots").get_data(as_text=True)
    assert f'value="{shop["sale"]}" checked' in page and _listed(page) == {shop["tagged"]}
    assert "Clear filters" in page


def test_the_sidebar_counts_each_folder_and_marks_the_current_one(browser, web_app, shop):
    empty = _add(web_app, Folder(name="Empty"))
    page = browser.get(f"/qrcodes?folderId={shop['flyers']}").get_data(as_text=True)
    entries = re.findall(r'<li><a href="[^"]*"\s*(aria-current="page")?>\s*<span class="folder-label">([^<]+)</span> '
                         r'<span class="folder-count">(\d+)</span>', page)
    # Archived codes are not counted (the list hides them): 4 shown, 3 in no folder.
    assert [(name, int(count), bool(current)) for current, name, count in entries] == [
        ("All", 4, False), ("No folder", 3, False), ("Empty", 0, False), ("Flyers", 1, True)]
    assert f"folderId={empty}" in page
    # The other filters narrow the counts too.
    page = browser.get(f"/qrcodes?tagIds={shop['shop']}").get_data(as_text=True)
    counts = re.findall(r'<span class="folder-label">([^<]+)</span> <span class="folder-count">(\d+)</span>', page)
    assert counts == [("All", "2"), ("No folder", "1"), ("Empty", "0"), ("Flyers", "1")]


def _ask_and_confirm(browser, data: dict, choice: dict) -> tuple[str, str]:
    """Post a bulk action from the list, then confirm it: the question's page, and the list after."""
    token = csrf_of(browser, "/qrcodes")
    asked = browser.post("/qrcodes/organise", data={**data, "csrf_token": token})
    assert asked.status_code == 200
    question = unescape(asked.get_data(as_text=True))
    count = re.search(r'name="confirmed" value="(\d+)"', question).group(1)
    done = browser.post("/qrcodes/organise", data={**data, **choice, "confirmed": count, "csrf_token": token})
    assert done.status_code == 302
    return question, done.headers["Location"]


def test_adding_a_tag_to_every_matching_code_asks_then_flashes_and_returns_to_the_list(browser, web_app, shop):
    data = {"action": "addTag", "all": "1", "tagIds": shop["shop"]}
    question, back = _ask_and_confirm(browser, data, {"tag": "Summer"})
    assert "Add a tag to 2 QR Codes?" in question and "Every QR Code matching the list's filters" in question
    assert _tags_of(web_app, shop["tagged"]) == {"Shop", "Sale", "Summer"}
    assert _tags_of(web_app, shop["filed"]) == {"Shop", "Summer"} and _tags_of(web_app, shop["text"]) == set()
    assert back == f"/qrcodes?tagIds={shop['shop']}"
    assert "Tag “Summer” added to 2 QR Codes." in _flashes(browser.get(back).get_data(as_text=True))


@pytest.mark.parametrize("action, choice, check, said", [
    ("removeTag", "sale", lambda qr: "Sale" not in {t.name for t in qr.tags}, "Tag “Sale” removed from 2 QR Codes."),
    ("move", "flyers", lambda qr: qr.folder_id is not None, "2 QR Codes moved to “Flyers”."),
    ("archive", None, lambda qr: qr.archived, "2 QR Codes archived."),
])
def test_each_action_on_the_ticked_codes(browser, web_app, shop, action, choice, check, said):
    ids = [shop["tagged"], shop["text"]]
    field = {"removeTag": "tag_id", "move": "folder"}.get(action)
    question, back = _ask_and_confirm(browser, {"action": action, "ids": ids, "search": "t"},
                                      {field: shop[choice]} if field else {})
    assert "2 QR Codes" in question and "Tagged" in question and "Text" in question
    with web_app.app_context():
        for qr_id in ids:
            assert check(qrcodes.find(qr_id, for_operator()) or qrcodes.all_matching(
                Filters(showArchived=True, search="t"), for_operator())[0])
    assert back == "/qrcodes?search=t"
    assert said in _flashes(browser.get(back).get_data(as_text=True))


def test_unarchive_and_taking_codes_out_of_their_folder(browser, web_app, shop):
    _ask_and_confirm(browser, {"action": "unarchive", "all": "1", "showArchived": "true", "search": "old"}, {})
    with web_app.app_context():
        assert qrcodes.find(shop["archived"], for_operator()).archived is False
    _, back = _ask_and_confirm(browser, {"action": "move", "ids": [shop["filed"]]}, {"folder": ""})
    with web_app.app_context():
        assert qrcodes.find(shop["filed"], for_operator()).folder_id is None
    assert "1 QR Code taken out of their folder." in _flashes(browser.get(back).get_data(as_text=True))


def test_changing_the_design_from_a_template(browser, web_app, shop):
    template = _made(web_app, title="Brand", useAsTemplate=True, fgColor="#112233")
    _ask_and_confirm(browser, {"action": "design", "ids": [shop["tagged"]]}, {"template": template})
    with web_app.app_context():
        assert qrcodes.find(shop["tagged"], for_operator()).fg_color == "#112233"
        assert qrcodes.find(shop["text"], for_operator()).fg_color != "#112233"


def test_nothing_changes_before_the_answer_and_a_changed_count_asks_again(browser, web_app, shop):
    token = csrf_of(browser, "/qrcodes")
    data = {"action": "addTag", "all": "1", "tagIds": shop["shop"], "tag": "Later", "csrf_token": token}
    assert browser.post("/qrcodes/organise", data=data).status_code == 200
    assert _tags_of(web_app, shop["tagged"]) == {"Shop", "Sale"}
    again = browser.post("/qrcodes/organise", data={**data, "confirmed": "5"})
    assert again.status_code == 200 and "changed since you asked" in again.get_data(as_text=True)
    missing = browser.post("/qrcodes/organise", data={**data, "tag": "", "confirmed": "2"})
    assert missing.status_code == 200 and "Choose a tag name first." in missing.get_data(as_text=True)
    assert _tags_of(web_app, shop["tagged"]) == {"Shop", "Sale"}


def test_more_than_a_hundred_matching_are_changed_in_batches(browser, web_app):
    with web_app.app_context():
        made = [writes.create(QRCodeCreate(url=f"https://example.com/batch/{i}"), ctx=for_operator()).id
                for i in range(103)]
    _ask_and_confirm(browser, {"action": "archive", "all": "1", "search": "batch"}, {})
    with web_app.app_context():
        assert all(qrcodes.find(qr_id, for_operator()).archived for qr_id in made)


def test_a_member_cannot_change_the_codes_of_a_folder_they_may_only_read(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    org = folder_people.organise(app)
    member = app.test_client()
    assert member.post("/login", data={"email": "member@example.com", "password": folder_people.PASSWORD,
                                       "csrf_token": csrf_of(member, "/login")}).status_code == 302
    ids = [org.codes["readonly"]["id"], org.codes["shared"]["id"], org.codes["hidden"]["id"]]
    question, back = _ask_and_confirm(member, {"action": "archive", "ids": ids}, {})
    assert "Archive 2 QR Codes?" in question  # the hidden one is not theirs to see
    flashes = _flashes(member.get(back).get_data(as_text=True))
    assert "1 QR Code archived." in flashes
    assert "1 was not changed: example.com (its folder's QR Codes are not yours to change)." in flashes
    with app.app_context():
        rows = {qr_id: db.session.get(QRCode, qr_id).archived for qr_id in ids}
    assert rows == {ids[0]: False, ids[1]: True, ids[2]: False}
    # The move offers only folders they may change.
    token = csrf_of(member, "/qrcodes")
    page = member.post("/qrcodes/organise", data={"action": "move", "ids": ids[1], "csrf_token": token})
    html = page.get_data(as_text=True)
    assert ">Open<" in html and ">Readable<" not in html and ">Private<" not in html


def test_hostile_tag_and_folder_names_are_shown_as_text(browser, web_app):
    hostile = '<script>alert("x")</script>'
    tag = _add(web_app, Tag(name=hostile[:50], color="blue"))
    _add(web_app, Folder(name=hostile))
    qr = _made(web_app, tagIds=[tag])
    page = browser.get(f"/qrcodes?tagIds={tag}").get_data(as_text=True)
    assert hostile not in page and "&lt;script&gt;" in page
    token = csrf_of(browser, "/qrcodes")
    browser.post("/qrcodes/organise", data={"action": "addTag", "ids": qr, "tag": "<b>bold</b>",
                                            "confirmed": "1", "csrf_token": token})
    page = browser.get("/qrcodes").get_data(as_text=True)
    assert "<b>bold</b>" not in page and "Tag “&lt;b&gt;bold&lt;/b&gt;” added to 1 QR Code." in page


def test_the_actions_need_the_forms_csrf_token_and_a_known_action(browser, web_app, shop):
    refused = browser.post("/qrcodes/organise", data={"action": "archive", "ids": shop["tagged"], "confirmed": "1"})
    assert refused.status_code == 400
    token = csrf_of(browser, "/qrcodes")
    assert browser.post("/qrcodes/organise", data={"action": "explode", "ids": shop["tagged"],
                                                   "csrf_token": token}).status_code == 400
    with web_app.app_context():
        assert qrcodes.find(shop["tagged"], for_operator()).archived is False


def test_the_empty_states(browser, web_app):
    page = browser.get("/qrcodes").get_data(as_text=True)
    assert "Create your first QR Code" in page and "Import a CSV" in page
    _made(web_app, title="One")
    page = unescape(browser.get("/qrcodes?search=nothing-like-it").get_data(as_text=True))
    assert "No QR Code matches these filters" in page and "Clear filters" in page
    assert "Create your first QR Code" not in page


def test_a_bad_filter_posted_with_all_matching_is_refused_not_dropped(browser, web_app, shop):
    """Dropped, it would widen "all matching" to every code: the action is refused instead."""
    token = csrf_of(browser, "/qrcodes")
    for path in ("/qrcodes/organise", "/qrcodes/delete"):
        answer = browser.post(path, data={"action": "archive", "all": "1", "search": "x" * 501, "confirmed": "4",
                                          "csrf_token": token})
        assert answer.status_code == 400, path
    with web_app.app_context():
        assert not any(qr.archived for qr in qrcodes.all_matching(Filters(), for_operator()))
        assert qrcodes.count(Filters(showArchived=True), for_operator()) == 5
