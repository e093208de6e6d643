"""The read models kept write by write show what a computation from scratch shows.

Random sequences of writes (households created, edited, deleted, moved to another building
or door, their review state changed or merged away; visits knocked; storefronts and units
changed, reviewed as households are; a building given another grid; a block that fails
half-way) go straight to the store, and after each one every page's read model (the
registers and the summary on two dates, with and without the approved-only filter, the
records waiting for review, the coverage tables and the review queue of each kind)
is compared with the same figures computed from a fresh read of the store by the domain's
own functions. The writes of this process are applied household by household: the test also
checks that nothing but a building's change made the read models read everything again.

On PostgreSQL, a second store on the same database plays another server: its writes must be
seen on the next view too, household by household from the change journal, or by reading
everything again when the journal no longer keeps them.
"""

from __future__ import annotations

import random
import uuid
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from census.domain.gate import pending_of
from census.domain.registers import counts_in, rows_in
from census.domain.residents import Community, build_community
from census.domain.summary import figures_of
from census.fieldwork import assignments, coverage, outcomes
from census.queries.derived import Derived
from census.services import review
from census.store import Store, open_store
from census.surveys.registers import load_registers

REGISTERS = load_registers()
TODAY, PAST = date(2026, 1, 1), date(2024, 6, 1)
BUILDINGS = [
    {"name": "1栋", "grid": "第一网格", "expected_dwellings": 6},
    {"name": "2栋", "grid": "第二网格", "expected_dwellings": 4},
    {"name": "民族大院", "grid": "第一网格", "expected_dwellings": 3},
]
# where households and visits land: the buildings above, one not in the list, one typed with
# stray spaces, and no building at all
PLACES = ["1栋", "1栋", "2栋", "民族大院", "9栋", " 2栋 ", ""]
UNITS, ROOMS = ["", "1", "2"], ["101", "102", "01", "1", ""]
DATES = ["1940-02-29", "1965-07-01", "1999-12-31", "2008-03-15", "2024-06-01", "2025-11-30"]
STATES = [None, "submitted", "returned", "approved"]
TIMES = ["2025-08-01T09:00:00", "2025-08-01T09:00:00", "2025-09-12T15:30:00", None]

member = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["张伟", "王芳", "阿依古丽", "马强", ""]),
        "relation": st.sampled_from(["head", "spouse", "child", "other_relative"]),
        "sex": st.sampled_from(["male", "female", None]),
        "birth_date": st.sampled_from([*DATES, None, "2030-01-01", "not a date"]),
        "ethnicity": st.sampled_from(["汉族", "回族", "维吾尔族", "哈萨克族", "不明族", "", None]),
        "residence_type": st.sampled_from(["registered", "floating", "away", None, "visitor"]),
        "status": st.sampled_from(["active", "active", "moved_out", "deceased", None]),
        "status_date": st.sampled_from([None, "2025-01-01", "2026-06-01"]),
        "move_in_date": st.sampled_from([None, None, "2024-01-01", "2025-12-31"]),
        "conditions": st.sampled_from([[], ["disability"], ["disability", "chronic"], None]),
        "political": st.sampled_from(["masses", "cpc_member", "cpc_probationary", None]),
        "id_number": st.sampled_from([None, "650102199912310011", "65010219650701002X"]),
    }
)
household = st.fixed_dictionaries(
    {
        "building": st.sampled_from(PLACES),
        "unit": st.sampled_from(UNITS),
        "room": st.sampled_from(ROOMS),
        "household_no": st.sampled_from([None, "H0002", "H0010", "H0010"]),
        "housing": st.sampled_from(["owned", "rented", None]),
        "landlord_name": st.sampled_from([None, "李房东"]),
        "hardship": st.sampled_from([[], ["low_income"], "low_income", None]),
        "grid": st.sampled_from([None, None, "第三网格"]),
        "members": st.lists(member, max_size=4),
        "review_state": st.sampled_from(STATES),
        "surveyor": st.sampled_from(["surveyor1", "surveyor2", None]),
        "created_by": st.sampled_from(["surveyor1", "admin"]),
        "updated_at": st.sampled_from(TIMES),
        "visited_at": st.sampled_from(TIMES),
        "visit_outcome": st.sampled_from([None, "completed", "not_home", "vacant", "odd"]),
    }
)
visit = st.fixed_dictionaries(
    {  # mostly at the doors knocked on already, so that some get flagged and unflagged
        "building": st.sampled_from(["2栋", "2栋", "2栋", *PLACES]),
        "unit": st.sampled_from(["", "", *UNITS]),
        "room": st.sampled_from(["102", "102", "103", *ROOMS]),
        "outcome": st.sampled_from(["not_home", "not_home", "refused", "vacant", "completed"]),
        "visited_at": st.sampled_from([t for t in TIMES if t]),
        "surveyor": st.sampled_from(["surveyor1", "surveyor2"]),
    }
)
pick = st.integers(min_value=0, max_value=1000)
create = st.tuples(st.just("create"), household)
edit = st.tuples(st.just("edit"), pick, household)
move = st.tuples(st.just("move"), pick, st.sampled_from(PLACES), st.sampled_from(ROOMS))
state = st.tuples(st.just("state"), pick, st.sampled_from(STATES))
roster = st.tuples(st.just("members"), pick, st.lists(member, max_size=3))
knock = st.tuples(st.just("visit"), visit)
operation = st.one_of(  # the writes of every day two or three times as often as the rare ones
    *(create, edit, move, state, roster, knock) * 2,
    create,
    st.tuples(st.just("delete"), pick),
    st.tuples(st.just("merge"), pick),
    st.tuples(
        st.just("storefront"),
        st.sampled_from(["open", "closed"]),
        st.sampled_from(PLACES),
        st.sampled_from(STATES),
    ),
    st.tuples(st.just("unit"), st.booleans(), st.booleans(), st.sampled_from(STATES)),
    st.tuples(st.just("failed"), pick, household),
    st.tuples(st.just("regrid"), st.sampled_from(["第一网格", "第二网格", "第三网格"])),
)


