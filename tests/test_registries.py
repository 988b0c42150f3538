"""Job statuses and roles are defined once (``jobs.statuses.JobStatus``,
``permissions.Role``): no module or template compares, assigns or passes one spelled
as a string."""

import ast
import re
from pathlib import Path

import pytest

from codeqr.accounts.permissions import ROLES, Role, roles_to_offer
from codeqr.jobs.statuses import JobStatus

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "codeqr"


def _words(node) -> list[ast.Constant]:
    """The string constants ``node`` is, or holds as a tuple, list or set."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [element for element in node.elts if isinstance(element, ast.Constant)]
    return []


def _named(target, field: str) -> bool:
    name = target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute) else ""
    return field in name.lower()


def _spelled(tree: ast.AST, field: str, methods: tuple[str, ...]) -> list[ast.Constant]:
    """Constants used as values of ``field``: compared, assigned or looped over under its
    name, passed as its keyword (or a column's ``default``), or to one of ``methods``."""
    found: list[ast.Constant] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                found += _words(side)
        elif isinstance(node, ast.Call):
            found += [word for keyword in node.keywords if keyword.arg in (field, "default")
                      for word in _words(keyword.value)]
            if isinstance(node.func, ast.Attribute) and node.func.attr in methods:
                found += [word for argument in node.args for word in _words(argument)]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is not None and any(_named(target, field) for target in targets):
                found += _words(node.value)
        elif isinstance(node, ast.For) and _named(node.target, field):
            found += _words(node.iter)
        elif isinstance(node, ast.Dict):
            found += [word for key, value in zip(node.keys, node.values)
                      if isinstance(key, ast.Constant) and key.value == field for word in _words(value)]
    return found


def _modules(*defined_in: Path):
    for path in sorted(PACKAGE.rglob("*.py")):
        if path not in defined_in and "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(), str(path))


@pytest.mark.parametrize("values,field,methods,defined_in", [
    ({status.value for status in JobStatus}, "status", ("finish", "in_", "advance"), PACKAGE / "jobs" / "statuses.py"),
    (set(ROLES), "role", ("create", "set_role"), PACKAGE / "accounts" / "permissions.py"),
], ids=["job statuses", "roles"])
def test_no_module_spells_a_value_by_hand(values, field, methods, defined_in):
    found = [f"{path.relative_to(PACKAGE)}:{word.lineno} {word.value!r}"
             for path, tree in _modules(defined_in) for word in _spelled(tree, field, methods) if word.value in values]
    assert not found


def test_the_scan_finds_what_it_looks_for():
    """The check above on code that spells them, so it cannot pass by looking at nothing."""
    samples = {"job.status == 'done'", "model.status.in_(('queued', 'running'))", "x.values(status='expired')",
               "lease.finish('failed')", "for status in ('queued', 'failed'): pass", "{'status': 'done'}",
               "job_status = 'done'", "mapped_column(String(10), default='queued')"}
    for sample in samples:
        words = _spelled(ast.parse(sample), "status", ("finish", "in_"))
        assert {word.value for word in words} & {"done", "queued", "expired", "failed"}, sample
    unrelated = "{'failed': job.failed, 'done': 3}; print('done'); sa.Column('failed', sa.Integer())"
    assert _spelled(ast.parse(unrelated), "status", ("finish", "in_")) == []


def test_no_template_compares_a_job_status_or_role_spelled_by_hand():
    words = "|".join(sorted({status.value for status in JobStatus} | set(ROLES)))
    spelled = re.compile(rf"""(status|role)\s*(==|!=|in\b)[^%}}]*["']({words})["']""")
    found = [f"{path.name}: {match.group(0)}" for path in (ROOT / "templates").rglob("*.html")
             for match in spelled.finditer(path.read_text())]
    assert not found


def test_forms_offer_every_role_the_default_first():
    offered = roles_to_offer()
    assert offered[0] == Role.MEMBER and sorted(offered) == sorted(Role)
