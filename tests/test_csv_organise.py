"""Tags, folder, archived and comments in the CSV import and the export's manifest (issue 24):
tags and folders given by name (``tags``, ``folder``) or the folder by id; an empty ``tags`` or
``folder`` cell takes them off; unknown folders and hostile cells refused with their row and a
sentence, nothing made; a member files only where they may; an export imported back puts every
field back. The files go through the web pages and the app's job runner, as people send them."""

import csv
import io

from sqlalchemy import func, select

from codeqr import db
from codeqr.accounts import users
from codeqr.context import for_operator
from codeqr.domain.models import Folder, FolderUser, QRCode, Tag
from codeqr.jobs.spreadsheets import cell_value
from test_csv_contents import _file, _imported, _manifest, _refused
from test_links_csv import _api
from test_web import _wait
from web_client import PASSWORD, csrf_of

URL = "https://example.com/p/"


def _folder(app, name: str, access_level=None, users=()) -> str:
    with app.app_context():
        folder = Folder(name=name, access_level=access_level)
        db.session.add(folder)
        db.session.flush()
        db.session.add_all(FolderUser(folder_id=folder.id, user_id=user) for user in users)
        db.session.commit()
        return folder.id


def _tag(app, name: str, color: str) -> str:
    with app.app_context():
        tag = Tag(name=name, color=color)
        db.session.add(tag)
        db.session.commit()
        return tag.id


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _organised(api, external_id: str) -> tuple:
    """What the API answers of a QR Code's tags (by name), folder, archived and comments."""
    qr = api.get(f"/api/qrcodes/ext_{external_id}").get_json()
    return [tag["name"] for tag in qr["tags"]], qr["folderId"], qr["archived"], qr["comments"]


def test_tags_folder_archived_and_comments_import_by_name(browser, web_app):
    api = _api(web_app)
    catalog = _folder(web_app, "Catalog 2027")
    shop = _tag(web_app, "Shop", "green")
    rows = [
        {"url": URL + "1", "externalId": "p1", "tags": 'shop, summer, "Smith, Jones"', "folder": "catalog 2027",
         "archived": "yes", "comments": "Printed on the flyer,\nback page"},
        {"url": URL + "2", "externalId": "p2", "tags": "Summer", "folder": "", "archived": "0", "comments": ""},
        {"url": URL + "3", "externalId": "p3", "tags": "", "folder": " Catalog 2027 ", "archived": "TRUE"},
    ]
    job = _imported(browser, _file(rows))
    assert (job["created"], job["failed"]) == (3, 0), browser.get(job["location"]).get_data(as_text=True)
    assert _organised(api, "p1") == (["Shop", "Smith, Jones", "summer"], catalog, True, "Printed on the flyer,\nback page")
    assert _organised(api, "p2") == (["summer"], None, False, None)  # "Summer" is the tag summer row 2 made
    assert _organised(api, "p3") == ([], catalog, True, None)
    shop_tag = api.get("/api/qrcodes/ext_p1").get_json()["tags"][0]
    assert shop_tag == {"id": shop, "name": "Shop", "color": "green"}  # the tag there, not a new one
    assert _count(web_app, Tag) == 3
    # A name with a capital beyond A-Z: one tag, on both codes (SQLite lowers only A-Z).
    accented = _imported(browser, _file([{"url": URL + "4", "externalId": "p4", "tags": "Été"},
                                         {"url": URL + "5", "externalId": "p5", "tags": "Été"}]))
    assert (accented["created"], accented["failed"]) == (2, 0)
    p4, p5 = (api.get(f"/api/qrcodes/ext_{name}").get_json()["tags"] for name in ("p4", "p5"))
    assert [tag["name"] for tag in p4] == ["Été"] and p4 == p5
    assert _count(web_app, Tag) == 4
    # The same file again changes nothing: the same tags and folder are no change.
    again = _imported(browser, _file(rows))
    assert (again["unchanged"], again["updated"], again["failed"]) == (3, 0, 0)

    # Without the columns, a row leaves the tags and folder as they are...
    kept = _imported(browser, _file([{"url": URL + "1", "externalId": "p1", "title": "Flyer"}]))
    assert kept["updated"] == 1
    assert _organised(api, "p1")[:2] == (["Shop", "Smith, Jones", "summer"], catalog)
    # ...with them empty, it takes the tags off and the QR Code out of its folder (an empty
    # archived or comments cell says nothing, as any other empty cell).
    cleared = _imported(browser, _file([{"url": URL + "1", "externalId": "p1", "tags": "", "folder": "",
                                         "archived": "", "comments": ""}]))
    assert (cleared["updated"], cleared["failed"]) == (1, 0)
    assert _organised(api, "p1") == ([], None, True, "Printed on the flyer,\nback page")
    # The folder by id, the tags by the API's header (tagNames), archived as 1/0/no.
    by_id = _imported(browser, _file([
        {"url": URL + "2", "externalId": "p2", "folderId": catalog, "tagNames": "autumn\nSHOP", "archived": "1"},
        {"url": URL + "3", "externalId": "p3", "folder": "", "folderId": catalog, "archived": "no"}]))
    assert (by_id["updated"], by_id["failed"]) == (2, 0), browser.get(by_id["location"]).get_data(as_text=True)
    assert _organised(api, "p2") == (["autumn", "Shop"], catalog, True, None)
    assert _organised(api, "p3") == ([], catalog, False, None)  # an empty folder beside a folderId: the id


