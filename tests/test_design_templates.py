"""Templates: ``useAsTemplate`` marks one, ``templateId`` copies its design (every design
field), the fields sent win, and the instance's default template dresses the QR Codes
created without any design field."""

import base64
import html
import io
import re

import pytest
from PIL import Image
from sqlalchemy import text

from api_client import authorized_client
from codeqr import PluginError, db, hookimpl
from codeqr.accounts import apikeys, users
from codeqr.context import for_operator
from codeqr.design import templates
from codeqr.domain import messages
from codeqr.domain.models import ImportJob, User
from codeqr.domain.schemas import CORE, Design
from codeqr.errors import InvalidInputs
from codeqr.jobs import csv_import
from codeqr.jobs.runner import JobRunner
from codeqr.persistence.extensions import alembic
from schema_versions import downgrade_schema

PASSWORD = "a long enough password"


def _png_uri(color: str) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), color).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


#: A template's design: a value unlike the default for every design field (a test below
#: makes sure), and one that scans (dark on light, a small logo at level H).
DESIGN = {"bgColor": "#fffbeb", "fgColor": "#1e3a8a", "size": 640, "level": "H", "margin": 3, "showLogo": True,
          "logo": _png_uri("#b91c1c"), "width": 64, "height": 64, "excavate": False, "pattern": "rounded",
          "shape": "square", "eyeShape": "circle", "eyeColor": "#7f1d1d",
          "fgGradient": {"type": "radial", "colors": ["#1e3a8a", "#111827"]}, "frame": "frame-1",
          "frameColor": "#1e3a8a", "frameText": "Scan for the menu", "frameTextColor": "#fffbeb",
          "frameTextStyles": {"weight": "bold", "family": "serif"}}
API_NAMES = {name: CORE.api_names[name] for name in CORE.design_fields}


def _design(answer: dict) -> dict:
    """The design fields of an API answer, by API name: every one of ``design_fields``."""
    return {api: answer[api] for api in API_NAMES.values()}


def _template(api, **more) -> dict:
    answer = api.post("/api/qrcodes", json={"url": "https://example.com/brand", "title": "Brand",
                                            "useAsTemplate": True, **DESIGN, **more})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _set_default(api, template_id):
    return api.put("/api/templates/default", json={"templateId": template_id})


def test_the_template_design_holds_every_design_field_unlike_its_default():
    assert set(DESIGN) == set(API_NAMES.values()), "teach DESIGN a value of the new design field"
    for name, api in API_NAMES.items():
        default = Design.model_fields[name].default
        assert DESIGN[api] != default, name


def test_template_id_gives_every_design_field_of_the_template(api):
    template = _template(api)
    assert template["useAsTemplate"] is True and "templateId" not in template
    made = api.post("/api/qrcodes", json={"url": "https://example.com/a", "templateId": template["id"]}).get_json()
    assert _design(made) == _design(template)
    assert made["useAsTemplate"] is False and "templateId" not in made  # the design, not the mark
    assert api.get(f"/api/qrcodes/{made['id']}").get_json() == made
    schemas = api.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert "templateId" in schemas["QRCodeCreate"]["properties"] and "templateId" in schemas["QRCodeUpdate"]["properties"]
    assert "templateId" not in schemas["QRCodeOut"]["properties"] and "useAsTemplate" in schemas["QRCodeOut"]["properties"]


def test_a_field_sent_beats_the_template(api):
    template = _template(api)
    for api_name, value in {"fgColor": "#000000", "frame": "frame-2", "size": 300, "showLogo": False}.items():
        made = api.post("/api/qrcodes", json={"url": f"https://example.com/{api_name}", "templateId": template["id"],
                                              api_name: value}).get_json()
        assert made[api_name] == value
        others = {name for name in API_NAMES.values() if name != api_name}
        if api_name == "showLogo":
            others.discard("level")  # without the logo, the level is chosen as without a template
        assert {name: made[name] for name in others} == {name: template[name] for name in others}, api_name


