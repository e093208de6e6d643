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


# What the outputs and entry points may take from census.store: its error types (to answer
# a refused write: 409, 422, "disk full"), the Store type for annotations, and the schema
# a PostgreSQL URL names (or is given). Reading and writing documents is the business of
# census/services and census/queries.
STORE_NAMES_ALLOWED = frozenset(
    {"Store", "StoreError", "Conflict", "DuplicateKey", "StoreFull", "StoreLocked", "is_disk_full"}
    | {"schema_of", "with_search_path"}  # where a database URL's tables are: no reading
)
OUTPUTS = ("census/web", "census/cli", "census/printing", "census/sheets", "census/street")
# Modules of those layers that still read the store themselves, and why (none now). Each
# one is a known debt: when it is paid, its row goes (the test says so).
STORE_CALLS_LEFT: dict[str, str] = {}


def _store_uses(path: Path) -> list[str]:
    """What a file takes from the store beyond its error types: imports and ``.collection(``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.startswith("census.store")]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "census":
                found += [f"from census import {a.name}" for a in node.names if a.name == "store"]
            elif node.module.startswith("census.store"):
                found += [
                    f"from {node.module} import {a.name}"
                    for a in node.names
                    if node.module != "census.store" or a.name not in STORE_NAMES_ALLOWED
                ]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "collection"
        ):
            found.append(f"line {node.lineno}: .collection(...)")
    return found


def _store_users(folders: tuple[str, ...]) -> dict[str, list[str]]:
    paths = [p for folder in folders for p in sorted((PACKAGE.parent / folder).rglob("*.py"))]
    return {_module_name(p): uses for p in paths if (uses := _store_uses(p))}


def test_outputs_read_and_write_only_through_services_and_queries():
    """No module of web/, cli/, printing/ or sheets/ imports the store (beyond its error types
    and its type) or calls ``.collection(``, apart from the debts listed with their reason."""
    found = _store_users(OUTPUTS)
    unlisted = {name: uses for name, uses in found.items() if name not in STORE_CALLS_LEFT}
    assert unlisted == {}, "read through census/queries, write through census/services"
    paid = sorted(set(STORE_CALLS_LEFT) - set(found))
    assert paid == [], "these read the store no more: take their rows out of STORE_CALLS_LEFT"


def test_the_store_use_finder_finds_them(tmp_path):
    source = tmp_path / "view.py"
    source.write_text(
        "from census.store import Conflict, Store\n"
        "from census.store.tinystore import TinyStore\n"
        "from census import store\n"
        "import census.store.pgstore\n"
        "def page(s):\n"
        "    return s.collection('households').scan()\n",
        encoding="utf-8",
    )
    assert _store_uses(source) == [
        "from census.store.tinystore import TinyStore",
        "from census import store",
        "import census.store.pgstore",
        "line 6: .collection(...)",
    ]


DRIVERS = ("tinydb", "psycopg", "psycopg_pool", "procrastinate")


def test_only_the_store_imports_the_database_libraries():
    """TinyDB, psycopg and the task queue's library are the store's business alone."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(PACKAGE / "store"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [f"{_module_name(path)}: {n}" for n in names if n.split(".")[0] in DRIVERS]
    assert found == []
