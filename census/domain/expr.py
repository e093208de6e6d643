"""A tiny, safe expression language for skip logic and register rules.

``housing == "rented"``, ``residence_type in ["floating"]``, ``"disability" in conditions``,
``age >= 60 and status == "active"``. Expressions are parsed with Python's own parser,
restricted to a whitelist of nodes, and compiled to a JSON tree: the server evaluates the
tree here and the browser evaluates the very same tree (static/forms.js), so skip logic
cannot drift between the two.
"""

from __future__ import annotations

import ast
from typing import Any

_COMPARE = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}


class ExpressionError(ValueError):
    """An expression uses something the language does not have."""


def compile_expr(source: str) -> dict[str, Any]:
    """Parse ``source`` into a JSON-serialisable tree, or raise ExpressionError."""
    try:
        node = ast.parse(source.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error in “{source}”: {exc.msg}") from None
    return _tree(node, source)


def _tree(node: ast.AST, source: str) -> dict[str, Any]:
    if isinstance(node, ast.BoolOp):
        op = "and" if isinstance(node.op, ast.And) else "or"
        return {"op": op, "args": [_tree(v, source) for v in node.values]}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return {"op": "not", "args": [_tree(node.operand, source)]}
    if isinstance(node, ast.Compare):
        # a < b < c becomes (a < b) and (b < c), as in Python.
        parts, left = [], node.left
        for cmp, right in zip(node.ops, node.comparators, strict=True):
            if type(cmp) not in _COMPARE:
                raise ExpressionError(f"operator not allowed in “{source}”")
            parts.append(
                {"op": _COMPARE[type(cmp)], "args": [_tree(left, source), _tree(right, source)]}
            )
            left = right
        return parts[0] if len(parts) == 1 else {"op": "and", "args": parts}
    if isinstance(node, ast.Name):
        return {"var": node.id}
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float | bool | None):
        return {"const": node.value}
    if isinstance(node, ast.List | ast.Tuple):
        return {"list": [_tree(e, source) for e in node.elts]}
    raise ExpressionError(f"“{ast.unparse(node)}” is not allowed in “{source}”")


def variables(tree: dict[str, Any]) -> set[str]:
    """The names an expression reads (to check them against the form's fields)."""
    if "var" in tree:
        return {tree["var"]}
    found: set[str] = set()
    for child in tree.get("args", []) + tree.get("list", []):
        found |= variables(child)
    return found


def evaluate(tree: dict[str, Any], env: dict[str, Any]) -> Any:
    """Evaluate a compiled tree; a missing name or a comparison with None is simply false."""
    if "const" in tree:
        return tree["const"]
    if "var" in tree:
        return env.get(tree["var"])
    if "list" in tree:
        return [evaluate(e, env) for e in tree["list"]]
    op, args = tree["op"], tree["args"]
    if op == "and":
        return all(evaluate(a, env) for a in args)
    if op == "or":
        return any(evaluate(a, env) for a in args)
    if op == "not":
        return not evaluate(args[0], env)
    left, right = evaluate(args[0], env), evaluate(args[1], env)
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op in ("in", "not in"):
        found = isinstance(right, list | tuple | str) and left is not None and left in right
        return found if op == "in" else not found
    if left is None or right is None:
        return False
    try:
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    except TypeError:
        return False
