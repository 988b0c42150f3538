"""Benchmarks that cannot rot: each one runs in its ``--quick`` mode, and no ``finally``
block in them can replace the error that stopped a run with one of its own."""

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS_FOLDER = Path(__file__).resolve().parent.parent / "benchmarks"


def _benchmark_module(name: str):
    """A module of benchmarks/, loaded by path: benchmarks/ is a folder of scripts, not a
    package, and its names (analytics, render…) must not shadow others on sys.path."""
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", BENCHMARKS_FOLDER / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _smoke_notice() -> str:
    return _benchmark_module("smoke").NOTICE


#: Every script of benchmarks/ that runs as a program; helper modules (bench_apps, smoke) do not.
BENCHMARKS = sorted(path for path in BENCHMARKS_FOLDER.glob("*.py") if '__name__ == "__main__"' in path.read_text())


def test_benchmarks_are_found():
    assert {"redirect.py", "render.py", "analytics.py"} <= {path.name for path in BENCHMARKS}
    assert "bench_apps.py" not in {path.name for path in BENCHMARKS}


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda path: path.stem)
def test_quick_run(script, postgres_admin_url, redis_url):
    """A few seconds on small data, exit status 0, and the figures announced as a smoke run."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("CODEQR_")}
    done = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True, text=True,
                          cwd=BENCHMARKS_FOLDER, env=environment, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{script.name} --quick exited with {done.returncode}:\n{output}"
    assert _smoke_notice() in done.stdout, f"{script.name} --quick did not say its figures are not results:\n{output}"


def bound(root: ast.AST, skip: ast.AST | None = None) -> set[str]:
    """Names that ``root`` binds (assignments, imports, arguments), outside ``skip``."""
    names, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node is skip:
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        stack.extend(ast.iter_child_nodes(node))
    return names


def unbound_in_finally(source: str) -> set[str]:
    """Names a ``finally`` block reads that only its ``try`` binds: unbound, hence a
    NameError replacing the first error, when the ``try`` stops before binding them."""
    found = set()
    tree = ast.parse(source)
    for scope in [tree, *(node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef))]:
        for statement in ast.walk(scope):
            if isinstance(statement, ast.Try) and statement.finalbody:
                read = {node.id for part in statement.finalbody for node in ast.walk(part)
                        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
                inside = set().union(*(bound(part) for part in statement.body + statement.handlers + statement.orelse))
                before = bound(scope, skip=statement) | set().union(*(bound(part) for part in statement.finalbody))
                found |= (read & inside) - before
    return found


def test_unbound_in_finally_finds_the_redirect_bug():
    source = (
        "def main():\n"
        "    servers = []\n"
        "    try:\n"
        "        seed()\n"
        "        drainers = {}\n"
        "        from codeqr.persistence.extensions import db\n"
        "    finally:\n"
        "        for drainer in drainers.values():\n"
        "            db.engine.dispose()\n"
        "        for server in servers:\n"
        "            server.terminate()\n"
    )
    assert unbound_in_finally(source) == {"drainers", "db"}


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda path: path.stem)
def test_no_finally_reads_a_name_its_try_may_not_have_bound(script):
    assert unbound_in_finally(script.read_text()) == set()


def test_a_failed_setup_ends_the_run_with_its_own_error():
    """The issue's case: redirect.py failing before its servers start reports that failure,
    not an UnboundLocalError of its cleanup (here: no PostgreSQL server on port 1)."""
    done = subprocess.run([sys.executable, str(BENCHMARKS_FOLDER / "redirect.py"), "--quick", "--db", "postgres",
                           "--postgres-url", "postgresql://postgres@127.0.0.1:1/postgres"],
                          capture_output=True, text=True, cwd=BENCHMARKS_FOLDER, timeout=120)
    assert done.returncode != 0
    assert "psycopg.OperationalError: connection failed" in done.stderr, done.stderr
    assert "During handling of the above exception, another exception occurred" not in done.stderr, done.stderr


def test_each_link_scenario_of_the_redirect_benchmark_gets_what_it_measures(api, client):
    """The QR Codes redirect.py seeds, scanned by the phones wrk plays (random_keys.lua): 20 rules
    none of which matches (so the scan goes to the code's url after trying all of them), a split
    between /a and /b, a password page that counts nothing."""
    bench_links = _benchmark_module("bench_links")
    agents = re.findall(r'"(Mozilla/5\.0 [^"]+)"', (BENCHMARKS_FOLDER / "random_keys.lua").read_text())
    assert len(agents) == 4
    for scenario in ("plain", "rules", "split", "password"):
        body = bench_links.items(scenario, 7, 1)[0]
        assert body["url"] == f"https://example.com/{scenario}/7"
        created = api.post("/api/qrcodes", json=body)
        assert created.status_code == 201, created.get_json()
        qr = created.get_json()
        answers = [client.get(f"/{qr['key']}", headers={"User-Agent": agent, "Accept-Language": "de-DE,de;q=0.9,en;q=0.8"})
                   for agent in agents]
        if scenario == "password":
            assert [answer.status_code for answer in answers] == [200] * 4
            assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] == 0
            continue
        assert [answer.status_code for answer in answers] == [302] * 4
        allowed = {"plain": {"https://example.com/plain/7"}, "rules": {"https://example.com/rules/7"},
                   "split": {"https://example.com/split/7/a", "https://example.com/split/7/b"}}[scenario]
        assert {answer.headers["Location"] for answer in answers} <= allowed
        assert api.get(f"/api/qrcodes/{qr['id']}").get_json()["scans"] == 4
    assert len(bench_links.twenty_rules("https://example.com/x")) == 20
