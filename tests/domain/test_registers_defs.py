"""forms/registers.yaml is data: a new register is an edit; a broken one names itself."""

from __future__ import annotations

import itertools

import pytest
import yaml

from census.domain.expr import compile_expr, evaluate
from census.domain.registers import register_rows
from census.domain.rules import Columns, _mask, predicate
from census.surveys.registers import DefinitionError, load_registers, parse_registers
from census.util.resources import FORMS_DIR
from tests.community import AS_OF
from tests.factories import make_household, make_member

GOOD = {"key": "mine", "name": {"zh": "我的台账", "en": "Mine"}, "record": "person",
        "rule": "age >= 60", "columns": ["name", "age"]}  # fmt: skip


def parse(**changes):
    entry = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    return parse_registers({"registers": [entry]}, "registers.yaml")


def test_a_new_register_is_an_edit_of_the_file(tmp_path):
    raw = yaml.safe_load((FORMS_DIR / "registers.yaml").read_text(encoding="utf-8"))
    raw["registers"].append(
        {
            "key": "tenants_60",
            "name": {"zh": "租住老人", "en": "Elderly tenants"},
            "record": "person",
            "rule": 'age >= 60 and housing == "rented"',
            "columns": ["name", "age", "address", "landlord_name"],
        }
    )
    path = tmp_path / "registers.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    registers = {r.key: r for r in load_registers(path)}
    reg = registers["tenants_60"]
    household = make_household(housing="rented", landlord_name="王房东")
    household["members"] = [make_member(0, birth_date="1950-05-05"), make_member(2)]
    rows = register_rows(reg, [household, make_household(room="102")], [], [], AS_OF)
    assert [(r["name"], r["age"], r["landlord_name"]) for r in rows] == [("张建国", 75, "王房东")]


@pytest.mark.parametrize(
    "changes,where,problem",
    [
        ({"key": "2bad"}, "register #1", "snake_case"),
        ({"key": "summary"}, "register summary", "reserved"),
        ({"record": "building"}, "register mine", "record “building”"),
        ({"rule": "age >="}, "register mine", "rule: syntax error"),
        ({"rule": "religion == 'x'"}, "register mine", "unknown field(s) of a person: religion"),
        ({"rule": "__import__('os')"}, "register mine", "rule:"),
        ({"columns": []}, "register mine", "columns must be a non-empty list"),
        ({"columns": ["name", "salary"]}, "register mine", "column “salary”"),
        ({"record": "unit", "columns": ["name", "age"], "rule": None}, "register mine", "“age”"),
        ({"order": ["-wealth"]}, "register mine", "order “-wealth”"),
        ({"name": {"en": "x"}}, "register mine", "name needs at least a zh text"),
        ({"include_away": "yes"}, "register mine", "include_away"),
        ({"group_by": "colour"}, "register mine", "group_by “colour”"),
        ({"colour": "red"}, "register mine", "unknown setting(s): colour"),
    ],
)
def test_a_broken_register_names_file_register_and_problem(changes, where, problem):
    with pytest.raises(DefinitionError) as caught:
        parse(**changes)
    assert caught.value.source == "registers.yaml"
    assert caught.value.where == where
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"registers.yaml: {where}: ")


