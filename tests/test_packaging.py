"""A plain ``pip install .`` into a fresh venv gives a working app, run from any folder."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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
