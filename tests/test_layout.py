"""The package's shape: stages that import downwards only, one home per third-party library."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "deckgen"
# Each third-party library is wrapped by the modules named here and imported nowhere else.
WRAPPERS = {
    "yaml": {"compiler/yamlread.py"},
    "markdown_it": {"compiler/markdown.py"},
    "pygments": {"compiler/highlight.py"},
    "genanki": {"anki/package.py"},
    "watchfiles": {"commands/watch.py"},
    "zstandard": {"anki/apkg.py"},
    "tomllib": {"project/config.py"},
    "tomli": {"project/config.py"},
    "anki": {"anki/package_reader.py", "anki/collection.py"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside functions (type-checking imports aside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checking = {id(node) for stmt in ast.walk(tree) if isinstance(stmt, ast.If)
                and ast.unparse(stmt.test) == "TYPE_CHECKING" for node in ast.walk(stmt)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in checking:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_import_cycles_even_through_function_level_imports() -> None:
    modules = _modules()
    graph = {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for other in sorted(graph[name]):
            if state.get(other) == 1:
                raise AssertionError(" -> ".join(trail[trail.index(other):] + [other]) if other in trail
                                     else f"{name} -> {other}")
            if other not in state:
                visit(other, trail + [other])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_third_party_libraries_are_each_behind_their_own_modules() -> None:
    for name, path in _modules().items():
        relative = path.relative_to(PACKAGE).as_posix()
        for library, homes in WRAPPERS.items():
            used = any(m == library or m.startswith(library + ".") for m in _imports(path))
            assert not used or relative in homes, f"{relative} imports {library}"


def test_the_layout_stays_small_enough_to_read() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ("cli.py", "__main__.py", "__init__.py"))
    assert len(top) <= 10, top
    for path in PACKAGE.rglob("*.py"):
        lines = path.read_text(encoding="utf-8").count("\n")
        assert lines <= 420, f"{path.relative_to(PACKAGE)} has {lines} lines: split it along a responsibility"
