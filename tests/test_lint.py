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
def test_mypy_finds_nothing_outside_the_modules_still_being_typed(tmp_path):
    """One mypy run over everything: errors only in the modules pyproject.toml still lists,
    and each listed module still has some (a module that became clean leaves the list)."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    pending = {module for override in settings.pop("overrides", []) for module in override["module"]}
    lines = [f"{name} = {_toml(value)}" for name, value in settings.items()]
    config = tmp_path / "mypy.toml"
    config.write_text("[tool.mypy]\n" + "\n".join(lines) + "\n")
    result = _run("mypy", "--no-incremental", "--config-file", str(config))
    failing = {_module(path) for path in re.findall(r"^([\w/]+\.py):\d+: error:", result.stdout, re.M)}
    assert failing <= pending, result.stdout
    assert not pending - failing, f"now clean, remove from pyproject.toml's list: {sorted(pending - failing)}"


def _toml(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return f'"{value}"'


def _module(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


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