def test_a_logo_sent_lifts_the_template_level_to_one_that_holds_it(api):
    template = _template(api, showLogo=False, level="L")
    made = api.post("/api/qrcodes", json={"url": "https://example.com/logo", "templateId": template["id"],
                                          "showLogo": True}).get_json()
    assert made["level"] == "H" and made["pattern"] == "rounded"


def test_update_with_template_id_applies_it_and_fields_sent_win(api):
    template = _template(api)
    plain = api.post("/api/qrcodes", json={"url": "https://example.com/plain", "title": "Plain"}).get_json()
    changed = api.patch(f"/api/qrcodes/{plain['id']}", json={"templateId": template["id"], "margin": 6}).get_json()
    assert _design(changed) == _design(template) | {"margin": 6}
    assert changed["title"] == "Plain" and changed["url"] == "https://example.com/plain"
    assert changed["updatedAt"] != plain["updatedAt"]
    # Applying it again changes nothing.
    again = api.patch(f"/api/qrcodes/{plain['id']}", json={"templateId": template["id"], "margin": 6}).get_json()
    assert again["updatedAt"] == changed["updatedAt"]


def test_upsert_and_bulk_take_template_id(api):
    template = _template(api)
    created = api.put("/api/qrcodes/upsert", json={"url": "https://example.com/up", "templateId": template["id"]})
    assert created.status_code == 201 and _design(created.get_json()) == _design(template)
    found = api.put("/api/qrcodes/upsert", json={"url": "https://example.com/up", "templateId": template["id"],
                                                 "frame": "frame-3"}).get_json()
    assert _design(found) == _design(template) | {"frame": "frame-3"}
    results = api.post("/api/qrcodes/bulk", json=[{"url": "https://example.com/b1", "templateId": template["id"]},
                                                  {"url": "https://example.com/b2", "templateId": "c" + "0" * 24}])
    first, second = results.get_json()
    assert _design(first) == _design(template)
    assert second["error"]["errors"][0]["field"] == "templateId"


def test_use_as_template_lists_templates_or_the_others(api):
    template = _template(api)
    other = api.post("/api/qrcodes", json={"url": "https://example.com/other"}).get_json()
    assert [qr["id"] for qr in api.get("/api/qrcodes?useAsTemplate=true").get_json()] == [template["id"]]
    assert [qr["id"] for qr in api.get("/api/qrcodes?useAsTemplate=false").get_json()] == [other["id"]]
    assert len(api.get("/api/qrcodes").get_json()) == 2
    assert api.get("/api/qrcodes/count?useAsTemplate=true").get_json() == 1
    refused = api.get("/api/qrcodes?useAsTemplate=maybe")
    assert refused.status_code == 422 and "useAsTemplate" in refused.get_data(as_text=True)


@pytest.mark.parametrize("bad", ["unknown", "not-a-template", "empty", "long", "spaces", "nul"])
def test_a_template_id_that_names_no_template_is_refused_and_nothing_stored(api, bad):
    plain = api.post("/api/qrcodes", json={"url": "https://example.com/plain"}).get_json()
    template_id = {"unknown": "c" + "0" * 24, "not-a-template": plain["id"], "empty": "", "long": "c" * 101,
                   "spaces": "c a b", "nul": "c\x00"}[bad]
    before = api.get("/api/qrcodes/count").get_json()
    for answer in (api.post("/api/qrcodes", json={"url": "https://example.com/new", "templateId": template_id}),
                   api.patch(f"/api/qrcodes/{plain['id']}", json={"templateId": template_id})):
        assert answer.status_code == 422, answer.get_json()
        error = answer.get_json()["error"]
        assert [item["field"] for item in error["errors"]] == ["templateId"]
    assert api.get("/api/qrcodes/count").get_json() == before
    assert api.get(f"/api/qrcodes/{plain['id']}").get_json() == plain


