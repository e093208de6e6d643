"""A tiny, safe expression language for skip logic, calculations and register rules.

``housing == "rented"``, ``residence_type in ["floating"]``, ``"disability" in conditions``,
``age >= 60 and status == "active"``. Expressions are parsed with Python's own parser,
restricted to a whitelist of nodes, and compiled to a JSON tree: the server evaluates the
tree here and the browser evaluates the very same tree (static/forms.js), so skip logic
cannot drift between the two.

Surveys from XLSForms also calculate: arithmetic (``+ - * / %``), ``a if c else b``,
a repeat's answers as a list (``members.age``) and the ODK functions real forms use
(``FUNCTIONS``: ``coalesce``, ``concat``, ``selected``, ``count_selected``, ``int``,
``round``, ``number``, ``string``, ``today``, ``string_length``, ``substr``, ``regex``,
``sum``, ``count``, ``format_date`` …). Their values follow XPath as ODK does: a blank
or a word is NaN in arithmetic (and a NaN result is a blank), a date is its day number,
``mod`` keeps the sign of the left side. Both evaluators run one shared table of cases
(tests/domain/test_expr_functions.py), which is what keeps them alike.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import math
import random as _random
import re
import uuid as _uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
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


_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%"}


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
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        args = [_tree(node.left, source), _tree(node.right, source)]
        return {"op": _ARITH[type(node.op)], "args": args}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return {"op": "neg", "args": [_tree(node.operand, source)]}
    if isinstance(node, ast.IfExp):
        branches = [_tree(n, source) for n in (node.test, node.body, node.orelse)]
        return {"op": "if", "args": branches}
    if isinstance(node, ast.Attribute):  # members.age: the answers of a repeat's entries
        return {"op": "pluck", "args": [_tree(node.value, source), {"const": node.attr}]}
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in FUNCTIONS
        and not node.keywords
    ):
        return {"call": node.func.id, "args": [_tree(a, source) for a in node.args]}
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


def _lookup(tree: dict[str, Any], env: Any) -> Any:
    """A variable's value; one of the record around a repeat entry (``outer``) when the
    entry has none (``__outer__``, the form's answers outside the repeat)."""
    name = tree["var"]
    if tree.get("outer") and name not in env:
        return (env.get("__outer__") or {}).get(name)
    return env.get(name)


def evaluate(tree: dict[str, Any], env: dict[str, Any]) -> Any:
    """Evaluate a compiled tree; a missing name or a comparison with None is simply false."""
    if "const" in tree:
        return tree["const"]
    if "var" in tree:
        return _lookup(tree, env)
    if "list" in tree:
        return [evaluate(e, env) for e in tree["list"]]
    if "call" in tree:
        return _call(tree["call"], tree["args"], env)
    op, args = tree["op"], tree["args"]
    if op == "and":
        return all(truth(evaluate(a, env)) for a in args)
    if op == "or":
        return any(truth(evaluate(a, env)) for a in args)
    if op == "not":
        return not truth(evaluate(args[0], env))
    if op == "if":
        return evaluate(args[1] if truth(evaluate(args[0], env)) else args[2], env)
    if op == "neg":
        return -number(evaluate(args[0], env))
    left, right = evaluate(args[0], env), evaluate(args[1], env)
    if op in _ARITH.values():
        return _arith(op, number(left), number(right))
    if op == "pluck":
        return [i.get(right) if isinstance(i, dict) else None for i in _items(left)]
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


# --- ODK's values and functions (the same in static/forms.js) ---------------------------

NAN = float("nan")
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?")
_NUMBER = re.compile(r"\s*-?(\d+(\.\d*)?|\.\d+)\s*")
_EPOCH = date(1970, 1, 1)


def blank(value: Any) -> bool:
    """Nothing answered: None, '' or an empty list."""
    return value is None or value == "" or value == []


def truth(value: Any) -> bool:
    """XPath's boolean(): a blank, 0, NaN and an empty list are false (JavaScript's [] too)."""
    if isinstance(value, float) and math.isnan(value):
        return False
    return bool(value)


def _days(text: str) -> float | None:
    """A date (or date and time) as its day number since 1970-01-01, as ODK counts."""
    found = _DAY.fullmatch(text.strip())
    if found is None:
        return None
    try:
        day = date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None
    hours, minutes, seconds = (int(found[i] or 0) for i in (4, 5, 6))
    return (day - _EPOCH).days + (hours * 3600 + minutes * 60 + seconds) / 86400


def number(value: Any) -> float:
    """XPath's number(): a number, a date's day number, else NaN (a blank too)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        if _NUMBER.fullmatch(value):
            return float(value)
        days = _days(value)
        return days if days is not None else NAN
    return NAN


def string(value: Any) -> str:
    """XPath's string(): '' for a blank, 3 not 3.0, true/false, a list joined with spaces."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return _as_browser_says(value)
    if isinstance(value, list):
        return " ".join(string(v) for v in value)
    return str(value)


def _as_browser_says(value: float) -> str:
    """A number written as JavaScript's Number.prototype.toString writes it.

    The shortest digits that read back (Python's repr gives the same ones), with the point
    placed as ECMAScript places it: plain from 1e-6 up to 1e21 (0.00007, not 7e-05), an
    exponent outside that (1e-7, 1.5e+21), so that the server and the tablet agree.
    """
    sign = "-" if value < 0 else ""
    mantissa, _, power = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    point = len(whole) + int(power or 0) - (len(whole + fraction) - len(digits))
    digits = digits.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        exponent = n - 1
        head = digits[0] + ("." + digits[1:] if k > 1 else "")
        text = f"{head}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"
    return sign + text


def stored(value: Any) -> Any:
    """A calculation's result as a record keeps it: a NaN or '' is a blank, 3.0 is 3."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return int(value) if value.is_integer() else value
    if value == "" or value == []:
        return None
    if isinstance(value, list):
        return string(value)
    return value


def _arith(op: str, a: float, b: float) -> float:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        if b == 0:
            return NAN if a == 0 or math.isnan(a) else math.copysign(math.inf, a)
        return a / b
    if b == 0 or math.isnan(a) or math.isnan(b) or math.isinf(a):
        return NAN
    return math.fmod(a, b)  # XPath mod keeps the sign of the left side, as JavaScript's %


def _items(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if blank(value) else [value]


def _codes(value: Any) -> list[str]:
    """A select_many answer as its codes (a list here, space-separated in ODK)."""
    if isinstance(value, list):
        return [string(v) for v in value]
    return string(value).split()


def _today(env: Any) -> str:
    given = env.get("__today__") if hasattr(env, "get") else None
    return str(given) if given else date.today().isoformat()


def _round(value: Any, digits: Any = 0) -> float:
    x, n = number(value), number(digits)
    if math.isnan(x) or math.isnan(n) or math.isinf(x):
        return x
    scale = 10.0 ** int(n)
    return math.floor(x * scale + 0.5) / scale


def _substr(text: Any, start: Any, end: Any = None) -> str:
    chars = list(string(text))
    first = number(start)
    last = number(end) if end is not None else float(len(chars))
    if math.isnan(first) or math.isnan(last):
        return ""
    return "".join(chars[max(int(first), 0) : max(int(last), 0)])


# JavaScript's \s beyond ASCII (the browser's RegExp, and a Chinese keyboard's 　).
_SPACES = "\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def matches(pattern: str, text: str, *, whole: bool = False) -> bool:
    """Does ``text`` match (``whole``: all of it) as the browser's RegExp says? A pattern
    that does not compile matches nothing (the upload checks patterns)."""
    try:
        found = re.compile(_pattern(pattern), re.ASCII)
    except re.error:
        return False
    return (found.fullmatch(text) if whole else found.search(text)) is not None


def _pattern(pattern: str) -> str:
    r"""A regex() pattern as the browser reads it: \d and \w are ASCII there (as in ODK's
    Java), so ``re.ASCII``; \s takes Unicode spaces there, so they are added to it."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            pair = pattern[i : i + 2]
            if pair == "\\s":
                out.append(f"\\s{_SPACES}" if in_class else f"[\\s{_SPACES}]")
            elif pair == "\\S" and not in_class:
                out.append(f"[^\\s{_SPACES}]")
            else:
                out.append(pair)
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


def _regex(text: Any, pattern: Any) -> bool:
    return matches(string(pattern), string(text))


def _date(value: Any) -> Any:
    """date(): a day number or a date text as YYYY-MM-DD (blank when it is neither)."""
    if isinstance(value, str) and _days(value) is not None:
        return value.strip()[:10]
    days = number(value)
    if math.isnan(days) or math.isinf(days):
        return ""
    return (_EPOCH + timedelta(days=math.floor(days))).isoformat()


_FORMATS: dict[str, Callable[[datetime], str]] = {
    "Y": lambda d: f"{d.year:04d}",
    "y": lambda d: f"{d.year % 100:02d}",
    "m": lambda d: f"{d.month:02d}",
    "n": lambda d: str(d.month),
    "d": lambda d: f"{d.day:02d}",
    "e": lambda d: str(d.day),
    "H": lambda d: f"{d.hour:02d}",
    "h": lambda d: str(d.hour),
    "M": lambda d: f"{d.minute:02d}",
    "S": lambda d: f"{d.second:02d}",
}


def _format_date(value: Any, pattern: Any) -> str:
    days = number(value)
    if math.isnan(days) or math.isinf(days):
        return ""
    moment = datetime(1970, 1, 1) + timedelta(days=days)
    moment = moment.replace(microsecond=0)
    return re.sub(
        r"%(.)", lambda m: _FORMATS[m[1]](moment) if m[1] in _FORMATS else m[0], string(pattern)
    )


def _numbers(args: list[Any]) -> list[float]:
    values = [v for a in args for v in _items(a)]
    return [number(v) for v in values if not blank(v)]


def _count(value: Any) -> float:
    return float(len(_items(value)))


def _now(_env: Any) -> str:
    return datetime.now().replace(microsecond=0).isoformat()


def _call(name: str, trees: list[dict[str, Any]], env: Any) -> Any:
    if name == "if_":  # if(c, a, b) when written as a call
        return evaluate(trees[1] if truth(evaluate(trees[0], env)) else trees[2], env)
    if name == "position":
        return number(env.get("__position__"))
    if name == "today":
        return _today(env)
    if name == "now":
        return _now(env)
    if name == "pi":
        return math.pi
    args = [evaluate(t, env) for t in trees]
    return FUNCTIONS[name](*args)


def _coalesce(*args: Any) -> Any:
    return next((a for a in args if not blank(a)), "")


def _extreme(pick: Callable[[list[float]], float]) -> Callable[..., float]:
    def found(*args: Any) -> float:
        values = _numbers(list(args))
        return NAN if not values or any(math.isnan(v) for v in values) else pick(values)

    return found


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "if_": lambda *a: None,  # evaluated lazily in _call
    "position": lambda *a: None,
    "today": lambda *a: None,
    "now": lambda *a: None,
    "coalesce": _coalesce,
    "concat": lambda *a: "".join(string(v) for v in a),
    "selected": lambda v, code: string(code) in _codes(v),
    "count_selected": lambda v: float(len(_codes(v))),
    "selected_at": lambda v, n: (lambda c, i: c[i] if 0 <= i < len(c) else "")(
        _codes(v), int(number(n)) if not math.isnan(number(n)) else -1
    ),
    "int": lambda v: (lambda x: x if math.isnan(x) or math.isinf(x) else float(math.trunc(x)))(
        number(v)
    ),
    "round": _round,
    "number": number,
    "string": string,
    "boolean": truth,
    "string_length": lambda v: float(len(string(v))),
    "substr": _substr,
    "regex": _regex,
    "contains": lambda a, b: string(b) in string(a),
    "starts_with": lambda a, b: string(a).startswith(string(b)),
    "ends_with": lambda a, b: string(a).endswith(string(b)),
    "normalize_space": lambda v: " ".join(string(v).split()),
    "floor": lambda v: float(math.floor(number(v))) if math.isfinite(number(v)) else number(v),
    "ceiling": lambda v: float(math.ceil(number(v))) if math.isfinite(number(v)) else number(v),
    "abs": lambda v: abs(number(v)),
    "pow": lambda a, b: _pow(number(a), number(b)),
    "sum": lambda *a: (lambda v: NAN if any(math.isnan(x) for x in v) else float(sum(v)))(
        _numbers(list(a))
    ),
    "count": _count,
    "min": _extreme(min),
    "max": _extreme(max),
    "date": _date,
    "decimal_date_time": number,
    "format_date": _format_date,
    "once": lambda v: v,
    "sqrt": lambda v: _math(math.sqrt, v),
    "exp": lambda v: _math(math.exp, v),
    "exp10": lambda v: _math(lambda x: 10.0**x, v),
    "log": lambda v: _math(math.log, v),
    "log10": lambda v: _math(math.log10, v),
    "sin": lambda v: _math(math.sin, v),
    "cos": lambda v: _math(math.cos, v),
    "tan": lambda v: _math(math.tan, v),
    "asin": lambda v: _math(math.asin, v),
    "acos": lambda v: _math(math.acos, v),
    "atan": lambda v: _math(math.atan, v),
    "atan2": lambda a, b: _math(math.atan2, a, b),
    "pi": lambda: math.pi,
    "random": lambda: _random.random(),
    "uuid": lambda n=None: _uuid_text(n),
    "digest": lambda text, algorithm, encoding="base64": _digest(text, algorithm, encoding),
    "translate": lambda text, old, new: _translate(string(text), string(old), string(new)),
    "join": lambda sep, *values: string(sep).join(string(v) for a in values for v in _items(a)),
    "count_non_empty": lambda v: float(sum(1 for i in _items(v) if not blank(i))),
    "boolean_from_string": lambda v: string(v) in ("true", "1"),
    "substring_before": lambda a, b: _around(string(a), string(b))[0],
    "substring_after": lambda a, b: _around(string(a), string(b))[1],
    "checklist": lambda low, high, *a: _checklist(low, high, a),
    "distance": lambda *points: _distance(points),
    "indexed_repeat": lambda values, n: (lambda i, items: items[i] if 0 <= i < len(items) else "")(
        int(number(n)) - 1 if not math.isnan(number(n)) else -1, _items(values)
    ),
}