def test_duplicate_keys_and_bad_files(tmp_path):
    with pytest.raises(DefinitionError, match="register mine: the key is used twice"):
        parse_registers({"registers": [GOOD, GOOD]}, "registers.yaml")
    with pytest.raises(DefinitionError, match="top level"):
        parse_registers([GOOD], "registers.yaml")
    broken = tmp_path / "registers.yaml"
    broken.write_text("registers: [\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match="registers.yaml: YAML"):
        load_registers(broken)


def test_household_and_dwelling_registers_see_their_own_fields():
    (reg,) = parse(record="household", rule="residents >= 3 and housing == 'owned'",
                   columns=["household_no", "head_name", "residents"])  # fmt: skip
    small = make_household(members=2, household_no="H1")
    big = make_household(members=4, household_no="H2", room="102")
    assert [r["household_no"] for r in register_rows(reg, [small, big], [], [], AS_OF)] == ["H2"]
    with pytest.raises(DefinitionError, match="unknown field"):
        parse(record="dwelling", rule="age > 3", columns=["address"])


# ---------------------------------------------------------------- the compiled rules

RULES = [
    "age >= 60",
    "age < 18",
    '"disability" in conditions',
    '"disability" not in conditions',
    'housing == "rented"',
    'housing != "rented"',
    'political in ["cpc_member", "cpc_probationary"]',
    'ethnicity and ethnicity != "汉族"',
    "hardship",
    "not hardship",
    'age >= 60 and ("empty_nest_elderly" in conditions or "living_alone_elderly" in conditions)',
    "18 <= age < 60",
    "age > name",
    "key_unit == True",
    "x in y",
    'political not in ["cpc_member"]',
    'age >= "6"',
    '"王" in name',
    "None in conditions",
    "None not in conditions",
    "age > 1.5",
    'not (age >= 60 or housing == "rented")',
    "age >= 18 and age < 60 and hardship",
]
ENVS = [
    {},
    {"age": None, "conditions": None, "hardship": None, "ethnicity": None},
    {"age": 65, "conditions": ["disability", "empty_nest_elderly"], "housing": "rented"},
    {"age": 17, "conditions": [], "housing": "owned", "ethnicity": "汉族", "hardship": []},
    {"age": 40, "political": "cpc_member", "ethnicity": "回族", "hardship": ["low_income"]},
    {"age": 90, "name": "王", "key_unit": True, "x": "a", "y": "abc"},
    {"age": 18, "key_unit": False, "x": None, "y": ["a"], "ethnicity": ""},
    {"age": "70", "political": ["cpc_member"], "name": "王五", "conditions": "disability"},
    {"age": 1.5, "conditions": ("disability",), "hardship": "low_income", "housing": None},
]


@pytest.mark.parametrize("rule,env", list(itertools.product(RULES, ENVS)))
def test_compiled_rules_agree_with_the_expression_evaluator(rule, env):
    tree = compile_expr(rule)
    assert predicate(tree)(env) == bool(evaluate(tree, env))


def test_rules_are_checked_against_the_survey_forms_beside_the_file(tmp_path):
    """A community that adds a question to its household form may register by it."""
    for name in ("household", "storefront", "unit"):
        (tmp_path / f"{name}.yaml").write_text(
            (FORMS_DIR / f"{name}.yaml").read_text(encoding="utf-8"), encoding="utf-8"
        )
    form = yaml.safe_load((tmp_path / "household.yaml").read_text(encoding="utf-8"))
    members = next(f for f in form["fields"] if f["key"] == "members")
    members["fields"].append({"key": "volunteer_team", "type": "text", "label": "志愿服务队"})
    (tmp_path / "household.yaml").write_text(yaml.safe_dump(form, allow_unicode=True))
    entry = dict(GOOD, rule="volunteer_team", columns=["name", "volunteer_team"])
    (tmp_path / "registers.yaml").write_text(
        yaml.safe_dump({"registers": [entry]}, allow_unicode=True), encoding="utf-8"
    )
    (reg,) = load_registers(tmp_path / "registers.yaml")
    assert reg.column_label("volunteer_team") == "志愿服务队"
    with pytest.raises(DefinitionError, match="volunteer_team"):
        parse(rule="volunteer_team")  # the standard forms have no such field


@pytest.mark.parametrize("rule", RULES)
def test_counting_a_whole_list_agrees_with_the_rule_row_by_row(rule):
    from census.domain.rules import count

    tree = compile_expr(rule)
    rows = [env for env in ENVS if not _raises(tree, env)]
    assert count(tree, rows) == sum(bool(evaluate(tree, env)) for env in rows)
    assert count(None, rows) == len(rows)
    for env in rows:  # row by row, where the whole-list shortcut applies
        mask = _mask(tree, Columns([env]))
        assert mask is None or mask == [bool(evaluate(tree, env))]


def test_every_standard_register_counts_by_the_shortcut():
    for reg in load_registers():
        assert reg.rule is None or _mask(reg.rule, Columns([{}])) is not None, reg.key


def _raises(tree, env) -> bool:
    try:
        evaluate(tree, env)
    except TypeError:
        return True
    return False


@pytest.mark.parametrize("rule", RULES)
def test_counting_once_per_distinct_value_agrees_with_the_rule_row_by_row(rule):
    """Many rows, few distinct values: the count asks the rule once per value."""
    from census.domain.rules import _by_values, count

    tree = compile_expr(rule)
    rows = [dict(env) for env in ENVS * 25 if not _raises(tree, env)]
    rows += [{"age": 60.0, "key_unit": 1, "hardship": 1}, {"age": 60, "key_unit": 1.0}] * 10
    expected = sum(bool(evaluate(tree, env)) for env in rows)
    assert _by_values(tree, Columns(rows)) in (expected, None)
    assert count(tree, rows) == expected
    assert count(tree, cols=Columns(rows)) == expected
    if rule in ("age >= 60", '"disability" in conditions', "hardship", "x in y"):
        assert _by_values(tree, Columns(rows)) == expected  # lists among the values too


def test_values_that_cannot_be_counted_fall_back_to_the_rows():
    from census.domain.rules import _by_values, count

    tree = compile_expr('"a" in y')
    rows = [{"y": {"a": 1}}, {"y": [["a"]]}, {"y": ["a"]}, {"y": "abc"}] * 20
    assert _by_values(tree, Columns(rows)) is None
    assert count(tree, rows) == sum(bool(evaluate(tree, env)) for env in rows) == 40
    names = [{"name": f"王{n}"} for n in range(200)]  # all different: a mask is cheaper
    assert _by_values(compile_expr('name == "王7"'), Columns(names)) is None
    assert count(compile_expr('name == "王7"'), names) == 1
