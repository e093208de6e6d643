"""XLSForm expressions (a small part of XPath) -> our expression language, or our form rules.

``relevant``: ``${f} = 'x'``, ``!=``, comparisons, ``and``/``or``/``not()``,
``selected(${f}, 'x')`` and ``true()``/``false()`` become the expressions of
census/domain/expr.py, which the server and the browser (static/forms.js) evaluate alike.
``constraint``: what our forms can check in both places — ``. >= n``, ``. <= n`` on an
integer, ``. <= today()`` on a date, ``string-length(.) <= n`` and ``regex(., '…')`` on a
text — joined with ``and``. Anything else raises ``Unsupported``.
"""

from __future__ import annotations

import json
import re
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
      \$\{(?P<ref>[^}]*)\}
    | (?P<str>'[^']*'|"[^"]*")
    | (?P<num>\d+(?:\.\d+)?)
    | (?P<op><=|>=|!=|=|<|>)
    | (?P<lp>\() | (?P<rp>\)) | (?P<comma>,)
    | (?P<word>[A-Za-z_][\w:.-]*)
    | (?P<dot>\.(?![\w.]))
    | (?P<bad>\S+?)
    )""",
    re.VERBOSE,
)


class Unsupported(Exception):
    def __init__(self, part: str):
        super().__init__(part)
        self.part = part


def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        kind = m.lastgroup or "bad"
        value = m.group(kind)
        if kind == "word" and value.lower() in ("and", "or"):
            kind = value.lower()
        if kind == "bad" or (kind == "word" and value in ("div", "mod")):
            raise Unsupported(value)
        out.append((kind, value))
    return out


class Parser:
    """XLSForm expressions (a part of XPath) -> a small tree: or, and, not, cmp, calls, values."""

    def __init__(self, text: str):
        self.items = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str]:
        return self.items[self.pos] if self.pos < len(self.items) else ("end", "")

    def take(self, kind: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "end" or (kind and token[0] != kind):
            raise Unsupported(token[1] or "…")
        self.pos += 1
        return token

    def parse(self) -> tuple:
        tree = self.or_()
        if self.peek()[0] != "end":
            raise Unsupported(self.peek()[1])
        return tree

    def or_(self) -> tuple:
        parts = [self.and_()]
        while self.peek()[0] == "or":
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def and_(self) -> tuple:
        parts = [self.cmp()]
        while self.peek()[0] == "and":
            self.take()
            parts.append(self.cmp())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def cmp(self) -> tuple:
        left = self.primary()
        if self.peek()[0] == "op":
            op = self.take()[1]
            return ("cmp", op, left, self.primary())
        return left

    def primary(self) -> tuple:
        kind, value = self.take()
        if kind == "lp":
            inner = self.or_()
            self.take("rp")
            return ("group", inner)
        if kind == "ref":
            return ("ref", value.strip())
        if kind == "str":
            return ("str", value[1:-1])
        if kind == "num":
            return ("num", float(value) if "." in value else int(value))
        if kind == "dot":
            return ("dot",)
        if kind == "word" and self.peek()[0] == "lp":
            self.take("lp")
            args = []
            while self.peek()[0] != "rp":
                args.append(self.or_())
                if self.peek()[0] == "comma":
                    self.take()
            self.take("rp")
            return ("call", value, args)
        raise Unsupported(value)


def _literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class Scope:
    """The questions of a survey by name: their type and their level (a repeat, or None).

    A question may only refer to questions at its own level: the server and the browser
    evaluate a repeat entry's skip logic within that entry.
    """

    def __init__(self) -> None:
        self.types: dict[str, str] = {}  # question name -> our type
        self.level: dict[str, str | None] = {}  # question name -> its repeat (None: top)

    def relevant(self, tree: tuple, expr: str, level: str | None) -> str:
        """A relevant expression in our language, read at a level (top, or inside a repeat)."""
        kind = tree[0]
        if kind in ("or", "and"):
            return f" {kind} ".join(f"({self.relevant(t, expr, level)})" for t in tree[1])
        if kind == "group":
            return self.relevant(tree[1], expr, level)
        if kind == "call" and tree[1] == "not" and len(tree[2]) == 1:
            return f"not ({self.relevant(tree[2][0], expr, level)})"
        if kind == "call" and tree[1] in ("true", "false") and not tree[2]:
            return "True" if tree[1] == "true" else "False"
        if kind == "call" and tree[1] == "selected" and len(tree[2]) == 2:
            ref, code = tree[2]
            if ref[0] != "ref" or code[0] != "str":
                raise Unsupported("selected(…)")
            name = self.ref(ref[1], expr, level)
            if self.types[name] == "select_many":
                return f"{_literal(code[1])} in {name}"
            return f"{name} == {_literal(code[1])}"
        if kind == "ref":  # a bare ${x}: answered
            name = self.ref(tree[1], expr, level)
            return name if self.types[name] == "select_many" else f"{name} != None"
        if kind == "cmp":
            return self.comparison(tree, expr, level)
        raise Unsupported(_show(tree))

    def comparison(self, tree: tuple, expr: str, level: str | None) -> str:
        _kind_, op, left, right = tree
        if right[0] == "ref" and left[0] != "ref":
            flipped = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
            return self.comparison(("cmp", flipped, right, left), expr, level)
        if left[0] != "ref" or right[0] not in ("ref", "str", "num"):
            raise Unsupported(_show(tree))
        name = self.ref(left[1], expr, level)
        kind = self.types[name]
        if right[0] == "ref":
            other = self.ref(right[1], expr, level)
            if op in ("=", "!="):  # numbers typed in the browser are text: compare as text
                raise Unsupported(_show(tree))
            return f"{name} {op} {other}"
        value = right[1]
        if kind == "select_many":
            raise Unsupported(_show(tree))  # use selected()
        if op in ("=", "!=") and value == "":
            return f"{name} {'==' if op == '=' else '!='} None"
        if kind in ("integer", "decimal") and right[0] == "num":
            if kind == "decimal":
                raise Unsupported(_show(tree))
            if op in ("=", "!="):
                # the browser reads numbers as text; a range compares alike on both sides
                same = f"{name} >= {value} and {name} <= {value}"
                return same if op == "=" else f"not ({same})"
            return f"{name} {op} {value}"
        if right[0] == "num":
            value = str(value)
        if op in ("=", "!="):
            return f"{name} {'==' if op == '=' else '!='} {_literal(value)}"
        if kind == "date":
            return f"{name} {op} {_literal(value)}"
        raise Unsupported(_show(tree))

    def ref(self, name: str, expr: str, level: str | None) -> str:
        if name not in self.types:
            raise BadRef("reference", name)
        if self.level[name] != level:
            raise BadRef("scope", name)
        return name


class BadRef(Exception):
    def __init__(self, code: str, name: str):
        super().__init__(name)
        self.code, self.name = code, name


def _show(tree: tuple) -> str:
    kind = tree[0]
    if kind == "ref":
        return "${" + tree[1] + "}"
    if kind == "str":
        return f"'{tree[1]}'"
    if kind == "num":
        return str(tree[1])
    if kind == "dot":
        return "."
    if kind == "call":
        return f"{tree[1]}({', '.join(_show(a) for a in tree[2])})"
    if kind == "cmp":
        return f"{_show(tree[2])} {tree[1]} {_show(tree[3])}"
    if kind == "group":
        return f"({_show(tree[1])})"
    return f" {kind} ".join(_show(t) for t in tree[1])


def _atoms(tree: tuple) -> list[tuple]:
    if tree[0] == "and":
        return [a for t in tree[1] for a in _atoms(t)]
    if tree[0] == "group":
        return _atoms(tree[1])
    return [tree]


def _subject(side: tuple) -> bool:
    """The answer itself (.) or its length, as a side of a constraint's comparison."""
    return side == ("dot",) or side == ("call", "string-length", [("dot",)])


