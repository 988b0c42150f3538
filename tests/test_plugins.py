"""The plugin platform: one manager per app, registries, config choices, lifecycle hooks."""

import types

import pytest

from codeqr import InvalidInput, Renderer, Storage, apikeys, create_app, hookimpl
from codeqr.pluginmanager import PluginError


def _plugin(name, **hooks):
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


class Recorder:
    """Records every lifecycle event, and what the database held when it ran."""

    __name__ = "recorder"

    def __init__(self):
        self.events = []

    @hookimpl
    def codeqr_qrcode_created(self, qrcode):
        self.events.append(("created", qrcode["id"], self._committed(qrcode["id"])))

    @hookimpl
    def codeqr_qrcode_updated(self, qrcode, changes):
        self.events.append(("updated", qrcode["id"], changes))

    @hookimpl
    def codeqr_qrcode_deleted(self, qrcode):
        self.events.append(("deleted", qrcode["id"], self._committed(qrcode["id"])))

    @staticmethod
    def _committed(qr_id):
        # A separate connection sees only committed rows.
        from sqlalchemy import text

        from codeqr import db

        with db.engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM qrcodes WHERE id = :id"), {"id": qr_id}).scalar()


def _api(app):
    with app.app_context():
        _, secret = apikeys.create("t")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    return client, headers


def test_each_app_has_its_own_plugin_manager(make_app):
    first, second = make_app(), make_app(plugins=[Recorder()])
    assert first.extensions["codeqr"].pm is not second.extensions["codeqr"].pm
    assert "recorder" in second.extensions["codeqr"].pm.list_name_plugin().__str__()
    assert first.extensions["codeqr"].pm.get_plugin("recorder") is None


def test_builtins_are_loaded_as_plugins(app):
    state = app.extensions["codeqr"]
    assert {"png", "svg", "logo", "filesystem", "database", "s3"} <= {name for name, _ in state.pm.list_name_plugin()}
    # <=: installed plugins such as examples/codeqr-styled register formats of their own.
    assert {"png", "svg"} <= set(state.renderers)
    assert set(state.storages) == {"filesystem", "database", "s3"}
    assert set(state.overlays) == {"logo"}


def test_lifecycle_hooks_run_after_commit(make_app):
    recorder = Recorder()
    client, headers = _api(make_app(plugins=[recorder]))
    qr = client.post("/api/qrcodes", json={"url": "https://example.com/"}, headers=headers).get_json()
    client.patch(f"/api/qrcodes/{qr['id']}", json={"title": "T"}, headers=headers)
    client.patch(f"/api/qrcodes/{qr['id']}", json={"title": "T"}, headers=headers)  # no change: no event
    client.put("/api/qrcodes/upsert", json={"url": "https://example.com/"}, headers=headers)  # untouched
    client.delete(f"/api/qrcodes/{qr['id']}", headers=headers)
    assert recorder.events == [
        ("created", qr["id"], 1),
        ("updated", qr["id"], {"title": [None, "T"]}),
        ("deleted", qr["id"], 0),
    ]


def test_rejected_requests_fire_no_hooks(make_app):
    recorder = Recorder()
    client, headers = _api(make_app(plugins=[recorder]))
    client.post("/api/qrcodes", json={"url": "nope"}, headers=headers)
    client.post("/api/qrcodes/bulk", json=[{"url": "https://a.example/"}, {"url": "bad"}], headers=headers)
    assert [event[0] for event in recorder.events] == ["created"]


