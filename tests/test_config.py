"""Configuration: the layers, freezing, and settings that stop the app with a clear message."""

import subprocess
import sys

import pytest

from codeqr import PluginError, create_app, db
from codeqr.config import SECRET_SETTINGS
from codeqr.context import for_operator


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
    ("CODEQR_LOGO_GRACE_HOURS", "0.5", "CODEQR_LOGO_GRACE_HOURS=0.5: must be 1 or more (a shorter grace could remove "
                                       "a logo before the QR Code naming it is saved)"),
    ("CODEQR_BULK_WAIT_SECONDS", "-1", "CODEQR_BULK_WAIT_SECONDS=-1.0: must be a number of seconds, 0 or more"),
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


@pytest.mark.parametrize("args", [["list-api-keys"], ["plugins"]])  # help works: tests/test_commands.py
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


#: What each type of setting expects, in the words of the one line that refuses a wrong value.
EXPECTED = {bool: "expected true or false", int: "expected a whole number", float: "expected a number"}


def _wrong_in_config_py(tmp_path, name: str, value) -> str:
    from codeqr.config import build_config
    from codeqr.errors import ConfigurationError

    (tmp_path / "config.py").write_text(f"{name} = {value!r}\n")
    with pytest.raises(ConfigurationError) as raised:
        build_config(str(tmp_path), None, _every_setting())
    return str(raised.value)


def test_a_wrong_type_says_the_same_line_in_config_py_and_in_the_environment(tmp_path, monkeypatch):
    from codeqr.config import build_config
    from codeqr.errors import ConfigurationError

    checked = 0
    for name, default in _every_setting().items():
        if type(default) not in EXPECTED:
            continue
        for wrong in ("abc", "1.5x", "nan"):
            from_file = _wrong_in_config_py(tmp_path, name, wrong)
            (tmp_path / "config.py").unlink()
            monkeypatch.setenv(name, wrong)
            with pytest.raises(ConfigurationError) as raised:
                build_config(str(tmp_path), None, _every_setting())
            monkeypatch.delenv(name)
            assert from_file == str(raised.value) == f"{name}={wrong!r}: {EXPECTED[type(default)]}"
            checked += 1
    assert checked > 20


def test_config_py_takes_values_of_the_setting_type_or_written_as_in_the_environment(tmp_path, monkeypatch):
    from codeqr.config import build_config

    (tmp_path / "config.py").write_text("CODEQR_SERVE_WORKERS = '3'\nCODEQR_AUTO_MIGRATE = 'off'\n"
                                        "CODEQR_JOB_LEASE_SECONDS = 2\nCODEQR_DOMAINS = 'a.example, b.example'\n"
                                        "CODEQR_DISABLED_PLUGINS = ('logo',)\nCODEQR_METRICS_TOKEN = ''\n")
    config = build_config(str(tmp_path), None, _every_setting())
    assert config["CODEQR_SERVE_WORKERS"] == 3 and config["CODEQR_AUTO_MIGRATE"] is False
    assert config["CODEQR_JOB_LEASE_SECONDS"] == 2.0 and type(config["CODEQR_JOB_LEASE_SECONDS"]) is float
    assert config["CODEQR_DOMAINS"] == ["a.example", "b.example"] and config["CODEQR_DISABLED_PLUGINS"] == ["logo"]
    assert config["CODEQR_METRICS_TOKEN"] is None  # empty is unset, never a token anyone matches
    monkeypatch.setenv("CODEQR_SERVE_WORKERS", "5")  # the environment still wins
    assert build_config(str(tmp_path), None, _every_setting())["CODEQR_SERVE_WORKERS"] == 5


@pytest.mark.parametrize("value", [True, 2.5, None, [1], {"a": 1}])
def test_config_py_values_of_no_setting_type_are_refused(tmp_path, value):
    for name, default in _every_setting().items():
        if type(default) is type(value):  # of the setting's type: taken
            continue
        message = _wrong_in_config_py(tmp_path, name, value)
        shown = name if name in SECRET_SETTINGS else f"{name}={value!r}"  # a secret's value is not repeated
        assert message.startswith(f"{shown}: expected "), message