def start(store: Store) -> None:
    """A small community: households sharing doors, doors knocked on, a storefront, a unit."""
    store.collection("buildings").insert_many([dict(b) for b in BUILDINGS])
    store.collection("grids").insert_many([{"name": "第二网格"}, {"name": "第一网格"}])
    head = {"name": "张伟", "relation": "head", "birth_date": "1965-07-01", "ethnicity": "汉族"}
    child = {"name": "张小", "relation": "child", "birth_date": "2008-03-15", "ethnicity": "回族"}
    door = {"building": "1栋", "unit": "1", "room": "101"}
    store.collection("households").insert_many(
        [
            door | {"members": [head, child]},
            door
            | {"housing": "rented", "members": [dict(head, residence_type="floating")]}
            | {"review_state": "submitted", "updated_at": "2025-08-01T09:00:00"},
            {"building": "2栋", "unit": "", "room": "1", "members": [dict(child, name="马")]}
            | {"review_state": "approved", "hardship": ["low_income"]},
            {"building": "2栋", "unit": "", "room": "01", "members": [head]}
            | {"review_state": "returned", "surveyor": "surveyor1"},
            {"building": "民族大院", "room": "1", "members": [dict(head, residence_type="away")]},
        ]
    )
    knocked = {"building": "2栋", "unit": "", "outcome": "not_home", "surveyor": "surveyor2"}
    store.collection("visits").insert_many(
        [
            knocked | {"room": room, "visited_at": f"2025-08-0{n}T10:00:00"}
            for room, times in (("102", 2), ("103", 3))  # one door two visits, one flagged
            for n in range(1, times + 1)
        ]
    )
    store.collection("storefronts").insert({"name": "小卖部", "building": "1栋", "status": "open"})
    store.collection("units").insert({"name": "卫生站", "key_unit": True})