def test_the_answer_and_the_sentence_say_what_is_wrong(app, api):
    plain = api.post("/api/qrcodes", json={"url": "https://example.com/plain", "title": "Menu"}).get_json()
    said = api.post("/api/qrcodes", json={"url": "https://example.com/n", "templateId": plain["id"]}).get_json()
    assert said["error"]["errors"][0]["message"] == f"QR Code {plain['id']!r} is not a template"
    unknown = api.post("/api/qrcodes", json={"url": "https://example.com/n", "templateId": "c" + "1" * 24}).get_json()
    assert unknown["error"]["errors"][0]["message"] == f"no QR Code {'c' + '1' * 24!r} to use as a template"
    with app.app_context():
        sentences = dict(messages.sentences(InvalidInputs(templates.problems(plain["id"], for_operator(app)))))
    assert sentences == {"templateId": "“Menu” is not a template: tick “Use as template” on it first, "
                                       "or choose a template."}


def test_the_default_applies_only_when_no_design_field_is_sent(api):
    template = _template(api)
    assert api.get("/api/templates/default").get_json() == {"templateId": None}
    assert _set_default(api, template["id"]).get_json() == {"templateId": template["id"]}
    assert api.get("/api/templates/default").get_json() == {"templateId": template["id"]}
    bare = api.post("/api/qrcodes", json={"url": "https://example.com/bare"}).get_json()
    assert _design(bare) == _design(template)
    plain = CORE.out.model_fields  # the defaults, as the schema says them
    for api_name, value in {"fgColor": "#111111", "margin": 4, "level": "Q"}.items():
        sent = api.post("/api/qrcodes", json={"url": f"https://example.com/{api_name}", api_name: value}).get_json()
        assert sent[api_name] == value
        assert sent["pattern"] == "default" and sent["frame"] == "none" and sent["showLogo"] is False, api_name
    assert plain  # the default leaves untouched what a design field was sent with
    results = api.post("/api/qrcodes/bulk", json=[{"url": "https://example.com/b"}]).get_json()
    assert _design(results[0]) == _design(template)
    assert _set_default(api, None).get_json() == {"templateId": None}
    after = api.post("/api/qrcodes", json={"url": "https://example.com/after"}).get_json()
    assert after["pattern"] == "default" and after["size"] == 1024


def test_a_template_id_beats_the_default(api):
    brand = _template(api)
    other = _template(api, pattern="dots", frame="none", key="other")
    _set_default(api, brand["id"])
    made = api.post("/api/qrcodes", json={"url": "https://example.com/x", "templateId": other["id"]}).get_json()
    assert _design(made) == _design(other)


def test_only_a_template_can_be_the_default(api):
    plain = api.post("/api/qrcodes", json={"url": "https://example.com/plain"}).get_json()
    for template_id in (plain["id"], "c" + "0" * 24, 5):
        answer = _set_default(api, template_id)
        assert answer.status_code == 422 and "templateId" in answer.get_data(as_text=True)
    assert api.get("/api/templates/default").get_json() == {"templateId": None}


def test_deleting_or_unmarking_the_default_template_clears_the_default(api):
    for way in ("delete", "bulk delete", "unmark"):
        template = _template(api, key=way.replace(" ", "-"))
        _set_default(api, template["id"])
        if way == "delete":
            assert api.delete(f"/api/qrcodes/{template['id']}").status_code == 200
        elif way == "bulk delete":
            assert api.delete(f"/api/qrcodes/bulk?ids={template['id']}").get_json() == {"deletedCount": 1}
        else:
            assert api.patch(f"/api/qrcodes/{template['id']}", json={"useAsTemplate": False}).status_code == 200
        assert api.get("/api/templates/default").get_json() == {"templateId": None}, way
        bare = api.post("/api/qrcodes", json={"url": f"https://example.com/{way.replace(' ', '-')}"}).get_json()
        assert bare["pattern"] == "default", way


