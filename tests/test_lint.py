"""Lint and types are part of the tests: ruff and mypy, configured in pyproject.toml."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=900)


def test_ruff_finds_nothing():
    result = _run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.xdist_group("mypy")
def test_mypy_finds_nothing():
    """Every module is typed: no module is set aside in pyproject.toml, and mypy finds nothing."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert "overrides" not in settings, "no module is set aside from type checking"
    result = _run("mypy", "--no-incremental")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_ruff_and_mypy_before_the_readme_test_command():
    """.ci/run fails on a finding before any test runs; its README command stays verbatim."""
    readme_command = re.search(r"## Test it\n\n```sh\n(.*)\n```", (ROOT / "README.md").read_text())[1]
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    tests = next(number for number, line in enumerate(lines) if line.startswith(readme_command + " "))
    for tool in (".venv/bin/ruff check", ".venv/bin/mypy"):
        number = next(number for number, line in enumerate(lines) if line.startswith(tool))
        assert number < tests, f"{tool} runs after the tests"
        assert not re.search(r"\|\||;|&$", lines[number]), f"{tool}'s finding must fail the run: {lines[number]}"
    assert "set -euo pipefail" in lines