def apply(store: Store, op: tuple[Any, ...]) -> bool:
    """Make one write; True when it changed a building (everything is read again then)."""
    households = store.collection("households")
    ids = [doc["id"] for doc in households.scan()]

    def chosen(n: int) -> dict[str, Any] | None:
        return households.get(ids[n % len(ids)]) if ids else None

    kind = op[0]
    if kind == "create":
        households.insert(op[1])
    elif kind in ("edit", "move", "state", "merge", "members", "failed", "delete"):
        doc = chosen(op[1])
        if doc is None:
            return False
        doc_id = doc.pop("id")
        doc.pop("_rev")
        if kind == "delete":
            households.delete(doc_id)
            return False
        if kind == "edit":
            doc = op[2]
        elif kind == "move":
            doc |= {"building": op[2], "room": op[3]}
        elif kind == "state":
            doc["review_state"] = op[2]
        elif kind == "merge":
            doc["merged_into"] = ids[0]
        elif kind == "members":
            doc["members"] = op[2]
        if kind == "failed":
            with pytest.raises(RuntimeError), store.atomic():
                households.update(doc_id, op[2])
                households.insert(op[2])
                raise RuntimeError("the block fails half-way")
        else:
            households.update(doc_id, doc)
    elif kind == "visit":
        store.collection("visits").insert(op[1] | {"uuid": str(uuid.uuid4())})
    elif kind == "storefront":
        store.collection("storefronts").insert(
            {"name": "面馆", "building": op[2], "status": op[1], "review_state": op[3]}
        )
    elif kind == "unit":
        units = store.collection("units")
        first = units.scan()[0]
        units.update(
            first["id"],
            {"name": first["name"], "key_unit": op[1], "safe_unit": op[2], "review_state": op[3]},
        )
    elif kind == "regrid":
        buildings = store.collection("buildings")
        first = buildings.find_one(name="2栋")
        assert first is not None
        buildings.update(
            first["id"], {k: v for k, v in first.items() if k != "_rev"} | {"grid": op[1]}
        )
        return True
    return False


def fresh(store: Store) -> dict[str, Any]:
    """Everything read from the store afresh, each record with its building's grid."""
    buildings = store.collection("buildings").scan()
    grids = {b["name"]: b.get("grid") for b in buildings}

    def gridded(name: str) -> list[dict[str, Any]]:
        docs = store.collection(name).scan()
        for doc in docs:
            if not doc.get("grid"):
                doc["grid"] = grids.get(doc.get("building"))
        return docs

    return {
        "households": gridded("households"),
        "storefronts": gridded("storefronts"),
        "units": gridded("units"),
        "buildings": buildings,
        "grids": store.collection("grids").scan(),
    }


def compare(store: Store, derived: Derived) -> None:
    """Every read model against the domain's functions over a fresh read of the store."""
    now = fresh(store)
    for as_of in (TODAY, PAST):
        for approved in (False, True):
            households, storefronts, units = now["households"], now["storefronts"], now["units"]
            if approved:  # storefronts and units are reviewed as households are
                households, storefronts, units = (
                    [r for r in records if review.state_of(r) == review.APPROVED]
                    for records in (households, storefronts, units)
                )
            community = build_community(households, as_of)
            view = derived.view(as_of, approved)
            assert view.pending() == pending_of(
                now["households"], now["storefronts"], now["units"], as_of
            )
            assert view.counts() == counts_in(REGISTERS, community, storefronts, units)
            expected = figures_of(community, storefronts, units)
            assert view.figures() == expected
            assert list(view.figures()["by_ethnicity"]) == list(expected["by_ethnicity"])
            for reg in REGISTERS:
                scratch = community if reg.record not in ("storefront", "unit") else None
                shown = rows_in(reg, scratch or Community(as_of), storefronts, units)
                assert view.rows(reg) == shown, reg.key
            assert view.community().persons(True) == community.persons(True)
            assert view.community().dwellings == community.dwellings
    compare_coverage(store, derived, now)
    compare_review(store, derived, now)


def compare_coverage(store: Store, derived: Derived, now: dict[str, Any]) -> None:
    """The coverage tables as the coverage page computed them from every door at once."""
    buildings = now["buildings"]
    dwellings = list(outcomes.load_dwellings(store).values())
    grid_order = assignments.grid_names(now["grids"], buildings)
    rows = coverage.building_rows(buildings, dwellings, grid_order)
    model = derived.coverage()
    tables = model.tables()
    assert tables.buildings == rows
    assert tables.grids == coverage.grid_rows(rows, grid_order)
    assert tables.total == coverage.total(rows)
    assert tables.flagged == [d for d in outcomes.revisits(dwellings) if d.flagged]
    assert tables.made == coverage.visits_made(dwellings)
    names = {b["name"] for b in buildings}
    assert model.doors() == outcomes.sorted_dwellings(d for d in dwellings if d.building in names)


