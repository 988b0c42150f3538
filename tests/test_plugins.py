"""The plugin platform: one manager per app, registries, config choices, lifecycle hooks."""

import json
import types

import pytest

from api_client import authorized_client
from codeqr import InvalidInput, PluginError, Renderer, Storage, hookimpl, pluginmanager
from codeqr.accounts import apikeys
from codeqr.context import for_operator


def _plugin(name, **hooks):
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


class Recorder:
    """Records every lifecycle event with what a separate connection then saw of the
    row: ``(exists, title)``. A separate connection sees only committed rows."""

    __name__ = "recorder"

    def __init__(self):
        self.events = []

    @hookimpl
    def codeqr_qrcode_created(self, app, qrcode):
        self.events.append(("created", qrcode["title"], self._committed(app, qrcode["id"])))

    @hookimpl
    def codeqr_qrcode_updated(self, app, qrcode, changes):
        self.events.append(("updated", qrcode["title"], self._committed(app, qrcode["id"]), changes))

    @hookimpl
    def codeqr_qrcode_deleted(self, app, qrcode):
        self.events.append(("deleted", qrcode["title"], self._committed(app, qrcode["id"])))

    @staticmethod
    def _committed(app, qr_id):
        from sqlalchemy import text

        from codeqr import db

        with app.app_context(), db.engine.connect() as connection:
            row = connection.execute(text("SELECT title FROM qrcodes WHERE id = :id"), {"id": qr_id}).first()
        return (row is not None, row.title if row else None)


def _api(app):
    """A test client of ``app`` with an API key of its own."""
    with app.app_context():
        _, secret = apikeys.create("t", ctx=for_operator())
    return authorized_client(app, secret)


def test_each_app_has_its_own_plugin_manager(make_app):
    first, second = make_app(), make_app(plugins=[Recorder()])
    assert first.extensions["codeqr"].pm is not second.extensions["codeqr"].pm
    assert "recorder" in second.extensions["codeqr"].pm.list_name_plugin().__str__()
    assert first.extensions["codeqr"].pm.get_plugin("recorder") is None


def test_builtins_are_loaded_as_plugins(app):
    state = app.extensions["codeqr"]
    assert {"png", "svg", "logo", "filesystem", "database", "s3"} <= {name for name, _ in state.pm.list_name_plugin()}
    # <=: installed plugins such as examples/codeqr-styled register formats of their own.
    assert {"png", "svg"} <= set(pluginmanager.renderers(state.pm))
    assert set(pluginmanager.storages(state.pm)) == {"filesystem", "database", "s3"}
    assert set(pluginmanager.overlays(state.pm)) == {"logo"}


def test_every_service_fires_its_hooks_after_the_commit(make_app):
    recorder = Recorder()
    client = _api(make_app(plugins=[recorder]))
    qr = client.post("/api/qrcodes", json={"url": "https://example.com/a", "title": "A"}).get_json()
    client.patch(f"/api/qrcodes/{qr['id']}", json={"title": "B"})
    client.patch(f"/api/qrcodes/{qr['id']}", json={"title": "B"})  # no change: no event
    upserted = client.put("/api/qrcodes/upsert", json={"url": "https://example.com/u", "title": "U"}).get_json()
    client.put("/api/qrcodes/upsert", json={"url": "https://example.com/u", "title": "V"})
    client.put("/api/qrcodes/upsert", json={"url": "https://example.com/u"})  # found, untouched
    bulk = client.post("/api/qrcodes/bulk", json=[{"url": "https://example.com/x", "title": "X"},
                                                  {"url": "https://example.com/y", "title": "Y"}]).get_json()
    client.delete(f"/api/qrcodes/{qr['id']}")
    client.delete(f"/api/qrcodes/bulk?ids={upserted['id']},{bulk[0]['id']},{bulk[1]['id']}")
    singles, bulk_deleted = recorder.events[:7], recorder.events[7:]
    assert singles == [
        ("created", "A", (True, "A")),
        ("updated", "B", (True, "B"), {"title": ["A", "B"]}),
        ("created", "U", (True, "U")),
        ("updated", "V", (True, "V"), {"title": ["U", "V"]}),
        ("created", "X", (True, "X")),
        ("created", "Y", (True, "Y")),
        ("deleted", "B", (False, None)),
    ]
    assert sorted(bulk_deleted) == [("deleted", title, (False, None)) for title in "VXY"]


