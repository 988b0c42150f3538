"""Jobs that survive their process: killed mid-import, the job is taken up by another
process and ends with every row imported once; progress always equals the rows committed."""

import multiprocessing
import os
import signal
import time

import pytest
from sqlalchemy import func, select

from clock import Clock
from codeqr import db
from codeqr.context import for_operator
from codeqr.domain.models import ImportJob, QRCode
from codeqr.domain.timeutil import utcnow
from codeqr.jobs import csv_import
from codeqr.jobs.runner import Lease, LeaseLost, claim
from workers import run_jobs

#: Enough rows that a worker killed after 300 is still importing: each row's image is decoded
#: (the scan check), 10 ms or more a row.
ROWS = 1000
LEASE = 2.0


@pytest.fixture
def job_app(make_app):
    return make_app(CODEQR_JOB_LEASE_SECONDS=LEASE)


def _config(app) -> dict:
    config = {name: app.config[name] for name in app.config if name.startswith("CODEQR_")}
    return config | {"TESTING": True, "INSTANCE_PATH": app.instance_path}


def _state(app, job_id) -> tuple[ImportJob, int]:
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        stored = db.session.scalar(select(func.count()).select_from(QRCode))
        db.session.expunge(job)
        return job, stored


def _enqueue(app, rows: int) -> str:
    with app.app_context():
        return csv_import.start([{"url": f"https://example.com/p/{i}", "title": f"P {i}"} for i in range(rows)],
                                "big.csv", for_operator()).id