def _pow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except (OverflowError, ValueError):
        return NAN


def _math(fn: Callable[..., float], *values: Any) -> float:
    """A function of numbers as JavaScript's Math gives it: NaN outside its domain."""
    try:
        return float(fn(*(number(v) for v in values)))
    except (OverflowError, ValueError):
        if fn is math.exp or fn is math.log:
            x = number(values[0])
            if fn is math.log and x == 0:
                return -math.inf
            if fn is math.exp and x > 0:
                return math.inf
        return NAN


def _uuid_text(n: Any = None) -> str:
    """uuid(): a random version-4 UUID; uuid(n): n random letters and digits."""
    if n is None:
        return str(_uuid.uuid4())
    size = number(n)
    if math.isnan(size) or size < 0:
        return ""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    chooser = _random.SystemRandom()
    return "".join(chooser.choice(alphabet) for _ in range(int(size)))


_DIGESTS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384",
            "SHA-512": "sha512"}  # fmt: skip


def _digest(text: Any, algorithm: Any, encoding: Any = "base64") -> str:
    """digest(text, 'SHA-256', 'hex'): ODK's digest of the text's UTF-8 bytes ('' for an
    algorithm or an encoding ODK does not name)."""
    name = _DIGESTS.get(string(algorithm).upper())
    how = string(encoding).lower()
    if name is None or how not in ("base64", "hex"):
        return ""
    found = hashlib.new(name, string(text).encode("utf-8")).digest()
    return found.hex() if how == "hex" else base64.b64encode(found).decode("ascii")


