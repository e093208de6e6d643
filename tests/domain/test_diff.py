"""Record diffs: fields one by one, roster members matched by who they are, not where."""

from __future__ import annotations

from census.domain.diff import diff_records, match_members, version_diffs
from tests.factories import make_household, make_member


def test_a_roster_reordered_with_one_added_one_removed_one_edited():
    before = make_household(members=4)
    after = make_household(members=0)
    head, spouse, child, second_child = (dict(m) for m in before["members"])
    spouse["phone"] = "13900001111"  # edited
    newcomer = make_member(5, relation="non_relative")  # added; second_child removed
    after["members"] = [newcomer, spouse, head, child]  # and reordered
    diff = diff_records(before, after)
    assert [(m.kind, m.name) for m in diff.members] == [
        ("added", newcomer["name"]),
        ("changed", spouse["name"]),
        ("removed", second_child["name"]),
    ]
    (changed,) = diff.by_kind("changed")
    assert [(c.key, c.before, c.after) for c in changed.changes] == [
        ("phone", before["members"][1]["phone"], "13900001111")
    ]
    assert diff.fields == []  # reordering alone is not a change


def test_record_fields_and_bookkeeping():
    before = make_household(updated_at="2026-01-01T08:00:00", notes="")
    after = dict(before, housing="rented", landlord_name="马老板", updated_at="2026-02-01")
    after["notes"] = None  # '' and None both mean "not answered"
    diff = diff_records(before, after)
    assert [(c.key, c.before, c.after) for c in diff.fields] == [
        ("housing", "owned", "rented"),
        ("landlord_name", None, "马老板"),
    ]
    assert diff.members == [] and not diff.empty
    assert diff_records(before, dict(before)).empty


def test_identity_without_id_numbers_uses_name_and_birth_date_then_the_name():
    baby = make_member(4, id_number="", name="张小宝", birth_date="2025-03-01")
    twin = make_member(4, id_number="", name="张小贝", birth_date="2025-03-01")
    before = {"members": [baby, twin]}
    corrected = dict(baby, birth_date="2025-03-02")  # a corrected birth date: same child
    after = {"members": [dict(twin, sex="female"), corrected]}
    assert match_members(before["members"], after["members"]) == [(1, 0), (0, 1)]
    kinds = [
        (m.kind, m.name, [c.key for c in m.changes]) for m in diff_records(before, after).members
    ]
    assert ("changed", "张小宝", ["birth_date"]) in kinds and (
        "changed",
        "张小贝",
        ["sex"],
    ) in kinds


def test_an_id_number_wins_over_a_changed_name():
    before = {"members": [make_member(0, name="张建国")]}
    after = {"members": [dict(before["members"][0], name="张健国")]}
    (change,) = diff_records(before, after).members
    assert change.kind == "changed" and change.changes[0].key == "name"


def test_a_stable_person_id_wins_when_both_sides_carry_one():
    a = make_member(0, person_id="p1")
    b = make_member(2, person_id="p2")
    swapped = [dict(b, id_number=a["id_number"]), dict(a, id_number=b["id_number"])]
    assert match_members([a, b], swapped) == [(1, 0), (0, 1)]


def test_version_diffs_newest_first_and_the_first_version_adds_everyone():
    v1 = {"rev": 1, "record": make_household(members=2)}
    v2 = {"rev": 2, "record": dict(v1["record"], notes="已核实")}
    diffs = version_diffs([v1, v2])
    assert [v["rev"] for v, _ in diffs] == [2, 1]
    assert [c.key for c in diffs[0][1].fields] == ["notes"]
    assert [m.kind for m in diffs[1][1].members] == ["added", "added"]
