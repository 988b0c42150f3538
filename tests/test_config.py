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


@pytest.mark.parametrize("name, value, message", [
    ("CODEQR_SCHEME", "ftp", "CODEQR_SCHEME='ftp': must be http or https"),
    ("CODEQR_STORAGE", "nope", "CODEQR_STORAGE='nope': no storage of that name; available: database, filesystem, s3"),
    ("CODEQR_JOB_LEASE_SECONDS", "abc", "CODEQR_JOB_LEASE_SECONDS='abc': expected a number"),
    ("CODEQR_MAX_BODY_BYTES", "1.5", "CODEQR_MAX_BODY_BYTES='1.5': expected a whole number"),
    ("CODEQR_EXPORT_TTL_HOURS", "0", "CODEQR_EXPORT_TTL_HOURS=0.0: must be a number above zero"),
    ("CODEQR_AUTO_MIGRATE", "maybe", "CODEQR_AUTO_MIGRATE='maybe': expected true or false"),
])
def test_a_bad_setting_stops_the_app_in_one_line(make_app, monkeypatch, name, value, message):
    from codeqr.errors import ConfigurationError

    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as raised:
        make_app()
    assert str(raised.value) == message


def test_an_unknown_setting_is_a_warning_naming_the_closest(make_app, monkeypatch, caplog):
    from codeqr import config

    monkeypatch.setattr(config, "_warned", set())  # warned once a process: this process may have already
    monkeypatch.setenv("CODEQR_DEFAULT_DOMIAN", "qr.example.com")
    make_app()
    assert "CODEQR_DEFAULT_DOMIAN is not a setting of CodeQR or of its plugins; did you mean CODEQR_DEFAULT_DOMAIN?" in caplog.text


def test_a_postgresql_url_without_its_driver_says_what_to_install(make_app, monkeypatch):
    import importlib.util

    from codeqr.errors import ConfigurationError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "psycopg" else real(name, *a))
    with pytest.raises(ConfigurationError, match=r"pip install 'codeqr\[postgres\]'"):
        make_app(CODEQR_DATABASE_URL="postgresql://db.example/codeqr")


@pytest.mark.parametrize("args", [["list-api-keys"], ["--help"]])
def test_the_command_says_a_bad_setting_in_one_line_with_status_2(tmp_path, args):
    import os
    from pathlib import Path

    codeqr = Path(sys.executable).with_name("codeqr")
    env = {name: value for name, value in os.environ.items() if not name.startswith("CODEQR_")}
    env |= {"CODEQR_INSTANCE_PATH": str(tmp_path), "CODEQR_STORAGE": "nope"}
    result = subprocess.run([str(codeqr), *args], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == ("CodeQR cannot start: CODEQR_STORAGE='nope': no storage of that name; "
                                     "available: database, filesystem, s3")


def _every_setting() -> dict:
    from codeqr.config import DEFAULTS
    from codeqr.pluginmanager import build_plugin_manager, plugin_defaults

    return DEFAULTS | plugin_defaults(build_plugin_manager((), []))


def test_every_setting_is_in_the_readme_and_the_example_config():
    from importlib.resources import files
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    example = (files("codeqr") / "config.example.py").read_text()
    for name in _every_setting():
        if name.startswith(("CODEQR_STYLED_", "CODEQR_WEBHOOKS_")):  # example plugins: their own READMEs
            continue
        assert f"| `{name}` |" in readme, name
        assert f"# {name} = " in example, name


def test_the_example_config_uncommented_names_only_settings_with_their_types():
    from importlib.resources import files

    lines = (files("codeqr") / "config.example.py").read_text().splitlines()
    settings = {}
    exec("\n".join(line[2:] for line in lines if line.startswith("# CODEQR_")), {}, settings)
    known = _every_setting()
    assert set(settings) <= set(known)
    for name, value in settings.items():
        if known[name] is not None:
            assert type(value) is type(known[name]), name
