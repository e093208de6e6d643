"""Each register holds exactly the people (households, dwellings …) it was designed to hold."""

from __future__ import annotations

from datetime import date

import pytest

from census.domain.registers import (
    format_cell,
    group_counts,
    person_rows,
    register_counts,
    register_rows,
)
from census.domain.summary import summary
from census.surveys.registers import load_registers
from tests.community import AS_OF, PAST, TRUE_FIGURES, TRUE_REGISTERS, build
from tests.factories import make_household, make_member

REGISTERS = {r.key: r for r in load_registers()}
# register -> the summary figure that counts the same thing
SAME_AS_FIGURE = {
    "registered": "registered_residents", "floating": "floating_residents",
    "away": "away_persons", "minority": "minority_residents", "rental": "rental_dwellings",
    "elderly_60": "elderly_60_plus", "elderly_80": "elderly_80_plus", "minors": "minors",
    "hardship": "hardship_households", "disabled": "disabled_persons",
    "party_members": "party_members", "storefronts": "storefronts", "units": "units",
    "key_units": "key_units", "safe_units": "safe_units",
}  # fmt: skip


@pytest.fixture(scope="module")
def community():
    return build()


def _keys(reg, rows):
    """What identifies a row of this register in the design."""
    if reg.record == "person":
        return {r["id_number"] for r in rows}
    if reg.record == "household":
        return {r["household_no"] for r in rows}
    if reg.record == "dwelling":
        return {(r["building"], r["unit"], r["room"]) for r in rows}
    return {r["name"] for r in rows}


def test_every_register_of_the_domain_is_defined():
    assert set(REGISTERS) == set(TRUE_REGISTERS)
    assert REGISTERS["minority"].title() == "少数民族人员"
    assert REGISTERS["minority"].title("en") == "Ethnic minority residents"


@pytest.mark.parametrize("day", [AS_OF, PAST], ids=["as_of", "past"])
@pytest.mark.parametrize("key", sorted(TRUE_REGISTERS))
def test_register_holds_exactly_the_expected_rows(community, key, day):
    reg = REGISTERS[key]
    rows = register_rows(reg, community.households, community.storefronts, community.units, day)
    keys = _keys(reg, rows)
    assert len(keys) == len(rows)  # nobody twice
    assert keys == community.expected_register(key, day)
    if day == AS_OF:
        assert len(rows) == TRUE_REGISTERS[key]


def test_counts_match_the_rows_and_the_summary(community):
    counts = register_counts(
        list(REGISTERS.values()),
        community.households,
        community.storefronts,
        community.units,
        AS_OF,
    )
    assert counts == TRUE_REGISTERS
    for day in (AS_OF, PAST):
        figures = summary(community.households, community.storefronts, community.units, day)
        counts = register_counts(
            list(REGISTERS.values()),
            community.households,
            community.storefronts,
            community.units,
            day,
        )
        for key, figure in SAME_AS_FIGURE.items():
            assert counts[key] == figures[figure], key
    assert TRUE_FIGURES["rental_dwellings"] == counts["rental"] + 1  # PAST: one fewer


def test_people_who_must_not_count_are_on_no_register(community):
    gone = {s.key for s in community.specs if s.role[AS_OF] is None}
    assert len(gone) > 70
    for reg in REGISTERS.values():
        if reg.record == "person":
            rows = register_rows(reg, community.households, [], [], AS_OF)
            assert not gone & {r["id_number"] for r in rows}, reg.key


def test_person_rows_carry_person_household_and_age(community):
    rows = person_rows(community.households, AS_OF)
    assert len(rows) == TRUE_FIGURES["residents"]
    row = rows[0]
    for key in ("name", "id_number", "ethnicity", "conditions", "age", "household_id",
                "household_no", "building", "unit", "room", "housing", "landlord_name",
                "landlord_phone", "hardship", "grid", "address"):  # fmt: skip
        assert key in row
    by_id = {s.key: s for s in community.specs}
    assert all(r["age"] == by_id[r["id_number"]].age[AS_OF] for r in rows)
    with_away = person_rows(community.households, AS_OF, include_away=True)
    assert len(with_away) == TRUE_FIGURES["residents"] + TRUE_FIGURES["away_persons"]


