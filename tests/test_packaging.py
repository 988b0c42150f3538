"""A plain ``pip install .`` into a fresh venv gives a working app, run from any folder."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from servers import clean_env, free_port, wait_until_answering

ROOT = Path(__file__).resolve().parent.parent
#: One worker runs them all: the virtual environment they share is built once.
pytestmark = pytest.mark.xdist_group("installed-venv")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # Build from a copy: pip writes build/ into the source folder, and parallel test
    # workers must not share it.
    source = tmp_path_factory.mktemp("source") / "codeqr"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "test-artifacts", "examples", "__pycache__", "instance"))
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, str(source)], check=True, cwd=tmp_path_factory.mktemp("elsewhere"))
    return venv


def _site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def test_no_generic_plugins_package_is_installed(installed):
    site = _site_packages(installed)
    assert not (site / "plugins").exists()
    assert not (site / "templates").exists()
    assert (site / "codeqr_plugins" / "logo.png").is_file()
    assert (site / "codeqr_templates" / "404.html").is_file()
    assert (site / "codeqr" / "migrations" / "0001_initial.py").is_file()


def test_every_static_file_and_template_is_installed(installed):
    site = _site_packages(installed)
    for folder, installed_as in ((ROOT / "codeqr" / "static", site / "codeqr" / "static"),
                                 (ROOT / "templates", site / "codeqr_templates")):
        shipped = {path.relative_to(folder) for path in folder.rglob("*.*") if "__pycache__" not in path.parts}
        assert shipped and {path for path in shipped if not (installed_as / path).is_file()} == set(), folder


def test_the_installed_metadata_carries_the_licence(installed):
    dist_info = next(_site_packages(installed).glob("codeqr-*.dist-info"))
    metadata = (dist_info / "METADATA").read_text()
    assert "License-File: LICENSE" in metadata.splitlines()
    shipped = [path for path in dist_info.rglob("LICENSE") if path.is_file()]
    assert [path.read_bytes() for path in shipped] == [(ROOT / "LICENSE").read_bytes()]


def test_installed_command_works_from_any_folder(installed, tmp_path):
    env = {**os.environ, "CODEQR_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("PYTHONPATH", None)
    codeqr = str(installed / "bin" / "codeqr")
    listed = subprocess.run([codeqr, "plugins"], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    for name in ("png", "svg", "logo", "filesystem", "database"):
        assert f"{name} " in listed.stdout
    key = subprocess.run([codeqr, "create-api-key", "pkg"], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    script = textwrap.dedent(f"""
        from codeqr import create_app
        app = create_app()
        client = app.test_client()
        headers = {{"Authorization": "Bearer {key}"}}
        qr = client.post("/api/qrcodes", json={{"url": "https://example.com/", "showLogo": True}}, headers=headers)
        assert qr.status_code == 201, qr.data
        image = client.get("/qr/" + qr.get_json()["id"] + ".png")
        assert image.status_code == 200 and image.data.startswith(b"\\x89PNG")
        page = client.get("/missing-key")
        assert page.status_code == 404 and b"does not exist" in page.data
        import codeqr
        assert "site-packages" in codeqr.__file__
        print("ok")
    """)
    result = subprocess.run([str(installed / "bin" / "python"), "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


def _serving(command: list[str], port: int, cwd: Path, env: dict) -> subprocess.Popen:
    """Start a server and wait until it answers; the caller stops it."""
    server = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/healthz", server)
    except AssertionError:
        server.kill()
        raise
    return server


def test_codeqr_serve_from_any_folder_creates_scans_and_renders(installed, tmp_path):
    import requests

    from decode import decode

    env = clean_env(CODEQR_SERVE_WORKERS="2")
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir(), there.mkdir()
    port = free_port()
    codeqr = str(installed / "bin" / "codeqr")
    server = _serving([codeqr, "serve", "--port", str(port)], port, here, env)
    try:
        # Another folder, the same instance: the one inside the virtual environment.
        made = subprocess.run([codeqr, "create-api-key", "served"], cwd=there, env=env, capture_output=True,
                              text=True, check=True)
        assert f"CodeQR: instance {installed / 'var' / 'codeqr-instance'}" in made.stderr
        headers = {"Authorization": f"Bearer {made.stdout.strip().splitlines()[-1]}"}
        qr = requests.post(f"http://127.0.0.1:{port}/api/qrcodes", json={"url": "https://example.com/served"},
                           headers=headers, timeout=10).json()
        assert qr["shortLink"] == f"http://localhost:{port}/{qr['key']}"
        scan = requests.get(qr["shortLink"], allow_redirects=False, timeout=10)
        assert scan.status_code == 302 and scan.headers["Location"] == "https://example.com/served"
        image = requests.get(qr["image"], timeout=30)
        assert decode(image.content, image.headers["Content-Type"]) == [qr["shortLink"]]
        assert requests.get(f"http://127.0.0.1:{port}/api/qrcodes/{qr['id']}", headers=headers,
                            timeout=10).json()["scans"] == 1
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0]
    assert "Booting worker" in output and '"route": "/<key>", "status": 302' in output
    assert list(here.iterdir()) == [] and list(there.iterdir()) == []  # nothing written where it ran


def test_wsgi_app_is_importable_for_a_server_of_ones_own(installed, tmp_path):
    env = clean_env(CODEQR_INSTANCE_PATH=str(tmp_path / "instance"))
    port = free_port()
    gunicorn = [str(installed / "bin" / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"]
    server = _serving(gunicorn, port, tmp_path, env)
    server.terminate()
    server.communicate(timeout=60)
    example = subprocess.run([str(installed / "bin" / "codeqr"), "config-example"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, check=True).stdout
    assert "CODEQR_S3_BUCKET" in example and "CODEQR_DEFAULT_DOMAIN" in example


@pytest.mark.parametrize("config_py, settings, line", [
    ("", {"CODEQR_DEFAULT_DOMAIN": "https://qr.example.com/"}, "CODEQR_DEFAULT_DOMAIN='https://qr.example.com/': "
     "write the host alone, without https:// or a path: qr.example.com (CODEQR_SCHEME says http or https)"),
    ("", {"CODEQR_DOMAINS": "qr.example.com/path"}, "CODEQR_DOMAINS has 'qr.example.com/path': a short link is "
     "scheme://domain/key, so the domain has no path: write the host alone: qr.example.com"),
    ("CODEQR_SERVE_WORKERS = 'abc'\n", {}, "CODEQR_SERVE_WORKERS='abc': expected a whole number"),
    ("", {"CODEQR_SERVE_WORKERS": "abc"}, "CODEQR_SERVE_WORKERS='abc': expected a whole number"),
    ("CODEQR_SCHEME = 'https'\nCODEQR_DOMAINS = ['a.example',\n", {}, "{config}, line 2: '[' was never closed"),
])
def test_the_installed_command_refuses_a_bad_setting_in_one_line(installed, tmp_path, config_py, settings, line):
    instance = tmp_path / "instance"
    instance.mkdir()
    if config_py:
        (instance / "config.py").write_text(config_py)
    result = subprocess.run([str(installed / "bin" / "codeqr"), "list-api-keys"], cwd=tmp_path, capture_output=True,
                            env=clean_env(CODEQR_INSTANCE_PATH=str(instance), **settings), text=True, check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == "CodeQR cannot start: " + line.format(config=instance / "config.py")
