"""One ``ast.parse`` at a time in this process, on the CPython versions that need it.

CPython 3.11 before 3.11.8 (and 3.12 before 3.12.2) kept the AST constructor's recursion
depth in one counter for the whole interpreter (python/cpython#106905). When a garbage
collection ran Python code in the middle of one thread's ``ast.parse`` and another thread
parsed at that moment, the counter went wrong and the parse failed with ``SystemError: AST
constructor recursion depth mismatch``. Werkzeug parses while it adds each URL rule (an
app made for a community as another is made, or as a staff survey's expressions are
compiled), and so does ``census.domain.expr``: a street server's request failed with a
503 now and then. ``install`` (done when ``census`` is imported) puts a lock around
``ast.parse`` there; on fixed versions it does nothing.
"""

from __future__ import annotations

import ast
import functools
import sys
import threading
from typing import Any

_LOCK = threading.RLock()


def affected(version: tuple[int, ...] = tuple(sys.version_info[:3])) -> bool:
    """Does this CPython share the AST constructor's counter between threads?"""
    return (3, 11) <= version < (3, 11, 8) or (3, 12) <= version < (3, 12, 2)


def install() -> None:
    """Serialize ``ast.parse`` if this interpreter needs it (once; idempotent)."""
    if not affected() or getattr(ast.parse, "one_at_a_time", False):
        return
    unguarded = ast.parse

    @functools.wraps(unguarded)
    def parse(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return unguarded(*args, **kwargs)

    parse.one_at_a_time = True  # type: ignore[attr-defined]
    ast.parse = parse