def test_a_template_stays_a_qr_code(api, client):
    template = _template(api, key="brand", showLogo=False, logo=None, width=None, height=None)
    assert client.get("/brand").status_code == 302
    assert client.get(f"/qr/{template['id']}.png").status_code == 200
    changed = api.patch(f"/api/qrcodes/{template['id']}", json={"title": "Brand 2"}).get_json()
    assert changed["useAsTemplate"] is True


@pytest.fixture
def people(make_app):
    """An app with an admin, a member and a viewer, and a key of each."""
    app = make_app(WTF_CSRF_ENABLED=False)
    with app.app_context():
        keys = {}
        for role in ("admin", "member", "viewer"):
            user = users.create(f"{role}@example.com", PASSWORD, role=role, ctx=for_operator())
            keys[role] = apikeys.create(role, owner=db.session.get(User, user.id), ctx=for_operator())[1]
    app.clients = {role: authorized_client(app, key) for role, key in keys.items()}
    return app


def _signed_in(app, role: str):
    client = app.test_client()
    assert client.post("/login", data={"email": f"{role}@example.com", "password": PASSWORD}).status_code == 302
    return client


def _form_values(page: str) -> dict:
    """What the page's form posts, as a browser without script would: its inputs (a ticked
    box, not an unticked one; each input of a name, as a list when there are several), and
    the option selected in each select."""
    values: dict = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if not name or (kind and kind.group(1) in ("checkbox", "radio") and "checked" not in tag):
            continue
        shown = html.unescape(value.group(1)) if value else ""
        values[name.group(1)] = [*values[name.group(1)], shown] if isinstance(values.get(name.group(1)), list) \
            else [values[name.group(1)], shown] if name.group(1) in values else shown
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected', options)
        if chosen:
            values[name] = chosen.group(1) or chosen.group(2) or ""
    return values


def test_the_new_form_starts_with_the_default_template_design_and_saves_it(people):
    member = _signed_in(people, "member")
    template = _template(people.clients["member"], showLogo=False, logo=None, width=None, height=None, level="Q")
    _set_default(people.clients["admin"], template["id"])
    form = _form_values(member.get("/qrcodes/new").get_data(as_text=True))
    shown = {name: form.get(name) for name in CORE.design_fields if name in form}
    assert shown and {"fg_color", "pattern", "frame", "size"} <= set(shown)
    made = member.post("/qrcodes/new", data=form | {"url": "https://example.com/web"})
    assert made.status_code == 302, made.get_data(as_text=True)[:2000]
    answer = people.clients["member"].get(f"/api/qrcodes/{made.location.rsplit('/', 1)[1]}").get_json()
    fields = {API_NAMES[name] for name in shown}
    assert {name: answer[name] for name in fields} == {name: template[name] for name in fields}
    # ?template= starts it with another template's design.
    other = _template(people.clients["member"], key="other", pattern="dots", logo=None, showLogo=False, width=None,
                      height=None)
    assert _form_values(member.get(f"/qrcodes/new?template={other['id']}").get_data(as_text=True))["pattern"] == "dots"


def test_the_form_marks_a_template_and_the_list_filters_them(people):
    member = _signed_in(people, "member")
    page = member.get("/qrcodes/new").get_data(as_text=True)
    assert "Use as template" in page and 'name="use_as_template"' in page
    made = member.post("/qrcodes/new", data={"url": "https://example.com/t", "use_as_template": "y", "title": "Tpl",
                                             "size": "512", "margin": "4"})
    assert made.status_code == 302
    member.post("/qrcodes/new", data={"url": "https://example.com/n", "title": "Plain one", "size": "512",
                                      "margin": "4"})
    only = member.get("/qrcodes?useAsTemplate=true").get_data(as_text=True)
    others = member.get("/qrcodes?useAsTemplate=false").get_data(as_text=True)
    assert "Tpl" in only and "Plain one" not in only
    assert "Plain one" in others and ">Tpl<" not in others
    assert 'name="useAsTemplate"' in only and '<option value="true" selected' in only


