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
from census.surveys.xlsform.expressions import Parser, Scope

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
    # maths (ODK's sqrt, exp, log … as JavaScript's Math gives them)
    ("sqrt(16)", {}, 4),
    ("sqrt(-1)", {}, NAN),
    ("sqrt(x)", {"x": None}, NAN),
    ("exp(0)", {}, 1),
    ("round(exp(1), 5)", {}, 2.71828),
    ("exp10(3)", {}, 1000),
    ("log(1)", {}, 0),
    ("log(0)", {}, -math.inf),
    ("log10(1000)", {}, 3),
    ("round(pi(), 4)", {}, 3.1416),
    ("round(sin(pi() / 2), 6)", {}, 1),
    ("round(cos(0), 6)", {}, 1),
    ("round(tan(0), 6)", {}, 0),
    ("round(atan(1) * 4, 4)", {}, 3.1416),
    ("round(asin(1), 4)", {}, 1.5708),
    ("round(acos(1), 4)", {}, 0),
    ("round(atan2(1, 1), 4)", {}, 0.7854),
    ("round(15 / sqrt(cos(atan(s / 100))), 2)", {"s": 20}, 15.15),
    ("pow(x, 0.5)", {"x": 9}, 3),
    ("pow(2, -1)", {}, 0.5),
    # digests of the text's UTF-8 bytes
    ("digest('abc', 'MD5', 'hex')", {}, "900150983cd24fb0d6963f7d28e17f72"),
    ("digest('abc', 'SHA-1', 'hex')", {}, "a9993e364706816aba3e25717850c26c9cd0d89d"),
    (
        "digest('abc', 'SHA-256', 'hex')",
        {},
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    ),
    (
        "digest('abc', 'SHA-384', 'hex')",
        {},
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
        "8086072ba1e7cc2358baeca134c825a7",
    ),
    (
        "digest('abc', 'SHA-512', 'hex')",
        {},
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    ),
    ("digest(t, 'MD5')", {"t": "王芳"}, "EDkQaYcv3b4/nHsk0IGNXg=="),
    (
        "digest(t, 'SHA-256', 'base64')",
        {"t": "王芳"},
        "islUC/Ol+d8CunSahSKppwv20CaW3rhWSt/8BWmhcSY=",
    ),
    ("digest(t, 'sha-1', 'base64')", {"t": "王芳"}, "Ua5wQ+0iYmD2a5ETD5fMo7SQRQs="),
    ("digest('', 'MD5', 'hex')", {}, "d41d8cd98f00b204e9800998ecf8427e"),
    ("digest(n, 'MD5', 'hex')", {"n": 3}, "eccbc87e4b5ce2fe28308fd9f2a7baf3"),
    ("digest('abc', 'CRC32', 'hex')", {}, ""),
    ("digest('abc', 'MD5', 'base32')", {}, ""),
    # texts
    ("translate(t, 'abc', 'ABC')", {"t": "bar"}, "BAr"),
    ("translate(t, '-', '')", {"t": "138-0013-8000"}, "13800138000"),
    ("translate(t, '一二', '12')", {"t": "一单元二号"}, "1单元2号"),
    ("join(', ', s)", {"s": ["a", "b"]}, "a, b"),
    ("join('-', a, b)", {"a": "x", "b": 3}, "x-3"),
    ("join(' ', m.name)", {"m": ROSTER}, "王芳 王小明 李"),
    ("count_non_empty(m.age)", {"m": ROSTER}, 2),
    ("count_non_empty(s)", {"s": []}, 0),
    ("boolean_from_string(x)", {"x": "true"}, True),
    ("boolean_from_string(x)", {"x": "1"}, True),
    ("boolean_from_string(x)", {"x": "yes"}, False),
    ("substring_before(t, '-')", {"t": "7-1-101"}, "7"),
    ("substring_after(t, '-')", {"t": "7-1-101"}, "1-101"),
    ("substring_after(t, '/')", {"t": "7-1-101"}, ""),
    ("substring_before(t, '')", {"t": "7-1-101"}, ""),
    ("substring_after(t, '')", {"t": "7-1-101"}, "7-1-101"),
    ("string(1 / 10000000)", {}, "1e-7"),
    ("normalize_space(concat(' ', a, '  ', b))", {"a": "x", "b": "y"}, "x y"),
    ("contains(t, x)", {"t": "abc", "x": None}, True),
    ("starts_with(t, '')", {"t": "abc"}, True),
    ("ends_with(t, 'bc')", {"t": None}, False),
    ("checklist(1, 2, a, b, c)", {"a": True, "b": False, "c": True}, True),
    ("checklist(-1, 1, a, b)", {"a": True, "b": True}, False),
    # geopoints: metres on ODK's sphere
    ("round(distance(a, b))", {"a": "0 0 0 0", "b": "0 1 0 0"}, 111319),
    ("round(distance(p))", {"p": "43.8 87.6 0 5;43.81 87.6 0 5"}, 1113),
    ("distance(a, b)", {"a": "43.8 87.6", "b": None}, NAN),
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
const context = {window, document: {querySelectorAll: () => []}, CustomEvent: function () {},
  btoa, crypto};
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
    assert len(CASES) + len(SHAPES) + len(XFORM_CASES) >= 150


