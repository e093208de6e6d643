"""Two threads inside ast.parse at once, made to happen for sure: thread A is held in the
middle of building its tree (by a collection's callback) while thread B parses. On the
CPython versions whose AST constructor shares one counter between threads
(python/cpython#106905) A's parse then fails with SystemError; with census imported it
never does."""

from __future__ import annotations

import ast
import gc
import threading
import time
from collections.abc import Callable
from typing import Any

import census  # noqa: F401  (the guard is installed on import)
from census.util import astguard

SOURCE = "[" + ", ".join(f"[a{i}, [b{i}]]" for i in range(300)) + "]"


def _interleaved(parse: Callable[..., Any]) -> list[str]:
    """Parse SOURCE in threads A and B, A held at its 20th collection until B is at its
    own 20th (or a second went by); the SystemErrors they met."""
    a_inside, b_inside = threading.Event(), threading.Event()
    collections = {"a": 0, "b": 0}
    parsing: dict[int, str] = {}
    failed: list[str] = []

    def held(phase: str, info: dict[str, Any]) -> None:
        who = parsing.get(threading.get_ident())
        if phase != "start" or who is None:
            return
        collections[who] += 1
        if collections[who] == 20 and who == "a":
            a_inside.set()
            b_inside.wait(1)
        elif collections[who] == 20:
            b_inside.set()
            time.sleep(0.3)

    def run(who: str) -> None:
        if who == "b":
            a_inside.wait(5)
        parsing[threading.get_ident()] = who
        try:
            parse(SOURCE)
        except SystemError as exc:
            failed.append(f"{who}: {exc}")
        finally:
            parsing.pop(threading.get_ident())

    thresholds = gc.get_threshold()
    gc.collect()
    gc.callbacks.append(held)
    gc.set_threshold(1, 1000, 1000)  # a collection every other allocation
    try:
        threads = [threading.Thread(target=run, args=(who,)) for who in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        gc.set_threshold(*thresholds)
        gc.callbacks.remove(held)
    return failed


def test_two_threads_parsing_at_once_never_fail():
    assert _interleaved(ast.parse) == []


def test_without_the_guard_they_fail_where_it_is_installed():
    if astguard.affected():  # this CPython has the bug: the test above means something
        unguarded = ast.parse.__wrapped__  # type: ignore[attr-defined]
        assert any("recursion depth mismatch" in f for f in _interleaved(unguarded))
    else:
        assert not getattr(ast.parse, "one_at_a_time", False)


def test_the_guard_is_there_exactly_where_it_is_needed():
    assert astguard.affected((3, 11, 7)) and astguard.affected((3, 12, 1))
    assert not astguard.affected((3, 11, 8)) and not astguard.affected((3, 13, 0))
    assert getattr(ast.parse, "one_at_a_time", False) == astguard.affected()
    assert isinstance(ast.parse("1 + 2", mode="eval").body.op, ast.Add)
