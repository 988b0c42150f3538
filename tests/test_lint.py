"""Lint and types are part of the tests: ruff and mypy, configured in pyproject.toml."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    result = _run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.xdist_group("mypy")
def test_mypy_finds_nothing():
    result = _run("mypy", "--no-incremental")
    assert result.returncode == 0, result.stdout + result.stderr
