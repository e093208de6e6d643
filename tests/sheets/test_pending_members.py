"""待核实 for members: a person sheet without 与户主关系 imports every row, to be verified.

The grid system's person sheet (tests/sheets/other_layouts.py) without its 与户主关系
column: every member is stored with ``pending_fields: ["relation"]``, every household lands
on the follow-up list (census pending, /review/pending) beside its missing 住房性质, and the
report says once which column was missing. Only the import's meta waives a field: a form,
an API client or a life event's newcomer sending ``pending_fields`` waives nothing. A
re-import keeps what is still blank and fills what the file now has; life events on such a
household work, and a split does not guess the relation.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from other_layouts import GRID_HEADER, GRID_PEOPLE, grid_sheet
from sheet_files import SURVEYS, wizard_upload, write_book

from census.cli import main
from census.services import lifeevents, records, review
from census.sheets.apply import apply_plan
from census.sheets.plan import NEW
from census.sheets.wizard import plan_file
from census.store import open_store

FORM = SURVEYS["household"]
RELATION = GRID_HEADER.index("与户主关系")


def without_relation() -> list[list]:
    """The grid sheet with its 与户主关系 column taken out (title row, header, notes, people)."""
    rows = grid_sheet()
    return [rows[0]] + [row[:RELATION] + row[RELATION + 1 :] for row in rows[1:]]


def run(data: Path, *args: str):
    env = {"CENSUS_DATA_DIR": str(data), "CENSUS_FSYNC": "false"}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def stored_households(data: Path) -> list[dict]:
    store = open_store(data, fsync=False)
    try:
        return store.collection("households").scan()
    finally:
        store.close()


def members(households: list[dict]) -> list[dict]:
    return [m for h in households for m in h["members"]]


def test_a_sheet_without_the_relation_column_imports_every_member_to_verify(tmp_path):
    data = tmp_path / "data"
    assert run(data, "init").exit_code == 0
    path = write_book(tmp_path / "实有人口.xlsx", {"实有人口": without_relation()})

    dry = run(data, "import", str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "数据行 38 行，新增 16，更新 0，无变化 0，未导入 0（0 行）" in dry.output
    said = "表中没有成员的“与户主关系”列（必填）：38 人（16 户）照常导入，标为待核实（待审核）"
    assert dry.output.count(said) == 1  # once, not once per row
    assert "“与户主关系”为空" not in dry.output  # no error per member
    assert "户主人数" not in dry.output  # nobody can say who the head is yet: no warning either

    done = run(data, "import", str(path))
    assert done.exit_code == 0, done.output
    assert "待核实 / to be verified: 16 户" in done.output
    stored = stored_households(data)
    assert len(stored) == 16 and len(members(stored)) == GRID_PEOPLE
    assert all(h["pending_fields"] == ["housing", "members.relation"] for h in stored)
    assert all(m["pending_fields"] == ["relation"] and not m["relation"] for m in members(stored))
    assert Counter(m["status"] for m in members(stored)) == {
        "active": 35,
        "deceased": 1,
        "moved_out": 2,
    }

    listed = json.loads(run(data, "pending", "--json").stdout)
    assert len(listed) == 16 and {tuple(r["missing"]) for r in listed} == {
        ("住房性质", "与户主关系")
    }
    # Whom to ask about what: each member by name, the head marked as not yet confirmed.
    first = next(r for r in listed if r["head"].startswith("户主00"))
    assert first["head"] == "户主00（待核实）"
    assert first["lacking"] == [
        "住房性质",
        "户主00：与户主关系",
        "配偶00：与户主关系",
        "子女00：与户主关系",
    ]
    said = run(data, "pending").output
    assert (
        "户主00（待核实）\t缺少 missing: 住房性质；户主00：与户主关系；配偶00：与户主关系；" in said
    )
    store = open_store(data, fsync=False)
    try:
        thread = review.thread(store, listed[0]["id"])
    finally:
        store.close()
    assert thread[0]["text"].startswith("导入时表中缺少：住房性质、与户主关系。")

    # The same file again: nothing changes, the relations stay to be verified.
    again = run(data, "import", str(path), "--dry-run")
    assert "新增 0，更新 0，无变化 16" in again.output, again.output

    # The full sheet (with 与户主关系) fills the relations in: only 住房性质 is left.
    full = write_book(tmp_path / "全.xlsx", {"实有人口": grid_sheet()})
    filled = run(data, "import", str(full))
    assert "更新 updated 16" in filled.output, filled.output
    stored = stored_households(data)
    assert all(h["pending_fields"] == ["housing"] for h in stored)
    assert all("pending_fields" not in m and m["relation"] for m in members(stored))
    assert Counter(m["relation"] for m in members(stored))["head"] == 16


@pytest.fixture
def imported(store, tmp_path):
    """The store after importing the grid sheet without 与户主关系, households by head."""
    path = write_book(tmp_path / "实有人口.xlsx", {"实有人口": without_relation()})
    plan, _sheets = plan_file(store, FORM, path)
    assert plan.counts[NEW] == 16
    apply_plan(store, plan, user="admin")
    found = store.collection("households").scan()
    return {h["members"][0]["name"]: h for h in found}


def test_a_form_or_client_cannot_mark_a_field_to_verify(store, imported):
    household = imported["户主00"]
    raw = {k: v for k, v in household.items() if k not in ("id", "_rev")}
    # A surveyor's edit sends the list back (as read): it waives nothing.
    refused = records.save(
        store, FORM, raw | {"housing": "owned"}, user="surveyor1", record_id=household["id"]
    )
    assert not refused.saved
    assert {p.path for p in refused.problems if p.code == "required"} == {
        f"members[{n}].relation" for n in range(len(household["members"]))
    }
    # A new household typed in with the lists it has no right to: refused the same way.
    new = raw | {"room": "999", "pending_fields": ["housing", "members.relation"]}
    new["members"] = [dict(m, id_number="", name=f"新{n}") for n, m in enumerate(raw["members"])]
    typed = records.save(store, FORM, new, user="admin")
    assert not typed.saved
    assert {p.path for p in typed.problems if p.code == "required"} >= {
        "housing",
        "members[0].relation",
    }

    # Filled in, the household leaves the follow-up list.
    done = dict(raw, housing="owned")
    done["members"] = [
        dict(m, relation="head" if n == 0 else "spouse") for n, m in enumerate(raw["members"])
    ]
    result = records.save(store, FORM, done, user="reviewer", record_id=household["id"])
    assert result.saved, result.problems
    after = store.collection("households").get(household["id"])
    assert "pending_fields" not in after
    assert all("pending_fields" not in m for m in after["members"])


def test_life_events_on_a_household_whose_relations_are_to_verify(store, imported):
    h01 = imported["户主01"]  # head, child, the father (died before the import)
    assert [m["name"] for m in h01["members"]] == ["户主01", "子女01", "父亲01"]
    lifeevents.move_out(store, FORM, h01["id"], [1], on="2024-06-01", user="admin")
    after = store.collection("households").get(h01["id"])
    assert after["members"][1]["status"] == "moved_out"
    assert [m.get("pending_fields") for m in after["members"]] == [["relation"]] * 3
    assert after["pending_fields"] == ["housing", "members.relation"]

    # A newcomer brings no list of fields to verify: a blank relation is refused.
    newcomer = {"name": "新人", "relation": "", "sex": "male", "birth_date": "1990-01-01"}
    with pytest.raises(lifeevents.LifeEventError) as refused:
        lifeevents.move_in(
            store, FORM, h01["id"], newcomer | {"pending_fields": ["relation"]}, on="2024-07-01",
            user="admin",
        )  # fmt: skip
    assert [p.path for p in refused.value.problems] == ["members[3].relation"]

    # A split: the new head is head, the other one's relation stays blank and to verify.
    h00 = imported["户主00"]  # head, spouse, child
    result = lifeevents.split(
        store, FORM, h00["id"], [1, 2], new_head=1, on="2024-08-01", user="admin",
        address={"building": "5栋", "unit": "1", "room": "909"},
    )  # fmt: skip
    new = store.collection("households").get(result.ids[1])
    assert [m["name"] for m in new["members"]] == ["配偶00", "子女00"]
    assert new["members"][0]["relation"] == "head" and "pending_fields" not in new["members"][0]
    assert new["members"][1]["relation"] is None  # not other_relative
    assert new["members"][1]["pending_fields"] == ["relation"]
    assert new["pending_fields"] == ["housing", "members.relation"]
    old = store.collection("households").get(h00["id"])
    assert [m["status"] for m in old["members"]] == ["active", "moved_out", "moved_out"]
    assert old["pending_fields"] == ["housing", "members.relation"]

    # A death, then a change of head on the household with no known head.
    h02 = imported["户主02"]
    lifeevents.death(store, FORM, h02["id"], 1, on="2024-09-01", user="admin")
    lifeevents.change_head(
        store, FORM, h02["id"], 0, head_relation="spouse", on="2024-09-02", user="admin"
    )
    after = store.collection("households").get(h02["id"])
    assert after["members"][0]["relation"] == "head" and "pending_fields" not in after["members"][0]
    assert after["members"][1]["status"] == "deceased"
    assert after["members"][1]["pending_fields"] == ["relation"]


def test_an_api_client_sending_the_list_back_waives_nothing(client, store, imported):
    import uuid as uuidlib

    from census.services.accounts import create_token

    auth = {"Authorization": f"Bearer {create_token(store, 'admin')}"}
    household = imported["户主03"]
    shown = client.get(f"/api/v1/households/{household['id']}", headers=auth).json
    assert shown["pending_fields"] == ["housing", "members.relation"]
    assert shown["members"][0]["pending_fields"] == ["relation"]
    bookkeeping = ("id", "revision", "household_no", "surveyor", "review_state")
    edit = {k: v for k, v in shown.items() if k not in bookkeeping}
    edit |= {"uuid": str(uuidlib.uuid4()), "base_revision": shown["revision"], "housing": "owned"}
    sent = client.put(f"/api/v1/households/{household['id']}", json=edit, headers=auth)
    assert sent.status_code == 422  # the list came back as read: the relations are still asked
    assert set(sent.json["errors"]) == {
        f"members[{n}].relation" for n in range(len(shown["members"]))
    } | {"members"}  # and a head

    edit["uuid"] = str(uuidlib.uuid4())
    edit["members"] = [
        dict(m, relation="head" if n == 0 else "child") for n, m in enumerate(edit["members"])
    ]
    done = client.put(f"/api/v1/households/{household['id']}", json=edit, headers=auth)
    assert done.status_code == 200, done.json
    stored = store.collection("households").get(household["id"])
    assert "pending_fields" not in stored
    assert all("pending_fields" not in m for m in stored["members"])

    # A new record cannot ask for the waiver either: refused, the key named.
    new = {k: v for k, v in edit.items() if k not in ("base_revision",)}
    new |= {"uuid": str(uuidlib.uuid4()), "room": "990", "pending_fields": ["housing"]}
    new["members"] = [dict(m, id_number="", name="新人") for m in edit["members"][:1]]
    refused = client.post("/api/v1/households", json=new, headers=auth)
    assert refused.status_code == 422 and "pending_fields" in refused.json["errors"]


def test_the_wizard_says_it_once_and_lists_the_households(client, auth, store, tmp_path):
    import re

    from tests.conftest import csrf_token

    auth.login("admin")
    data = write_book(tmp_path / "u.xlsx", {"Sheet1": without_relation()}).read_bytes()
    upload_id = wizard_upload(client, data, "u.xlsx")
    report = client.get(f"/sheets/import/{upload_id}/report").get_data(as_text=True)
    said = "表中没有成员的“与户主关系”列（必填）：38 人（16 户）照常导入，标为待核实"
    assert report.count(said) == 1 and 'class="count-new">16<' in report
    token = csrf_token(client, f"/sheets/import/{upload_id}/report")
    seen = re.search(r'name="fingerprint" value="([^"]+)"', report)[1]
    done = client.post(
        f"/sheets/import/{upload_id}/apply", data={"csrf_token": token, "fingerprint": seen}
    )
    assert done.status_code == 200 and "导入完成" in done.get_data(as_text=True)
    listed = client.get("/review/pending").get_data(as_text=True)
    assert listed.count('data-pending="households/') == 16
    assert "住房性质；户主00：与户主关系；配偶00：与户主关系；子女00：与户主关系<" in listed
    assert "<td>户主00（待核实）</td>" in listed
    english = client.get("/review/pending?lang=en").get_data(as_text=True)
    assert "Housing; 户主00: Relation to head; 配偶00: Relation to head" in english
    assert "<td>户主00 (to verify)</td>" in english
    # The household list names the first member for the head, marked as not confirmed.
    households = client.get("/households?lang=zh").get_data(as_text=True)
    assert "户主00（待核实）" in households and "户主15（待核实）" in households


def test_a_merge_takes_the_pending_relations_along(store, imported):
    into, source = imported["户主04"], imported["户主05"]
    result = lifeevents.merge(store, FORM, into["id"], source["id"], on="2024-10-01", user="admin")
    assert result.ids == [into["id"], source["id"]]
    joined = store.collection("households").get(into["id"])
    moved = [m for m in joined["members"] if m["name"] in {p["name"] for p in source["members"]}]
    assert moved and all(m["relation"] is None for m in moved)  # not guessed
    assert all(m["pending_fields"] == ["relation"] for m in moved)
    assert joined["pending_fields"] == ["housing", "members.relation"]
    gone = store.collection("households").get(source["id"])
    assert {m["status"] for m in gone["members"]} == {"moved_out"}


def test_the_consistency_report_does_not_ask_for_a_head_while_relations_wait(store, imported):
    from datetime import date

    from census.domain import checks

    findings = checks.check_community(store.collection("households").scan(), date(2026, 6, 1))
    assert not [f for f in findings if f.problem.code == "head_count"]
    # Two heads typed in are still said, relations waiting or not.
    household = dict(imported["户主00"])
    household["members"] = [dict(m, relation="head") for m in household["members"]]
    assert [p.code for p in checks.check_household(household, date(2026, 6, 1))].count(
        "head_count"
    ) == 1


def test_the_history_shows_the_relations_filled_in(client, auth, store, imported):
    import re

    household = imported["户主01"]
    raw = {k: v for k, v in household.items() if k not in ("id", "_rev")}
    raw["housing"] = "owned"
    raw["members"] = [
        dict(m, relation=["head", "child", "parent"][n]) for n, m in enumerate(raw["members"])
    ]
    assert records.save(store, FORM, raw, user="reviewer", record_id=household["id"]).saved
    auth.login("admin")
    page = client.get(f"/households/{household['id']}/history")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "与户主关系" in text and "户主" in text and "待核实" in text
    said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))
    assert "待核实 住房性质、与户主关系 —" in said  # by label, not housing、members.relation
    assert "户主01：与户主关系 — → 户主 ；待核实 与户主关系 → —" in said
