"""Configuration: the layers, freezing, and settings that stop the app with a clear message."""

import subprocess
import sys

import pytest

from codeqr import PluginError, create_app

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



@pytest.mark.parametrize("path,message", [
    ("missing.png", r"CODEQR_LOGO_PATH='.*missing.png': cannot read the file \(No such file or directory\)"),
    ("not-an-image.png", r"CODEQR_LOGO_PATH='.*not-an-image.png' is not an image Pillow can read"),
])
def test_a_bad_logo_path_stops_the_app_with_one_clear_message(make_app, tmp_path, path, message):
    (tmp_path / "not-an-image.png").write_text("hello")
    with pytest.raises(PluginError, match=message):
        make_app(CODEQR_LOGO_PATH=str(tmp_path / path))


def test_the_plugin_api_imports_without_the_app():
    """``from codeqr import hookimpl`` loads the plugin API, not the app (nor Flask)."""
    code = ("import sys; from codeqr import hookimpl, Renderer, Storage, Overlay, PluginError; "
            "print(sorted(m for m in sys.modules if m == 'codeqr' or m.startswith('codeqr.'))); "
            "print('flask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["['codeqr', 'codeqr.design_rules', 'codeqr.errors', 'codeqr.plugin_api']", "False"]