@pytest.mark.parametrize("source, line, words", [
    ("CODEQR_SCHEME = 'https'\nCODEQR_DOMAINS = ['a.example',\n", 2, "was never closed"),
    ("CODEQR_SCHEME = https\n", 1, "NameError: name 'https' is not defined"),
    ("import os\n\nCODEQR_SERVE_PORT = int(os.environ['NO_SUCH_VARIABLE'])\n", 3, "KeyError: 'NO_SUCH_VARIABLE'"),
])
def test_a_config_py_that_fails_says_its_file_and_line(tmp_path, source, line, words):
    from codeqr.config import build_config
    from codeqr.errors import ConfigurationError

    (tmp_path / "config.py").write_text(source)
    with pytest.raises(ConfigurationError) as raised:
        build_config(str(tmp_path), None, _every_setting())
    assert str(raised.value).startswith(f"{tmp_path / 'config.py'}, line {line}: ")
    assert words in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.parametrize("value, words", [
    ("https://qr.example.com/", "write the host alone, without https:// or a path: qr.example.com"),
    ("http://user:pw@qr.example.com:8443/x", "write the host alone, without http:// or a path: qr.example.com:8443"),
    ("qr example.com", "a domain has no spaces"),
    (" qr.example.com", "a domain has no spaces"),
    ("qr.example.com\n", "a domain has no spaces"),
    ("qr.exam\x00ple.com", "no spaces or control characters"),
    ("qr.example.com/path", "the domain has no path: write the host alone: qr.example.com"),
    ("qr.example.com?a=1", "write the host alone: qr.example.com"),
    ("qr.example.com\\x", "write the host alone: qr.example.com"),
    ("a@b", "a domain has no user name: write the host alone: b"),
    ("qr..example.com", "no empty parts"),
    (".qr.example.com", "no empty parts"),
    ("..", "no empty parts"),
    ("qr.example.com.", "without the final dot: qr.example.com"),
    ("a" * 64 + ".example.com", "at most 63 characters"),
    (".".join(["a" * 60] * 5), "at most 253 characters"),
    ("qr_code.example.com", "letters, digits and hyphens only"),
    ("-qr.example.com", "a hyphen at neither end"),
    ("qr.example.com:0", "the port must be a number from 1 to 65535"),
    ("qr.example.com:65536", "the port must be a number from 1 to 65535"),
    ("qr.example.com:http", "the port must be a number from 1 to 65535"),
    ("qr.example.com:", "the port must be a number from 1 to 65535"),
    ("qr.example.com:８０", "the port must be a number from 1 to 65535"),
    ("::1", "write an IPv6 address in brackets: [::1]"),
    ("qr.example.com:80:80", "a host with at most one port"),
    ("[::1", "IPv6 address in brackets"),
    ("[::g]:80", "is not an IPv6 address"),
    ("[::1]x", "IPv6 address in brackets"),
    ("300.1.2.3", "is not an IPv4 address"),
    ("", "no domain"),
    ("bad\u200b.example", "control characters"),  # a zero-width space
])
def test_the_domain_checker_says_what_to_write_instead(value, words):
    from codeqr.domain.hostnames import normalise_domain

    with pytest.raises(ValueError) as raised:
        normalise_domain(value)
    assert words in str(raised.value)


@pytest.mark.parametrize("value, domain", [
    ("qr.example.com", "qr.example.com"),
    ("QR.Example.COM:8443", "qr.example.com:8443"),
    ("localhost:5000", "localhost:5000"),
    ("bücher.example", "xn--bcher-kva.example"),
    ("pаypal.example", "xn--pypal-4ve.example"),  # a Cyrillic "а": the punycode shows it is not "paypal"
    ("ｑｒ．ｅｘａｍｐｌｅ．ｃｏｍ", "qr.example.com"),  # full-width, as some keyboards type
    ("[2001:DB8:0::1]:8000", "[2001:db8::1]:8000"),
    ("192.0.2.10:080", "192.0.2.10:80"),
])
def test_the_domain_checker_writes_a_domain_one_way(value, domain):
    from codeqr.domain.hostnames import normalise_domain

    assert normalise_domain(value) == domain


@pytest.mark.parametrize("name, value, line", [
    ("CODEQR_DEFAULT_DOMAIN", "https://qr.example.com/", ("CODEQR_DEFAULT_DOMAIN='https://qr.example.com/': write the "
                                                          "host alone, without https:// or a path: qr.example.com "
                                                          "(CODEQR_SCHEME says http or https)")),
    ("CODEQR_DOMAINS", "go.example.com, qr example.com", ("CODEQR_DOMAINS has 'qr example.com': a domain has no spaces "
                                                         "or control characters: write one like qr.example.com")),
])
def test_a_bad_domain_stops_the_command_in_one_line(tmp_path, name, value, line):
    from servers import CODEQR, clean_env

    result = subprocess.run([CODEQR, "list-api-keys"], env=clean_env(CODEQR_INSTANCE_PATH=str(tmp_path), **{name: value}),
                            capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == f"CodeQR cannot start: {line}"


def test_an_international_domain_is_stored_and_linked_in_punycode(make_app):
    from api_client import authorized_client
    from codeqr.accounts import apikeys

    app = make_app(CODEQR_DEFAULT_DOMAIN="Bücher.Example", CODEQR_DOMAINS=["ｇｏ.example"])
    assert app.config["CODEQR_DOMAINS"] == ["xn--bcher-kva.example", "go.example"]
    with app.app_context():
        api = authorized_client(app, apikeys.create("t", ctx=for_operator())[1])
    created = api.post("/api/qrcodes", json={"url": "https://example.com/idn"}).get_json()
    assert created["shortLink"] == f"http://xn--bcher-kva.example/{created['key']}"
    assert app.test_client().get(f"/{created['key']}", headers={"Host": "xn--bcher-kva.example"}).status_code == 302


def test_every_thread_of_a_serving_process_has_a_connection_of_its_own(make_app):
    app = make_app(CODEQR_SERVE_THREADS=24)
    with app.app_context():
        # 24 request threads, the job runner and the enricher: none waits for a connection.
        assert db.engine.pool.size() >= 24 + 2


def test_a_plugin_setting_of_another_type_takes_its_default_and_values_of_that_type(tmp_path):
    from codeqr.config import build_config

    defaults = {"CODEQR_PLUGIN_MAP": {"a": 1}, "CODEQR_PLUGIN_PAIR": (1, 2)}
    config = build_config(str(tmp_path), {"CODEQR_PLUGIN_PAIR": (3, 4)}, defaults)
    assert config["CODEQR_PLUGIN_MAP"] == {"a": 1} and config["CODEQR_PLUGIN_PAIR"] == (3, 4)
