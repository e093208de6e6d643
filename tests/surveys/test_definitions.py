"""Survey definitions: the shipped ones load; broken ones fail naming file, field and problem."""

from __future__ import annotations

import pytest

from census.surveys.definition import (
    DefinitionError,
    follow_ups,
    load_definition,
    load_surveys,
    parse_definition,
)

MINIMAL = {"form": "t", "collection": "ts", "fields": [{"key": "a", "type": "text"}]}


def test_shipped_definitions_cover_every_person_field_of_the_domain():
    household = load_surveys()["household"]
    member_keys = {f.key for f in household.field("members").fields}
    assert {
        "name",
        "relation",
        "sex",
        "ethnicity",
        "id_type",
        "id_number",
        "birth_date",
        "residence_type",
        "hukou_address",
        "move_in_date",
        "phone",
        "political",
        "education",
        "marital",
        "employment",
        "conditions",
        "status",
    } <= member_keys
    assert "religion" not in member_keys
    assert [f.key for f in household.fields][:5] == [
        "household_no",
        "building",
        "unit",
        "room",
        "housing",
    ]


def test_a_field_is_added_by_editing_the_file_alone(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(
        "form: t\ncollection: ts\nfields:\n"
        "  - {key: pets, type: integer, label: {zh: 宠物数量, en: Pets}, min: 0}\n",
        encoding="utf-8",
    )
    form = load_definition(path)
    assert form.field("pets").text("zh") == "宠物数量"
    assert form.field("pets").min == 0


@pytest.mark.parametrize(
    ("field", "where", "problem"),
    [
        ({"key": "a", "type": "colour"}, "field a", "type “colour”"),
        ({"key": "a", "type": "select_one", "choices": "nope"}, "field a", "choices “nope”"),
        ({"key": "a", "type": "text", "relevant": "b =="}, "field a", "syntax error"),
        ({"key": "a", "type": "text", "relevant": "zz == 1"}, "field a", "unknown field(s): zz"),
        ({"key": "a", "type": "text", "relevant": "__import__('os')"}, "field a", "not allowed"),
        ({"key": "a", "type": "text", "colour": "red"}, "field a", "unknown setting(s): colour"),
        (
            {"key": "a", "type": "select_one", "choices": "sex", "default": "x"},
            "field a",
            "default “x”",
        ),
        ({"key": "a b", "type": "text"}, "field #2", "snake_case"),
        ({"key": "m", "type": "repeat", "fields": []}, "field m", "non-empty list"),
    ],
)
def test_broken_definitions_name_the_file_field_and_problem(field, where, problem):
    raw = dict(MINIMAL, fields=[MINIMAL["fields"][0] | {"key": "b"}, field])
    with pytest.raises(DefinitionError) as caught:
        parse_definition(raw, "broken.yaml")
    message = str(caught.value)
    assert message.startswith("broken.yaml: ")
    assert where in message
    assert problem in message


def test_a_broken_definition_stops_the_app_from_starting(tmp_path):
    from census.app import create_app
    from census.surveys.definition import SURVEYS
    from census.util.resources import FORMS_DIR

    forms = tmp_path / "forms"
    forms.mkdir()
    for name in SURVEYS:
        (forms / f"{name}.yaml").write_text(
            (FORMS_DIR / f"{name}.yaml").read_text("utf-8"), "utf-8"
        )
    text = (forms / "unit.yaml").read_text("utf-8").replace("type: yes_no", "type: yesno", 1)
    (forms / "unit.yaml").write_text(text, "utf-8")
    with pytest.raises(DefinitionError) as caught:
        create_app({"DATA_DIR": str(tmp_path / "data"), "FORMS_DIR": str(forms), "FSYNC": False})
    assert "unit.yaml: field key_unit: type “yesno”" in str(caught.value)
    # The failed start released the data folder: a corrected start works at once.
    create_app({"DATA_DIR": str(tmp_path / "data"), "FSYNC": False}).extensions["census"].close()


def test_the_household_form_says_its_roster_head_list_columns_and_follow_ups():
    household = load_surveys()["household"]
    assert household.roster is household.field("members") and household.has_members
    assert not load_surveys()["unit"].has_members and load_surveys()["unit"].roster is None
    people = [{"name": "李秀兰", "relation": "spouse"}, {"name": "张建国", "relation": "head"}]
    assert household.head({"members": people})["name"] == "张建国"
    assert household.head({"members": people[:1]})["name"] == "李秀兰"  # no head: the first
    assert [(c.key, c.kind, c.text("zh")) for c in household.list_columns] == [
        ("household_no", "field", "户编号"),
        ("address", "address", "地址"),
        ("members.name", "head", "户主"),
        ("members.id_number", "head", "证件号码"),
        ("members", "count", "人数"),
        ("housing", "field", "住房性质"),
    ]
    leads = follow_ups(household.roster.fields)
    assert [f.key for f in leads["status"]] == ["status_date"]
    assert "status_date" not in leads and leads["name"] == []
    assert [f.key for f in follow_ups(household.fields)["housing"]] == [
        "landlord_name",
        "landlord_phone",
    ]
    # a form without ``list:`` lists its first six fields
    assert [c.key for c in load_surveys()["unit"].list_columns] == [
        "name", "kind", "address", "contact", "phone", "staff_count"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("columns", "problem"),
    [
        (["nope"], "list nope: names no field"),
        (["a", {"key": "a", "width": 3}], "list a: an entry is a key"),
        ([], "list: must be a non-empty list"),
    ],
)
def test_a_broken_list_names_the_column(columns, problem):
    with pytest.raises(DefinitionError) as caught:
        parse_definition(dict(MINIMAL, list=columns), "broken.yaml")
    assert problem in str(caught.value)


def test_a_definition_file_is_parsed_once_per_content(tmp_path):
    """Every community of a street opens the same forms: one FormDef for one file's content;
    an edited file is read again."""
    import shutil

    from census.util.resources import FORMS_DIR

    path = tmp_path / "storefront.yaml"
    shutil.copy(FORMS_DIR / "storefront.yaml", path)
    first = load_definition(path)
    assert load_definition(FORMS_DIR / "storefront.yaml") is first
    path.write_text(path.read_text(encoding="utf-8").replace("门面", "铺面"), encoding="utf-8")
    edited = load_definition(path)
    assert edited is not first
    assert load_definition(path) is edited
