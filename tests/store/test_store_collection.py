"""The Collection contract, run against every backend."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import pytest

from census.store import Conflict, DuplicateKey, NotFound, Store, StoreError

Factory = Callable[..., dict[str, Any]]


def test_insert_then_get_returns_the_document_with_id_and_rev(
    store: Store, make_household: Factory
) -> None:
    households = store.collection("households")
    doc = make_household()
    new_id = households.insert(doc)
    assert isinstance(new_id, int) and new_id > 0
    assert households.get(new_id) == {"id": new_id, "_rev": 1, **doc}
    assert households.get(new_id + 1000) is None


def test_ids_are_distinct_and_increasing(store: Store, make_household: Factory) -> None:
    households = store.collection("households")
    ids = [households.insert(make_household()) for _ in range(5)]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert len(households) == 5


def test_reserved_keys_in_input_are_ignored(store: Store, make_household: Factory) -> None:
    households = store.collection("households")
    new_id = households.insert({**make_household(), "id": 999, "_rev": 42})
    doc = households.get(new_id)
    assert doc is not None and doc["id"] == new_id and doc["_rev"] == 1


def test_collection_is_the_same_object_each_time(store: Store) -> None:
    assert store.collection("households") is store.collection("households")
    assert store.collection("households") is not store.collection("users")


def test_collections_are_separate(store: Store, make_household: Factory) -> None:
    store.collection("households").insert(make_household())
    assert len(store.collection("users")) == 0
    assert store.collection("users").find(status="draft") == []


def test_data_survives_close_and_reopen(
    reopen: Callable[[], Store], make_household: Factory
) -> None:
    first = reopen()
    docs = [make_household() for _ in range(3)]
    ids = [first.collection("households").insert(doc) for doc in docs]
    rev = first.collection("households").update(ids[1], {**docs[1], "status": "done"})
    first.collection("households").delete(ids[2])
    first.close()

    second = reopen()
    households = second.collection("households")
    assert households.get(ids[0]) == {"id": ids[0], "_rev": 1, **docs[0]}
    assert households.get(ids[1]) == {"id": ids[1], "_rev": rev, **docs[1], "status": "done"}
    assert households.get(ids[2]) is None
    assert len(households) == 2


def test_store_is_a_context_manager(reopen: Callable[[], Store], make_household: Factory) -> None:
    with reopen() as store:
        households = store.collection("households")
        households.insert(make_household())
    with pytest.raises(StoreError):
        households.insert(make_household())
    with reopen() as again:
        assert len(again.collection("households")) == 1


def test_update_replaces_the_whole_document_and_bumps_rev(
    store: Store, make_household: Factory
) -> None:
    households = store.collection("households")
    new_id = households.insert(make_household(note="temporary"))
    replacement = make_household(status="done")
    assert households.update(new_id, {**replacement, "id": 77, "_rev": 9}) == 2
    assert households.get(new_id) == {"id": new_id, "_rev": 2, **replacement}
    assert households.update(new_id, replacement, expected_rev=2) == 3


def test_update_with_stale_rev_raises_conflict_and_changes_nothing(
    store: Store, make_household: Factory
) -> None:
    households = store.collection("households")
    new_id = households.insert(make_household())
    households.update(new_id, make_household(status="done"))
    before = households.get(new_id)
    with pytest.raises(Conflict) as caught:
        households.update(new_id, make_household(status="lost"), expected_rev=1)
    assert caught.value.current_rev == 2
    assert households.get(new_id) == before


def test_update_or_delete_of_a_missing_document_raises_not_found(store: Store) -> None:
    households = store.collection("households")
    with pytest.raises(NotFound):
        households.update(5, {"status": "done"})
    with pytest.raises(NotFound):
        households.delete(5)


def test_delete_removes_and_checks_rev(store: Store, make_household: Factory) -> None:
    households = store.collection("households")
    keep, gone = households.insert(make_household()), households.insert(make_household())
    households.update(gone, make_household())
    with pytest.raises(Conflict) as caught:
        households.delete(gone, expected_rev=1)
    assert caught.value.current_rev == 2
    households.delete(gone, expected_rev=2)
    assert households.get(gone) is None
    assert [doc["id"] for doc in households.scan()] == [keep]


def test_duplicate_unique_value_is_refused_on_insert(store: Store, make_household: Factory) -> None:
    households = store.collection("households")
    first = households.insert(make_household(uuid="u-1"), unique=["uuid"])
    with pytest.raises(DuplicateKey) as caught:
        households.insert(make_household(uuid="u-1"), unique=["uuid"])
    assert (caught.value.field, caught.value.existing_id) == ("uuid", first)
    assert len(households) == 1


def test_empty_unique_values_do_not_collide(store: Store, make_household: Factory) -> None:
    households = store.collection("households")
    for empty in ("", None, "", None):
        households.insert(make_household(uuid=empty), unique=["uuid"])
    households.insert({"status": "no uuid at all"}, unique=["uuid"])
    assert len(households) == 5


def test_unique_on_update_ignores_the_document_itself(
    store: Store, make_household: Factory
) -> None:
    households = store.collection("households")
    a = households.insert(make_household(uuid="u-a"), unique=["uuid"])
    b = households.insert(make_household(uuid="u-b"), unique=["uuid"])
    assert households.update(a, make_household(uuid="u-a"), unique=["uuid"]) == 2
    with pytest.raises(DuplicateKey) as caught:
        households.update(b, make_household(uuid="u-a"), unique=["uuid"])
    assert caught.value.existing_id == a
    assert households.get(b)["uuid"] == "u-b"  # type: ignore[index]
    # Once a value is released it can be taken.
    households.update(a, make_household(uuid="u-c"), unique=["uuid"])
    households.update(b, make_household(uuid="u-a"), unique=["uuid"])


def test_unique_on_a_dotted_path_checks_every_member(store: Store, make_household: Factory) -> None:
    households = store.collection("households")
    first = make_household()
    first_id = households.insert(first, unique=["members.id_number"])
    intruder = make_household()
    intruder["members"][2]["id_number"] = first["members"][1]["id_number"]
    with pytest.raises(DuplicateKey) as caught:
        households.insert(intruder, unique=["members.id_number"])
    assert (caught.value.field, caught.value.existing_id) == ("members.id_number", first_id)


def test_concurrent_inserts_of_one_uuid_store_exactly_one(
    store: Store, make_household: Factory
) -> None:
    households = store.collection("households")
    start = threading.Barrier(20)
    outcomes: list[str] = []

    def submit(doc: dict[str, Any]) -> None:
        start.wait()
        try:
            households.insert(doc, unique=["uuid"])
            outcomes.append("stored")
        except DuplicateKey:
            outcomes.append("duplicate")

    threads = [
        threading.Thread(target=submit, args=(make_household(uuid="same-form"),)) for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["duplicate"] * 19 + ["stored"]
    assert households.count(uuid="same-form") == 1
    assert len(households) == 1


def test_find_by_field_dotted_list_path_and_nested_dict(
    store: Store, make_household: Factory
) -> None:
    households = store.collection("households")
    a = make_household(status="done")
    b = make_household(status="draft")
    c = make_household(status="done")
    ids = [households.insert(doc) for doc in (a, b, c)]
    wife_of_b = b["members"][1]["id_number"]

    assert [d["id"] for d in households.find(status="done")] == [ids[0], ids[2]]
    assert [d["id"] for d in households.find(**{"members.id_number": wife_of_b})] == [ids[1]]
    assert households.find(**{"members.id_number": "000000000000000000"}) == []
    building = a["address"]["building"]
    assert ids[0] in [d["id"] for d in households.find(**{"address.building": building})]
    both = households.find(status="done", **{"members.relation": "配偶"})
    assert [d["id"] for d in both] == [ids[0], ids[2]]
    assert households.find_one(status="done") == {"id": ids[0], "_rev": 1, **a}
    assert households.find_one(status="missing") is None
    assert households.count(status="done") == 2
    assert households.count() == 3
    assert households.find(id=ids[1]) == [{"id": ids[1], "_rev": 1, **b}]


def test_scan_with_and_without_predicate(store: Store, make_household: Factory) -> None:
    households = store.collection("households")
    docs = [make_household(size=n) for n in range(6)]
    ids = [households.insert(doc) for doc in docs]
    everything = households.scan()
    assert everything == [{"id": i, "_rev": 1, **doc} for i, doc in zip(ids, docs, strict=True)]
    big = households.scan(lambda doc: doc["size"] >= 4)
    assert [doc["id"] for doc in big] == ids[4:]


def _random_households(n: int, rng: random.Random) -> list[dict[str, Any]]:
    return [
        {
            "status": rng.choice(["draft", "submitted", "done"]),
            "building": rng.randint(1, 5),
            "members": [
                {"id_number": f"ID{rng.randint(1, 40):03d}", "relation": rng.choice(["户主", "子"])}
                for _ in range(rng.randint(0, 3))
            ],
        }
        for _ in range(n)
    ]


def _scan_ids(store: Store, path: str, value: Any) -> list[int]:
    """The answer computed by hand, without find or any index."""
    head, _, tail = path.partition(".")

    def has(doc: dict[str, Any]) -> bool:
        if not tail:
            return head in doc and doc[head] == value
        inner = doc.get(head)
        items = inner if isinstance(inner, list) else [inner]
        return any(isinstance(it, dict) and it.get(tail) == value for it in items)

    return [doc["id"] for doc in store.collection("households").scan(has)]


def test_indexed_lookups_agree_with_scans_through_writes(store: Store) -> None:
    rng = random.Random(7)
    households = store.collection("households")
    ids = [households.insert(doc) for doc in _random_households(150, rng)]
    households.ensure_index("status")
    households.ensure_index("members.id_number")
    for step in range(120):  # updates and deletes must keep the indexes right
        target = rng.choice(ids)
        if step % 4 == 0 and households.get(target) is not None:
            households.delete(target)
        elif households.get(target) is not None:
            households.update(target, _random_households(1, rng)[0])
        else:
            ids.append(households.insert(_random_households(1, rng)[0]))
    probes = [("status", s) for s in ("draft", "submitted", "done", "nope")] + [
        ("members.id_number", f"ID{k:03d}") for k in range(0, 42)
    ]
    for path, value in probes:
        expected = _scan_ids(store, path, value)
        assert [d["id"] for d in households.find(**{path: value})] == expected, (path, value)
        assert households.count(**{path: value}) == len(expected)
        found = households.find_one(**{path: value})
        assert (found["id"] if found else None) == (expected[0] if expected else None)
    combined = households.find(status="done", **{"members.relation": "子"})
    assert [d["id"] for d in combined] == [
        d["id"]
        for d in households.scan(
            lambda d: d["status"] == "done" and any(m["relation"] == "子" for m in d["members"])
        )
    ]
    assert sum(1 for _ in households.find(status="done")) > 0  # the probes were not all empty


def test_returned_documents_never_alias_the_store(store: Store, make_household: Factory) -> None:
    households = store.collection("households")
    original = make_household()
    new_id = households.insert(original)
    original["members"][0]["name"] = "changed after insert"
    original["address"]["room"] = "999"

    for copy in (
        households.get(new_id),
        households.find(status=original["status"])[0],
        households.find_one(id=new_id),
        households.scan()[0],
    ):
        assert copy is not None
        copy["members"][0]["name"] = "changed copy"
        copy["members"].append({"name": "ghost"})
        copy["address"]["room"] = "000"

    households.scan(lambda doc: bool(doc["members"].clear()))
    stored = households.get(new_id)
    assert stored is not None
    assert stored["members"][0]["name"] == "王建国"
    assert len(stored["members"]) == 3
    assert stored["address"]["room"] != "000"


def test_documents_that_are_not_json_are_refused_without_a_trace(store: Store) -> None:
    import datetime

    households = store.collection("households")
    with pytest.raises(TypeError):
        households.insert({"when": datetime.date(2024, 5, 1)})
    with pytest.raises(TypeError):
        households.insert({"tags": {1, 2}})
    assert len(households) == 0


def test_a_shared_scan_reads_what_scan_reads_and_keeps_it_after_writes(
    store: Store, make_household: Factory
) -> None:
    households = store.collection("households")
    ids = households.insert_many([make_household() for _ in range(3)])
    shared = households.scan_shared()
    assert shared == households.scan()
    kept = repr(shared)
    households.update(ids[0], make_household(status="done"))
    households.delete(ids[1])
    assert repr(shared) == kept  # stored documents are replaced, never changed in place
    assert households.get(ids[0])["status"] == "done"
    shared[2]["grid"] = "第一网格"  # each document's top level is the caller's own
    assert "grid" not in households.get(ids[2])
    assert store.collection("nothing_yet").scan_shared() == []
