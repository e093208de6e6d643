"""Work registers: columns as staff read them, periods, order, grouping, and their settings."""

from __future__ import annotations

import pytest
from worklog_factories import households, visit

from census.surveys.definition import DefinitionError, load_surveys, parse_definition
from census.worklog.links import Links
from census.worklog.periods import year_period
from census.worklog.registers import group_counts, register_for, register_rows, sheet

SURVEYS = load_surveys()


def test_a_visit_log_shows_words_links_and_newest_first():
    reg = register_for(SURVEYS["visit"])
    records = [
        visit("2025-03-01", "H0001", amount=200) | {"id": 1},
        visit("2025-05-01", "H0002", "H0404") | {"id": 2, "kind": "policy"},
        visit("2024-05-01", "H0003") | {"id": 3},
    ]
    rows = register_rows(reg, records, Links(households()), period=year_period(2025))
    assert [r.id for r in rows] == [2, 1]
    assert rows[1].cells["kind"] == "慰问"
    assert rows[1].cells["households"] == "H0001 1栋1单元101室"
    assert rows[0].cells["households"] == "H0002 1栋1单元102室；H0404（未找到）"
    assert rows[0].broken_links == 1 and rows[1].broken_links == 0
    assert group_counts(reg, rows) == [("慰问", 1), ("政策宣传", 1)]
    headers, body = sheet(reg, rows)
    assert headers[:3] == ["走访日期", "走访类型", "走访住户"]
    assert body[1][5] == 200  # numbers stay numbers in the spreadsheet


def test_mediation_parties_are_named_with_role_and_masked_phone():
    reg = register_for(SURVEYS["mediation"])
    homes = households()
    head = homes[0]["members"][0]
    record = {
        "id": 1,
        "date": "2025-04-02",
        "kind": "neighbour",
        "outcome": "resolved",
        "matter": "楼上漏水",
        "parties": [
            {"name": "张建国", "role": "applicant", "person": "H0001/张建国", "phone": None},
            {"name": "赵六", "role": "respondent", "person": None, "phone": "13912345678"},
        ],
    }
    (row,) = register_rows(reg, [record], Links(homes))
    assert row.cells["parties"] == "张建国（申请人）；赵六（被申请人，139****5678）"
    assert row.cells["outcome"] == "调解成功"
    (full,) = register_rows(reg, [record], Links(homes), full=True)
    assert "13912345678" in full.cells["parties"]
    assert head["name"] == "张建国"


def test_a_volunteer_is_shown_as_the_person_of_the_register_and_unknown_ids_stay_masked():
    reg = register_for(SURVEYS["volunteer"])
    homes = households()
    someone = homes[2]["members"][0]
    rows = register_rows(
        reg,
        [
            {"id": 1, "person": someone["id_number"], "team": "党员服务队", "hours": 30},
            {"id": 2, "person": "110105199001011234", "team": "党员服务队", "hours": 4},
        ],
        Links(homes),
    )
    texts = {r.id: r.cells["person"] for r in rows}
    assert texts[1] == f"{someone['name']}（H0003 1栋1单元201室）"
    assert texts[2] == "110105********1234（未找到）"


def test_a_survey_without_register_settings_lists_its_first_questions_newest_first():
    form = parse_definition(
        {
            "form": "pets",
            "collection": "survey_pets",
            "title": {"zh": "宠物登记", "en": "Pets"},
            "fields": [
                {"key": "owner", "type": "text", "label": "户主"},
                {"key": "seen", "type": "date", "label": "登记日期"},
                {"key": "notes", "type": "textarea", "label": "备注"},
            ],
        },
        "pets.yaml",
    )
    reg = register_for(form)
    assert reg.title() == "宠物登记台账" and reg.title("en") == "Pets register"
    assert reg.columns == ("owner", "seen") and reg.date == "seen" and reg.order == ("-seen",)


@pytest.mark.parametrize(
    "register,problem",
    [
        ({"columns": ["date", "nothing"]}, "column “nothing” is not a field"),
        ({"columns": ["date"], "date": "kind"}, "date “kind” is not a date field"),
        ({"columns": ["date"], "order": ["-when"]}, "order “-when” is not a field"),
        ({"columns": ["date"], "colour": "red"}, "unknown setting(s): colour"),
    ],
)
def test_a_broken_register_setting_names_the_file_and_the_problem(register, problem):
    import yaml

    from census.util.resources import FORMS_DIR

    raw = yaml.safe_load((FORMS_DIR / "visit.yaml").read_text(encoding="utf-8"))
    form = parse_definition(dict(raw, register=register), "visit.yaml")
    with pytest.raises(DefinitionError) as caught:
        register_for(form)
    assert str(caught.value).startswith("visit.yaml: register: ")
    assert problem in str(caught.value)


def test_every_work_record_form_has_a_sound_register():
    for name in ("visit", "mediation", "activity", "volunteer", "service_case"):
        reg = register_for(SURVEYS[name])
        assert reg.title().endswith(("台账", "花名册")), name


def test_a_survey_register_lists_the_records_its_rule_admits_calculated_fields_too():
    """A staff survey's register may say which records it lists, as a household register
    does: here the elderly of a vaccination survey, by a calculated field and an answer."""
    from census.surveys.validate import clean

    form = parse_definition(
        {
            "form": "jabs",
            "collection": "survey_jabs",
            "title": {"zh": "疫苗接种", "en": "Vaccination"},
            "fields": [
                {"key": "name", "type": "text", "label": "姓名"},
                {"key": "age", "type": "integer", "label": "年龄"},
                {"key": "senior", "type": "calculate", "label": "老人", "calculation": "age >= 60"},
                {"key": "done", "type": "yes_no", "label": "已接种"},
            ],
            "register": {
                "name": {"zh": "未接种老人台账", "en": "Elderly not yet vaccinated"},
                "columns": ["name", "age"],
                "rule": "senior and not done",
            },
        },
        "jabs.yaml",
    )
    reg = register_for(form)
    answers = [("甲", 72, False), ("乙", 45, False), ("丙", 81, True), ("丁", 60, False)]
    records = []
    for n, (name, age, done) in enumerate(answers, 1):
        record, problems = clean(form, {"name": name, "age": age, "done": done})
        assert not [p for p in problems if p.is_error]
        records.append(record | {"id": n})
    assert [r.cells["name"] for r in register_rows(reg, records, None)] == ["丁", "甲"]


@pytest.mark.parametrize(
    "rule,problem",
    [("age >", "rule: "), ("colour == 'red'", "unknown field(s): colour"), (["x"], "expression")],
)
def test_a_broken_register_rule_names_the_problem(rule, problem):
    form = parse_definition(
        {
            "form": "jabs",
            "collection": "survey_jabs",
            "title": {"zh": "疫苗接种"},
            "fields": [{"key": "age", "type": "integer", "label": "年龄"}],
            "register": {"columns": ["age"], "rule": rule},
        },
        "jabs.yaml",
    )
    with pytest.raises(DefinitionError, match="register: ") as caught:
        register_for(form)
    assert problem in str(caught.value)
