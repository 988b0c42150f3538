"""Every hook has its section in docs/plugins.md, with the hookspec's exact arguments,
in the hookspecs' order, and a test that exercises it (as Datasette checks its hooks)."""

import inspect
import re
from pathlib import Path

from codeqr import hookspecs

ROOT = Path(__file__).resolve().parent.parent
HOOKS = [name for name, value in vars(hookspecs).items() if name.startswith("codeqr_") and inspect.isfunction(value)]


def _documented() -> dict[str, list[str]]:
    """Hook name -> the arguments its section's first line gives: `codeqr_x(a, b) -> …`."""
    text = (ROOT / "docs" / "plugins.md").read_text()
    sections = re.findall(r"^### (\w+)\n\n`(\w+)\(([^)]*)\)", text, flags=re.MULTILINE)
    documented = {}
    for heading, name, arguments in sections:
        assert heading == name, f"the section {heading} documents {name}"
        documented[name] = [argument.strip() for argument in arguments.split(",") if argument.strip()]
    headings = re.findall(r"^### (\S+)", text, flags=re.MULTILINE)
    assert headings == list(documented), "every hook section starts with its signature"
    return documented


def test_every_hookspec_has_a_docstring():
    assert HOOKS
    for name in HOOKS:
        assert len((getattr(hookspecs, name).__doc__ or "").strip()) > 40, name


def test_every_hook_has_a_section_with_its_arguments_in_order():
    documented = _documented()
    assert list(documented) == HOOKS  # the same hooks, in the same order
    for name in HOOKS:
        assert documented[name] == list(inspect.signature(getattr(hookspecs, name)).parameters), name


def test_every_hook_is_exercised_by_a_test():
    """A hook counts as tested when a test module (this one aside) implements it by name."""
    sources = "\n".join(path.read_text() for path in (ROOT / "tests").glob("test_*.py")
                        if path.name != Path(__file__).name)
    untested = [name for name in HOOKS if not any(f"{name}{tail}" in sources for tail in ("(", "=", " ="))]
    assert untested == []