def test_the_template_and_the_import_page_name_the_columns(browser):
    template = browser.get("/import/template.csv").data.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(template)))
    assert {"tags", "folder", "folderId", "archived", "comments"} <= set(header)
    assert not {"tagIds", "tagNames"} & set(header)  # the tags go by name, in one column
    page = browser.get("/import").get_data(as_text=True)
    columns = page.split('id="import-contents"')[0]
    for name in ("tags", "folder", "folderId", "archived", "comments"):
        assert f"<code>{name}</code>" in columns, name
    assert "separated by commas" in columns and "makes no folders" in columns


def test_unknown_folders_and_hostile_cells_refuse_the_row_with_sentences(browser, web_app):
    catalog = _folder(web_app, "Catalog")
    other = _folder(web_app, "Other")
    sixty = ", ".join(f"t{number}" for number in range(60))
    location, refused = _refused(browser, [
        {"url": URL + "1", "folder": "Nowhere"},
        {"url": URL + "2", "tags": "x" * 10_000},
        {"url": URL + "3", "tags": "ok, a\x07b"},
        {"url": URL + "4", "tags": sixty},
        {"url": URL + "5", "tags": '"open, quote'},
        {"url": URL + "6", "folder": "y" * 10_000},
        {"url": URL + "7", "folder": "Catalog", "folderId": other},
        {"url": URL + "8", "archived": "maybe"},
        {"url": URL + "9", "comments": "a\x07"},
        {"url": URL + "10", "folder": "Cat\x07alog"},
        {"url": URL + "11", "tags": sixty, "folder": "Nowhere"},
        {"url": URL + "12", "folderId": "c" + "0" * 24},
    ])
    problems = [row["problem"] for row in refused]
    nowhere = "There is no folder “Nowhere”. An import makes no folders: make it first, or correct the name."
    assert problems[0] == f"Row 2: folder: {nowhere}"
    assert problems[1] == "Row 3: tags: Use at most 50 characters."
    assert problems[2] == "Row 4: tags: Remove the invisible control characters from this text."
    assert problems[3] == "Row 5: tags: A QR Code carries at most 50 tags; this cell names 60."
    assert problems[4] == ('Row 6: tags: Separate the tags with commas, and write a name holding a comma in double '
                           'quotes, like: shop, "Smith, Jones".')
    assert problems[5] == f"Row 7: folder: There is no folder “{'y' * 60}…”. An import makes no folders: make it " \
                          "first, or correct the name."
    assert problems[6] == ("Row 8: folder, folderId: The folder “Catalog” is not the folder whose id folderId gives: "
                           "keep one of the two.")
    assert problems[7] == "Row 9: Archived: Use yes or no (or true/false, 1/0)."
    assert problems[8] == "Row 10: Comments: Remove the invisible control characters from this text."
    assert problems[9] == ("Row 11: folder: There is no folder “Cat\ufffdalog”. An import makes no folders: make it "
                           "first, or correct the name.")
    # The cells the import cannot read, every one at once.
    assert problems[10] == f"Row 12: tags: A QR Code carries at most 50 tags; this cell names 60. folder: {nowhere}"
    assert problems[11] == "Row 13: folderId: That folder does not exist (any more): choose another one."
    # The progress page says them too; nothing was made, no tag either.
    page = browser.get(location).get_data(as_text=True)
    assert "There is no folder “Nowhere”" in page and "x" * 100 not in page
    assert (_count(web_app, QRCode), _count(web_app, Tag)) == (0, 0)
    # The refused rows come back as given, to fix and import again.
    assert refused[0]["folder"] == "Nowhere" and refused[6]["folderId"] == other
    fixed = [{"url": URL + "1", "folder": "catalog", "tags": ", ".join(refused[3]["tags"].split(", ")[:50])}]
    job = _imported(browser, _file(fixed))
    assert (job["created"], job["failed"]) == (1, 0), browser.get(job["location"]).get_data(as_text=True)
    with web_app.app_context():
        assert db.session.scalar(select(QRCode.folder_id)) == catalog
    assert _count(web_app, Tag) == 50