def compare_review(store: Store, derived: Derived, now: dict[str, Any]) -> None:
    """The review queue, every state and some filters, as a scan of every household gives it."""
    grids = {b["name"]: b.get("grid") or "" for b in now["buildings"]}
    index = derived.review()
    for collection in review.COLLECTIONS:
        everyone = store.collection(collection).scan()
        for state in ("submitted", "returned", "approved", "all", "", "odd"):
            for filters in ({}, {"grid": "第一网格"}, {"building": "1栋", "surveyor": "surveyor1"}):
                kept = index.queue(collection=collection, grids=grids, state=state, **filters)
                scanned = review.queue(everyone, grids=grids, state=state, **filters)
                assert [h["id"] for h in kept] == [h["id"] for h in scanned], (state, filters)
            assert index.counts(state)[collection] == len(
                review.queue(everyone, grids=grids, state=state)
            )


def run(store: Store, operations: list[tuple[Any, ...]]) -> Derived:
    derived = Derived(store, REGISTERS)
    compare(store, derived)
    reads = derived.full_reads
    for op in operations:
        regridded = apply(store, op)
        compare(store, derived)
        if regridded:  # a building's grid is every one of its households' grid: read again
            reads = derived.full_reads
        assert derived.full_reads == reads, op  # this process's writes, applied one by one
    return derived


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=12))
def test_every_write_shows_as_a_computation_from_scratch(tmp_path_factory, operations) -> None:
    with open_store(tmp_path_factory.mktemp("data"), fsync=False) as store:
        start(store)
        run(store, operations)


def test_a_view_handed_out_before_a_write_stays_as_it_was(tmp_path) -> None:
    """A page still rendering from the view before a write sees that moment's records."""
    with open_store(tmp_path / "data", fsync=False) as store:
        start(store)
        derived = Derived(store, REGISTERS)
        before = derived.view(TODAY)
        counts, rows = before.counts(), before.rows(REGISTERS[0])
        households = store.collection("households")
        households.insert({"building": "2栋", "room": "201", "members": [{"name": "新"}]})
        after = derived.view(TODAY)
        assert after is not before
        assert after.counts()["registered"] == counts["registered"] + 1
        assert before.counts() == counts and before.rows(REGISTERS[0]) == rows
        assert derived.full_reads == 1


# ---------------------------------------------------------------- PostgreSQL: two servers


PG_OPS = [
    ("create", {"building": "1栋", "unit": "1", "room": "102", "members": [
        {"name": "李", "relation": "head", "birth_date": "1999-12-31"}]}),
    ("move", 0, "2栋", "01"),
    ("state", 1, "approved"),
    ("visit", {"building": "2栋", "unit": "", "room": "102", "outcome": "not_home",
               "visited_at": "2025-09-12T15:30:00", "surveyor": "surveyor1"}),
    ("members", 2, []),
    ("delete", 3),
]  # fmt: skip


@pytest.mark.postgres
def test_on_postgresql_the_writes_of_this_server_and_of_another_both_show(pg_url) -> None:
    """Ours and another server's, in turn, are applied one by one (the change journal)."""
    rng = random.Random(14)
    with open_store(pg_url, fsync=False) as store, open_store(pg_url, fsync=False) as other:
        start(store)
        derived = run(store, [])  # the start, compared
        reads = derived.full_reads
        for op in PG_OPS:
            apply(store, op)
            compare(store, derived)
            apply(other, ("move", rng.randrange(100), rng.choice(PLACES), rng.choice(ROOMS)))
            apply(other, ("state", rng.randrange(100), rng.choice(STATES)))
            compare(store, derived)  # another server's writes: read from the journal
            assert derived.full_reads == reads, op


@pytest.mark.postgres
def test_on_postgresql_writes_the_journal_no_longer_keeps_are_read_by_reading_everything(
    pg_url,
) -> None:
    """Another server wrote more than the journal keeps since this one's last view."""
    rng = random.Random(15)
    with open_store(pg_url, fsync=False) as store, open_store(pg_url, fsync=False) as other:
        start(store)
        other.journal_keep = 3
        derived = run(store, [])
        reads = derived.full_reads
        for op in PG_OPS[:3]:
            apply(store, op)
            for _ in range(4):  # write 1 of the 4 is pruned by write 4
                apply(other, ("move", rng.randrange(100), rng.choice(PLACES), rng.choice(ROOMS)))
            compare(store, derived)
            assert derived.full_reads == reads + 1, op
            reads = derived.full_reads
            apply(other, ("state", rng.randrange(100), rng.choice(STATES)))
            compare(store, derived)  # one write since: still in the journal
            assert derived.full_reads == reads, op
