"""The sweep of logos no QR Code names: removed (row and file) once last kept longer ago than
``CODEQR_LOGO_GRACE_HOURS``; one a QR Code names, or kept within the grace, stays; a storage
that fails leaves the logo for the next sweep; the job runner sweeps when idle, hourly."""

import base64
import io
import time
from datetime import timedelta

import pytest
from PIL import Image

from api_client import authorized_client
from clock import Clock
from codeqr import StorageUnavailable, db, hookimpl
from codeqr.context import for_operator
from codeqr.design import logo_sweep, logos
from codeqr.domain.models import KeptLogo
from codeqr.jobs.runner import Chore
from codeqr.persistence.database import begin_write

GRACE = timedelta(hours=24)
URL = "https://example.org/"


def logo_uri(color: tuple[int, int, int]) -> str:
    out = io.BytesIO()
    Image.new("RGBA", (64, 64), (*color, 255)).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


RED, BLUE = logo_uri((220, 0, 0)), logo_uri((0, 0, 220))


class Instance:
    """An app on a clock of the test's own, its API, and what its storage and table hold."""

    def __init__(self, make_app, **settings):
        self.clock = Clock()
        self.app = make_app(clock=self.clock, **settings)
        from codeqr.accounts import apikeys

        with self.app.app_context():
            _, secret = apikeys.create("tests", ctx=for_operator())
        self.api = authorized_client(self.app, secret)

    def created(self, **fields) -> dict:
        answer = self.api.post("/api/qrcodes", json={"url": URL, **fields})
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()

    def delete(self, qr: dict) -> None:
        assert self.api.delete(f"/api/qrcodes/{qr['id']}").status_code in (200, 204)

    def sweep(self) -> int:
        with self.app.app_context():
            return logo_sweep.sweep(for_operator())

    def kept(self, name: str) -> tuple[bool, bool]:
        """(whether ``kept_logos`` has its row, whether the storage has its file)."""
        with self.app.app_context():
            row = db.session.get(KeptLogo, name) is not None
        return row, self.app.extensions["codeqr"].images.storage.exists(name)

    def served(self, name: str) -> int:
        return self.api.get(f"/logos/{name}").status_code


@pytest.fixture
def instance(make_app):
    # No runner thread: these tests sweep themselves (one test below lets the runner do it).
    return Instance(make_app, CODEQR_JOB_WORKER=False)


def test_a_logo_no_code_names_is_removed_once_past_the_grace(instance):
    qr = instance.created(logo=RED)
    name = qr["logo"]
    assert instance.kept(name) == (True, True)
    instance.delete(qr)
    instance.clock.advance(hours=23)
    assert instance.sweep() == 0 and instance.kept(name) == (True, True)  # within the grace
    instance.clock.advance(hours=1, minutes=1)
    assert instance.sweep() == 1
    assert instance.kept(name) == (False, False) and instance.served(name) == 404
    assert instance.sweep() == 0


def test_a_logo_a_code_names_stays_and_the_one_it_replaced_goes(instance):
    qr = instance.created(logo=RED)
    old = qr["logo"]
    changed = instance.api.patch(f"/api/qrcodes/{qr['id']}", json={"logo": BLUE}).get_json()
    assert changed["logo"] != old
    instance.clock.advance(hours=48)
    assert instance.sweep() == 1
    assert instance.kept(old) == (False, False)
    assert instance.kept(changed["logo"]) == (True, True) and instance.served(changed["logo"]) == 200
    assert instance.api.get(f"/qr/{qr['id']}.png").status_code == 200


def test_an_upsert_that_changes_the_logo_keeps_the_new_one_and_lets_the_old_go(instance):
    """The upsert of a stored url keeps its new logo before its transaction, as an update does."""
    qr = instance.created(logo=RED)
    answer = instance.api.put("/api/qrcodes/upsert", json={"url": URL, "logo": BLUE})
    assert answer.status_code == 200, answer.get_json()
    changed = answer.get_json()
    assert changed["id"] == qr["id"] and changed["logo"] != qr["logo"]
    instance.clock.advance(hours=48)
    assert instance.sweep() == 1
    assert instance.kept(qr["logo"]) == (False, False) and instance.kept(changed["logo"]) == (True, True)


def test_an_upload_never_saved_stays_within_the_grace(instance):
    """A form left open: its logo was taken in and kept, no QR Code names it yet."""
    with instance.app.app_context():
        ctx = for_operator()
        name = logos.keep(logos.intake(RED, ctx, ctx.state.images.storage), ctx.state.images.storage, ctx.now())
    instance.clock.advance(hours=23, minutes=59)
    assert instance.sweep() == 0 and instance.kept(name) == (True, True)
    instance.clock.advance(minutes=2)
    assert instance.sweep() == 1 and instance.kept(name) == (False, False)


def test_a_template_and_its_copy_share_a_logo_until_both_are_gone(instance):
    template = instance.created(logo=RED, useAsTemplate=True, title="Brand")
    copy = instance.created(url="https://example.org/copy", templateId=template["id"])
    assert copy["logo"] == template["logo"]
    name = copy["logo"]
    instance.delete(template)
    instance.clock.advance(hours=48)
    assert instance.sweep() == 0 and instance.kept(name) == (True, True)
    assert instance.api.get(f"/qr/{copy['id']}.png").status_code == 200
    instance.delete(copy)
    assert instance.sweep() == 1 and instance.kept(name) == (False, False)