def _member(web_app):
    """A member, signed in on the web UI, and their user id."""
    with web_app.app_context():
        member = users.create("member@example.com", PASSWORD, role="member", ctx=for_operator())
        member_id = member.id
    client = web_app.test_client()
    signed = client.post("/login", data={"email": "member@example.com", "password": PASSWORD,
                                         "csrf_token": csrf_of(client, "/login")})
    assert signed.status_code == 302
    return client, member_id


def test_a_member_files_by_name_only_into_folders_they_may_change(browser, web_app):
    member, member_id = _member(web_app)
    theirs = _folder(web_app, "Theirs", users=[member_id])
    open_to_all = _folder(web_app, "Open", access_level="write")
    shown = _folder(web_app, "Shown", access_level="read")
    hidden = _folder(web_app, "Hidden")
    job = _imported(member, _file([
        {"url": URL + "1", "folder": "theirs"},
        {"url": URL + "2", "folder": "OPEN"},
        {"url": URL + "3", "folder": "Shown"},
        {"url": URL + "4", "folder": "Hidden"},
        {"url": URL + "5", "folderId": hidden},
        {"url": URL + "6", "folder": "Theirs", "folderId": hidden},  # an id they do not see: as none, the name goes
    ]))
    assert (job["created"], job["failed"]) == (3, 3)
    refused = member.get(job["location"] + "/refused.csv").data.decode("utf-8-sig")
    problems = [row["problem"] for row in csv.DictReader(io.StringIO(refused, newline=""))]
    assert problems == [
        "Row 4: folder: You can see this folder but not add QR Codes to it: ask an admin.",
        # A folder not shown to them reads as one that does not exist.
        "Row 5: folder: There is no folder “Hidden”. An import makes no folders: make it first, or correct the name.",
        "Row 6: folderId: That folder does not exist (any more): choose another one.",
    ]
    with web_app.app_context():
        filed = {url: folder_id for url, folder_id in db.session.execute(select(QRCode.url, QRCode.folder_id))}
    assert filed == {URL + "1": theirs, URL + "2": open_to_all, URL + "6": theirs}
    # A QR Code an admin filed in a folder they only see: a row naming that folder changes nothing.
    api = _api(web_app)
    assert api.post("/api/qrcodes", json={"url": URL + "7", "externalId": "shown-7", "folderId": shown,
                                          "title": "Kept"}).status_code == 201
    kept = _imported(member, _file([{"url": URL + "7", "externalId": "shown-7", "folder": "Shown", "title": "Mine"}]))
    assert (kept["updated"], kept["failed"]) == (0, 1)
    assert api.get("/api/qrcodes/ext_shown-7").get_json()["title"] == "Kept"