def _around(text: str, part: str) -> tuple[str, str]:
    """(substring-before, substring-after) of ``part`` in ``text``: both '' when it is not
    there; the empty text is found at the start ('' before it, the whole text after)."""
    if part not in text:
        return "", ""
    before, _found, after = text.partition(part) if part else ("", "", text)
    return before, after


def _translate(text: str, old: str, new: str) -> str:
    """XPath translate(): each character of ``old`` becomes the one at its place in
    ``new``, or goes when ``new`` is shorter (the first of a repeated one counts)."""
    table: dict[str, str] = {}
    news = list(new)
    for i, ch in enumerate(old):
        table.setdefault(ch, news[i] if i < len(news) else "")
    return "".join(table.get(ch, ch) for ch in text)


def _checklist(low: Any, high: Any, answers: tuple[Any, ...]) -> bool:
    """checklist(min, max, …): how many of the answers are true lies within min..max
    (-1 for no bound)."""
    yes = sum(1 for a in answers for v in _items(a) if truth(v) and string(v) != "false")
    lo, hi = number(low), number(high)
    return (lo < 0 or yes >= lo) and (hi < 0 or yes <= hi)


def _distance(points: tuple[Any, ...]) -> float:
    """distance(): metres along geopoints ('lat lon …' texts, or one text of them joined
    with ';'), on a sphere of ODK's radius 6378100 m."""
    texts = [string(v) for p in points for v in _items(p)]
    if len(texts) == 1:
        texts = texts[0].split(";")
    coords = []
    for text in texts:
        parts = text.split()
        if len(parts) < 2:
            return NAN
        coords.append((number(parts[0]), number(parts[1])))
    if len(coords) < 2 or any(math.isnan(c) for pair in coords for c in pair):
        return NAN
    total = 0.0
    for (lat1, lon1), (lat2, lon2) in zip(coords, coords[1:], strict=False):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        dp, dl = p2 - p1, math.radians(lon2 - lon1)
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        total += 2 * 6378100 * math.asin(min(1.0, math.sqrt(h)))
    return total
