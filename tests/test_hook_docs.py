"""Every hook has its heading in docs/plugins.md and a test that exercises it."""

import inspect
from pathlib import Path

from codeqr import hookspecs

ROOT = Path(__file__).resolve().parent.parent
HOOKS = sorted(name for name, value in vars(hookspecs).items()
               if name.startswith("codeqr_") and inspect.isfunction(value))


def test_every_hookspec_has_a_docstring():
    assert HOOKS
    for name in HOOKS:
        assert len((getattr(hookspecs, name).__doc__ or "").strip()) > 40, name


def test_every_hook_has_a_heading_named_after_it():
    headings = {line[4:].strip() for line in (ROOT / "docs" / "plugins.md").read_text().splitlines()
                if line.startswith("### ")}
    assert sorted(set(HOOKS) - headings) == []
    assert sorted(headings - set(HOOKS)) == []  # no heading for a hook that is gone


def test_every_hook_is_exercised_by_a_test():
    """A hook counts as tested when a test module (this one aside) implements it by name."""
    sources = "\n".join(path.read_text() for path in (ROOT / "tests").glob("test_*.py")
                        if path.name != Path(__file__).name)
    untested = [name for name in HOOKS if not any(f"{name}{tail}" in sources for tail in ("(", "=", " ="))]
    assert untested == []
