"""XLSForm uploads read with pyxform: what becomes our definition, and what is refused where."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from census.domain.expr import evaluate
from census.surveys.definition import parse_definition
from census.surveys.validate import clean
from census.surveys.xlsform import XLSFormError, translate
from tests.surveys.xlsform_files import ROSTER, xlsform


def roster():
    definition = translate(xlsform()).definition
    return definition, parse_definition(dict(definition, collection="survey_roster"), "x.xlsx")


def test_a_household_roster_becomes_our_definition():
    definition, form = roster()
    assert definition["form"] == "roster" and definition["title"] == {"zh": "家庭情况调查"}
    assert [f.key for f in form.fields] == [
        "address", "housing", "landlord", "size", "phone", "moved_in", "people",
    ]  # fmt: skip
    address = form.field("address")
    assert address.label == {"zh": "住址", "en": "Address"}
    assert address.hint == {"zh": "楼栋单元门牌", "en": "Building, entrance, door"}
    assert address.required
    housing = form.field("housing")
    assert housing.options("zh") == [("owned", "自有"), ("rented", "租住")]
    assert housing.options("en") == [("owned", "Owned"), ("rented", "Rented")]
    assert housing.default == "owned" and housing.choices == "roster.housing"
    assert form.field("landlord").relevant_source == 'housing == "rented"'
    size = form.field("size")
    assert (size.type, size.min, size.max) == ("integer", 1, 20)
    assert form.field("phone").max_length == 20  # a question of a group: the group is gone
    assert form.field("moved_in").past
    people = form.field("people")
    assert people.type == "repeat" and people.label["en"] == "Members"
    assert [s.key for s in people.fields] == ["pname", "psex", "age", "needs"]
    assert (form.field("people.age").min, form.field("people.age").max) == (0, 120)
    assert form.field("people.needs").relevant_source == "age >= 60"
    assert form.choice_lists["roster.needs"]["doctor"] == {"zh": "上门医疗", "en": "Home doctor"}


def test_the_translated_rules_decide_as_the_xlsform_meant():
    _definition, form = roster()
    raw = {
        "address": "3栋2单元301",
        "housing": "rented",
        "landlord": "",
        "size": "25",
        "moved_in": "2999-01-01",
        "people": [
            {"pname": "王芳", "psex": "f", "age": "67", "needs": ["meals"]},
            {"pname": "王小明", "psex": "m", "age": "12", "needs": ["doctor"]},
            {"pname": "王某", "psex": "x", "age": "130"},
        ],
    }
    record, problems = clean(form, raw)
    found = {(p.path, p.code) for p in problems}
    assert found == {
        ("landlord", "required"),  # rented: the landlord is asked
        ("size", "integer_max"),
        ("moved_in", "date_future"),
        ("people[2].psex", "choice_invalid"),
        ("people[2].age", "integer_max"),
    }
    assert record["people"][0]["needs"] == ["meals"]
    assert record["people"][1]["needs"] == []  # not 60 or over: not asked, not kept
    owned, problems = clean(form, dict(raw, housing="owned", size="3", moved_in="2020-01-01"))
    assert owned["landlord"] is None and "landlord" not in {p.path for p in problems}


FORMS_JS = Path(__file__).resolve().parents[2] / "census" / "static" / "forms.js"
NODE = """
const vm = require("vm");
const window = {};
const context = {window, document: {querySelectorAll: () => []}, CustomEvent: function () {}};
vm.runInNewContext(require("fs").readFileSync(process.argv[1], "utf8"), context);
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
console.log(JSON.stringify(cases.map(([tree, env]) => !!window.CensusForms.evaluate(tree, env))));
"""


def browser_evaluate(cases: list) -> list[bool]:
    """The trees evaluated by static/forms.js itself (under Node), as the tablet does."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    done = subprocess.run(
        ["node", "-e", NODE, str(FORMS_JS)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_skip_logic_on_blanks_and_numbers_reads_the_same_in_the_browser():
    rows = [
        ("integer", "n", "数量", "N"),
        ("text", "a", "A", "A", "", "", "", "", "${n} = 3"),
        ("text", "b", "B", "B", "", "", "", "", "${n} != ''"),
        ("text", "c", "C", "C", "", "", "", "", "not(${n} > 5) or ${a} = ''"),
        ("select_multiple yn", "d", "D", "D", "", "", "", "", "selected(${d}, 'y')"),
    ]
    definition = translate(xlsform(rows, [("yn", "y", "是", "Yes")], {})).definition
    form = parse_definition(dict(definition, collection="survey_x"), "x.xlsx")
    trees = [form.field(k).relevant for k in "abcd"]
    # The server holds typed values; the browser reads what is typed as text, blanks as null.
    server_envs = [
        {"n": 3, "a": None, "d": []},
        {"n": 4, "a": "x", "d": ["y"]},
        {"n": None, "a": None, "d": []},
        {"n": 9, "a": "x", "d": []},
        {"n": 0, "a": None, "d": []},
    ]
    browser_envs = [
        {k: (str(v) if isinstance(v, int) else v) for k, v in env.items()} for env in server_envs
    ]
    server = [bool(evaluate(t, env)) for env in server_envs for t in trees]
    browser = browser_evaluate([[t, env] for env in browser_envs for t in trees])
    assert server == browser
    assert server[:4] == [True, True, True, False]  # n = 3, answered, not > 5, nothing ticked
    assert server[8:12] == [False, False, True, False]  # all blank


def problems_of(data: bytes) -> list:
    with pytest.raises(XLSFormError) as caught:
        translate(data)
    return caught.value.problems


def row(question: tuple, at: int = 5) -> list:
    rows = list(ROSTER)
    rows.insert(at - 2, question)
    return rows


@pytest.mark.parametrize(
    "question,column,code",
    [
        (
            (
                "text",
                "why",
                "原因",
                "Why",
                "",
                "",
                "",
                "",
                "pulldata('prices', 'rent', 'code', ${address}) > 0.5",
            ),
            "relevant",
            "expression",
        ),
        (("text", "why", "原因", "Why", "", "", "", "", "${nothing} = 'x'"), "relevant", "pyxform"),
        (("text", "created_at", "时间", "Time"), "name", "reserved"),
        (
            ("integer", "rooms", "房间数", "Rooms", "", "", "", "", "${age} > 1"),
            "relevant",
            "scope",
        ),
    ],
)
def test_what_cannot_work_is_refused_with_its_row_and_column(question, column, code):
    (problem,) = [p for p in problems_of(xlsform(row(question))) if p.code == code]
    assert (problem.sheet, problem.row, problem.column) == ("survey", 5, column)
    letter = "ABCDEFGHIJ"[list(xlsform_head()).index(column)]
    assert problem.cell == f"{letter}5"
    assert f"第 5 行 {column} 列" in problem.where() and problem.message("en")


@pytest.mark.parametrize(
    "question",
    [
        ("geopoint", "where", "位置", "Location"),
        ("note", "intro", "说明 ${size}", "About"),
        ("select_one housing or_other", "h2", "住房", "Housing"),
        ("integer", "rooms", "房间数", "Rooms", "", "", "", ". > ${size}"),
        ("integer", "rooms", "房间数", "Rooms", "", "", "${size} > 1"),
        ("text", "why", "原因", "Why", "", "", "", "", "count-selected(${housing}) > 1"),
        ("date", "seen", "走访日期", "Seen", "", "", "", "", "", "today()"),
        ("hidden", "batch", "", "", "", "", "", "", "", "2026-A"),
        ("range", "score", "评分", "Score"),
        ("time", "at", "时间", "Time"),
        ("image", "photo", "照片", "Photo"),  # once left out with a note at its cell
        ("gps", "spot", "位置", "Location"),  # pyxform's aliases of geopoint, digits only …
        ("phone number", "tel", "电话", "Phone"),
        ("q int", "rooms", "房间数", "Rooms"),
        ("datetime", "at", "时间", "Time"),
        ("text", "why", "原因", "Why", "", "", "", "", "random() > 0.5"),
    ],
)
def test_what_pyxform_accepts_and_we_once_refused_is_accepted(question):
    definition = translate(xlsform(row(question))).definition
    assert question[1] in [f["key"] for f in definition["fields"]]
    parse_definition(dict(definition, collection="survey_roster"), "x.xlsx")


@pytest.mark.parametrize(
    "question,words",
    [
        (("select_one_from_file streets.csv", "street", "街道", "Street"), "选项文件"),
        (("audio", "voice", "录音", "Voice"), "录音题暂不支持"),
    ],
)
def test_a_question_that_cannot_work_yet_is_left_out_with_its_cell(question, words):
    translation = translate(xlsform(row(question)))
    assert question[1] not in [f["key"] for f in translation.definition["fields"]]
    (note,) = [n for n in translation.notes if n.code == "left_out"]
    assert (note.row, note.cell) == (5, "A5") and words in note.message()
    assert "left out" in note.message("en")


def xlsform_head():
    from tests.surveys.xlsform_files import SURVEY_HEAD

    return SURVEY_HEAD


def test_columns_once_refused_are_read_and_unknown_ones_noted():
    head = (*xlsform_head(), "calculation", "choice_filter", "repeat_count", "appearance", "备注")
    rows = [
        ("integer", "n", "数量", "N"),
        ("calculate", "twice", "", "", "", "", "", "", "", "", "${n} * 2"),
        ("select_one yn", "ok", "好", "OK", "", "", "", "", "", "", "", "name != 'x'"),
        ("begin_repeat", "r", "重复", "R", "", "", "", "", "", "", "", "", "${n}"),
        ("text", "t", "文本", "T", "", "", "", "", "", "", "", "", "", "multiline", "自用"),
        ("end_repeat",),
    ]
    translation = translate(xlsform(rows, [("yn", "y", "是", "Yes")], {}, head))
    fields = {f["key"]: f for f in translation.definition["fields"]}
    assert fields["twice"]["calculation"] == "n * 2"
    assert fields["r"]["count"] == "n"
    assert fields["ok"]["choice_filter"] == 'string(__c_name) != "x"'
    notes = {(n.code, n.cell) for n in translation.notes}
    assert notes == {("unknown_column", "O6")}


def test_a_repeat_in_a_repeat_and_a_second_repeat_are_accepted():
    rows = [
        ("begin_repeat", "outer", "外层", "Outer"),
        ("text", "a", "A", "A"),
        ("begin_repeat", "inner", "内层", "Inner"),
        ("text", "b", "B", "B"),
        ("end_repeat",),
        ("end_repeat",),
        ("begin_repeat", "again", "又一个", "Again"),
        ("text", "c", "C", "C"),
        ("end_repeat",),
    ]
    nested = translate(xlsform(rows, [], {})).definition
    assert [f["type"] for f in nested["fields"][0]["fields"]] == ["text", "repeat"]
    del rows[2:5]
    definition = translate(xlsform(rows, [], {})).definition
    assert [f["type"] for f in definition["fields"]] == ["repeat", "repeat"]


def test_a_question_inside_the_repeat_may_read_one_outside():
    rows = list(ROSTER)
    rows[11] = ("integer", "age", "年龄", "Age", "", "", "", "", "${housing} = 'rented'")
    definition, _ = translate(xlsform(rows)).definition, None
    form = parse_definition(dict(definition, collection="survey_roster"), "x.xlsx")
    age = form.field("people.age")
    assert age.relevant == {
        "op": "==",
        "args": [{"var": "housing", "outer": True}, {"const": "rented"}],
    }
    record, _problems = clean(
        form,
        {
            "address": "x",
            "housing": "owned",
            "size": "1",
            "people": [{"pname": "a", "psex": "f", "age": "3"}],
        },
    )
    assert record["people"][0]["age"] is None  # not rented: not asked


def test_what_pyxform_itself_refuses_comes_back_with_its_row():
    rows = [("text", "a", "A", "A"), ("end_group",)]
    (problem,) = problems_of(xlsform(rows, [], {}))
    assert problem.code == "pyxform" and problem.row == 3


def test_display_only_columns_and_metadata_are_ignored_and_said_so():
    head = (*xlsform_head(), "appearance", "guidance_hint::中文 (zh)")
    rows = [
        ("start", "start"),
        ("integer", "n", "数量", "N", "", "", "", ". >= 0", "", "", "w2", "不能为负"),
    ]
    translation = translate(xlsform(rows, [], {}, head), name="counts")
    assert [f["key"] for f in translation.definition["fields"]] == ["n"]
    assert translation.definition["form"] == "counts"
    notes = {(n.code, n.row) for n in translation.notes}
    assert notes == {("metadata", 2), ("ignored_column", 3)}


def test_a_file_that_is_not_a_workbook_is_refused():
    (problem,) = problems_of(b"not a spreadsheet")
    assert problem.code == "read"


def test_jr_choice_name_gives_the_label_of_the_code_chosen():
    head = (*xlsform_head(), "calculation")
    rows = [
        *ROSTER[:2],
        (
            "calculate",
            "housing_word",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "jr:choice-name(${housing}, '${housing}')",
        ),
        ("note", "said", "住房：${housing_word}", "Housing: ${housing_word}"),
    ]
    definition = translate(xlsform(rows, head=head)).definition
    form = parse_definition(dict(definition, collection="survey_roster"), "x.xlsx")
    record, problems = clean(form, {"address": "3栋", "housing": "rented"})
    assert not problems and record["housing_word"] == "租住"
    assert form.field("said").filled("zh", record) == "住房：租住"
    tree = form.field("housing_word").calculation
    assert browser_values([[tree, {"housing": "owned"}]]) == ["自有"]


def browser_values(cases: list) -> list:
    """Trees evaluated by static/forms.js under Node, their values as JSON."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    script = NODE.replace(
        "!!window.CensusForms.evaluate(tree, env)", "window.CensusForms.evaluate(tree, env)"
    )
    done = subprocess.run(
        ["node", "-e", script, str(FORMS_JS)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)