def test_deleting_all_matching_keeps_to_the_template_filter(people):
    member, api = _signed_in(people, "member"), people.clients["member"]
    template = _template(api)
    plain = api.post("/api/qrcodes", json={"url": "https://example.com/plain"}).get_json()
    asked = member.post("/qrcodes/delete", data={"all": "1", "useAsTemplate": "true"}).get_data(as_text=True)
    assert "Delete 1 QR Code?" in asked and 'name="useAsTemplate" value="true"' in asked
    member.post("/qrcodes/delete", data={"all": "1", "useAsTemplate": "true", "confirmed": "1"})
    assert api.get(f"/api/qrcodes/{template['id']}").status_code == 404
    assert api.get(f"/api/qrcodes/{plain['id']}").status_code == 200


def test_the_templates_page_marks_the_default_and_only_admins_choose_it(people):
    admin, member = _signed_in(people, "admin"), _signed_in(people, "member")
    template = _template(people.clients["member"], logo=None, showLogo=False, width=None, height=None)
    assert member.post("/templates/default", data={"template_id": template["id"]}).status_code == 403
    assert 'type="radio"' not in member.get("/templates").get_data(as_text=True)
    assert admin.post("/templates/default", data={"template_id": template["id"]}).status_code == 302
    page = admin.get("/templates").get_data(as_text=True)
    assert re.search(rf'type="radio" name="template_id" value="{template["id"]}" checked', page)
    assert "<mark>Default</mark>" in member.get("/templates").get_data(as_text=True)
    admin.post("/templates/default", data={"template_id": ""})
    assert people.clients["member"].get("/api/templates/default").get_json() == {"templateId": None}


def test_for_picker_gives_each_template_its_thumbnail_and_design(people):
    api, client = people.clients["member"], people.test_client()
    first = _template(api, key="one", title="B brand", logo=None, showLogo=False, width=None, height=None)
    second = _template(api, key="two", title="A brand", logo=None, showLogo=False, width=None, height=None)
    api.post("/api/qrcodes", json={"url": "https://example.com/plain"})
    _set_default(people.clients["admin"], first["id"])
    with people.app_context():
        choices, default = templates.for_picker(for_operator(people), "png")
    assert default == first["id"] and [choice.id for choice in choices] == [first["id"], second["id"]]
    assert [choice.is_default for choice in choices] == [True, False]
    for choice, answer in zip(choices, (first, second)):
        assert choice.title == answer["title"] and choice.design == _design(answer)
        image = client.get(choice.thumbnail)
        assert image.status_code == 200 and image.mimetype == "image/png"


def test_only_an_admin_chooses_the_default_and_everyone_reads_it(people):
    admin, member, viewer = (people.clients[role] for role in ("admin", "member", "viewer"))
    template = _template(member)
    for refused in (member, viewer):
        answer = _set_default(refused, template["id"])
        assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "forbidden"
        # Refused before the body is read: a member learns the rule, not the shape of the body.
        assert refused.put("/api/templates/default", json={"nonsense": 1}).status_code == 403
    assert _set_default(admin, template["id"]).status_code == 200
    for reader in (admin, member, viewer):
        assert reader.get("/api/templates/default").get_json() == {"templateId": template["id"]}


def _import(app, rows: list[dict]) -> ImportJob:
    """Import ``rows`` here, as the app's job runner would (its thread is off)."""
    runner = JobRunner(app, [(ImportJob, csv_import.run)], enabled=False, lease_seconds=60)
    runner.owner = "test"
    with app.app_context():
        job_id = csv_import.start(rows, "rows.csv", for_operator()).id
        while runner._run_one(ImportJob, csv_import.run):
            pass
        job = db.session.get(ImportJob, job_id)
        errors = [error.message for error in csv_import.errors(job_id)]
        db.session.expunge(job)
    job.errors = errors
    return job