def test_keeping_a_logo_again_refreshes_its_time(instance):
    first = instance.created(logo=RED)
    instance.delete(first)
    instance.clock.advance(hours=20)
    again = instance.created(url="https://example.org/again", logo=RED)  # the same bytes: the same name
    assert again["logo"] == first["logo"]
    instance.delete(again)
    instance.clock.advance(hours=10)  # 30 h after the first keep, 10 h after the second
    assert instance.sweep() == 0 and instance.kept(again["logo"]) == (True, True)
    instance.clock.advance(hours=15)
    assert instance.sweep() == 1


def test_a_logo_swept_is_stored_again_when_sent_again_and_not_when_named(instance):
    qr = instance.created(logo=RED)
    instance.delete(qr)
    instance.clock.advance(hours=48)
    assert instance.sweep() == 1
    named = instance.api.post("/api/qrcodes", json={"url": URL, "logo": qr["logo"]})
    assert named.status_code == 422 and "send the image itself" in named.get_json()["error"]["errors"][0]["message"]
    back = instance.created(logo=RED)
    assert back["logo"] == qr["logo"] and instance.kept(qr["logo"]) == (True, True)
    assert instance.served(qr["logo"]) == 200


def test_a_code_naming_the_logo_after_the_sweeps_read_keeps_it(instance):
    """The DELETE checks again that no QR Code names the logo: a code written between the
    sweep's read and its delete (as a template's copy is, without keeping the logo again)."""
    from sqlalchemy import create_engine, event, update

    from codeqr.domain.models import QRCode

    named = instance.created(logo=RED)
    name = named["logo"]
    other = instance.created(url="https://example.org/other")
    instance.delete(named)
    instance.clock.advance(hours=48)
    with instance.app.app_context():
        engine = db.engine
        design = dict(db.session.get(QRCode, other["id"]).design) | {"logo": name}
    elsewhere = create_engine(engine.url)
    written = []

    def meanwhile(conn, cursor, statement, *args):
        if not written and statement.lstrip().upper().startswith("SELECT") and "kept_logos" in statement:
            written.append(statement)  # the sweep has read which logos QR Codes name
            with elsewhere.begin() as connection:
                connection.execute(update(QRCode).where(QRCode.id == other["id"]).values(design=design))

    event.listen(engine, "after_cursor_execute", meanwhile)
    try:
        assert instance.sweep() == 0
    finally:
        event.remove(engine, "after_cursor_execute", meanwhile)
        elsewhere.dispose()
    assert written and instance.kept(name) == (True, True)
    assert instance.api.get(f"/api/qrcodes/{other['id']}").get_json()["logo"] == name


def test_keep_refuses_to_run_inside_a_write_transaction(instance):
    """A put inside the QR Code's transaction would hold the write lock during the storage call."""
    with instance.app.app_context():
        ctx = for_operator()
        logo = logos.intake(RED, ctx, ctx.state.images.storage)
        with pytest.raises(RuntimeError, match="before the QR Code's write transaction"):
            with begin_write():
                logos.keep(logo, ctx.state.images.storage, ctx.now())


def test_a_storage_failing_to_delete_leaves_row_and_file_for_the_next_sweep(make_app, caplog):
    from codeqr_plugins.filesystem_storage import FilesystemStorage

    failing = {"now": True}

    class FailsToDelete(FilesystemStorage):
        name = "fails-to-delete"

        def delete(self, name):
            if failing["now"]:
                raise StorageUnavailable("cannot delete: read-only file system")
            super().delete(name)

    class Plugin:
        @hookimpl
        def codeqr_register_storages(self):
            return [FailsToDelete]

    instance = Instance(make_app, plugins=[Plugin()], CODEQR_STORAGE="fails-to-delete", CODEQR_JOB_WORKER=False)
    qr = instance.created(logo=RED)
    instance.delete(qr)
    instance.clock.advance(hours=48)
    assert instance.sweep() == 0
    assert instance.kept(qr["logo"]) == (True, True)
    assert "read-only file system" in caplog.text
    failing["now"] = False
    assert instance.sweep() == 1 and instance.kept(qr["logo"]) == (False, False)


def test_the_command_sweeps_and_says_how_many(instance):
    instance.delete(instance.created(logo=RED))
    instance.delete(instance.created(url="https://example.org/2", logo=BLUE))
    instance.clock.advance(hours=48)
    result = instance.app.test_cli_runner().invoke(args=["sweep-logos"])
    assert result.exit_code == 0 and result.output == "Removed 2 logos.\n"


def _until(condition, what: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_job_runner_sweeps_when_idle_at_most_hourly(make_app):
    instance = Instance(make_app)
    runner = instance.app.extensions["codeqr"].jobs
    runner.tidy_seconds, runner.poll_seconds, runner.idle_max_seconds = 0, 0.01, 0.01
    tidies = []
    runner.chores.append(Chore(lambda ctx: tidies.append(1), timedelta(0)))  # counts the runner's idle rounds
    first = instance.created(logo=RED)
    instance.delete(first)
    instance.clock.advance(hours=48)
    runner.wake()
    try:
        _until(lambda: instance.kept(first["logo"]) == (False, False), "the runner's sweep")
        second = instance.created(url="https://example.org/2", logo=BLUE)
        instance.delete(second)
        # Kept long ago, right after this hour's sweep: written in the app's write turn, as the
        # runner's rounds write in theirs (a plain commit could meet one and be refused).
        with instance.app.app_context(), begin_write():
            db.session.get(KeptLogo, second["logo"]).kept_at = instance.clock() - 2 * GRACE
        seen = len(tidies)
        _until(lambda: len(tidies) >= seen + 3, "three more idle rounds")
        assert instance.kept(second["logo"]) == (True, True)  # not swept again within the hour
        instance.clock.advance(hours=1)
        _until(lambda: instance.kept(second["logo"]) == (False, False), "the next hour's sweep")
    finally:
        runner.stop()