# Values that differ at each call, checked by their shape on both sides.
SHAPES: list[tuple[str, str]] = [
    ("uuid()", r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
    ("uuid(12)", r"[0-9A-Za-z]{12}"),
    ("uuid(0)", r""),
    ("string(random())", r"0(\.\d+)?"),
    ("string(random() < 1 and random() >= 0)", r"true"),
    ("string(int(random() * 6) + 1)", r"[1-6]"),
    ("concat('H', uuid(4))", r"H[0-9A-Za-z]{4}"),
    ("string(string_length(uuid()))", r"36"),
    ("now()", r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"),
    ("string(decimal_date_time(now()) > 20000)", r"true"),
    ("string(number(date(now())) == int(decimal_date_time(now())))", r"true"),
]


def test_random_values_have_their_shape_on_both_sides():
    import re

    for source, shape in SHAPES:
        for _ in range(20):
            assert re.fullmatch(shape, string(server(source, {}))), source
    trees = [(compile_expr(source), {}) for source, _shape in SHAPES for _ in range(20)]
    found = browser(trees)
    for (source, shape), got in zip([s for s in SHAPES for _ in range(20)], found, strict=True):
        assert re.fullmatch(shape, got[1]), (source, got)
    first = [server("uuid()", {}) for _ in range(50)]
    assert len(set(first)) == 50


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


# --- XLSForm expressions as staff surveys bring them ------------------------------------
# Written in XPath as the forms have them, translated at upload (census/surveys/xlsform/
# expressions.py) and then run by both sides. The values are ODK's: an empty answer is ''
# (NaN in arithmetic), a number compared with a text compares numbers, ISO dates compare
# and subtract by their day numbers, and an entry of a repeat inside a repeat reads its own
# row first, then the row around it, then the form.
XFORM_TYPES = {
    "age": "integer", "weight": "decimal", "name": "text", "code": "text", "phone": "text",
    "id": "text", "sex": "select_one", "consent": "select_one", "help": "select_many",
    "dob": "date", "visit": "date", "members": "repeat", "m_name": "text",
    "m_age": "integer", "kids": "repeat", "k_name": "text", "k_age": "integer",
}  # fmt: skip
XFORM_LEVEL = {"members": None, "m_name": "members", "m_age": "members", "kids": "members",
               "k_name": "kids", "k_age": "kids"}  # fmt: skip
XFORM_LABELS = {"sex": {"m": "男", "f": "女"}, "consent": {"yes": "同意", "no": "不同意"}}
KIDS = [{"k_name": "小红", "k_age": 12}, {"k_name": None, "k_age": 8}]
MEMBERS = [
    {"m_name": "王芳", "m_age": 67, "kids": []},
    {"m_name": "王小明", "m_age": 40, "kids": KIDS},
]
TOP = {"name": "王芳", "age": 67, "members": MEMBERS}
IN_MEMBER = {**MEMBERS[1], "__outer__": TOP, "__position__": 2}
IN_KID = {**KIDS[1], "__outer__": {**TOP, **MEMBERS[1]}, "__position__": 2}

# (XPath, the repeat it is read in, answers, expected value; "?" marks a condition)
XFORM_CASES: list[tuple[str, str | None, dict[str, Any], Any]] = [
    ("if(${age} >= 60, 'elder', 'adult')", None, {"age": 67}, "elder"),
    ("if(${age} >= 60, 'elder', 'adult')", None, {"age": None}, "adult"),
    ("if(${age} = '', 'unknown', 'known')", None, {"age": None}, "unknown"),
    ("if(${age} = '', 'unknown', 'known')", None, {"age": 0}, "known"),
    ("coalesce(${name}, 'nobody')", None, {"name": None}, "nobody"),
    ("concat(${name}, '(', ${age}, ')')", None, {"name": "王芳", "age": 67}, "王芳(67)"),
    ("concat(${name}, ${age})", None, {"name": None, "age": None}, ""),
    ("selected(${help}, 'meals')", None, {"help": ["meals", "visit"]}, True),
    ("?selected(${help}, 'meals')", None, {"help": ["visit"]}, False),
    ("?selected(${help}, 'meals')", None, {"help": []}, False),
    ("count-selected(${help})", None, {"help": ["meals", "visit"]}, 2),
    ("?count-selected(${help}) = 0", None, {"help": []}, True),
    ("?${help} = ''", None, {"help": []}, True),
    ("?${help} != ''", None, {"help": ["meals"]}, True),
    ("?${help} != ''", None, {"help": []}, False),
    ("jr:choice-name(${sex}, '${sex}')", None, {"sex": "f"}, "女"),
    ("jr:choice-name(${sex}, '${sex}')", None, {"sex": None}, ""),
    (
        "concat(${name}, jr:choice-name(${consent}, '${consent}'))",
        None,
        {"name": "王芳", "consent": "yes"},
        "王芳同意",
    ),  # fmt: skip
    ("string-length(${name}) > 0", None, {"name": None}, False),
    ("substr(${id}, 6, 10)", None, {"id": "110105195807011234"}, "1958"),
    ("?regex(${phone}, '^1[3-9][0-9]{9}$')", None, {"phone": "13912345678"}, True),
    ("?regex(${phone}, '^1[3-9][0-9]{9}$')", None, {"phone": None}, False),
    # \d and \w are ASCII in the browser (and ODK's Java): full-width digits are not digits
    ("?regex(${phone}, '^\\d{11}$')", None, {"phone": "１３９１２３４５６７８"}, False),
    ("?regex(${phone}, '^\\d{11}$')", None, {"phone": "13912345678"}, True),
    ("?regex(${name}, '^\\w+$')", None, {"name": "王芳"}, False),
    ("?regex(${code}, '^[\\w-]+$')", None, {"code": "H-01"}, True),
    ("?regex(${name}, '\\s')", None, {"name": "王\u3000芳"}, True),  # a Chinese keyboard's space
    ("?regex(${name}, '^[^\\s]+$')", None, {"name": "王\u3000芳"}, False),
    ("?regex(${name}, '^\\S+$')", None, {"name": "王\u3000芳"}, False),
    ("round(${weight} * 2.2046, 1)", None, {"weight": 52.5}, 115.7),
    ("number(${age}) + 1", None, {"age": 67}, 68),
    ("${age} + 1", None, {"age": None}, NAN),
    ("string(${age})", None, {"age": 67}, "67"),
    ("int(${weight})", None, {"weight": 52.5}, 52),
    ("once(concat('H', ${age}))", None, {"age": 67}, "H67"),
    # boolean logic with empty answers
    ("?${age} > 60 and ${consent} = 'yes'", None, {"age": 67, "consent": "yes"}, True),
    ("?${age} > 60 and ${consent} = 'yes'", None, {"age": None, "consent": "yes"}, False),
    ("?${name} = '' or ${age} < 18", None, {"name": None, "age": None}, True),
    ("?${consent} = 'yes' or ${age} > 60", None, {"consent": None, "age": None}, False),
    ("?not(${name} = '')", None, {"name": None}, False),
    ("?not(${age} > 60)", None, {"age": None}, True),
    ("?${name} != 'x'", None, {"name": None}, True),
    ("?${age} >= 18 and ${age} <= 60", None, {"age": 30}, True),
    ("?${age} >= 18 and ${age} <= 60", None, {"age": None}, False),
    ("?${age}", None, {"age": 0}, True),
    ("?${age}", None, {"age": None}, False),
    ("boolean(${name})", None, {"name": None}, False),
    # numbers compared with texts: XPath compares them as numbers
    ("?${weight} = 52.5", None, {"weight": 52.5}, True),
    ("?${weight} = '52.5'", None, {"weight": 52.5}, True),
    ("?${code} = 7", None, {"code": "007"}, True),
    ("?${code} = '7'", None, {"code": "007"}, False),
    ("?${age} > '60'", None, {"age": 67}, True),
    ("?${age} = 0", None, {"age": None}, False),
    ("?${name} = 3", None, {"name": "王芳"}, False),
    ("?${code} < 'b'", None, {"code": "a"}, False),
    ("?${code} < 10", None, {"code": "9"}, True),
    # dates compared and subtracted
    ("today() - ${visit}", None, {"visit": "2026-03-10"}, 5),
    ("${visit} - ${dob}", None, {"visit": "2026-03-10", "dob": "1958-07-01"}, 24724),
    ("?${visit} < today()", None, {"visit": "2026-03-10"}, True),
    ("?${visit} > ${dob}", None, {"visit": "2026-03-10", "dob": "1958-07-01"}, True),
    ("?${visit} >= '2026-01-01'", None, {"visit": "2026-03-10"}, True),
    ("?${visit} = '2026-03-10'", None, {"visit": "2026-03-10"}, True),
    ("?${visit} < today()", None, {"visit": None}, False),
    ("int((today() - ${dob}) div 365.25)", None, {"dob": "1958-07-01"}, 67),
    ("date(${visit} + 30)", None, {"visit": "2026-03-10"}, "2026-04-09"),
    ("format-date(date(${visit} + 30), '%e/%n')", None, {"visit": "2026-03-10"}, "9/4"),
    ("format-date(${visit}, '%Y-%m')", None, {"visit": "2026-03-10"}, "2026-03"),
    ("decimal-date-time(${visit})", None, {"visit": "2026-03-10"}, 20522),
    ("?today() - ${visit} <= 7", None, {"visit": "2026-03-10"}, True),
    # repeats, read from the form
    ("count(${members})", None, TOP, 2),
    ("sum(${m_age})", None, TOP, 107),
    ("max(${m_age})", None, TOP, 67),
    ("indexed-repeat(${m_name}, ${members}, 2)", None, TOP, "王小明"),
    # an entry: its own row first, then the form
    ("position(..)", "members", IN_MEMBER, 2),
    ("concat(${m_name}, '/', ${name})", "members", IN_MEMBER, "王小明/王芳"),
    ("count(${kids})", "members", IN_MEMBER, 2),
    ("sum(${k_age})", "members", IN_MEMBER, 20),
    (
        "if(${m_age} >= 60, concat(${m_name}, '（老人）'), ${m_name})",
        "members",
        IN_MEMBER,
        "王小明",
    ),  # fmt: skip
    ("?${m_age} < ${age}", "members", IN_MEMBER, True),
    # an entry of a repeat inside a repeat: its row, the member's row, then the form
    ("position(..)", "kids", IN_KID, 2),
    ("concat(${k_age}, '-', ${m_name}, '-', ${name})", "kids", IN_KID, "8-王小明-王芳"),
    ("coalesce(${k_name}, ${m_name})", "kids", IN_KID, "王小明"),
    ("${m_age} - ${k_age}", "kids", IN_KID, 32),
    ("?${k_age} < ${m_age}", "kids", IN_KID, True),
    ("?${k_name} = ''", "kids", IN_KID, True),
    ("${age} - ${m_age}", "kids", IN_KID, 27),
]


def _own(level: str | None) -> set[str]:
    """The names an entry at ``level`` holds itself (the form's, outside any repeat)."""
    return {name for name, at in XFORM_LEVEL.items() if at == level} | (
        {n for n in XFORM_TYPES if n not in XFORM_LEVEL} if level is None else set()
    )


def _outer_marked(tree: dict[str, Any], own: set[str]) -> dict[str, Any]:
    """Names of the levels around an entry marked ``outer``, as a survey's definition does."""
    if "var" in tree:
        return tree if tree["var"] in own else dict(tree, outer=True)
    return {
        k: [_outer_marked(t, own) for t in v] if k in ("args", "list") else v
        for k, v in tree.items()
    }


def xform_tree(xpath: str, level: str | None) -> dict[str, Any]:
    """An XLSForm expression as the upload translates it, compiled for both sides."""
    scope = Scope()
    scope.types = dict(XFORM_TYPES)
    scope.level = {n: XFORM_LEVEL.get(n) for n in XFORM_TYPES}
    scope.repeats = {"members", "kids"}
    scope.labels = dict(XFORM_LABELS)
    condition = xpath.startswith("?")
    parsed = Parser(xpath.removeprefix("?")).parse()
    ours = scope.relevant(parsed, xpath, level) if condition else scope.calculation(parsed, level)
    tree = compile_expr(ours)
    return tree if level is None else _outer_marked(tree, _own(level))


def _xform_id(case: tuple[str, str | None, dict[str, Any], Any]) -> str:
    return f"{case[0]} @{case[1] or 'form'}"


@pytest.mark.parametrize("xpath,level,env,expected", XFORM_CASES, ids=map(_xform_id, XFORM_CASES))
def test_the_server_gives_odks_value_of_an_xlsform_expression(xpath, level, env, expected):
    assert kind(evaluate(xform_tree(xpath, level), {"__today__": TODAY, **env})) == kind(expected)


def test_the_browser_gives_the_same_values_of_xlsform_expressions():
    cases = [
        (xform_tree(xpath, level), {"__today__": TODAY, **_as_typed(env)})
        for xpath, level, env, _v in XFORM_CASES
    ]
    found = browser(cases)
    wrong = [
        (_xform_id(case), got, kind(case[3]))
        for case, got in zip(XFORM_CASES, found, strict=True)
        if got != kind(case[3])
    ]
    assert wrong == []


def test_a_constraints_pattern_takes_ascii_digits_only_as_the_tablet_does():
    """``regex(., '^\\d{11}$')`` becomes a pattern rule; the tablet's RegExp reads \\d as
    0-9, so the server refuses full-width digits too (it took them before)."""
    from census.surveys.validate import clean
    from tests.surveys.test_nested_and_photos import form_of

    form = form_of([("text", "phone", "电话", "Phone", "", "", "", "regex(., '^\\d{11}$')")])
    assert form.fields[0].pattern == "\\d{11}"
    for typed, refused in (("13912345678", False), ("１３９１２３４５６７８", True)):
        _record, problems = clean(form, {"phone": typed})
        assert any(p.code == "pattern_mismatch" for p in problems) is refused, typed


# Quotients from tiny to huge: each side writes the number as JavaScript does (0.00007,
# not 7e-05; 1e-7 and 1.2e+21 with an exponent; 2**60 as 1152921504606846976 is not how
# the browser says 1152921504606847000).
QUOTIENTS = [
    f"string({a} / {b})"
    for a in (1, 7, 123, 99999, 1152921504606846976, 123456789012345678901234)
    for b in (3, 7, 1000, 100000, 1000000, 70000000, 10000000000)
]


def test_the_two_sides_write_a_number_alike_small_or_large():
    found = browser([(compile_expr(source), {}) for source in QUOTIENTS])
    for source, got in zip(QUOTIENTS, found, strict=True):
        assert string(server(source, {})) == got[1], source
    assert string(server("string(7 / 100000)", {})) == "0.00007"
    assert string(server("string(1 / 10000000)", {})) == "1e-7"


def test_every_magnitude_is_written_as_javascript_writes_it():
    """3,000 numbers from 1e-320 to 1e308, integers past 2**53 among them, against node's
    own String(x): the server's string() is the browser's, digit for digit."""
    import random

    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    rng = random.Random(20261204)
    numbers = [rng.random() * 10.0 ** rng.randint(-320, 308) for _ in range(2000)]
    numbers += [float(rng.randint(-(10**22), 10**22)) for _ in range(500)]
    numbers += [-rng.random() * 10.0 ** rng.randint(-9, 22) for _ in range(500)]
    numbers += [0.0, 1e-7, 1e-6, 1e21, 1e20, 2.0**53, 2.0**53 + 2, 5e-324, 1.7976931348623157e308]
    script = "console.log(JSON.stringify(JSON.parse(require('fs').readFileSync(0)).map(String)))"
    done = subprocess.run(
        ["node", "-e", script],
        input=json.dumps(numbers),
        capture_output=True,
        text=True,
        check=True,
    )
    for number, written in zip(numbers, json.loads(done.stdout), strict=True):
        assert string(number) == written, number