def constraint_rules(tree: tuple, kind: str) -> dict[str, Any]:
    """A constraint as our rules (min, max, max_length, pattern, past); raises Unsupported."""
    rules: dict[str, Any] = {}
    for atom in _atoms(tree):
        if atom[0] == "call" and atom[1] == "regex" and kind == "text":
            args = atom[2]
            if len(args) == 2 and args[0] == ("dot",) and args[1][0] == "str":
                pattern = args[1][1]
                if pattern.startswith("^") and pattern.endswith("$"):
                    pattern = pattern[1:-1]
                else:  # XPath regex() finds the pattern anywhere in the answer
                    pattern = f".*(?:{pattern}).*"
                rules["pattern"] = pattern
                continue
            raise Unsupported(_show(atom))
        if atom[0] != "cmp":
            raise Unsupported(_show(atom))
        _c, op, left, right = atom
        if _subject(right) and not _subject(left):  # 0 <= . reads as . >= 0
            op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
            left, right = right, left
        if left == ("dot",) and right[0] == "num" and kind == "integer":
            n = right[1]
            if not isinstance(n, int) or op in ("=", "!="):
                raise Unsupported(_show(atom))
            if op in (">", ">="):
                low = n + 1 if op == ">" else n
                rules["min"] = max(rules.get("min", low), low)
            else:
                high = n - 1 if op == "<" else n
                rules["max"] = min(rules.get("max", high), high)
            continue
        if left == ("dot",) and right == ("call", "today", []) and op == "<=" and kind == "date":
            rules["past"] = True
            continue
        if (
            left == ("call", "string-length", [("dot",)])
            and right[0] == "num"
            and isinstance(right[1], int)
            and op in ("<", "<=")
            and kind == "text"
        ):
            rules["max_length"] = right[1] - 1 if op == "<" else right[1]
            continue
        raise Unsupported(_show(atom))
    return rules