def test_a_csv_row_takes_template_id_and_the_default(make_app):
    app = make_app(CODEQR_JOB_WORKER=False)
    with app.app_context():
        _, key = apikeys.create("tests", ctx=for_operator())
    api = authorized_client(app, key)
    template = _template(api)
    other = _template(api, key="other", pattern="dots")
    _set_default(api, other["id"])
    data = (f"url,templateId,frame\nhttps://example.com/t,{template['id']},frame-5\nhttps://example.com/d,,\n"
            f"https://example.com/x,{'c' + '0' * 24},\nhttps://example.com/y,c\x00 1,\n").encode()
    rows = csv_import.parse(data, csv_import.csv_columns(CORE))
    job = _import(app, rows)
    assert (job.created, job.failed) == (2, 2)
    assert job.errors == ["Template id: There is no QR Code with this id to take the design of: choose a template.",
                          "Template id: Enter the id of a template as CodeQR shows it (letters and digits, like c4k2…)."]
    made = {qr["url"]: qr for qr in api.get("/api/qrcodes?useAsTemplate=false").get_json()}
    assert _design(made["https://example.com/t"]) == _design(template) | {"frame": "frame-5"}
    assert _design(made["https://example.com/d"]) == _design(other)
    assert "templateId" in csv_import.csv_columns(CORE).template


