"""XLSForm expressions (XPath as ODK uses it) -> our expression language, or our form rules.

Skip logic, calculations, conditional ``required`` and constraints become expressions of
census/domain/expr.py, which the server and the browser (static/forms.js) evaluate alike:
``${f} = 'x'`` reads ``f == "x"``, ``${age} >= 60`` reads ``age >= 60``, and where the
two sides hold an answer differently (the server an integer, the page its text) XPath's
conversions are written out: ``number(n) == 3``, ``string(x) != ""``. ``sum(${age})``
outside the roster reads ``sum(members.age)``; ``if(c, a, b)`` reads ``a if c else b``.
A constraint that our rules say (``. >= n``, ``. <= n``, ``. <= today()``,
``string-length(.) <= n``, ``regex(., '…')``) stays a rule the browser checks as well.
The ODK function library is mapped name for name (``count-non-empty`` reads
``count_non_empty``); a function we do not have (``pulldata``) raises ``Unsupported``.
"""

from __future__ import annotations

import json
import re
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
      \$\{(?P<ref>[^}]*)\}
    | (?P<str>'[^']*'|"[^"]*")
    | (?P<num>\d+(?:\.\d+)?|\.\d+)
    | (?P<op><=|>=|!=|=|<|>)
    | (?P<arith>[+*-])
    | (?P<lp>\() | (?P<rp>\)) | (?P<comma>,)
    | (?P<path>\.\./[A-Za-z_][\w.-]*(?:/[A-Za-z_][\w.-]*)*|/[A-Za-z_][\w.-]*(?:/[A-Za-z_][\w.-]*)+)
    | (?P<parent>\.\.)
    | (?P<word>[A-Za-z_][\w:.-]*)
    | (?P<dot>\.(?![\w.]))
    | (?P<bad>\S+?)
    )""",
    re.VERBOSE,
)
# Tokens a value ends with: after one, div and mod are operators.
_VALUE_END = {"rp", "ref", "num", "str", "dot", "parent"}


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
            kind = value = value.lower()
        elif kind == "word" and value in ("div", "mod") and out and out[-1][0] in _VALUE_END:
            kind = "arith"  # an operator after a value (elsewhere it would be a name)
        if kind == "path":  # ../name, /data/group/name: the question named last
            kind, value = "ref", value.rsplit("/", 1)[-1]
        if kind == "bad":
            raise Unsupported(value)
        out.append((kind, value))
    return out


class Parser:
    """XLSForm expressions (XPath as ODK uses it) -> a small tree.

    Nodes: ("or", [..]), ("and", [..]), ("cmp", op, l, r), ("arith", op, l, r),
    ("neg", x), ("call", name, args), ("ref", name), ("str", s), ("num", n), ("dot",),
    ("parent",), ("group", x). Precedence as in XPath: or, and, = !=, < <= > >=, + -,
    * div mod, unary -.
    """

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
        left = self.relation()
        while self.peek()[0] == "op" and self.peek()[1] in ("=", "!="):
            op = self.take()[1]
            left = ("cmp", op, left, self.relation())
        return left

    def relation(self) -> tuple:
        left = self.sum()
        while self.peek()[0] == "op" and self.peek()[1] not in ("=", "!="):
            op = self.take()[1]
            left = ("cmp", op, left, self.sum())
        return left

    def sum(self) -> tuple:
        left = self.product()
        while self.peek()[0] == "arith" and self.peek()[1] in "+-":
            op = self.take()[1]
            left = ("arith", op, left, self.product())
        return left

    def product(self) -> tuple:
        left = self.unary()
        while self.peek()[0] == "arith" and self.peek()[1] in ("*", "div", "mod"):
            op = self.take()[1]
            left = ("arith", op, left, self.unary())
        return left

    def unary(self) -> tuple:
        if self.peek() == ("arith", "-"):
            self.take()
            inner = self.unary()
            return ("num", -inner[1]) if inner[0] == "num" else ("neg", inner)
        return self.primary()

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
        if kind == "parent":
            return ("parent",)
        if kind == "word" and self.peek()[0] == "lp":
            self.take("lp")
            args = []
            while self.peek()[0] != "rp":
                args.append(self.or_())
                if self.peek()[0] == "comma":
                    self.take()
                elif self.peek()[0] != "rp":
                    raise Unsupported(self.peek()[1] or "…")
            self.take("rp")
            return ("call", value, args)
        if kind == "word":
            return ("name", value)  # a name step: a column of the choices (choice_filter)
        raise Unsupported(value)


def _literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# A choice's own columns in a choice_filter: __c_name, __c_district (no question's name).
CHOICE_PREFIX = "__c_"

# XPath functions -> ours (census/domain/expr.py FUNCTIONS); the rest are refused.
_FUNCTIONS = {
    "coalesce": "coalesce", "concat": "concat", "selected": "selected",
    "count-selected": "count_selected", "selected-at": "selected_at", "int": "int",
    "round": "round", "number": "number", "string": "string", "boolean": "boolean",
    "string-length": "string_length", "substr": "substr", "substring": "substr",
    "regex": "regex", "contains": "contains", "starts-with": "starts_with",
    "ends-with": "ends_with", "normalize-space": "normalize_space", "floor": "floor",
    "ceiling": "ceiling", "abs": "abs", "pow": "pow", "sum": "sum", "count": "count",
    "min": "min", "max": "max", "today": "today", "now": "now", "date": "date",
    "decimal-date-time": "decimal_date_time", "format-date": "format_date",
    "format-date-time": "format_date", "once": "once", "position": "position",
    "indexed-repeat": "indexed_repeat", "sqrt": "sqrt", "exp": "exp", "exp10": "exp10",
    "log": "log", "log10": "log10", "sin": "sin", "cos": "cos", "tan": "tan", "asin": "asin",
    "acos": "acos", "atan": "atan", "atan2": "atan2", "pi": "pi", "random": "random",
    "uuid": "uuid", "digest": "digest", "translate": "translate", "join": "join",
    "substring-before": "substring_before", "substring-after": "substring_after",
    "count-non-empty": "count_non_empty", "checklist": "checklist", "distance": "distance",
    "boolean-from-string": "boolean_from_string",
}  # fmt: skip
# jr:choice-name() is written out choice by choice: up to this many.
_MAX_NAMED = 200
# Functions that read every entry of a repeat: ${age} in sum(${age}) are all the ages.
_AGGREGATES = {"sum", "count", "min", "max", "indexed-repeat", "join", "count-non-empty",
               "distance"}  # fmt: skip
_NUMBER_TYPES = {"integer", "decimal", "range"}
_NUMBER_CALLS = {
    "count-selected", "int", "round", "number", "string-length", "floor", "ceiling", "abs",
    "pow", "sum", "count", "min", "max", "decimal-date-time", "position", "sqrt", "exp",
    "exp10", "log", "log10", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "pi",
    "random", "count-non-empty", "distance",
}  # fmt: skip
_BOOLEAN_CALLS = {
    "selected", "regex", "contains", "starts-with", "ends-with", "boolean", "not", "checklist",
    "boolean-from-string",
}  # fmt: skip
_STRING_CALLS = {
    "concat", "string", "substr", "substring", "today", "date", "translate", "join", "uuid",
    "digest", "substring-before", "substring-after", "normalize-space",
}  # fmt: skip
_ARITH = {"+": "+", "-": "-", "*": "*", "div": "/", "mod": "%"}


class Scope:
    """The questions of a survey by name: their type and their level (a repeat, or None).

    A question inside a repeat reads its own entry and the questions outside any repeat; a
    question outside reads a repeat's answers only through sum(), count(), min(), max()
    and indexed-repeat() (all the entries). Two repeats do not read each other.
    """

    def __init__(self) -> None:
        self.types: dict[str, str] = {}  # question name -> our type
        self.level: dict[str, str | None] = {}  # question name -> its repeat (None: top)
        self.repeats: set[str] = set()
        # While a choice_filter is read: the columns of its list (name, label, district …),
        # which it names bare; each reads as __c_<column> of the choice being filtered.
        self.choice_columns: set[str] = set()
        # Each select's choices as {code: label}, for jr:choice-name().
        self.labels: dict[str, dict[str, str]] = {}
        # Bare words a choice_filter compares with a column (pastel=yes), read as text.
        self.bare_words: list[str] = []

    def relevant(self, tree: tuple, expr: str, level: str | None, dot: str = "") -> str:
        """A condition (relevant, required, constraint) in our language, read at a level."""
        return self.condition(tree, level, dot)

    def calculation(self, tree: tuple, level: str | None, dot: str = "") -> str:
        """A value (calculation, default, label fill) in our language, read at a level."""
        return self.source(tree, level, dot)[0]

    # --- conditions: the shapes our own forms use, written as people write them ------------

    def condition(self, tree: tuple, level: str | None, dot: str) -> str:
        kind = tree[0]
        if kind in ("or", "and"):
            return f" {kind} ".join(f"({self.condition(t, level, dot)})" for t in tree[1])
        if kind == "group":
            return self.condition(tree[1], level, dot)
        if kind == "call" and tree[1] == "not" and len(tree[2]) == 1:
            return f"not ({self.condition(tree[2][0], level, dot)})"
        if kind == "call" and tree[1] in ("true", "false") and not tree[2]:
            return "True" if tree[1] == "true" else "False"
        if kind == "call" and tree[1] == "selected" and len(tree[2]) == 2:
            ref, code = tree[2]
            if ref[0] == "ref" and code[0] == "str" and self.special(ref[1]) is None:
                name = self.ref(ref[1], level)
                if self.types[name] == "select_many":
                    return f"{_literal(code[1])} in {name}"
                return f"{name} == {_literal(code[1])}"
        if kind == "ref" and self.special(tree[1]) is not None:
            return f'string({self.special(tree[1])}) != ""'
        if kind == "ref":  # a bare ${x}: answered
            name = self.ref(tree[1], level)
            return name if self.types[name] in ("select_many", "repeat") else f"{name} != None"
        if kind == "cmp":
            plain = self.plain_comparison(tree, level, dot)
            if plain is not None:
                return plain
        text, _type = self.source(tree, level, dot)
        return text

    def plain_comparison(self, tree: tuple, level: str | None, dot: str) -> str | None:
        """``housing == "rented"``, ``age >= 60``, ``phone != None``: a question against a
        constant, where both evaluators compare alike without conversions."""
        _kind, op, left, right = tree
        if right[0] in ("ref", "dot") and left[0] in ("str", "num"):
            flipped = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
            return self.plain_comparison(("cmp", flipped, right, left), level, dot)
        if left[0] not in ("ref", "dot") or right[0] not in ("str", "num"):
            return None
        if left[0] == "ref" and self.special(left[1]) is not None:
            return None
        name = dot if left[0] == "dot" else self.ref(left[1], level)
        if not name:
            raise Unsupported(".")
        kind = self.types.get(name, "text")
        value = right[1]
        if op in ("=", "!=") and right[0] == "str" and value == "":
            if kind == "select_many":  # nothing ticked: [] on the server, "" in XPath
                return f'string({name}) {"==" if op == "=" else "!="} ""'
            return f"{name} {'==' if op == '=' else '!='} None"
        if kind in ("select_one", "text", "textarea") and right[0] == "str" and op in ("=", "!="):
            return f"{name} {'==' if op == '=' else '!='} {_literal(value)}"
        if kind == "integer" and right[0] == "num" and op not in ("=", "!="):
            return f"{name} {op} {value}"  # the server's int and the browser's text alike
        if kind == "date" and right[0] == "str" and op not in ("=", "!="):
            return f"{name} {op} {_literal(value)}"  # ISO dates compare as text
        return None

    # --- values: XPath's types, made explicit where the two sides hold different ones ------

    def source(self, tree: tuple, level: str | None, dot: str, whole: bool = False) -> tuple:
        """(text in our language, XPath type: number, string, boolean, date or nodeset)."""
        kind = tree[0]
        if kind == "group":
            text, t = self.source(tree[1], level, dot, whole)
            return f"({text})", t
        if kind == "str":
            return _literal(tree[1]), "string"
        if kind == "num":
            return repr(tree[1]), "number"
        if kind == "dot":
            if not dot:
                raise Unsupported(".")
            return dot, self.xtype(dot)
        if kind == "name":
            if tree[1] in self.choice_columns:
                return f"{CHOICE_PREFIX}{tree[1]}", "string"
            if self.choice_columns and re.fullmatch(r"\w+", tree[1]):
                # pastel=yes: no column "yes", so the word the designer meant ('yes'),
                # said in a note (in XPath it names nothing and no choice would show)
                self.bare_words.append(tree[1])
                return _literal(tree[1]), "string"
            raise Unsupported(tree[1])
        if kind == "ref" and self.special(tree[1]) is not None:
            return self.special(tree[1]), "string"
        if kind == "ref":
            name = self.ref(tree[1], level, whole)
            held = self.level.get(name)
            if whole and held not in (None, *self.around(level)) and name not in self.repeats:
                return f"{self.level[name]}.{name}", "nodeset"
            return name, self.xtype(name)
        if kind in ("or", "and"):
            parts = [f"({self.condition(t, level, dot)})" for t in tree[1]]
            return f" {kind} ".join(parts), "boolean"
        if kind == "neg":
            text, _t = self.source(tree[1], level, dot)
            return f"-{_wrapped(tree[1], text)}", "number"
        if kind == "arith":
            _k, op, left, right = tree
            a, _ta = self.source(left, level, dot)
            b, _tb = self.source(right, level, dot)
            return f"{_wrapped(left, a)} {_ARITH[op]} {_wrapped(right, b)}", "number"
        if kind == "cmp":
            return self.comparison(tree, level, dot), "boolean"
        if kind == "call":
            return self.call(tree, level, dot)
        raise Unsupported(_show(tree))

    def comparison(self, tree: tuple, level: str | None, dot: str) -> str:
        """XPath's comparison: numbers when either side is one (or for < <= > >=), truth
        values when either is one, else texts (a blank is '', a select_many its codes)."""
        _kind, op, left, right = tree
        a, ta = self.source(left, level, dot)
        b, tb = self.source(right, level, dot)
        ours = {"=": "==", "!=": "!="}.get(op, op)
        if "boolean" in (ta, tb) and op in ("=", "!="):
            return f"{_as('boolean', left, a)} {ours} {_as('boolean', right, b)}"
        if "number" in (ta, tb) or op not in ("=", "!="):
            # dates too: by their day numbers, so a blank date is NaN and compares false (as
            # text, '' < '2026-03-15' would hold)
            return f"{_as('number', left, a)} {ours} {_as('number', right, b)}"
        return f"{_as('string', left, a)} {ours} {_as('string', right, b)}"

    def call(self, tree: tuple, level: str | None, dot: str) -> tuple[str, str]:
        _kind, name, args = tree
        if name in ("true", "false") and not args:
            return ("True" if name == "true" else "False"), "boolean"
        if name == "not" and len(args) == 1:
            return f"not ({self.condition(args[0], level, dot)})", "boolean"
        if name == "if" and len(args) == 3:
            test = self.condition(args[0], level, dot)
            yes, ty = self.source(args[1], level, dot)
            no, tn = self.source(args[2], level, dot)
            return f"({yes} if {test} else {no})", ty if ty == tn else "string"
        if name == "jr:choice-name" and len(args) == 2:
            return self.choice_name(args, level, dot), "string"
        if name == "position" and all(a[0] in ("parent", "dot") for a in args):
            if level is None:
                raise Unsupported("position(..)")
            return "position()", "number"
        ours = _FUNCTIONS.get(name)
        if ours is None:
            raise Unsupported(f"{name}()")
        whole = name in _AGGREGATES
        parts = []
        for i, arg in enumerate(args):
            if name == "indexed-repeat" and i == 1:
                continue  # the repeat itself: the first argument already names it
            parts.append(self.source(arg, level, dot, whole)[0])
        kind = "number" if name in _NUMBER_CALLS else "boolean" if name in _BOOLEAN_CALLS else ""
        if name in ("today", "date"):
            kind = "date"
        return f"{ours}({', '.join(parts)})", kind or "string"

    def choice_name(self, args: list[tuple], level: str | None, dot: str) -> str:
        """jr:choice-name(${q}, '${q}'): the label of a code of q's list, written out as
        ``"男" if c == "m" else ("女" if c == "f" else "")`` so both sides need no lists."""
        where = args[1]
        found = re.fullmatch(r"\s*\$\{\s*(\w+)\s*\}\s*", where[1]) if where[0] == "str" else None
        labels = self.labels.get(found.group(1)) if found else None
        if labels is None or len(labels) > _MAX_NAMED:
            raise Unsupported("jr:choice-name()")
        code, _t = self.source(args[0], level, dot)
        text = '""'
        for value, label in reversed(list(labels.items())):
            text = f"({_literal(label)} if string({code}) == {_literal(value)} else {text})"
        return text

    def special(self, name: str) -> str | None:
        """What a question that is not in our form reads as: a left-out one (a photo) is
        never answered; metadata ${today} is today, ${start} and ${end} the moment now."""
        kind = self.types.get(name, "")
        if kind == "left_out":
            return '""'
        if kind.startswith("metadata:"):
            return {"today": "today()", "start": "now()", "end": "now()"}.get(kind[9:], '""')
        return None

    def xtype(self, name: str) -> str:
        kind = self.types.get(name, "text")
        if kind in _NUMBER_TYPES:
            return "number"
        if kind == "date":
            return "date"
        if kind in ("select_many", "repeat"):
            return "nodeset"
        return "string"

    def ref(self, name: str, level: str | None, whole: bool = False) -> str:
        if name not in self.types:
            raise BadRef("reference", name)
        there = self.level[name]  # a repeat is a value of the level that holds it
        if there is None or there in self.around(level):
            return name  # its own entry, or the entries around it (a repeat inside a repeat)
        if whole and self.level.get(there) == level:
            return name  # sum(), count() … over the entries of a repeat held at this level
        raise BadRef("scope", name)

    def around(self, level: str | None) -> list[str]:
        """A repeat and the repeats that hold it, innermost first."""
        found: list[str] = []
        while level is not None and level not in found:
            found.append(level)
            level = self.level.get(level)
        return found


def _bare(tree: tuple) -> tuple:
    while tree[0] == "group":
        tree = tree[1]
    return tree


def _wrapped(tree: tuple, text: str) -> str:
    """A side of an operator, in brackets unless it is one thing (a name, a call …)."""
    return text if tree[0] in ("ref", "num", "str", "call", "group", "dot") else f"({text})"


def _as(kind: str, tree: tuple, text: str) -> str:
    """``number(x)`` where x may differ between the server (3) and the page ("3"); a
    constant or a value already of that kind stays as it is."""
    bare = _bare(tree)
    if kind == "number" and (
        bare[0] in ("num", "arith", "neg") or (bare[0] == "call" and bare[1] in _NUMBER_CALLS)
    ):
        return text
    if kind == "string" and (bare[0] == "str" or (bare[0] == "call" and bare[1] in _STRING_CALLS)):
        return text
    if kind == "boolean" and (bare[0] in ("cmp", "and", "or") or bare[1:2] == ("true",)):
        return text
    return f"{kind}({text})"


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
