"""The API's bulk create checks its items in a job, not in the request: the request waits a
little and answers as it always did, or 202 with the job to poll; a job taken up after its
process died creates each QR Code once; answers are kept a day."""

import logging
import threading
import time

import pytest
from sqlalchemy import func, select

from api_client import authorized_client
from clock import Clock
from codeqr import db
from codeqr.accounts import apikeys, users
from codeqr.api.views import bulk_wait
from codeqr.context import for_operator
from codeqr.domain import field_checks
from codeqr.domain.models import BulkJob, QRCode, User
from codeqr.domain.timeutil import utcnow
from codeqr.errors import ConfigurationError
from codeqr.jobs import bulk_create
from codeqr.jobs.runner import claim
from codeqr.jobs.statuses import JobStatus

ITEMS = [{"url": "https://example.com/a"}, {"url": "not a url"}, {"url": "https://example.com/b", "key": "same-key"},
         {"url": "https://example.com/c", "key": "same-key"}]
PASSWORD = "a long enough password"


def _stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(QRCode))


def _poll(api, location: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = api.get(location).get_json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("the bulk create did not end")


def _ended(app, job_id: str) -> None:
    """Wait for the job to end (another app's runner runs it)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with app.app_context():
            if db.session.get(BulkJob, job_id).status in (JobStatus.DONE, JobStatus.FAILED):
                return
        time.sleep(0.05)
    raise AssertionError("the bulk job did not end")


def _assert_answer(results: list) -> None:
    """What the bulk create answers for ``ITEMS``: each item, created or refused with why."""
    assert [result.get("url") for result in results] == ["https://example.com/a", None, "https://example.com/b", None]
    assert results[1]["qrcode"] == {"url": "not a url"}
    assert [problem["field"] for problem in results[1]["error"]["errors"]] == ["url"]
    assert results[3]["error"]["code"] == "conflict"


def test_the_items_are_decoded_in_the_job_runner_and_the_request_answers_as_before(app, api, monkeypatch):
    threads = []
    decode = field_checks.verify

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return decode(*args, **kwargs)

    monkeypatch.setattr(field_checks, "verify", spy)
    response = api.post("/api/qrcodes/bulk", json=ITEMS)
    assert response.status_code == 200
    _assert_answer(response.get_json())
    assert len(threads) == 3 and set(threads) == {"codeqr-jobs"}  # the 3 valid items (one key taken at the insert)
    assert threading.current_thread().name != "codeqr-jobs"
    assert _stored(app) == 2


def test_prefer_respond_async_answers_202_and_the_job_holds_the_answer(app, api):
    response = api.post("/api/qrcodes/bulk", json=ITEMS, headers={"Prefer": "respond-async"})
    assert response.status_code == 202
    assert response.headers["Preference-Applied"] == "respond-async" and response.headers["Retry-After"] == "1"
    job = response.get_json()
    assert response.headers["Location"] == f"/api/qrcodes/bulk/{job['id']}"
    assert job["total"] == 4 and job["results"] is None and job["status"] in ("queued", "running", "done")
    done = _poll(api, response.headers["Location"])
    assert done["status"] == "done" and done["checked"] == 4 and done["finishedAt"].endswith("Z")
    _assert_answer(done["results"])
    assert _stored(app) == 2
    with app.app_context():
        assert db.session.get(BulkJob, job["id"]).items is None  # what was sent (logos too) is not kept


def test_a_process_without_a_runner_answers_at_once_and_leaves_the_work_to_one_with_it(make_app):
    app = make_app(CODEQR_JOB_WORKER=False)  # the default wait: nothing here would run the job
    with app.app_context():
        secret = apikeys.create("tests", ctx=for_operator())[1]
    api = authorized_client(app, secret)
    response = api.post("/api/qrcodes/bulk", json=ITEMS)
    assert response.status_code == 202 and "Preference-Applied" not in response.headers
    assert response.get_json()["status"] == "queued" and response.get_json()["checked"] == 0
    assert _stored(app) == 0

    worker = make_app()  # another process of the instance, its runner on
    worker.extensions["codeqr"].jobs.wake()
    done = _poll(api, response.headers["Location"])
    _assert_answer(done["results"])
    assert _stored(app) == 2


def test_a_job_taken_up_after_its_process_died_checks_again_and_creates_each_once(make_app):
    app = make_app(CODEQR_JOB_WORKER=False, CODEQR_JOB_LEASE_SECONDS=60)
    with app.app_context():
        job_id = bulk_create.start(ITEMS, for_operator())
        assert claim(BulkJob, "died", seconds=-1, now=utcnow()) == job_id  # its lease already run out
        db.session.execute(BulkJob.__table__.update().values(checked=3))
        db.session.commit()
        db.session.remove()
    worker = make_app()
    worker.extensions["codeqr"].jobs.wake()
    _ended(app, job_id)
    with app.app_context():
        job = db.session.get(BulkJob, job_id)
        assert (job.status, job.attempts, job.checked, job.lease_owner) == ("done", 2, 4, None)
    assert _stored(app) == 2


def test_the_answer_is_kept_a_day_then_removed(make_app):
    clock = Clock()
    app = make_app(clock=clock)
    with app.app_context():
        secret = apikeys.create("tests", ctx=for_operator())[1]
    api = authorized_client(app, secret)
    location = api.post("/api/qrcodes/bulk", json=ITEMS, headers={"Prefer": "respond-async"}).headers["Location"]
    assert _poll(api, location)["status"] == "done"
    with app.app_context():
        clock.advance(hours=23)
        assert bulk_create.remove_old(for_operator()) == 0
        clock.advance(hours=2)
        assert bulk_create.remove_old(for_operator()) == 1
    assert api.get(location).status_code == 404


def test_only_its_owner_and_admins_see_a_job(make_app):
    app = make_app()
    with app.app_context():
        member = users.create("member@example.com", PASSWORD, role="member", ctx=for_operator())
        other = users.create("other@example.com", PASSWORD, role="member", ctx=for_operator())
        keys = {user.email: apikeys.create(user.email, owner=user, ctx=for_operator())[1] for user in (member, other)}
        admin_key = apikeys.create("admin", ctx=for_operator())[1]
    response = authorized_client(app, keys["member@example.com"]).post(
        "/api/qrcodes/bulk", json=ITEMS, headers={"Prefer": "respond-async"})
    location = response.headers["Location"]
    assert _poll(authorized_client(app, keys["member@example.com"]), location)["status"] == "done"
    refused = authorized_client(app, keys["other@example.com"]).get(location)
    assert refused.status_code == 404 and "no bulk create of yours" in refused.get_json()["error"]["message"]
    assert authorized_client(app, admin_key).get(location).get_json()["status"] == "done"
    assert authorized_client(app, admin_key).get("/api/qrcodes/bulk/cnotajob0000000000000000").status_code == 404


def test_a_job_whose_owner_may_no_longer_write_fails_with_the_reason_and_stores_nothing(make_app):
    app = make_app(CODEQR_JOB_WORKER=False, CODEQR_BULK_WAIT_SECONDS=0)
    with app.app_context():
        member = users.create("member@example.com", PASSWORD, role="member", ctx=for_operator())
        secret = apikeys.create("member", owner=member, ctx=for_operator())[1]
    api = authorized_client(app, secret)
    location = api.post("/api/qrcodes/bulk", json=ITEMS).headers["Location"]
    with app.app_context():
        db.session.execute(User.__table__.update().values(role="viewer"))
        db.session.commit()
    make_app().extensions["codeqr"].jobs.wake()
    with app.app_context():
        admin_key = apikeys.create("admin", ctx=for_operator())[1]
    job = _poll(authorized_client(app, admin_key), location)
    assert job["status"] == "failed" and job["message"] == "the account that sent it may no longer change QR Codes"
    assert job["results"] is None and _stored(app) == 0


@pytest.mark.parametrize("prefer, expected", [
    (None, (10.0, None)), ("respond-async", (0.0, "respond-async")), ("wait=3", (3.0, "wait=3")),
    ("wait=600", (10.0, "wait=10")), ("handling=lenient, Respond-Async", (0.0, "respond-async")),
    ("respond-async; foo=1", (0.0, "respond-async")), ("wait=5; x", (5.0, "wait=5")), ("wait=0", (0.0, "wait=0")),
    ("wait=" + "9" * 400, (10.0, None)), ("wait=-1", (10.0, None)), ("wait=soon", (10.0, None)), ("", (10.0, None))])
def test_the_prefer_header_sets_the_wait(prefer, expected):
    assert bulk_wait(prefer, 10.0) == expected


@pytest.mark.parametrize("wait", [-1, -0.5, True, None])
def test_a_wait_that_is_no_number_of_seconds_is_refused(make_app, wait):
    with pytest.raises(ConfigurationError, match="CODEQR_BULK_WAIT_SECONDS"):
        make_app(CODEQR_BULK_WAIT_SECONDS=wait)


def test_the_preference_applied_is_said_on_a_200_too(api):
    response = api.post("/api/qrcodes/bulk", json=ITEMS[:1], headers={"Prefer": "wait=30"})
    assert response.status_code == 200 and response.headers["Preference-Applied"] == "wait=10"


def test_an_item_that_could_not_be_echoed_is_refused_in_the_request(app, api):
    body = '[{"url": "https://example.com/s", "title": "a\\ud800"}]'  # a lone surrogate, escaped in JSON
    response = api.post("/api/qrcodes/bulk", data=body, content_type="application/json")
    assert response.status_code == 422 and "not valid Unicode" in response.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BulkJob)) == 0


def test_an_unexpected_failure_ends_the_job_once_and_the_request_says_so(app, api, monkeypatch, caplog):
    caplog.set_level(logging.CRITICAL)
    calls = []

    def fail(items, checked, ctx):
        calls.append(len(items))
        raise ValueError("cannot serialise")

    monkeypatch.setattr(bulk_create, "_inserted", fail)
    response = api.post("/api/qrcodes/bulk", json=ITEMS)
    assert response.status_code == 500
    assert response.get_json()["error"]["message"] == (
        "the bulk create failed: the bulk create could not be completed (ValueError); nothing was created")
    assert calls == [4] and _stored(app) == 0  # once, not again at each lease
    with app.app_context():
        job = db.session.scalars(select(BulkJob)).one()
        assert (job.status, job.attempts, job.items) == ("failed", 1, None)


def test_a_job_that_stopped_after_its_insert_is_only_marked_done(make_app):
    app = make_app(CODEQR_JOB_WORKER=False)
    with app.app_context():
        job_id = bulk_create.start(ITEMS, for_operator())
        assert claim(BulkJob, "died", seconds=-1, now=utcnow()) == job_id
        db.session.execute(BulkJob.__table__.update().values(items=None, results="[]", checked=4))
        db.session.commit()
        db.session.remove()
    make_app().extensions["codeqr"].jobs.wake()
    _ended(app, job_id)
    with app.app_context():
        job = db.session.get(BulkJob, job_id)
        assert (job.status, job.attempts, job.results) == ("done", 2, "[]")
    assert _stored(app) == 0  # nothing checked or inserted again


def test_a_nul_in_an_item_is_kept_escaped_and_refused_with_its_item(app, api):
    response = api.post("/api/qrcodes/bulk", json=[{"url": "https://example.com/nul", "title": "a\x00b"},
                                                   {"url": "https://example.com/fine"}])
    assert response.status_code == 200  # PostgreSQL stores no NUL in text: the job's row holds it escaped (JSON)
    refused, created = response.get_json()
    assert refused["qrcode"]["title"] == "a\x00b" and created["url"] == "https://example.com/fine"