def _columns(session) -> set[str]:
    if db.engine.dialect.name == "sqlite":
        return {row[1] for row in session.execute(text("PRAGMA table_info(qrcodes)")).all()}
    return set(session.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'qrcodes'")).scalars())


def test_migration_0011_goes_down_and_up_keeping_the_codes(app, api):
    template = _template(api)
    _set_default(api, template["id"])
    made = api.post("/api/qrcodes", json={"url": "https://example.com/a", "templateId": template["id"]}).get_json()
    with app.app_context():
        downgrade_schema("0010")
        assert not {"use_as_template", "default_template"} & _columns(db.session)
        db.session.remove()
        alembic.upgrade()
        db.session.remove()
    # The marks went with the columns; the designs the codes took stay.
    assert api.get(f"/api/qrcodes/{made['id']}").get_json() == made
    assert api.get(f"/api/qrcodes/{template['id']}").get_json()["useAsTemplate"] is False
    assert api.get("/api/templates/default").get_json() == {"templateId": None}


def test_one_default_at_most_in_the_database(app, api):
    first, second = _template(api, key="one"), _template(api, key="two")
    _set_default(api, first["id"])
    _set_default(api, second["id"])
    with app.app_context():
        marked = db.session.execute(text("SELECT id FROM qrcodes WHERE default_template")).scalars().all()
        assert marked == [second["id"]]
        with pytest.raises(Exception, match="(?i)unique"):
            db.session.execute(text("UPDATE qrcodes SET default_template = true WHERE id = :id"), {"id": first["id"]})
        db.session.rollback()


def test_a_plugins_design_fields_come_with_the_template_and_start_the_default(make_app):
    from test_design_plugins import FramePlugin

    app = make_app(plugins=[FramePlugin()])
    with app.app_context():
        _, key = apikeys.create("tests", ctx=for_operator())
        names = app.extensions["codeqr"].schemas.design_fields
    api = authorized_client(app, key)
    assert {"sticker_text", "frame_radius"} <= set(names)
    template = _template(api, stickerText="Scan me", stickerStyle="box", frameWidth=2.5, frameRadius=4)
    made = api.post("/api/qrcodes", json={"url": "https://example.com/a", "templateId": template["id"]}).get_json()
    plugin = ("stickerText", "stickerStyle", "frameWidth", "frameRadius")
    assert {name: made[name] for name in plugin} == {name: template[name] for name in plugin}
    assert _design(made) == _design(template)
    _set_default(api, template["id"])
    assert api.post("/api/qrcodes", json={"url": "https://example.com/b"}).get_json()["stickerText"] == "Scan me"
    # A plugin's design field sent is a design field sent: the default stays out.
    sent = api.post("/api/qrcodes", json={"url": "https://example.com/c", "frameRadius": 1}).get_json()
    assert (sent["pattern"], sent["stickerText"]) == ("default", "")


def test_a_type_whose_standard_fixes_the_level_keeps_it(api):
    from codeqr.contents.examples import EXAMPLES

    template = _template(api, showLogo=False, logo=None, width=None, height=None, level="Q")
    made = api.post("/api/qrcodes", json={"type": "epc", **EXAMPLES["epc"], "templateId": template["id"]})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["level"] == "M" and made.get_json()["pattern"] == "rounded"
    plain = api.post("/api/qrcodes", json={"type": "epc", **EXAMPLES["epc"], "key": "epc-two"}).get_json()
    changed = api.patch(f"/api/qrcodes/{plain['id']}", json={"templateId": template["id"]})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["level"] == "M" and changed.get_json()["frame"] == "frame-1"


def test_every_problem_is_said_at_once_with_a_template(api):
    template = _template(api)
    plain = api.post("/api/qrcodes", json={"url": "https://example.com/plain"}).get_json()
    unknown = "c" + "0" * 24
    for answer in (api.post("/api/qrcodes", json={"url": "https://example.com/n", "size": "big", "templateId": unknown}),
                   api.patch(f"/api/qrcodes/{plain['id']}", json={"size": "big", "templateId": unknown})):
        assert answer.status_code == 422
        assert {item["field"] for item in answer.get_json()["error"]["errors"]} == {"size", "templateId"}
    good = api.patch(f"/api/qrcodes/{plain['id']}", json={"size": "big", "templateId": template["id"]})
    assert [item["field"] for item in good.get_json()["error"]["errors"]] == ["size"]
    assert api.get(f"/api/qrcodes/{plain['id']}").get_json() == plain


def test_a_plugin_may_not_name_a_design_field_template_id(make_app):
    class Clash:
        __name__ = "clash"

        @hookimpl
        def codeqr_design_fields(self):
            return {"template_id": (str, "")}

    with pytest.raises(PluginError, match="template_id"):
        make_app(plugins=[Clash()])


def test_the_forms_picker_brings_a_templates_design_and_keeps_what_was_typed(people):
    """The picker is a submit button per template: its design replaces the form's (the nested
    gradient spread in its fields too), the content typed stays, and nothing is saved."""
    member = _signed_in(people, "member")
    template = _template(people.clients["member"], title="Gradient brand", logo=None, showLogo=False, width=None,
                         height=None, fgGradient={"type": "radial", "colors": ["#1e3a8a", "#be185d"]})
    page = member.get("/qrcodes/new").get_data(as_text=True)
    assert f'name="apply_template" value="{template["id"]}"' in page and "Gradient brand" in page
    typed = _form_values(page) | {"url": "https://example.com/typed", "title": "Typed title"}
    before = len(people.clients["member"].get("/api/qrcodes").get_json())
    applied = member.post("/qrcodes/new", data=typed | {"apply_template": template["id"]})
    assert applied.status_code == 200 and len(people.clients["member"].get("/api/qrcodes").get_json()) == before
    form = _form_values(applied.get_data(as_text=True))
    assert (form["url"], form["title"]) == ("https://example.com/typed", "Typed title")
    assert (form["pattern"], form["eye_shape"], form["frame"]) == (template["pattern"], template["eyeShape"],
                                                                   template["frame"])
    assert form["fg_gradient-colors"] == template["fgGradient"]["colors"]
    saved = member.post("/qrcodes/new", data=form)
    assert saved.status_code == 302, re.findall(r"<small[^>]*error[^>]*>([^<]+)<", saved.get_data(as_text=True))
    answer = people.clients["member"].get(f"/api/qrcodes/{saved.location.rsplit('/', 1)[1]}").get_json()
    assert answer["fgGradient"] == template["fgGradient"] and answer["title"] == "Typed title"