def _wait(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _process(app, **kwargs):
    process = multiprocessing.get_context("spawn").Process(target=run_jobs, args=(_config(app),), kwargs=kwargs)
    process.start()
    return process


def test_an_import_killed_with_its_process_resumes_elsewhere_and_imports_every_row_once(job_app):
    job_id = _enqueue(job_app, ROWS)
    worker = _process(job_app)
    _wait(lambda: _state(job_app, job_id)[0].processed >= 300, 120, "the import to start")
    os.kill(worker.pid, signal.SIGKILL)
    worker.join()
    job, stored = _state(job_app, job_id)
    assert job.status == "running" and 300 <= job.processed < ROWS
    assert job.processed == job.created == stored  # progress is what was committed, not more nor less

    with job_app.app_context():
        job_app.extensions["codeqr"].jobs.wake()
    job = _wait(lambda: (lambda job: job.status == "done" and job)(_state(job_app, job_id)[0]), 300, "the import to end")
    job, stored = _state(job_app, job_id)
    assert (job.processed, job.created, job.failed, stored) == (ROWS, ROWS, 0, ROWS)
    assert job.attempts == 2 and job.lease_owner is None


def test_a_process_that_stops_cleanly_hands_its_job_back_at_once(job_app):
    job_id = _enqueue(job_app, ROWS)
    worker = _process(job_app, stop_on_sigterm=True)
    _wait(lambda: _state(job_app, job_id)[0].processed >= 100, 120, "the import to start")
    os.kill(worker.pid, signal.SIGTERM)
    worker.join()
    job, stored = _state(job_app, job_id)
    assert job.status == "running" and job.lease_until is None and job.lease_owner is None  # claimable now
    assert job.processed == stored


def test_a_step_of_a_runner_that_lost_its_lease_is_rolled_back(job_app):
    job_id = _enqueue(job_app, 1)
    with job_app.app_context():
        assert claim(ImportJob, "first", seconds=-1, now=utcnow()) == job_id  # a lease already run out
        assert claim(ImportJob, "second", seconds=60, now=utcnow()) == job_id
        assert claim(ImportJob, "third", seconds=60, now=utcnow()) is None  # held: nobody else takes it
        late = Lease(ImportJob, job_id, "first", 60)
        with pytest.raises(LeaseLost):
            with csv_import.begin_write():
                csv_import.import_row({"url": "https://example.com/late"}, ctx=for_operator())
                late.advance(processed=1, created=ImportJob.created + 1)
        assert db.session.scalar(select(func.count()).select_from(QRCode)) == 0
        assert db.session.get(ImportJob, job_id).processed == 0


def test_a_job_that_keeps_stopping_is_failed_with_a_reason(job_app):
    job_id = _enqueue(job_app, 1)
    with job_app.app_context():
        for attempt in range(6):
            assert claim(ImportJob, f"dies-{attempt}", seconds=-1, now=utcnow()) == job_id
        db.session.remove()
    job_app.extensions["codeqr"].jobs.wake()
    job = _wait(lambda: (lambda job: job.status == "failed" and job)(_state(job_app, job_id)[0]), 60, "the failure")
    assert job.message == "the job stopped 5 times before it could finish"
    assert _state(job_app, job_id)[1] == 0


def _codes(app, count: int, size: int = 256) -> list:
    from codeqr.domain import writes
    from codeqr.domain.schemas import QRCodeCreate

    with app.app_context():
        return [writes.create(QRCodeCreate(url=f"https://example.com/e/{i}", size=size, title=f"E{i}"), ctx=for_operator())
                for i in range(count)]


def _export_job(app, codes, formats=("png",)) -> str:
    from codeqr.jobs import exports

    with app.app_context():
        return exports.start(codes, list(formats), for_operator()).id


def _export_state(app, job_id):
    from codeqr.domain.models import ExportJob

    with app.app_context():
        job = db.session.get(ExportJob, job_id)
        db.session.expunge(job)
        return job


def _stored_file(app, name: str) -> bytes | None:
    with app.app_context():
        return app.extensions["codeqr"].images.storage.get(name)


def test_an_export_killed_with_its_process_resumes_and_its_zip_is_whole(job_app):
    import io
    import zipfile

    from codeqr.jobs import exports

    codes = _codes(job_app, 3 * exports.PART_SIZE)
    job_id = _export_job(job_app, codes)
    worker = _process(job_app)
    _wait(lambda: _export_state(job_app, job_id).processed >= exports.PART_SIZE, 120, "a part to be stored")
    os.kill(worker.pid, signal.SIGKILL)
    worker.join()
    job = _export_state(job_app, job_id)
    assert job.status == "running" and job.processed == job.parts * exports.PART_SIZE < len(codes)

    job_app.extensions["codeqr"].jobs.wake()
    _wait(lambda: _export_state(job_app, job_id).status == "done", 300, "the export to end")
    job = _export_state(job_app, job_id)
    assert job.attempts == 2 and job.processed == len(codes)
    archive = zipfile.ZipFile(io.BytesIO(_stored_file(job_app, exports.file_name(job_id))))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == sorted([f"{qr.key}.png" for qr in codes] + ["manifest.csv"])
    assert all(_stored_file(job_app, exports._part_name(job_id, n)) is None for n in range(job.parts + 1))


def test_an_export_whose_storage_fails_is_failed_with_the_reason(make_app):
    from codeqr_plugins.filesystem_storage import FilesystemStorage

    from codeqr import StorageUnavailable, hookimpl
    from codeqr.jobs import exports

    class FailsOnSecondPart(FilesystemStorage):
        name = "fails-on-second-part"

        def put(self, name, data):
            if name.endswith("part-00001.zip"):
                raise StorageUnavailable("cannot write: disk full")
            super().put(name, data)

    class Plugin:
        @hookimpl
        def codeqr_register_storages(self):
            return [FailsOnSecondPart]

    app = make_app(plugins=[Plugin()], CODEQR_STORAGE="fails-on-second-part")
    job_id = _export_job(app, _codes(app, exports.PART_SIZE + 1))
    app.extensions["codeqr"].jobs.wake()
    _wait(lambda: _export_state(app, job_id).status in ("done", "failed"), 120, "the export to end")
    job = _export_state(app, job_id)
    assert (job.status, job.message) == ("failed", "the export stopped: cannot write: disk full")
    assert _stored_file(app, exports.file_name(job_id)) is None
    assert _stored_file(app, exports._part_name(job_id, 0)) is None  # what it had stored is removed


def test_an_export_file_is_kept_for_its_time_then_removed(make_app):
    from codeqr.jobs import exports

    clock = Clock()
    app = make_app(clock=clock, CODEQR_EXPORT_TTL_HOURS=2)
    job_id = _export_job(app, _codes(app, 3))
    app.extensions["codeqr"].jobs.wake()
    _wait(lambda: _export_state(app, job_id).status == "done", 60, "the export to end")
    app.extensions["codeqr"].jobs.stop()  # its own tidying would remove the file too
    with app.app_context():
        clock.advance(hours=2, seconds=-1)  # each reading of the clock ticks a millisecond: far from 1000
        assert exports.remove_expired(for_operator()) == 0
        clock.advance(seconds=1)
        assert exports.remove_expired(for_operator()) == 1
    assert _export_state(app, job_id).status == "expired"
    assert _stored_file(app, exports.file_name(job_id)) is None


def test_a_server_started_with_a_job_waiting_runs_it_before_any_request(job_app):
    """wsgi.py starts the runner: the job of a process that died is taken up on the next start."""
    import subprocess
    import sys
    from pathlib import Path

    job_id = _enqueue(job_app, 20)
    env = os.environ | {"CODEQR_INSTANCE_PATH": job_app.instance_path,
                        **{name: str(value) for name, value in _config(job_app).items()
                           if name.startswith("CODEQR_") and isinstance(value, (str, int, float))}}
    root = Path(__file__).resolve().parent.parent
    server = subprocess.Popen([sys.executable, "-c", "import wsgi, time; time.sleep(120)"], cwd=root, env=env)
    try:
        _wait(lambda: _state(job_app, job_id)[0].status == "done", 60, "the job to run")
    finally:
        server.kill()
        server.wait()
    assert _state(job_app, job_id)[1] == 20


def test_an_export_names_files_apart_when_two_domains_share_a_key(make_app):
    import io
    import zipfile

    from codeqr.domain import writes
    from codeqr.domain.schemas import QRCodeCreate
    from codeqr.jobs import exports

    app = make_app()
    with app.app_context():
        codes = [writes.create(QRCodeCreate(url="https://example.com/a", key="spring", size=256), ctx=for_operator()),
                 writes.create(QRCodeCreate(url="https://example.com/b", key="spring", size=256,
                                            domain="go.example.org"), ctx=for_operator()),
                 writes.create(QRCodeCreate(url="https://example.com/c", key="summer", size=256), ctx=for_operator())]
    job_id = _export_job(app, codes)
    app.extensions["codeqr"].jobs.wake()
    _wait(lambda: _export_state(app, job_id).status == "done", 60, "the export to end")
    archive = zipfile.ZipFile(io.BytesIO(_stored_file(app, exports.file_name(job_id))))
    assert sorted(archive.namelist()) == sorted([f"spring-{codes[0].id}.png", f"spring-{codes[1].id}.png",
                                                 "summer.png", "manifest.csv"])


def _idle_run(app, wakes_at: set[int], until: float) -> tuple[list[float], int]:
    """Run ``app``'s job runner with no job, on a simulated clock: each wait adds its
    pause to the clock; the waits numbered in ``wakes_at`` end with a ``wake``. Return
    the pauses and how many times a job table was read."""
    from sqlalchemy import event

    runner = app.extensions["codeqr"].jobs
    runner.owner = "idle-test"
    pauses: list[float] = []
    reads = []

    def wait(seconds: float) -> bool:
        pauses.append(seconds)
        runner._stopping = sum(pauses) >= until
        return len(pauses) in wakes_at

    def look(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT") and "import_jobs" in statement:
            reads.append(statement)

    runner._wait = wait
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", look)
    try:
        runner._run()
    finally:
        event.remove(engine, "before_cursor_execute", look)
    return pauses, len(reads)


def test_an_idle_runner_looks_less_and_less_often(make_app):
    """Two minutes idle: 7 looks (2 s, doubling up to 30 s), not 60 every 2 s."""
    app = make_app(CODEQR_JOB_WORKER=False)
    pauses, reads = _idle_run(app, set(), until=120)
    assert pauses == [2, 4, 8, 16, 30, 30, 30]
    assert reads == 7  # each look reads once, and writes nothing as nothing is queued


def test_a_wake_brings_the_runner_back_to_looking_often(make_app):
    app = make_app(CODEQR_JOB_WORKER=False)
    pauses, _ = _idle_run(app, {4}, until=60)
    assert pauses == [2, 4, 8, 16, 2, 4, 8, 16]


def test_a_job_queued_in_this_process_runs_at_once(make_app):
    """The views wake the runner when they queue a job: it does not wait for the end of
    an idle runner's pause."""
    app = make_app(CODEQR_JOB_LEASE_SECONDS=LEASE)
    runner = app.extensions["codeqr"].jobs
    runner.idle_max_seconds = runner.poll_seconds = 3600  # only a wake can end its pause
    runner.wake()
    job_id = _enqueue(app, 3)
    runner.wake()
    try:
        _wait(lambda: _state(app, job_id)[0].status == "done", 60, "the import to finish")
    finally:
        runner.stop()


def test_a_plugin_registers_a_job_kind_that_the_runner_runs(make_app):
    """A kind of job from ``codeqr_register_job_kinds`` is claimed and run like the core's."""
    from datetime import datetime

    from sqlalchemy import Integer, String, Text
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    from codeqr import hookimpl
    from codeqr.persistence.database import begin_write

    class Base(DeclarativeBase):
        pass

    class Chore(Base):
        __tablename__ = "test_chores"
        id: Mapped[str] = mapped_column(String(25), primary_key=True)
        user_id: Mapped[int | None] = mapped_column(Integer)
        status: Mapped[str] = mapped_column(String(10))
        created_at: Mapped[datetime] = mapped_column()
        finished_at: Mapped[datetime | None] = mapped_column()
        message: Mapped[str | None] = mapped_column(Text)
        lease_owner: Mapped[str | None] = mapped_column(String(100))
        lease_until: Mapped[datetime | None] = mapped_column()
        attempts: Mapped[int] = mapped_column(Integer, default=0)

    ran = []

    def sweep(job_id, lease, ctx):
        ran.append(job_id)
        lease.finish("done", message="swept")

    class Chores:
        @hookimpl
        def codeqr_register_job_kinds(self):
            return [(Chore, sweep)]

    app = make_app(plugins=[Chores()])
    with app.app_context():
        engine = db.engine
        Base.metadata.create_all(engine)
        with begin_write():
            db.session.add(Chore(id="chore1", status="queued", created_at=datetime(2026, 1, 1)))
    try:
        app.extensions["codeqr"].jobs.wake()

        def finished():
            with app.app_context():
                return db.session.scalar(select(Chore.message).where(Chore.status == "done"))

        assert _wait(finished, 60, "the chore to run") == "swept"
        assert ran == ["chore1"]
    finally:
        app.extensions["codeqr"].jobs.stop()
        Base.metadata.drop_all(engine)


def test_a_job_kind_without_a_lease_stops_the_app(make_app):
    from codeqr import PluginError, hookimpl
    from codeqr.domain.models import QRCode

    class Wrong:
        @hookimpl
        def codeqr_register_job_kinds(self):
            return [(QRCode, lambda job_id, lease: None)]

    with pytest.raises(PluginError, match="has no .*lease_owner"):
        make_app(plugins=[Wrong()])
