"""Compile an expression tree (census.domain.expr) into a Python predicate, once.

``evaluate`` walks the tree for every row; at 50,000 residents and twenty registers that
walk costs seconds. ``predicate`` turns the same tree into nested closures with exactly the
semantics of ``evaluate`` (tests compare the two), so a register count stays well under
a second.

``count`` does better still: a rule only reads a few fields, and those take few distinct
values (a residence type, an age, a set of conditions), so it asks the rule once per
distinct value and adds up how many rows hold each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from census.domain.expr import evaluate, variables

Env = dict[str, Any]
Fn = Callable[[Env], Any]


def _in(left: Any, right: Any) -> bool:
    return isinstance(right, list | tuple | str) and left is not None and left in right


def _order(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    try:
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        return bool(left >= right)
    except TypeError:
        return False


def _fast(tree: dict[str, Any]) -> Fn | None:
    """Shortcuts for the shapes registers use most: a field against a constant.

    Each returns exactly what the general closure would; they only skip a level of calls,
    which is most of the cost when a rule runs 50,000 times.
    """
    op, args = tree.get("op"), tree.get("args") or []
    if len(args) != 2:
        return None
    left, right = args
    if "var" in left and "const" in right:
        name, value = left["var"], right["const"]
        if op == "==":
            return lambda env: env.get(name) == value
        if op == "!=":
            return lambda env: env.get(name) != value
        if op in ("<", "<=", ">", ">=") and isinstance(value, int | float) and value is not None:
            return lambda env: _order(op, env.get(name), value)
    if op in ("in", "not in") and "const" in left and "var" in right:
        value, name = left["const"], right["var"]
        if value is None:
            return (lambda env: False) if op == "in" else (lambda env: True)

        def contains(env: Env) -> bool:
            found = env.get(name)
            return isinstance(found, list | tuple | str) and value in found

        return contains if op == "in" else (lambda env: not contains(env))
    if op in ("in", "not in") and "var" in left and "list" in right:
        if not all("const" in e for e in right["list"]):
            return None
        name, values = left["var"], [e["const"] for e in right["list"]]

        def member(env: Env) -> bool:
            found = env.get(name)
            return found is not None and found in values

        return member if op == "in" else (lambda env: not member(env))
    return None


# Operators of calculations (census.domain.expr), left to ``evaluate`` itself.
_CALCULATING = frozenset({"+", "-", "*", "/", "%", "neg", "if", "pluck"})


def compile_tree(tree: dict[str, Any]) -> Fn:
    """A function of the environment that returns what ``evaluate(tree, env)`` returns."""
    fast = _fast(tree)
    if fast is not None:
        return fast
    if "call" in tree or tree.get("op") in _CALCULATING:
        return lambda env: evaluate(tree, env)  # a survey's calculation: rare in a rule
    if "const" in tree:
        value = tree["const"]
        return lambda env: value
    if "var" in tree:
        name = tree["var"]
        return lambda env: env.get(name)
    if "list" in tree:
        items = [compile_tree(e) for e in tree["list"]]
        if all("const" in e for e in tree["list"]):
            constant = [e["const"] for e in tree["list"]]
            return lambda env: constant
        return lambda env: [f(env) for f in items]
    op = tree["op"]
    fns = [compile_tree(a) for a in tree["args"]]
    if op == "and":
        if len(fns) == 2:
            first, second = fns
            return lambda env: bool(first(env)) and bool(second(env))
        return lambda env: all(f(env) for f in fns)
    if op == "or":
        if len(fns) == 2:
            first, second = fns
            return lambda env: bool(first(env)) or bool(second(env))
        return lambda env: any(f(env) for f in fns)
    if op == "not":
        inner = fns[0]
        return lambda env: not inner(env)
    left, right = fns
    if op == "==":
        return lambda env: left(env) == right(env)
    if op == "!=":
        return lambda env: left(env) != right(env)
    if op == "in":
        return lambda env: _in(left(env), right(env))
    if op == "not in":
        return lambda env: not _in(left(env), right(env))
    return lambda env: _order(op, left(env), right(env))


def predicate(tree: dict[str, Any] | None) -> Callable[[Env], bool]:
    """A row filter from a compiled rule; no rule accepts every row.

    Operators already give True or False, so their closure is the filter itself (one call
    per row, not two); a bare field (``hardship``) is made a truth value.
    """
    if tree is None:
        return lambda env: True
    fn = compile_tree(tree)
    if "op" in tree:
        return fn
    return lambda env: bool(fn(env))


# ---------------------------------------------------------------- counting a whole list at once

_SEQUENCES = (list, tuple, str)
Mask = list[bool]


_LIST = object()  # marks a list turned into a tuple to be counted (a tuple is not a list)


def _hashable(value: Any) -> Any:
    return (_LIST, tuple(value)) if value.__class__ is list else value


def _original(key: Any) -> Any:
    return list(key[1]) if key.__class__ is tuple and key and key[0] is _LIST else key


class Columns:
    """The values of each field across a list of rows, each taken out once and shared.

    Subclasses may compute a field's values without the rows (``column``); ``rows`` is then
    only read by a rule that must see them one by one.
    """

    def __init__(self, rows: Sequence[Env]) -> None:
        self._rows = rows
        self._cache: dict[str, list[Any]] = {}
        self._tallies: dict[tuple[str, ...], Counter[Any] | None] = {}

    @property
    def rows(self) -> Sequence[Env]:
        """The rows themselves."""
        return self._rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, name: str) -> list[Any]:
        found = self._cache.get(name)
        if found is None:
            found = self._cache[name] = self.column(name)
        return found

    def column(self, name: str) -> list[Any]:
        """The values of one field, row by row (None where a row lacks it)."""
        return [row.get(name) for row in self.rows]

    def tally(self, names: tuple[str, ...]) -> Counter[Any] | None:
        """How many rows hold each combination of values of these fields.

        Lists are counted as tuples marked ``_LIST`` (``_original`` gives them back); None
        when some value cannot be counted (a dict, a list of lists).
        """
        if names not in self._tallies:
            columns = [self[name] for name in names]
            tally: Counter[Any] | None
            try:
                if len(columns) == 1:
                    try:
                        tally = Counter(columns[0])
                    except TypeError:  # lists among the values
                        tally = Counter(map(_hashable, columns[0]))
                else:
                    tally = Counter(zip(*(map(_hashable, v) for v in columns), strict=True))
            except TypeError:
                tally = None
            self._tallies[names] = tally
        return self._tallies[names]


def _mask(tree: dict[str, Any], cols: Columns) -> Mask | None:
    """True/False per row for the shapes registers use, or None for anything else.

    Each shape gives exactly the truth value of ``evaluate`` (tests compare them); the
    loops run inside list comprehensions instead of one closure call per row.
    """
    if "var" in tree:
        return [bool(v) for v in cols[tree["var"]]]
    if "const" in tree:
        return [bool(tree["const"])] * len(cols)
    op, args = tree.get("op"), tree.get("args") or []
    if op in ("and", "or"):
        maybe = [_mask(a, cols) for a in args]
        masks = [m for m in maybe if m is not None]
        if len(masks) < len(maybe):
            return None
        combined = masks[0]
        for m in masks[1:]:
            combined = (
                [a and b for a, b in zip(combined, m, strict=True)]
                if op == "and"
                else [a or b for a, b in zip(combined, m, strict=True)]
            )
        return combined
    if op == "not":
        inner = _mask(args[0], cols)
        return None if inner is None else [not v for v in inner]
    if len(args) != 2:
        return None
    left, right = args
    if "var" in left and "const" in right:
        col, value = cols[left["var"]], right["const"]
        if op == "==":
            return [v == value for v in col]
        if op == "!=":
            return [v != value for v in col]
        if op in ("<", "<=", ">", ">=") and isinstance(value, int | float):
            try:
                if op == ">=":
                    return [v is not None and v >= value for v in col]
                if op == ">":
                    return [v is not None and v > value for v in col]
                if op == "<=":
                    return [v is not None and v <= value for v in col]
                return [v is not None and v < value for v in col]
            except TypeError:  # a text where a number was expected: rows decide one by one
                return None
    if op in ("in", "not in") and "const" in left and "var" in right:
        value, col = left["const"], cols[right["var"]]
        found = (
            [False] * len(col)
            if value is None
            else [isinstance(v, _SEQUENCES) and value in v for v in col]
        )
        return found if op == "in" else [not v for v in found]
    if op in ("in", "not in") and "var" in left and "list" in right:
        if not all("const" in e for e in right["list"]):
            return None
        col, values = cols[left["var"]], [e["const"] for e in right["list"]]
        found = [v is not None and v in values for v in col]
        return found if op == "in" else [not v for v in found]
    return None


def _by_values(tree: dict[str, Any], cols: Columns) -> int | None:
    """The count from the rule asked once per distinct value of the fields it reads.

    The rule reads its fields and nothing else, so rows holding equal values get the same
    answer. (Python's ``1 == 1.0 == True`` share one count: no operator of the language
    tells them apart.) None when the values cannot be counted, or are nearly all
    different, where a mask is cheaper.
    """
    names = tuple(sorted(variables(tree)))
    if not names:
        return None
    tally = cols.tally(names)
    if tally is None or 4 * len(tally) > len(cols) + 16:
        return None
    accepts = predicate(tree)
    if len(names) == 1:
        (name,) = names
        return sum(n for key, n in tally.items() if accepts({name: _original(key)}))
    return sum(
        n for key, n in tally.items() if accepts(dict(zip(names, map(_original, key), strict=True)))
    )


def count(
    tree: dict[str, Any] | None, rows: Sequence[Env] | None = None, cols: Columns | None = None
) -> int:
    """How many rows a rule accepts: ``sum(map(predicate(tree), rows))``, faster.

    Give the rows, or their ``Columns`` (shared between rules), or both.
    """
    if cols is None:
        cols = Columns(rows if rows is not None else [])
    if tree is None:
        return len(cols)
    found = _by_values(tree, cols)
    if found is not None:
        return found
    mask = _mask(tree, cols)
    if mask is not None:
        return sum(mask)
    return sum(map(predicate(tree), cols.rows if rows is None else rows))
