"""The README's command blocks, pasted in order into a copy of the checkout, work: the
development server, the API example with its key, the production server, PostgreSQL."""

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
import requests

from codeqr.instance import CHECKOUT_FILES
from servers import clean_env, port_setting, wait_until_answering

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
#: The test command's block: CI runs it verbatim (.ci/run); running it here would recurse.
BLOCKS = [block for block in re.findall(r"```sh\n(.*?)```", README, re.S) if "pytest" not in block]
SERVERS = re.compile(r"codeqr (run|serve)\b")


def test_the_readme_has_the_blocks_this_test_runs():
    assert [bool(SERVERS.search(block.strip().splitlines()[-1])) for block in BLOCKS] == [True, False, True, False]


def _checkout_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "codeqr"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "test-artifacts", "__pycache__", "instance"))
    # instance/ as git checks it out: its README and .gitignore, none of this checkout's data.
    shutil.copytree(ROOT / "instance", copy / "instance", ignore=lambda _folder, names: set(names) - CHECKOUT_FILES)
    return copy


def _on_port(block: str, written: str, instead: str) -> str:
    """The block with the README's port replaced by the test's (another suite may use the README's)."""
    assert written in block, f"{written!r} is no longer in the README's block:\n{block}"
    return block.replace(written, instead)


def _start(block: str, cwd: Path, env: dict, port: int) -> subprocess.Popen:
    # A server already on the port would answer in the block's place.
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} is taken; stop what listens there"
    return subprocess.Popen(["bash", "-euo", "pipefail", "-c", block], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _stop(server: subprocess.Popen) -> str:
    os.killpg(server.pid, signal.SIGTERM)
    return server.communicate(timeout=60)[0]


def _run(block: str, cwd: Path, env: dict) -> str:
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, f"{block}\nfailed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.postgres
def test_the_readme_blocks_work_pasted_in_order(tmp_path, postgres_admin_url):
    checkout = _checkout_copy(tmp_path)
    env = clean_env()
    develop, api, production, postgres = BLOCKS
    # Free ports, or those CODEQR_TEST_RUN_PORT and CODEQR_TEST_SERVE_PORT name (5000, 8000: the blocks as written).
    run_port, serve_port = port_setting("CODEQR_TEST_RUN_PORT"), port_setting("CODEQR_TEST_SERVE_PORT")
    develop = _on_port(develop, "codeqr run\n", f"codeqr run --port {run_port}\n")
    api = _on_port(api, "localhost:5000/", f"localhost:{run_port}/")
    production = _on_port(production, "--port 8000\n", f"--port {serve_port}\n")

    server = _start(develop, checkout, env, run_port)
    try:
        wait_until_answering(f"http://localhost:{run_port}/healthz", server, seconds=300)
        answer = _run(api, checkout, env)
        created = json.loads(answer.splitlines()[0])
        check = _run(".venv/bin/codeqr create-api-key check | tail -n 1", checkout, env).strip()
        counted = requests.get(f"http://localhost:{run_port}/api/qrcodes/{created['id']}", timeout=10,
                               headers={"Authorization": f"Bearer {check}"}).json()["scans"]
    finally:
        output = _stop(server)
    assert f'"shortLink":"http://localhost:{run_port}/spring"' in answer.replace(" ", "")
    assert answer.strip().splitlines()[-1] == "302 https://example.com/spring" and counted == 1
    assert f"CodeQR: instance {checkout / 'instance'}" in output
    assert (checkout / "instance" / "codeqr.db").is_file()
    assert stat.S_IMODE((checkout / "instance").stat().st_mode) == 0o700

    server = _start(production, checkout, env, serve_port)
    try:
        wait_until_answering(f"http://127.0.0.1:{serve_port}/healthz", server)
        secret = _run(".venv/bin/codeqr create-api-key production | tail -n 1", checkout, env).strip()
        created = requests.post(f"http://127.0.0.1:{serve_port}/api/qrcodes", json={"url": "https://example.com/live"},
                                headers={"Authorization": f"Bearer {secret}"}, timeout=10).json()
        # As the proxy passes it on: the public host and scheme in X-Forwarded-*.
        scan = requests.get(f"http://127.0.0.1:{serve_port}/{created['key']}", allow_redirects=False, timeout=10,
                            headers={"X-Forwarded-Host": "qr.example.com", "X-Forwarded-Proto": "https",
                                     "X-Forwarded-For": "203.0.113.9"})
    finally:
        output = _stop(server)
    assert created["shortLink"] == f"https://qr.example.com/{created['key']}"
    assert scan.status_code == 302 and scan.headers["Location"] == "https://example.com/live"
    assert f'"path": "/{created["key"]}"' in output and '"remote": "203.0.113.9"' in output  # its log line
    assert "short links use https://qr.example.com/" in output and "development default" not in output

    database = f"codeqr_readme_{uuid.uuid4().hex[:8]}"  # the block's own name would meet a real one
    try:
        _run(postgres.replace(" codeqr\n", f" {database}\n").replace("5432/codeqr ", f"5432/{database} "), checkout, env)
        with psycopg.connect(f"{postgres_admin_url.rsplit('/', 1)[0]}/{database}") as connection:
            tables = {row[0] for row in connection.execute("SELECT tablename FROM pg_tables")}
        assert {"qrcodes", "api_keys", "import_jobs"} <= tables
    finally:
        with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
