"""Life events: each one, as the register keeps it, and last year's summary reproduced today."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from census.domain.ids import make_resident_id
from census.domain.summary import summary
from census.services import audit, lifeevents, records
from census.store import Conflict
from census.surveys.definition import load_surveys
from tests.factories import make_household, make_member

FORM = load_surveys()["household"]
SURNAMES = "赵钱孙李周吴郑王冯陈"


def people(seq: int, size: int = 3, **overrides: Any) -> dict[str, Any]:
    """A household whose people are its own: names and ID numbers differ per ``seq``."""
    household = make_household(members=size, **({"room": f"{seq}01"} | overrides))
    for member in household["members"]:
        born = date.fromisoformat(member["birth_date"])
        member["id_number"] = make_resident_id("650102", born, seq, member["sex"])
        member["name"] = SURNAMES[seq % 10] + member["name"][1:]
    return household


def saved(store: Any, household: dict[str, Any], user: str = "admin") -> int:
    result = records.save(store, FORM, household, user=user)
    assert result.saved, result.problems
    return result.id


def get(store: Any, household_id: int) -> dict[str, Any]:
    return store.collection("households").get(household_id)


def last_version(store: Any, household_id: int) -> dict[str, Any]:
    return records.history(store, "households", household_id)[0]


def baby(name: str = "孙小宝", born: str = "2025-03-01", **more: Any) -> dict[str, Any]:
    return make_member(4, name=name, relation="grandchild", birth_date=born, id_number="") | more


def test_move_out_keeps_the_person_with_status_date_and_destination(store):
    hid = saved(store, people(1))
    result = lifeevents.move_out(
        store, FORM, hid, [2], on="2025-05-01", destination="乌鲁木齐市天山区", user="reviewer"
    )
    household = get(store, hid)
    child = household["members"][2]
    assert (child["status"], child["status_date"]) == ("moved_out", "2025-05-01")
    assert "迁往乌鲁木齐市天山区" in household["notes"] and result.ids == [hid]
    version = last_version(store, hid)
    assert (version["action"], version["rev"], version["saved_by"]) == ("move_out", 2, "reviewer")
    (entry,) = audit.entries(store, action="move_out")
    assert entry["target"] == f"households/{hid}"
    assert entry["detail"]["destination"] == "乌鲁木齐市天山区"


def test_the_head_cannot_leave_without_someone_taking_over(store):
    hid = saved(store, people(1))
    with pytest.raises(lifeevents.LifeEventError) as refused:
        lifeevents.move_out(store, FORM, hid, [0], on="2025-05-01", user="admin")
    assert [p.code for p in refused.value.problems] == ["new_head_required"]
    with pytest.raises(lifeevents.LifeEventError) as gone:
        lifeevents.move_out(store, FORM, hid, [0], on="2099-05-01", user="admin", new_head=1)
    assert [p.code for p in gone.value.problems] == ["date_future"]
    assert get(store, hid)["_rev"] == 1  # nothing saved
    lifeevents.move_out(
        store, FORM, hid, [0], on="2025-05-01", user="admin", new_head=1, head_relation="spouse"
    )
    members = get(store, hid)["members"]
    assert [m["relation"] for m in members] == ["spouse", "head", "child"]
    assert members[0]["status"] == "moved_out"


def test_death_keeps_the_person_as_deceased(store):
    hid = saved(store, people(1))
    lifeevents.death(store, FORM, hid, 1, on="2025-02-03", user="admin")
    spouse = get(store, hid)["members"][1]
    assert (spouse["status"], spouse["status_date"]) == ("deceased", "2025-02-03")
    with pytest.raises(lifeevents.LifeEventError) as twice:
        lifeevents.death(store, FORM, hid, 1, on="2025-02-04", user="admin")
    assert twice.value.problems[0].code == "member_not_active"
    assert last_version(store, hid)["action"] == "death"


def test_a_birth_moves_in_on_the_birth_date(store):
    hid = saved(store, people(1))
    lifeevents.birth(store, FORM, hid, baby(), user="admin")
    child = get(store, hid)["members"][-1]
    assert child["name"] == "孙小宝"
    assert child["birth_date"] == child["move_in_date"] == "2025-03-01"
    assert child["status"] == "active"


def test_move_in_joining_a_household_and_as_a_new_household(store):
    hid = saved(store, people(1))
    newcomer = make_member(5, name="马丽", relation="child_in_law", id_number="")
    lifeevents.move_in(store, FORM, hid, newcomer, on="2025-04-01", user="admin")
    assert get(store, hid)["members"][-1]["move_in_date"] == "2025-04-01"
    result = lifeevents.move_in_household(store, FORM, people(2), on="2025-04-02", user="admin")
    arrived = get(store, result.id)
    assert {m["move_in_date"] for m in arrived["members"]} == {"2025-04-02"}
    assert last_version(store, result.id)["action"] == "move_in"


def test_change_of_head(store):
    hid = saved(store, people(1))
    lifeevents.change_head(store, FORM, hid, 2, head_relation="parent", user="admin")
    assert [m["relation"] for m in get(store, hid)["members"]] == ["parent", "spouse", "head"]
    with pytest.raises(lifeevents.LifeEventError):
        lifeevents.change_head(store, FORM, hid, 0, head_relation="head", user="admin")


def test_a_split_moves_people_to_a_new_household_and_both_keep_history(store):
    household = people(1, size=5)  # head, spouse, child, child, grandchild
    hid = saved(store, household)
    result = lifeevents.split(
        store,
        FORM,
        hid,
        [2, 4],
        new_head=2,
        on="2025-06-01",
        user="admin",
        address={"building": "2栋", "unit": "3", "room": "502"},
    )
    old, new = get(store, hid), get(store, result.ids[1])
    assert [m["status"] for m in old["members"]] == [
        "active", "active", "moved_out", "active", "moved_out"
    ]  # fmt: skip
    assert [(m["name"], m["relation"], m["move_in_date"]) for m in new["members"]] == [
        (household["members"][2]["name"], "head", "2025-06-01"),
        (household["members"][4]["name"], "child", "2025-06-01"),  # was the old head's grandchild
    ]
    assert (new["building"], new["room"]) == ("2栋", "502")
    assert [v["action"] for v in records.history(store, "households", hid)] == ["split", "create"]
    assert [v["action"] for v in records.history(store, "households", new["id"])] == ["split"]


def test_a_split_from_a_stale_page_creates_no_household(store):
    hid = saved(store, people(1, size=5))
    records.set_meta(
        store, "households", hid, {"visit_outcome": "completed"}, user="admin", action="touch"
    )  # changed since the page was drawn at revision 1
    with pytest.raises(Conflict):
        lifeevents.split(
            store, FORM, hid, [2, 4], new_head=2, on="2025-06-01", user="admin", expected_rev=1
        )
    assert [h["id"] for h in store.collection("households").scan()] == [hid]
    assert [m.get("status", "active") for m in get(store, hid)["members"]] == ["active"] * 5


def test_two_households_merge(store):
    into, source = saved(store, people(1)), saved(store, people(2, size=2))
    lifeevents.merge(store, FORM, into, source, on="2025-07-01", user="admin")
    joined, left = get(store, into), get(store, source)
    assert len(joined["members"]) == 5 and joined["merged_from"] == [source]
    assert [m["relation"] for m in joined["members"][3:]] == ["other_relative", "spouse"]
    assert left["merged_into"] == into and {m["status"] for m in left["members"]} == {"moved_out"}
    with pytest.raises(lifeevents.LifeEventError) as again:
        lifeevents.merge(store, FORM, into, source, on="2025-07-02", user="admin")
    assert again.value.problems[0].code == "household_merged"


def test_a_change_of_tenant(store):
    hid = saved(store, people(1, housing="rented", landlord_name="马建华"))
    tenant = make_member(0, name="古丽", sex="female", id_number="", birth_date="1995-05-05")
    result = lifeevents.change_tenant(
        store, FORM, hid, [tenant], on="2025-08-01", user="admin", landlord_name="马小华"
    )
    old, new = get(store, hid), get(store, result.ids[1])
    assert {m["status"] for m in old["members"]} == {"moved_out"}
    assert old["landlord_name"] == "马建华" and new["landlord_name"] == "马小华"
    assert (new["building"], new["unit"], new["room"], new["housing"]) == (
        old["building"], old["unit"], old["room"], "rented"
    )  # fmt: skip
    assert [(m["name"], m["move_in_date"]) for m in new["members"]] == [("古丽", "2025-08-01")]
    owned = saved(store, people(3))
    with pytest.raises(lifeevents.LifeEventError) as refused:
        lifeevents.change_tenant(store, FORM, owned, [tenant], on="2025-08-01", user="admin")
    assert refused.value.problems[0].code == "not_rented"


def test_merging_a_duplicate_keeps_both_histories(store):
    keep = saved(store, people(1))
    duplicate_doc = people(1, room="909")
    duplicate_doc["members"].append(make_member(5, name="马丽", relation="non_relative"))
    duplicate = saved(store, duplicate_doc, user="surveyor1")
    result = lifeevents.merge_duplicate(store, FORM, keep, duplicate, user="reviewer")
    kept, gone = get(store, keep), get(store, duplicate)
    assert [m["name"] for m in kept["members"]][-1] == "马丽" and len(kept["members"]) == 4
    assert kept["merged_from"] == [duplicate] and gone["merged_into"] == keep
    assert {m["status"] for m in gone["members"]} == {"moved_out"}
    assert result.ids == [keep, duplicate]
    assert [v["action"] for v in records.history(store, "households", duplicate)] == [
        "merge_duplicate",
        "create",
    ]
    assert len(audit.entries(store, action="merge_duplicate")) == 2


def _summary(store: Any, day: date) -> dict[str, Any]:
    households = store.collection("households").scan()
    return summary(households, [], [], day)


def test_last_years_summary_is_reproduced_after_every_kind_of_event(store):
    """Events dated after 2024-12-31 leave the figures of that day exactly as they were."""
    then = date(2024, 12, 31)
    a = saved(store, people(1, size=5))
    b = saved(store, people(2, size=2))
    c = saved(store, people(3, size=2, housing="rented", landlord_name="马建华"))
    d = saved(store, people(4, size=3))
    before = _summary(store, then)
    assert (before["households"], before["residents"]) == (4, 12)

    lifeevents.move_out(store, FORM, a, [3], on="2025-01-10", destination="北京", user="admin")
    lifeevents.death(store, FORM, a, 1, on="2025-02-10", user="admin")
    lifeevents.birth(store, FORM, a, baby(born="2025-03-10"), user="admin")
    lifeevents.move_in(
        store, FORM, b, make_member(5, name="马丽", id_number=""), on="2025-04-10", user="admin"
    )
    lifeevents.move_in_household(store, FORM, people(5, size=2), on="2025-04-11", user="admin")
    lifeevents.split(store, FORM, a, [2, 4], new_head=2, on="2025-05-10", user="admin")
    lifeevents.change_head(store, FORM, d, 1, head_relation="spouse", user="admin")
    lifeevents.merge(store, FORM, d, b, on="2025-06-10", user="admin")
    tenant = make_member(0, name="古丽", sex="female", id_number="", birth_date="1995-05-05")
    lifeevents.change_tenant(store, FORM, c, [tenant], on="2025-07-10", user="admin")

    assert _summary(store, then) == before
    now = _summary(store, date(2025, 12, 31))
    # One moved out, one died, a baby was born, one moved in, a household of two moved in,
    # a split and a merge moved people without changing their number, two tenants gave way
    # to one.
    assert now["residents"] == 12 - 1 - 1 + 1 + 1 + 2 - 2 + 1
    # b went into d, c's old tenants left; the new household, the split and the new tenants
    assert now["households"] == 4 - 1 - 1 + 3