def test_validation_hook_can_refuse_and_nothing_is_stored(make_app):
    def codeqr_validate_qrcode(qrcode):
        if "forbidden.example" in qrcode["url"]:
            raise InvalidInput("this destination is blocked", "url")

    client, headers = _api(make_app(plugins=[_plugin("blocker", codeqr_validate_qrcode=codeqr_validate_qrcode)]))
    refused = client.post("/api/qrcodes", json={"url": "https://forbidden.example/"}, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["message"] == "url: this destination is blocked"
    ok = client.post("/api/qrcodes", json={"url": "https://fine.example/"}, headers=headers).get_json()
    moved = client.patch(f"/api/qrcodes/{ok['id']}", json={"url": "https://forbidden.example/"}, headers=headers)
    assert moved.status_code == 422
    assert client.get("/api/qrcodes/count", headers=headers).get_json() == 1
    assert client.get(f"/api/qrcodes/{ok['id']}", headers=headers).get_json()["url"] == "https://fine.example/"


def test_a_third_party_renderer_is_served(make_app):
    class TextRenderer(Renderer):
        name = "txt"
        media_type = "text/plain"

        def render(self, spec):
            return "\n".join("".join("#" if dark else " " for dark in row) for row in spec.modules).encode()

    plugin = _plugin("ascii", codeqr_register_renderers=lambda: [TextRenderer])
    client, headers = _api(make_app(plugins=[plugin]))
    qr = client.post("/api/qrcodes", json={"url": "https://example.com/"}, headers=headers).get_json()
    response = client.get(f"/qr/{qr['id']}.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain" and b"#" in response.data


def test_duplicate_names_stop_the_app(make_app):
    class AnotherPng(Renderer):
        name = "png"

    with pytest.raises(PluginError, match="renderer 'png' is registered twice"):
        make_app(plugins=[_plugin("dup", codeqr_register_renderers=lambda: [AnotherPng])])


def test_unknown_storage_stops_the_app_naming_the_choices(make_app):
    with pytest.raises(PluginError, match=r"CODEQR_STORAGE='s4'.*available: database, filesystem"):
        make_app(CODEQR_STORAGE="s4")
    # Installed plugins such as examples/codeqr-styled may list more formats between these.
    with pytest.raises(PluginError, match=r"CODEQR_DEFAULT_FORMAT='gif'.*available: png, (.+, )?svg$"):
        make_app(CODEQR_DEFAULT_FORMAT="gif")


def test_disabled_plugins_are_not_loaded(make_app):
    app = make_app(CODEQR_DISABLED_PLUGINS=["svg", "database", "s3"])
    state = app.extensions["codeqr"]
    # Not == {"png"}: installed plugins such as examples/codeqr-styled add formats of their own.
    assert "svg" not in state.renderers and "png" in state.renderers and set(state.storages) == {"filesystem"}
    with pytest.raises(PluginError, match="available: database$"):
        make_app(CODEQR_DISABLED_PLUGINS=["filesystem", "s3"])


def test_misspelled_hook_is_caught(make_app):
    with pytest.raises(PluginError, match="codeqr_qrcode_creatd"):
        make_app(plugins=[_plugin("typo", codeqr_qrcode_creatd=lambda qrcode: None)])


def test_plugin_config_defaults_are_overridable(make_app):
    plugin = _plugin("withconf", codeqr_config_defaults=lambda: {"CODEQR_WITHCONF_COLOR": "red"})
    assert make_app(plugins=[plugin]).config["CODEQR_WITHCONF_COLOR"] == "red"
    assert make_app(plugins=[plugin], CODEQR_WITHCONF_COLOR="blue").config["CODEQR_WITHCONF_COLOR"] == "blue"


def test_env_overrides_instance_config_and_config_is_frozen(tmp_path, monkeypatch, database_url):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.py").write_text('CODEQR_DEFAULT_DOMAIN = "file.example"\nCODEQR_SCHEME = "https"\n')
    monkeypatch.setenv("CODEQR_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("CODEQR_DEFAULT_DOMAIN", "env.example")
    monkeypatch.setenv("CODEQR_DATABASE_URL", database_url)
    monkeypatch.setenv("CODEQR_DOMAINS", "a.example, b.example")
    app = create_app()
    assert app.config["CODEQR_SCHEME"] == "https"
    assert app.config["CODEQR_DEFAULT_DOMAIN"] == "env.example"
    assert app.config["CODEQR_DOMAINS"] == ["env.example", "a.example", "b.example"]
    assert app.instance_path == str(instance)
    with pytest.raises(RuntimeError, match="frozen"):
        app.config["CODEQR_SCHEME"] = "http"


def test_bad_env_value_stops_the_app(monkeypatch, make_app):
    monkeypatch.setenv("CODEQR_AUTO_MIGRATE", "maybe")
    with pytest.raises(RuntimeError, match="CODEQR_AUTO_MIGRATE"):
        make_app()


def test_custom_storage_through_the_factory(make_app):
    class MemoryStorage(Storage):
        name = "memory"

        def __init__(self, app):
            super().__init__(app)
            self.items = {}

        def get(self, name):
            return self.items.get(name)

        def put(self, name, data):
            self.items[name] = data

        def delete(self, name):
            self.items.pop(name, None)

    app = make_app(plugins=[_plugin("mem", codeqr_register_storages=lambda: [MemoryStorage])], CODEQR_STORAGE="memory")
    client, headers = _api(app)
    qr = client.post("/api/qrcodes", json={"url": "https://example.com/"}, headers=headers).get_json()
    client.get(f"/qr/{qr['id']}.png")
    assert len(app.extensions["codeqr"].storage.items) == 1


class Expiry:
    """Sends one key elsewhere and refuses another."""

    __name__ = "expiry"

    @hookimpl
    def codeqr_redirect(self, id, domain, key, url):
        if key == "moved":
            return "https://example.com/elsewhere"
        if key == "expired":
            return 410
        return None


def test_redirect_hook_can_send_elsewhere_or_refuse(make_app):
    client, headers = _api(make_app(plugins=[Expiry()]))
    for key in ("moved", "expired", "normal"):
        client.post("/api/qrcodes", json={"url": "https://example.com/stored", "key": key}, headers=headers)
    assert client.get("/moved").headers["Location"] == "https://example.com/elsewhere"
    assert client.get("/expired").status_code == 410
    assert client.get("/normal").headers["Location"] == "https://example.com/stored"
    assert client.head("/moved").headers["Location"] == "https://example.com/elsewhere"


def test_plugin_blueprints_are_served_and_their_paths_reserved(make_app):
    from flask import Blueprint

    extra = Blueprint("stats", __name__)
    extra.add_url_rule("/stats", "stats", lambda: "plugin page")
    client, headers = _api(make_app(plugins=[_plugin("stats", codeqr_blueprints=lambda: [extra])]))
    assert client.get("/stats").data == b"plugin page"
    taken = client.post("/api/qrcodes", json={"url": "https://example.com/", "key": "stats"}, headers=headers)
    assert taken.status_code == 422


def test_plugin_cli_commands_are_added(make_app):
    import click

    @click.command("hello")
    def hello():
        from flask import current_app

        click.echo(f"hello from {current_app.name}")

    app = make_app(plugins=[_plugin("greeter", codeqr_cli_commands=lambda: [hello])])
    assert app.test_cli_runner().invoke(args=["hello"]).output == "hello from codeqr\n"


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
    client, headers = _api(app)
    qr = client.post("/api/qrcodes", json={"url": "https://example.com/", "showLogo": True, "size": 300},
                     headers=headers).get_json()
    png = client.get(f"/qr/{qr['id']}.png").data
    assert (0xDC, 0x26, 0x26) in {color for _, color in to_image(png, "image/png").convert("RGB").getcolors()}
    assert decode(png, "image/png") == [qr["shortLink"]]
    assert decode(client.get(f"/qr/{qr['id']}.svg").data, "image/svg+xml") == [qr["shortLink"]]