def _export_of(browser, ids: list[str]):
    """The export (a ZIP of PNGs) of the QR Codes ``ids``, through the export's job."""
    import zipfile

    started = browser.post("/export", data={"ids": ids, "format": "png", "csrf_token": csrf_of(browser, "/import")})
    assert started.status_code == 302, started.get_data(as_text=True)
    assert _wait(browser, started.headers["Location"])["status"] == "done"
    return zipfile.ZipFile(io.BytesIO(browser.get(started.headers["Location"] + ".zip").data))


#: Codes to export: tags whose names a spreadsheet could misread, a folder with a comma.
ORGANISED = [
    {"url": URL + "1", "externalId": "r1", "tags": 'shop, "Smith, Jones", "say ""hi""", -sale, =1+1',
     "folder": "Catalog, 2027", "archived": "yes", "comments": "Line one,\nline two; =2+2"},
    {"url": URL + "2", "externalId": "r2", "tags": "shop", "comments": "plain"},
    {"url": URL + "3", "externalId": "r3"},
]


def test_an_export_imported_back_puts_tags_folder_archived_and_comments_back(browser, web_app):
    from codeqr.domain import deletes

    api = _api(web_app)
    catalog = _folder(web_app, "Catalog, 2027")
    other = _folder(web_app, "Other")
    assert _imported(browser, _file(ORGANISED))["created"] == 3
    before = {name: _organised(api, name) for name in ("r1", "r2", "r3")}
    assert before == {
        "r1": (["-sale", "=1+1", 'say "hi"', "shop", "Smith, Jones"], catalog, True, "Line one,\nline two; =2+2"),
        "r2": (["shop"], None, False, "plain"),
        "r3": ([], None, False, None),
    }
    ids = [api.get(f"/api/qrcodes/ext_{name}").get_json()["id"] for name in ("r1", "r2", "r3")]
    archive = _export_of(browser, ids)
    manifest = {row["externalId"]: row for row in _manifest(archive)}
    first = manifest["r1"]
    # The cells, written by hand: the names in the import's form, made safe for spreadsheets.
    assert cell_value(first["tags"]) == '-sale, =1+1, "say ""hi""", shop, "Smith, Jones"'
    assert first["tags"].startswith("'-sale, '=1+1")  # no cell a spreadsheet runs as a formula
    assert (first["folder"], first["folderId"], first["archived"]) == ("Catalog, 2027", catalog, "true")
    assert cell_value(first["comments"]) == "Line one,\nline two; =2+2"
    assert (manifest["r3"]["tags"], manifest["r3"]["folder"], manifest["r3"]["folderId"]) == ("", "", "")

    # Wiped and edited since...
    edits = {"r1": {"tagNames": ["new"], "folderId": other, "archived": False, "comments": "changed"},
             "r2": {"tagIds": [], "folderId": catalog, "archived": True, "comments": None},
             "r3": {"tagNames": ["x"], "folderId": other, "archived": True}}
    for name, body in edits.items():
        assert api.patch(f"/api/qrcodes/ext_{name}", json=body).status_code == 200
    assert _organised(api, "r3") == (["x"], other, True, None)
    # ...the manifest imported back puts them back.
    back = _imported(browser, archive.read("manifest.csv"))
    assert (back["updated"], back["failed"]) == (3, 0), browser.get(back["location"]).get_data(as_text=True)
    assert {name: _organised(api, name) for name in before} == before
    again = _imported(browser, archive.read("manifest.csv"))
    assert (again["unchanged"], again["failed"]) == (3, 0)

    # Gone, they come back the same from the manifest, in another instance's folder ids too
    # (the import goes by the folder's name).
    with web_app.app_context():
        assert deletes.delete_many(ids, for_operator()) == 3
    elsewhere = [row | {"folderId": "c" + "9" * 24 if row["folderId"] else ""} for row in _manifest(archive)]
    remade = _imported(browser, _file(elsewhere))
    assert (remade["created"], remade["failed"]) == (3, 0), browser.get(remade["location"]).get_data(as_text=True)
    assert {name: _organised(api, name) for name in before} == before