def test_rejected_requests_fire_no_hooks(make_app):
    recorder = Recorder()
    client = _api(make_app(plugins=[recorder]))
    client.post("/api/qrcodes", json={"url": "nope"})
    client.post("/api/qrcodes/bulk", json=[{"url": "https://a.example/"}, {"url": "bad"}])
    assert [event[0] for event in recorder.events] == ["created"]


def test_validation_hook_can_refuse_and_nothing_is_stored(make_app):
    def codeqr_validate_qrcode(qrcode):
        if "forbidden.example" in qrcode["url"]:
            raise InvalidInput("this destination is blocked", "url")

    client = _api(make_app(plugins=[_plugin("blocker", codeqr_validate_qrcode=codeqr_validate_qrcode)]))
    refused = client.post("/api/qrcodes", json={"url": "https://forbidden.example/"})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["message"] == "url: this destination is blocked"
    ok = client.post("/api/qrcodes", json={"url": "https://fine.example/"}).get_json()
    moved = client.patch(f"/api/qrcodes/{ok['id']}", json={"url": "https://forbidden.example/"})
    assert moved.status_code == 422
    assert client.get("/api/qrcodes/count").get_json() == 1
    assert client.get(f"/api/qrcodes/{ok['id']}").get_json()["url"] == "https://fine.example/"