def test_address_order_is_natural_and_heads_come_first():
    households = [
        make_household(building="10栋", unit="1", room="101"),
        make_household(building="2栋", unit="2", room="1101"),
        make_household(building="2栋", unit="2", room="302"),
        make_household(building="2栋", unit="1", room="602"),
    ]
    households[0]["members"] = [make_member(1), make_member(0), make_member(2)]
    rows = person_rows(households, AS_OF)
    doors = [r["address"] for r in rows]
    assert list(dict.fromkeys(doors)) == [
        "2栋1单元602室",
        "2栋2单元302室",
        "2栋2单元1101室",
        "10栋1单元101室",
    ]
    tenth = [r for r in rows if r["building"] == "10栋"]
    assert tenth[0]["relation"] == "head" and tenth[0]["member_index"] == 1
    assert all(r["head_name"] == "张建国" for r in tenth)


def test_cells_read_as_staff_read_them(community):
    reg = REGISTERS["floating"]
    rows = register_rows(reg, community.households, [], [], AS_OF)
    row = rows[0]
    masked = format_cell(reg, row, "id_number")
    assert masked == row["id_number"][:6] + "********" + row["id_number"][-4:]
    assert format_cell(reg, row, "id_number", full_ids=True) == row["id_number"]
    assert format_cell(reg, row, "sex") in ("男", "女")
    assert format_cell(reg, row, "sex", lang="en") in ("Male", "Female")
    assert format_cell(reg, row, "ethnicity", lang="en") != "" and reg.column_label("age") == "年龄"
    hardship = REGISTERS["hardship"]
    rows = register_rows(hardship, community.households, [], [], AS_OF)
    both = next(r for r in rows if len(r["hardship"]) == 2)
    assert format_cell(hardship, both, "hardship") == "低保户、其他困难户"
    assert format_cell(hardship, both, "head_id_number").count("*") == 8
    assert hardship.column_label("member_names", "en") == "Members"
    units = REGISTERS["units"]
    unit_rows = register_rows(units, [], [], community.units, AS_OF)
    assert {format_cell(units, r, "key_unit") for r in unit_rows} == {"是", "否"}


def test_group_counts_per_ethnic_group(community):
    reg = REGISTERS["minority"]
    rows = register_rows(reg, community.households, [], [], AS_OF)
    groups = dict(group_counts(reg, rows))
    expected = {g: n for g, n in TRUE_FIGURES["by_ethnicity"].items() if g != "汉族"}
    assert groups == expected
    assert group_counts(REGISTERS["elderly_60"], rows) == []


def test_rental_dwellings_list_landlord_and_tenants(community):
    reg = REGISTERS["rental"]
    rows = register_rows(reg, community.households, [], [], AS_OF)
    shared = [r for r in rows if r["households"] == 2]
    assert len(shared) == 20  # 15 doors of two tenant households, 5 of a tenant and an owner
    assert all(r["landlord_name"].startswith("房东") for r in rows)
    assert all(r["tenants"] for r in rows)


def test_storefronts_and_units_in_their_own_order(community):
    reg = REGISTERS["units"]
    rows = register_rows(reg, [], [], list(reversed(community.units)), AS_OF)
    assert [r["address"] for r in rows] == sorted(
        (u["address"] for u in community.units), key=lambda a: int(a[5:-1])
    )


def test_a_register_sorted_by_age_descending(tmp_path):
    from census.surveys.registers import parse_registers

    (reg,) = parse_registers(
        {"registers": [{"key": "old", "name": "老人", "record": "person", "rule": "age >= 60",
                        "columns": ["name", "age"], "order": ["-age", "name"]}]},
        "test.yaml",
    )  # fmt: skip
    households = [make_household(members=2), make_household(members=2, room="102")]
    households[1]["members"][1]["birth_date"] = "1940-01-01"
    rows = register_rows(reg, households, [], [], date(2025, 9, 1))
    assert [r["age"] for r in rows] == sorted((r["age"] for r in rows), reverse=True)
    assert rows[0]["age"] == 85


@pytest.mark.parametrize("day", [AS_OF, PAST, date(2025, 7, 15)])
def test_active_on_agrees_with_the_rows(community, day):
    """residents.active_on (for other code) and the registers' own loop say the same."""
    from census.domain.residents import active_on

    listed = {r["id_number"] for r in person_rows(community.households, day, include_away=True)}
    members = [p for h in community.households for p in h["members"]]
    assert listed == {p["id_number"] for p in members if active_on(p, day)}
