"""Find and replace destinations (``POST /api/qrcodes/replace-urls``, issue 24): a preview
counted by hand, a job that rewrites every URL field and its reverse that restores them, the
folders a member may not change left alone, a code whose checks refuse its rewrite left
alone with why, hooks once per changed code, and hostile prefixes refused."""

import time

import pytest
from sqlalchemy import update

from api_client import authorized_client
from codeqr import db, hookimpl
from codeqr.accounts import apikeys
from codeqr.context import for_operator
from codeqr.domain import replace_urls
from codeqr.domain.models import Folder, FolderUser, ReplaceUrlsJob, User
from codeqr.domain.timeutil import utcnow
from codeqr.jobs import replace_urls as replace_jobs
from codeqr.jobs.runner import Lease, claim
from codeqr.persistence.database import begin_write

OLD, NEW = "https://old.example.com", "https://new.example.org/shop"
ROUTE = "/api/qrcodes/replace-urls"


def _code(api, url, **body) -> dict:
    answer = api.post("/api/qrcodes", json={"url": url, **body})
    assert answer.status_code == 201, answer.json
    return answer.json


def _varied(api) -> dict[str, dict]:
    """Codes whose destinations start with ``OLD`` in every field, or hold it elsewhere."""
    codes = {
        "full": _code(api, f"{OLD}/page?x=1&y=2#top", expiredUrl=f"{OLD}/", ios="https://apps.apple.com/old.example.com/",
                      android="https://play.example/?next=https://old.example.com/", geo={"DE": f"{OLD}/de"},
                      rules=[{"attribute": "country", "operator": "equals", "value": "NL", "url": f"{OLD}/nl"},
                             {"split": [{"url": f"{OLD}/a?v=1", "weight": 50},
                                        {"url": "https://other.example/", "weight": 50}]}]),
        "equal": _code(api, OLD),
        "longer_host": _code(api, "https://old.example.com.evil.net/x"),
        "middle": _code(api, "https://elsewhere.example/?next=https://old.example.com/"),
        "static": _code(api, f"{OLD}/printed", static=True),
        "archived": _code(api, f"{OLD}/arch", archived=True),
    }
    return codes


#: What the forward call rewrites, written out by hand: (code, field, before, after).
FORWARD = {
    ("full", "url", f"{OLD}/page?x=1&y=2#top", f"{NEW}/page?x=1&y=2#top"),
    ("full", "expiredUrl", f"{OLD}/", f"{NEW}/"),
    ("full", "geo.DE", f"{OLD}/de", f"{NEW}/de"),
    ("full", "rules[0].url", f"{OLD}/nl", f"{NEW}/nl"),
    ("full", "rules[1].split[0].url", f"{OLD}/a?v=1", f"{NEW}/a?v=1"),
    ("equal", "url", OLD, NEW),
    ("archived", "url", f"{OLD}/arch", f"{NEW}/arch"),
}


