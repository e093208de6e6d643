"""The import rules between layers (docs/architecture.md), read from the source with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

import census

PACKAGE = Path(census.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every ``census`` module this file imports, at the top, in a function or for types."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("census.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("census"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: _imports(path) & modules.keys() for name, path in modules.items()}


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        for nxt in graph.get(name, ()):
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def _circles(prefixes: tuple[str, ...]) -> list[tuple[str, str]]:
    graph = _graph()
    return sorted(
        (name, other)
        for name, targets in graph.items()
        if name.startswith(prefixes)
        for other in targets
        if other != name and _reaches(graph, other, name)
    )


def test_no_import_circle_through_the_read_models_or_the_context():
    """Nothing the read models or the context import leads back to them (types included)."""
    assert _circles(("census.queries", "census.context")) == []


def test_the_circle_finder_finds_one():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _reaches(graph, "b", "a") and not _reaches(graph, "a", "d")