def test_a_third_party_renderer_is_served(make_app):
    class TextRenderer(Renderer):
        name = "txt"
        media_type = "text/plain"

        def render(self, spec):
            return "\n".join("".join("#" if dark else " " for dark in row) for row in spec.modules).encode()

    plugin = _plugin("ascii", codeqr_register_renderers=lambda: [TextRenderer])
    client = _api(make_app(plugins=[plugin]))
    qr = client.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    response = client.get(f"/qr/{qr['id']}.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain" and b"#" in response.data


class Incomplete(Storage):
    """Leaves ``delete`` unwritten."""

    name = "incomplete"

    def get(self, name):
        return None

    def put(self, name, data):
        pass


class NotAStorage:
    name = "plain"

    def __init__(self, config):
        pass


@pytest.mark.parametrize("cls,message", [
    (Incomplete, "plugin 'half' registered the storage Incomplete without implementing: delete"),
    (NotAStorage, "plugin 'half' registered .*NotAStorage.* as a storage, but it is not a subclass of codeqr.Storage"),
])
def test_a_class_that_is_no_full_storage_stops_the_app_naming_the_plugin(make_app, cls, message):
    with pytest.raises(PluginError, match=message):
        make_app(plugins=[_plugin("half", codeqr_register_storages=lambda: [cls])])


def test_renderers_and_overlays_are_checked_the_same_way(make_app):
    class Blank(Renderer):
        name = "blank"

    with pytest.raises(PluginError, match="plugin 'blank' registered the renderer Blank without implementing: render"):
        make_app(plugins=[_plugin("blank", codeqr_register_renderers=lambda: [Blank])])
    with pytest.raises(PluginError, match="not a subclass of codeqr.Overlay"):
        make_app(plugins=[_plugin("odd", codeqr_register_overlays=lambda: [Incomplete])])


def test_duplicate_names_stop_the_app(make_app):
    class AnotherPng(Renderer):
        name = "png"

        def render(self, spec):
            return b""

    with pytest.raises(PluginError, match="renderer 'png' is registered twice"):
        make_app(plugins=[_plugin("dup", codeqr_register_renderers=lambda: [AnotherPng])])


def test_unknown_storage_stops_the_app_naming_the_choices(make_app):
    with pytest.raises(PluginError, match=r"CODEQR_STORAGE='s4'.*available: database, filesystem"):
        make_app(CODEQR_STORAGE="s4")
    # In alphabetical order; installed plugins such as examples/codeqr-styled may list more formats.
    with pytest.raises(PluginError, match=r"CODEQR_DEFAULT_FORMAT='gif'.*available: eps, jpg, pdf, png, (.+, )?svg, webp$"):
        make_app(CODEQR_DEFAULT_FORMAT="gif")


def test_disabled_plugins_are_not_loaded(make_app):
    app = make_app(CODEQR_DISABLED_PLUGINS=["svg", "database", "s3"])
    state = app.extensions["codeqr"]
    # Not == {"png"}: installed plugins such as examples/codeqr-styled add formats of their own.
    assert "svg" not in state.images.renderers and "png" in state.images.renderers
    assert set(pluginmanager.storages(state.pm)) == {"filesystem"}
    with pytest.raises(PluginError, match="available: database$"):
        make_app(CODEQR_DISABLED_PLUGINS=["filesystem", "s3"])


def test_misspelled_hook_is_caught(make_app):
    with pytest.raises(PluginError, match="codeqr_qrcode_creatd"):
        make_app(plugins=[_plugin("typo", codeqr_qrcode_creatd=lambda qrcode: None)])


def test_plugin_config_defaults_are_overridable(make_app):
    plugin = _plugin("withconf", codeqr_config_defaults=lambda: {"CODEQR_WITHCONF_COLOR": "red"})
    assert make_app(plugins=[plugin]).config["CODEQR_WITHCONF_COLOR"] == "red"
    assert make_app(plugins=[plugin], CODEQR_WITHCONF_COLOR="blue").config["CODEQR_WITHCONF_COLOR"] == "blue"


def test_custom_storage_through_the_factory(make_app):
    class MemoryStorage(Storage):
        name = "memory"

        def __init__(self, config):
            super().__init__(config)
            self.items = {}

        def get(self, name):
            return self.items.get(name)

        def put(self, name, data):
            self.items[name] = data

        def delete(self, name):
            self.items.pop(name, None)

    app = make_app(plugins=[_plugin("mem", codeqr_register_storages=lambda: [MemoryStorage])], CODEQR_STORAGE="memory")
    client = _api(app)
    qr = client.post("/api/qrcodes", json={"url": "https://example.com/"}).get_json()
    client.get(f"/qr/{qr['id']}.png")
    assert len(app.extensions["codeqr"].images.storage.items) == 1


class Expiry:
    """Sends one key elsewhere and refuses another."""

    __name__ = "expiry"

    @hookimpl
    def codeqr_redirect(self, app, id, domain, key, url):
        assert app.name == "codeqr"
        if key == "moved":
            return "https://example.com/elsewhere"
        if key == "expired":
            return 410
        return None


def test_redirect_hook_can_send_elsewhere_or_refuse(make_app):
    client = _api(make_app(plugins=[Expiry()]))
    for key in ("moved", "expired", "normal"):
        client.post("/api/qrcodes", json={"url": "https://example.com/stored", "key": key})
    assert client.get("/moved").headers["Location"] == "https://example.com/elsewhere"
    assert client.get("/expired").status_code == 410
    assert client.get("/normal").headers["Location"] == "https://example.com/stored"
    assert client.head("/moved").headers["Location"] == "https://example.com/elsewhere"


def test_plugin_blueprints_are_served_and_their_paths_reserved(make_app):
    from flask import Blueprint

    extra = Blueprint("stats", __name__)
    extra.add_url_rule("/stats", "stats", lambda: "plugin page")
    client = _api(make_app(plugins=[_plugin("stats", codeqr_blueprints=lambda: [extra])]))
    assert client.get("/stats").data == b"plugin page"
    taken = client.post("/api/qrcodes", json={"url": "https://example.com/", "key": "stats"})
    assert taken.status_code == 422


def test_plugin_cli_commands_are_added(make_app):
    import click

    @click.command("hello")
    def hello():
        from flask import current_app

        click.echo(f"hello from {current_app.name}")

    app = make_app(plugins=[_plugin("greeter", codeqr_cli_commands=lambda: [hello])])
    assert app.test_cli_runner().invoke(args=["hello"]).output == "hello from codeqr\n"


def test_a_plugin_command_still_runs_after_thousands_of_apps(make_app):
    """The plugin's command object is shared by every app of the process: building an app
    must not wrap it again (a test run builds thousands; the wrappers overflowed the stack)."""
    import click
    from flask.cli import AppGroup

    from codeqr.commandline.app_commands import register

    @click.command("hello")
    def hello():
        click.echo("hello")

    app = make_app(plugins=[_plugin("greeter", codeqr_cli_commands=lambda: [hello])])
    pm = app.extensions["codeqr"].pm
    for _ in range(2000):  # what 2,000 more apps of this process do to the command
        app.cli = AppGroup()
        register(app, pm)
    assert app.test_cli_runner().invoke(args=["hello"]).output == "hello\n"


def test_plugin_migration_locations_are_applied(make_app, tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "n0001_notes.py").write_text(
        'import sqlalchemy as sa\nfrom alembic import op\n'
        'revision = "n0001"\ndown_revision = None\nbranch_labels = ("notes",)\ndepends_on = None\n'
        'def upgrade():\n    op.create_table("notes", sa.Column("id", sa.Integer(), primary_key=True))\n'
        'def downgrade():\n    op.drop_table("notes")\n')
    app = make_app(plugins=[_plugin("notes", codeqr_migration_locations=lambda: [str(folder)])])
    from sqlalchemy import inspect

    from codeqr import db

    with app.app_context():
        assert inspect(db.engine).has_table("notes")


def test_a_third_party_overlay_is_chosen_by_config(make_app):
    from PIL import ImageDraw

    from codeqr import Overlay
    from decode import decode, to_image

    class RedSquare(Overlay):
        name = "red-square"
        fingerprint = "red-1"

        def paint_raster(self, image, spec):
            x, y, side = spec.logo_box
            ImageDraw.Draw(image).rectangle((x, y, x + side - 1, y + side - 1), fill="#dc2626")

        def svg_element(self, spec):
            x, y, side = spec.logo_box
            return f'<rect x="{x}" y="{y}" width="{side}" height="{side}" fill="#dc2626"/>'

    app = make_app(plugins=[_plugin("redsq", codeqr_register_overlays=lambda: [RedSquare])], CODEQR_OVERLAY="red-square")
    client = _api(app)
    qr = client.post("/api/qrcodes", json={"url": "https://example.com/", "showLogo": True, "size": 300}).get_json()
    png = client.get(f"/qr/{qr['id']}.png").data
    assert (0xDC, 0x26, 0x26) in {color for _, color in to_image(png, "image/png").convert("RGB").getcolors()}
    assert decode(png, "image/png") == [qr["shortLink"]]
    assert decode(client.get(f"/qr/{qr['id']}.svg").data, "image/svg+xml") == [qr["shortLink"]]


def test_the_validation_hook_sees_a_payload_as_json_and_can_refuse_inside_it(make_app):
    seen = []

    def codeqr_validate_qrcode(qrcode):
        seen.append(qrcode)
        if qrcode["type"] == "text" and "forbidden" in qrcode["text"]:
            raise InvalidInput("this word is blocked", "text")

    client = _api(make_app(plugins=[_plugin("blocker", codeqr_validate_qrcode=codeqr_validate_qrcode)]))
    assert client.post("/api/qrcodes", json={"type": "text", "text": "a forbidden word"}).status_code == 422
    made = client.post("/api/qrcodes", json={"type": "text", "text": "fine", "static": True})
    assert made.status_code == 201
    assert seen[-1]["url"] is None and seen[-1]["text"] == "fine" and seen[-1]["static"] is True
    json.dumps(seen)  # JSON values only: a plugin may send them on
