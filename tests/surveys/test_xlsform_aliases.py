"""What pyxform reads and we once refused: the ODK function library, its type aliases,
names with - and ., loops over a choice list, a bare word in a choice_filter."""

from __future__ import annotations

import io
import math

import pytest
from openpyxl import load_workbook

from census.surveys.definition import parse_definition
from census.surveys.validate import clean, has_errors
from census.surveys.xlsform import XLSFormError, translate
from tests.surveys.xlsform_files import xlsform

HEAD = ("type", "name", "label", "calculation", "relevant", "choice_filter", "required")


def form(rows, choices=(), settings=None):
    data = xlsform(rows, choices, settings or {"form_id": "t"}, head=HEAD)
    translation = translate(data)
    definition = dict(translation.definition, collection="survey_t")
    return translation, parse_definition(definition, "t.xlsx")


# (an XLSForm calculation over ${n} = 2 and ${s} = "a-b-c", its value in the record)
FUNCTIONS = [
    ("sqrt(${n} * 8)", 4),
    ("round(exp(0) + exp10(2), 0)", 101),
    ("round(log(exp(${n})), 3)", 2),
    ("log10(1000)", 3),
    ("round(sin(0) + cos(0) + tan(0), 0)", 1),
    ("round(asin(1) * 2 div pi(), 3)", 1),
    ("round(acos(1) + atan(0) + atan2(0, 1), 0)", 0),
    ("string-length(uuid())", 36),
    ("string-length(uuid(8))", 8),
    ("random() < 1", "true"),
    ("digest('abc', 'SHA-256', 'hex')",
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("translate(${s}, '-', '/')", "a/b/c"),
    ("substring-before(${s}, '-')", "a"),
    ("substring-after(${s}, '-')", "b-c"),
    ("boolean-from-string('true')", "true"),
    ("count-non-empty(${s})", 1),
    ("checklist(1, 2, 'yes', 'no')", "true"),
    ("join(', ', 'x', 'y')", "x, y"),
    ("round(distance('0 0', '0 1'), -3)", 111000),
]  # fmt: skip


@pytest.mark.parametrize("expression,expected", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_a_calculation_with_an_odk_function_is_accepted_and_worked_out(expression, expected):
    _t, survey = form(
        [("integer", "n", "N"), ("text", "s", "S"), ("calculate", "c", "", expression)]
    )
    record, problems = clean(survey, {"n": "2", "s": "a-b-c"})
    assert not has_errors(problems)
    value = record["c"]
    if isinstance(expected, int) and isinstance(value, float):
        assert math.isclose(value, expected, abs_tol=1e-9)
    elif expected == "true":
        assert value in ("true", True)
    else:
        assert value == expected


def test_a_function_we_have_not_is_refused_at_its_cell():
    with pytest.raises(XLSFormError) as refused:
        form([("integer", "n", "N"), ("calculate", "c", "", "pulldata('a', 'b', 'c', ${n})")])
    (problem,) = refused.value.problems
    assert (problem.code, problem.cell) == ("expression", "D3")
    assert "pulldata()" in problem.message("en")


def test_pyxform_type_aliases_read_as_what_they_stand_for():
    _t, survey = form(
        [
            ("gps", "spot", "位置"),
            ("phone number", "tel", "电话"),
            ("q int", "rooms", "房间"),
            ("percentage", "share", "比例"),
            ("datetime", "at", "时间"),
        ]  # fmt: skip
    )
    kinds = {f.key: f.type for f in survey.fields}
    assert kinds == {
        "spot": "geopoint", "tel": "text", "rooms": "integer", "share": "integer", "at": "text",
    }  # fmt: skip
    _record, problems = clean(survey, {"tel": "13x", "share": "120", "at": "2026-03-15 9:30"})
    assert sorted(p.path for p in problems) == ["at", "share", "tel"]
    record, problems = clean(survey, {"tel": "13900001111", "share": "40"})
    assert not problems and record["tel"] == "13900001111"


def test_names_with_dash_and_dot_are_stored_under_safe_keys_and_keep_their_names():
    rows = [
        ("integer", "tel.count", "电话数"),
        ("text", "label-test", "备注", "", "${tel.count} > 1"),
        ("calculate", "double-it", "", "${tel.count} * 2"),
        ("note", "say", "共 ${double-it} 个"),
    ]
    _t, survey = form(rows)
    keys = [(f.key, f.name) for f in survey.fields]
    assert keys == [
        ("tel_count", "tel.count"), ("label_test", "label-test"),
        ("double_it", "double-it"), ("say", None),
    ]  # fmt: skip
    record, problems = clean(survey, {"tel_count": "3", "label_test": "x"})
    assert not problems and record["double_it"] == 6 and record["label_test"] == "x"
    assert survey.field("say").filled("zh", record) == "共 6 个"
    record, _p = clean(survey, {"tel_count": "1", "label_test": "x"})
    assert "label_test" not in record or record["label_test"] is None  # not relevant


def test_a_loop_over_a_list_asks_its_questions_once_per_choice():
    rows = [
        ("select_multiple toilet", "kinds", "厕所类型"),
        ("begin loop over toilet", "each"),
        ("integer", "number", "%(label)s 有几个？", "", "selected(${kinds}, '%(name)s')"),
        ("end loop",),
    ]
    choices = [("toilet", "pit", "旱厕", "Pit"), ("toilet", "flush", "水冲", "Flush")]
    _t, survey = form(rows, choices)
    loop = [(f.key, f.name, f.text("zh")) for f in survey.fields[1:]]
    assert loop == [
        ("pit_number", "each/pit/number", "旱厕 有几个？"),
        ("flush_number", "each/flush/number", "水冲 有几个？"),
    ]
    record, problems = clean(survey, {"kinds": ["pit"], "pit_number": "2", "flush_number": "5"})
    assert not problems and record["pit_number"] == 2 and record.get("flush_number") is None


def test_a_bare_word_in_a_choice_filter_reads_as_text_with_a_note_at_its_cell():
    rows = [("select_one colors", "pastel_pick", "颜色", "", "", "pastel=yes")]
    choices = [("colors", "red", "红"), ("colors", "mauve", "淡紫")]
    data = xlsform(rows, [(*c, c[2]) for c in choices], {"form_id": "t"}, head=HEAD)
    book = load_workbook(io.BytesIO(data))  # the choices need their pastel column
    sheet = book["choices"]
    sheet["E1"], sheet["E2"], sheet["E3"] = "pastel", "no", "yes"
    buffer = io.BytesIO()
    book.save(buffer)
    translation = translate(buffer.getvalue())
    survey = parse_definition(dict(translation.definition, collection="survey_t"), "t.xlsx")
    (note,) = [n for n in translation.notes if n.code == "bare_word"]
    assert note.cell == "F2" and "“yes”" in note.message("en")
    field = survey.field("pastel_pick")
    assert [c for c, _l in field.options() if field.offered(c, {})] == ["mauve"]