def _poll(api, location: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = api.get(location).json
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("the find and replace did not end")


def _apply(api, find, replace, **body) -> dict:
    answer = api.post(ROUTE, json={"find": find, "replace": replace, "apply": True, **body})
    assert answer.status_code == 202, answer.json
    assert answer.headers["Location"].endswith(f"{ROUTE}/{answer.json['id']}")
    return _poll(api, answer.headers["Location"])


def _answers(api, codes: dict[str, dict]) -> dict[str, dict]:
    return {name: api.get(f"/api/qrcodes/{code['id']}").json for name, code in codes.items()}


def _without_time(answer: dict) -> dict:
    return {name: value for name, value in answer.items() if name != "updatedAt"}


def test_the_preview_counts_codes_and_urls_as_counted_by_hand(app, api):
    codes = _varied(api)
    answer = api.post(ROUTE, json={"find": OLD, "replace": NEW})
    assert answer.status_code == 200, answer.json
    assert (answer.json["matches"], answer.json["urls"]) == (3, 7)
    by_id = {code["id"]: name for name, code in codes.items()}
    examples = {(by_id[e["qrcodeId"]], e["field"], e["before"], e["after"]) for e in answer.json["examples"]}
    assert len(answer.json["examples"]) == 5 and examples <= FORWARD
    unarchived = api.post(ROUTE, json={"find": OLD, "replace": NEW, "filters": {"showArchived": False}}).json
    assert (unarchived["matches"], unarchived["urls"]) == (2, 6)
    tagged = api.post(ROUTE, json={"find": OLD, "replace": NEW, "filters": {"search": "/arch"}}).json
    assert (tagged["matches"], tagged["urls"]) == (1, 1)
    assert all(api.get(f"/api/qrcodes/{code['id']}").json == code | {"scans": code["scans"]}
               for name, code in codes.items() if name != "archived")  # a preview writes nothing


def test_apply_rewrites_every_field_and_the_swapped_call_restores_them(app, api):
    codes = _varied(api)
    before = _answers(api, codes)
    job = _apply(api, OLD, NEW)
    assert (job["status"], job["total"], job["done"], job["changed"], job["refused"]) == ("done", 3, 3, 3, [])
    after = _answers(api, codes)
    full = after["full"]
    assert full["url"] == f"{NEW}/page?x=1&y=2#top" and full["expiredUrl"] == f"{NEW}/"
    assert full["ios"] == before["full"]["ios"] and full["android"] == before["full"]["android"]
    assert full["geo"] == {"DE": f"{NEW}/de"}
    assert [rule.get("url") for rule in full["rules"]] == [f"{NEW}/nl", None]
    assert [variant["url"] for variant in full["rules"][1]["split"]] == [f"{NEW}/a?v=1", "https://other.example/"]
    assert after["equal"]["url"] == NEW and after["archived"]["url"] == f"{NEW}/arch"
    for name in ("longer_host", "middle", "static"):
        assert after[name] == before[name], name
    for name in ("full", "equal", "archived"):
        assert after[name]["updatedAt"] != before[name]["updatedAt"], name
    # The lookup by url (an upsert, by ``url_hash``) finds the code by its new url.
    found = api.put("/api/qrcodes/upsert", json={"url": NEW})
    assert (found.status_code, found.json["id"]) == (200, codes["equal"]["id"])

    back = _apply(api, NEW, OLD)
    assert (back["status"], back["changed"]) == ("done", 3)
    assert {name: _without_time(answer) for name, answer in _answers(api, codes).items()} == {
        name: _without_time(answer) for name, answer in before.items()}


def test_codes_in_folders_the_member_may_not_change_are_left_alone(app, api):
    with app.app_context():
        member = User(email="m@example.org", password_hash="x", role="member")
        db.session.add(member)
        db.session.flush()
        folders = {}
        for name, level, users in (("theirs", None, [member.id]), ("shown", "read", []), ("hidden", None, [])):
            folder = Folder(name=name, access_level=level)
            db.session.add(folder)
            db.session.flush()
            db.session.add_all(FolderUser(folder_id=folder.id, user_id=user) for user in users)
            folders[name] = folder.id
        db.session.commit()
        _, secret = apikeys.create("theirs", member, ctx=for_operator())
    codes = {name: _code(api, f"{OLD}/{name}", folderId=folders.get(name)) for name in
             ("theirs", "shown", "hidden", "unfiled")}
    member_api = authorized_client(app, secret)
    assert member_api.post(ROUTE, json={"find": OLD, "replace": NEW}).json["matches"] == 2
    job = _apply(member_api, OLD, NEW)
    assert (job["total"], job["changed"]) == (2, 2)
    urls = {name: answer["url"] for name, answer in _answers(api, codes).items()}
    assert urls == {"theirs": f"{NEW}/theirs", "shown": f"{OLD}/shown", "hidden": f"{OLD}/hidden",
                    "unfiled": f"{NEW}/unfiled"}


def test_a_rewrite_its_checks_refuse_leaves_that_code_alone_with_why(app, api):
    longest = _code(api, f"{OLD}/" + "p" * 8150)
    plain = _code(api, f"{OLD}/plain")
    job = _apply(api, f"{OLD}/", f"{NEW}/" + "x" * 100)
    assert (job["status"], job["total"], job["done"], job["changed"]) == ("done", 2, 2, 1)
    [refused] = job["refused"]
    assert refused["qrcodeId"] == longest["id"]
    assert refused["error"]["code"] == "unprocessable_entity" and refused["error"]["errors"][0]["field"] == "url"
    assert api.get(f"/api/qrcodes/{longest['id']}").json == longest | {"scans": 0}
    assert api.get(f"/api/qrcodes/{plain['id']}").json["url"] == f"{NEW}/{'x' * 100}plain"


def test_the_hook_hears_each_changed_code_once(make_app):
    heard = []

    class Listener:
        @hookimpl
        def codeqr_qrcode_updated(self, app, qrcode, changes):
            heard.append((qrcode["id"], sorted(changes)))

    app = make_app(plugins=[Listener()])
    with app.app_context():
        _, secret = apikeys.create("tests", ctx=for_operator())
    api = authorized_client(app, secret)
    codes = _varied(api)
    heard.clear()
    _apply(api, OLD, NEW)
    assert sorted(heard) == sorted([(codes["full"]["id"], ["expiredUrl", "geo", "rules", "url"]),
                                    (codes["equal"]["id"], ["url"]), (codes["archived"]["id"], ["url"])])


def test_a_read_only_key_may_not_preview_nor_apply(app, api):
    code = _code(api, f"{OLD}/x")
    with app.app_context():
        _, secret = apikeys.create("reader", scope="read_only", ctx=for_operator())
    reader = authorized_client(app, secret)
    for body in ({"find": OLD, "replace": NEW}, {"find": OLD, "replace": NEW, "apply": True}, {"find": 5}):
        assert reader.post(ROUTE, json=body).status_code == 403
    assert api.get(f"/api/qrcodes/{code['id']}").json["url"] == f"{OLD}/x"


@pytest.mark.parametrize("body, field", [
    ({"find": "javascript:alert(1)", "replace": NEW}, "find"),
    ({"find": OLD, "replace": "javascript:alert(1)//"}, "replace"),
    ({"find": "https://user:secret@old.example.com", "replace": NEW}, "find"),
    ({"find": OLD, "replace": "https://new.example.org@evil.example"}, "replace"),
    ({"find": "https://old.example.com/" + "a" * 10_000, "replace": NEW}, "find"),
    ({"find": OLD, "replace": "https://new.example.org/" + "a" * 10_000}, "replace"),
    ({"find": "https://", "replace": NEW}, "find"),
    ({"find": "old.example.com", "replace": NEW}, "find"),
    ({"find": OLD, "replace": "https://new.example.org/\u200b"}, "replace"),
    ({"find": OLD, "replace": NEW, "filters": {"folderID": "x"}}, "filters"),
    ({"find": OLD, "replace": NEW, "filter": {}}, "filter"),
])
def test_hostile_prefixes_and_unknown_filters_are_refused(app, api, body, field):
    code = _code(api, f"{OLD}/x")
    for apply in (False, True):
        answer = api.post(ROUTE, json=body | {"apply": apply})
        assert answer.status_code == 422, answer.json
        assert answer.json["error"]["errors"][0]["field"].startswith(field), answer.json
    assert api.get(f"/api/qrcodes/{code['id']}").json["url"] == f"{OLD}/x"


def test_the_same_prefix_twice_is_refused(app, api):
    answer = api.post(ROUTE, json={"find": OLD, "replace": OLD})
    assert answer.status_code == 422 and "differ" in answer.json["error"]["message"]


def test_another_users_job_is_not_found(app, api):
    job = _apply(api, OLD, NEW)
    with app.app_context():
        member = User(email="m@example.org", password_hash="x", role="member")
        db.session.add(member)
        db.session.commit()
        _, secret = apikeys.create("theirs", member, ctx=for_operator())
    assert authorized_client(app, secret).get(f"{ROUTE}/{job['id']}").status_code == 404
    assert api.get(f"{ROUTE}/{job['id']}").json["status"] == "done"


def test_a_job_taken_up_again_goes_on_after_the_last_chunk_committed(make_app, monkeypatch):
    monkeypatch.setattr(replace_urls, "CHUNK", 2)
    app = make_app(CODEQR_JOB_WORKER=False)
    with app.app_context():
        _, secret = apikeys.create("tests", ctx=for_operator())
    api = authorized_client(app, secret)
    ids = sorted(_code(api, f"{OLD}/{index}")["id"] for index in range(5))
    answer = api.post(ROUTE, json={"find": OLD, "replace": NEW, "apply": True})
    assert (answer.status_code, answer.json["status"], answer.json["total"]) == (202, "queued", 5)
    job_id = answer.json["id"]
    with app.app_context():
        # As if a runner had committed the chunk of the first two ids, then died before rewriting them.
        with begin_write():
            db.session.execute(update(ReplaceUrlsJob).where(ReplaceUrlsJob.id == job_id)
                               .values(last_id=ids[1], done=2, changed=2))
        assert claim(ReplaceUrlsJob, "other", seconds=60, now=utcnow()) == job_id
        replace_jobs.run(job_id, Lease(ReplaceUrlsJob, job_id, "other", 60), for_operator())
    job = api.get(answer.headers["Location"]).json
    assert (job["status"], job["done"], job["changed"]) == ("done", 5, 5)
    assert [api.get(f"/api/qrcodes/{code}").json["url"].startswith(NEW) for code in ids] == [
        False, False, True, True, True]


def test_migration_0016_goes_down_and_up_again(app, api):
    from sqlalchemy import inspect

    from schema_versions import downgrade_schema, migrate_from

    with app.app_context():
        downgrade_schema("0015")
        assert "replace_urls_jobs" not in inspect(db.engine).get_table_names()
        migrate_from("0015")
        assert "replace_urls_jobs" in inspect(db.engine).get_table_names()
    code = _code(api, f"{OLD}/x")
    assert _apply(api, OLD, NEW)["changed"] == 1
    assert api.get(f"/api/qrcodes/{code['id']}").json["url"] == f"{NEW}/x"
