"""The package layout stays one-way: codeqr's modules import each other without cycles."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _imports(node: ast.AST):
    """Every import below ``node``, module- or function-level, except under ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if _is_type_checking(child):
            for other in child.orelse:
                yield from _imports(ast.Module(body=[other], type_ignores=[]))
        elif isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        else:
            yield from _imports(child)


def _imported(name: str, is_package: bool, node: ast.Import | ast.ImportFrom, modules) -> set[str]:
    """The modules one import statement loads: ``from package import module`` loads the module,
    ``from module import name`` the module."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = node.module or ""
    if node.level:
        package = name.split(".") if is_package else name.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
    return {f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names}


def sources(package: Path) -> dict[str, Path]:
    """The importable modules of ``package`` (not data such as ``config.example.py``), by name."""
    return {_module_name(path, package.parent): path for path in package.rglob("*.py") if path.stem.isidentifier()}


def import_graph(package: Path) -> dict[str, set[str]]:
    """Each module of ``package`` and the modules of it that it imports, read from the source.
    A package importing its own submodules (to register them) is not an edge: they import it."""
    paths = sources(package)
    graph = {}
    for name, path in paths.items():
        found = set()
        for node in _imports(ast.parse(path.read_text(), str(path))):
            found |= _imported(name, path.name == "__init__.py", node, paths)
        graph[name] = {target for target in found & paths.keys()
                       if target != name and not target.startswith(f"{name}.")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = stack[stack.index(node):]
            del stack[stack.index(node):]
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_codeqr_has_no_import_cycles():
    found = cycles(import_graph(ROOT / "codeqr"))
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(cycle) for cycle in found)


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path / "pkg"


def test_every_kind_of_import_makes_an_edge(tmp_path):
    package = _package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "import pkg.b\n",
        "pkg/b.py": "def later():\n    from .sub import c\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/c.py": "from .. import d\n",
        "pkg/d.py": "from pkg.e import thing\n",
        "pkg/e.py": "from . import a\nthing = 1\n",
    })
    assert cycles(import_graph(package)) == [["pkg.a", "pkg.b", "pkg.d", "pkg.e", "pkg.sub.c"]]


def test_type_checking_imports_and_a_package_registering_its_modules_are_no_cycles(tmp_path):
    package = _package(tmp_path, {
        "pkg/__init__.py": "from . import a, b\n",
        "pkg/a.py": "from typing import TYPE_CHECKING\nfrom . import b\n",
        "pkg/b.py": "import typing\nif typing.TYPE_CHECKING:\n    from .a import A\nelse:\n    from pkg import x\n",
        "pkg/x.py": "",
    })
    assert import_graph(package) == {"pkg": set(), "pkg.a": {"pkg.b"}, "pkg.b": {"pkg.x"}, "pkg.x": set()}
    assert cycles(import_graph(package)) == []


def test_the_readme_says_what_each_package_holds():
    layout = (ROOT / "README.md").read_text().split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    packages = sorted(path.parent.name for path in (ROOT / "codeqr").glob("*/__init__.py"))
    assert [name for name in packages if f"`codeqr/{name}/`" not in layout] == []
