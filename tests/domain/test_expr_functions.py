"""One table of expressions with their values, run by the server's evaluator and the browser's.

A survey's calculations and skip logic are worked out twice: on the tablet as the surveyor
types (static/forms.js) and on the server at the save (census/domain/expr.py). Each case
here is compiled once and evaluated by both; both must give the value in the table.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from census.domain.expr import compile_expr, evaluate, string

TODAY = "2026-03-15"
ROSTER = [{"name": "王芳", "age": 67}, {"name": "王小明", "age": 9}, {"name": "李", "age": None}]
NAN = float("nan")

# (expression, answers, expected value). Answers are as the server holds them; the browser
# holds the same answers as text (numbers typed are text there), see _as_typed.
CASES: list[tuple[str, dict[str, Any], Any]] = [
    ("1 + 2", {}, 3),
    ("n * 2", {"n": 4}, 8),
    ("n * 2", {"n": None}, NAN),
    ("n + m", {"n": 4, "m": None}, NAN),
    ("n - 10", {"n": 4}, -6),
    ("7 / 2", {}, 3.5),
    ("1 / 0", {}, math.inf),
    ("0 / 0", {}, NAN),
    ("7 % 3", {}, 1),
    ("-7 % 3", {}, -1),
    ("-n", {"n": 5}, -5),
    ("(n + 1) * (m - 1)", {"n": 2, "m": 4}, 9),
    ("x + 1", {"x": "2.5"}, 3.5),
    ("x + 1", {"x": "abc"}, NAN),
    ("int(7.9)", {}, 7),
    ("int(-7.9)", {}, -7),
    ("int(x)", {"x": None}, NAN),
    ("round(2.5)", {}, 3),
    ("round(3.14159, 2)", {}, 3.14),
    ("round(-2.5)", {}, -2),
    ("round(x, 1)", {"x": "12.345"}, 12.3),
    ("number(x)", {"x": "42"}, 42),
    ("number(x)", {"x": ""}, NAN),
    ("number(x)", {"x": True}, 1),
    ("number(d)", {"d": "1970-01-02"}, 1),
    ("number(d)", {"d": "2026-03-15"}, 20527),
    ("string(n)", {"n": 3}, "3"),
    ("string(n)", {"n": 2.5}, "2.5"),
    ("string(n)", {"n": None}, ""),
    ("string(b)", {"b": True}, "true"),
    ("string(s)", {"s": ["a", "b"]}, "a b"),
    ("concat(a, '-', b)", {"a": "x", "b": 3}, "x-3"),
    ("concat(a, b)", {"a": None, "b": "y"}, "y"),
    ("concat('您好，', name, '！')", {"name": "王芳"}, "您好，王芳！"),
    ("coalesce(a, b)", {"a": None, "b": "y"}, "y"),
    ("coalesce(a, b)", {"a": "x", "b": "y"}, "x"),
    ("coalesce(a, b)", {"a": "", "b": None}, ""),
    ("selected(s, 'b')", {"s": ["a", "b"]}, True),
    ("selected(s, 'c')", {"s": ["a", "b"]}, False),
    ("selected(s, 'a')", {"s": "a b"}, True),
    ("selected(s, 'a')", {"s": None}, False),
    ("count_selected(s)", {"s": ["a", "b", "c"]}, 3),
    ("count_selected(s)", {"s": []}, 0),
    ("count_selected(s)", {"s": "a b"}, 2),
    ("selected_at(s, 1)", {"s": ["a", "b"]}, "b"),
    ("string_length(t)", {"t": "王芳"}, 2),
    ("string_length(t)", {"t": None}, 0),
    ("string_length(t)", {"t": "😀a"}, 2),
    ("substr(t, 1, 3)", {"t": "abcdef"}, "bc"),
    ("substr(t, 2)", {"t": "abcdef"}, "cdef"),
    ("substr(t, 6, 8)", {"t": "110105199001011234"}, "19"),
    ("regex(t, '^1[3-9][0-9]{9}$')", {"t": "13912345678"}, True),
    ("regex(t, '^1[3-9][0-9]{9}$')", {"t": "1391234567"}, False),
    ("regex(t, '[0-9]')", {"t": "ab3"}, True),
    ("contains(t, '楼')", {"t": "3号楼"}, True),
    ("starts_with(t, 'H')", {"t": "H0012"}, True),
    ("ends_with(t, '室')", {"t": "101室"}, True),
    ("normalize_space(t)", {"t": "  a   b "}, "a b"),
    ("today()", {}, TODAY),
    ("today() - d", {"d": "2026-03-01"}, 14),
    ("int((today() - dob) / 365.25)", {"dob": "1950-05-01"}, 75),
    ("int((today() - dob) / 365.25)", {"dob": None}, NAN),
    ("date(0)", {}, "1970-01-01"),
    ("date(today() + 7)", {}, "2026-03-22"),
    ("date(d)", {"d": "2026-01-31"}, "2026-01-31"),
    ("format_date(d, '%Y年%n月%e日')", {"d": "2026-03-05"}, "2026年3月5日"),
    ("format_date(d, '%d/%m/%y')", {"d": "2026-03-05"}, "05/03/26"),
    ("format_date(d, '%Y')", {"d": None}, ""),
    ("decimal_date_time(d)", {"d": "1970-01-02T12:00:00"}, 1.5),
    ("floor(2.7)", {}, 2),
    ("ceiling(2.1)", {}, 3),
    ("abs(-3)", {}, 3),
    ("pow(2, 10)", {}, 1024),
    ("min(3, 1, 2)", {}, 1),
    ("max(a, b)", {"a": 3, "b": 8}, 8),
    ("max(a, b)", {"a": 3, "b": "x"}, NAN),
    ("'yes' if n > 2 else 'no'", {"n": 3}, "yes"),
    ("'yes' if n > 2 else 'no'", {"n": None}, "no"),
    ("if_(n > 2, 'big', 'small')", {"n": 1}, "small"),
    ("once(x)", {"x": "a"}, "a"),
    ("boolean(x)", {"x": ""}, False),
    ("boolean(x)", {"x": "0"}, True),
    ("boolean(number(n))", {"n": 0}, False),
    ("count(m)", {"m": ROSTER}, 3),
    ("count(m)", {"m": []}, 0),
    ("sum(m.age)", {"m": ROSTER}, 76),
    ("max(m.age)", {"m": ROSTER}, 67),
    ("min(m.age)", {"m": ROSTER}, 9),
    ("sum(m.age)", {"m": []}, 0),
    ("count(m.name)", {"m": ROSTER}, 3),
    ("indexed_repeat(m.name, 2)", {"m": ROSTER}, "王小明"),
    ("indexed_repeat(m.name, 5)", {"m": ROSTER}, ""),
    ("number(n) == 3", {"n": 3}, True),
    ("number(n) == 3", {"n": None}, False),
    ("number(n) >= 60 and number(n) < 80", {"n": 67}, True),
    ("number(a) > number(b)", {"a": 10, "b": 9}, True),
    ("string(x) == ''", {"x": None}, True),
    ("string(x) != ''", {"x": "a"}, True),
    ("x == 'a' or y == 'b'", {"x": "c", "y": "b"}, True),
    ("not (x == 'a')", {"x": "a"}, False),
    ("not s", {"s": []}, True),
    ("s and True", {"s": ["a"]}, True),
    ("d <= today()", {"d": "2026-03-14"}, True),
    ("d <= today()", {"d": "2026-03-16"}, False),
    ("count_selected(s) > 1", {"s": ["a", "b"]}, True),
    ("string_length(t) <= 5", {"t": "abcdef"}, False),
    ("concat(string(round(a / b * 100, 1)), '%')", {"a": 1, "b": 3}, "33.3%"),
    ("coalesce(n, 0) + coalesce(m, 0)", {"n": 2, "m": None}, 2),
    ("int(n) * 12", {"n": "2"}, 24),
    ("selected(s, 'meals') and number(age) >= 60", {"s": ["meals"], "age": 67}, True),
    ("position()", {"__position__": 2}, 2),
]


def kind(value: Any) -> list[str]:
    """A value as both sides can write it: its kind and its text (NaN and ∞ included)."""
    if value is None:
        return ["blank", ""]
    if isinstance(value, bool):
        return ["bool", string(value)]
    if isinstance(value, int | float):
        return ["number", string(float(value))]
    if isinstance(value, list):
        return ["list", string(value)]
    return ["text", str(value)]


def server(source: str, env: dict[str, Any]) -> Any:
    return evaluate(compile_expr(source), {"__today__": TODAY, **env})


FORMS_JS = Path(__file__).resolve().parents[2] / "census" / "static" / "forms.js"
NODE = """
const vm = require("vm");
const window = {};
const context = {window, document: {querySelectorAll: () => []}, CustomEvent: function () {}};
vm.runInNewContext(require("fs").readFileSync(process.argv[1], "utf8"), context);
const forms = window.CensusForms;
function kind(v) {
  if (v === null || v === undefined) return ["blank", ""];
  if (typeof v === "boolean") return ["bool", forms.string(v)];
  if (typeof v === "number") return ["number", forms.string(v)];
  if (Array.isArray(v)) return ["list", forms.string(v)];
  return ["text", String(v)];
}
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
console.log(JSON.stringify(cases.map(([tree, env]) => kind(forms.evaluate(tree, env)))));
"""


def _as_typed(env: dict[str, Any]) -> dict[str, Any]:
    """The answers as the browser reads them off the page: numbers are text there."""

    def typed(v: Any) -> Any:
        if isinstance(v, bool):
            return v
        if isinstance(v, int | float):
            return str(v)
        if isinstance(v, list):
            return [typed(i) for i in v]
        if isinstance(v, dict):
            return {k: typed(i) for k, i in v.items()}
        return v

    return {k: typed(v) for k, v in env.items()}


def browser(cases: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[list[str]]:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    done = subprocess.run(
        ["node", "-e", NODE, str(FORMS_JS)],
        input=json.dumps(cases, ensure_ascii=False),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_the_table_is_large_enough_to_mean_something():
    assert len(CASES) >= 100


@pytest.mark.parametrize("source,env,expected", CASES, ids=[c[0] for c in CASES])
def test_the_server_gives_the_value_of_the_table(source, env, expected):
    assert kind(server(source, env)) == kind(expected)


def test_the_browser_gives_the_same_values_with_answers_typed_as_text():
    trees = [compile_expr(source) for source, _env, _value in CASES]
    cases = [
        (t, {"__today__": TODAY, **_as_typed(env)})
        for t, (_s, env, _v) in zip(trees, CASES, strict=True)
    ]
    found = browser(cases)
    wrong = [
        (source, got, kind(expected))
        for (source, _env, expected), got in zip(CASES, found, strict=True)
        if got != kind(expected)
    ]
    assert wrong == []
