"""What the PostgreSQL backend translates into SQL must mean what TinyDB's Python means.

Every test here runs on every backend: lookups are Python equality (``"1"`` is not
``1``, ``1`` is ``1.0`` and ``True``) at dotted paths through dicts and lists of dicts.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from census.store import Conflict, DuplicateKey, Holding, Store
from census.store.paths import split, values_at

MIXED = ["1", 1, 1.0, True, 0, False, None, "true", "", 2.5, -3, [1], {"a": 1}, "一"]


def oracle(store: Store, path: str, wanted: Any) -> list[int]:
    """The ids ``find`` must return, by the definition: any value at the path ``==`` wanted."""
    keys = split(path)
    return [
        doc["id"]
        for doc in store.collection("things").scan()
        if any(value == wanted for value in values_at(doc, keys))
    ]


def test_equality_keeps_json_types_apart_as_python_does(store: Store) -> None:
    things = store.collection("things")
    ids = {repr(v): things.insert({"v": v, "deep": {"list": [{"v": v}]}}) for v in MIXED}
    things.insert({"other": 1})  # no "v" at all: not even None matches it

    def found(**equals: Any) -> list[int]:
        return [doc["id"] for doc in things.find(**equals)]

    assert found(v=1) == [ids["1"], ids["1.0"], ids["True"]]
    assert found(v="1") == [ids["'1'"]]
    assert found(v=True) == found(v=1.0) == found(v=1)
    assert found(v=0) == [ids["0"], ids["False"]]
    assert found(v=None) == [ids["None"]]
    assert found(v="") == [ids["''"]]
    assert found(v=[1]) == [ids["[1]"]]
    assert found(v={"a": 1}) == [ids["{'a': 1}"]]
    assert found(v=2.5) == [ids["2.5"]] and found(v=-3.0) == [ids["-3"]]
    for wanted in MIXED + [float("nan"), {1, 2}, 10**30, "nul\x00"]:
        expected = oracle(store, "v", wanted)
        assert found(v=wanted) == expected, wanted
        assert found(**{"deep.list.v": wanted}) == expected, wanted
        assert things.count(v=wanted) == len(expected), wanted
    assert found(id=ids["1"]) == [ids["1"]]
    assert found(id=float(ids["1"])) == found(id="1") == []
    assert found(_rev=1) == found(_rev=True) == sorted(ids.values()) + [max(ids.values()) + 1]


def test_a_value_is_not_found_inside_a_list_at_the_end_of_the_path(store: Store) -> None:
    things = store.collection("things")
    listed = things.insert({"tags": ["a", "b"], "m": [{"tags": ["a"]}]})
    plain = things.insert({"tags": "a", "m": [{"tags": "a"}]})
    assert [d["id"] for d in things.find(tags="a")] == [plain]
    assert [d["id"] for d in things.find(**{"m.tags": "a"})] == [plain]
    assert [d["id"] for d in things.find(tags=["a", "b"])] == [listed]
    assert [d["id"] for d in things.find(**{"m.tags": ["a"]})] == [listed]


def _shape(rng: random.Random, depth: int) -> Any:
    """A value at some depth: a scalar, a dict, or a list of dicts and odd elements."""
    leaf = rng.choice(["x", "y", 1, 1.0, True, 0, None, "1"])
    if depth == 0 or rng.random() < 0.3:
        return leaf
    inner = {"k": _shape(rng, depth - 1), "j": leaf}
    kind = rng.random()
    if kind < 0.4:
        return inner
    if kind < 0.8:
        return [inner, {"k": _shape(rng, depth - 1)}, rng.choice([leaf, [inner]])]
    return [leaf]


@pytest.mark.parametrize("indexed", [False, True])
def test_random_documents_agree_with_the_definition(store: Store, indexed: bool) -> None:
    rng = random.Random(11)
    things = store.collection("things")
    for _ in range(120):
        things.insert({"k": _shape(rng, 3), "j": rng.choice(["x", 1, None])})
    paths = ["k", "j", "k.k", "k.j", "k.k.k", "k.k.j", "k.k.k.k"]
    if indexed:
        for path in paths:
            things.ensure_index(path)
    for path in paths:
        # Lists holding numbers are left out: TinyDB's indexes tell [1] from [1.0] and [True].
        for wanted in ["x", "y", 1, True, 0, None, "1", ["x"], {"k": "x", "j": "x"}]:
            expected = oracle(store, path, wanted)
            assert [d["id"] for d in things.find(**{path: wanted})] == expected, (path, wanted)
            assert things.count(**{path: wanted}) == len(expected), (path, wanted)


def test_unique_values_collide_by_python_equality(store: Store) -> None:
    things = store.collection("things")
    one = things.insert({"code": 1}, unique=["code"])
    for same in (True, 1.0):
        with pytest.raises(DuplicateKey) as caught:
            things.insert({"code": same}, unique=["code"])
        assert caught.value.existing_id == one
    things.insert({"code": "1"}, unique=["code"])
    pair = things.insert({"code": [1, 2]}, unique=["code"])
    with pytest.raises(DuplicateKey) as caught:
        things.insert({"code": [1, 2]}, unique=["code"])
    assert caught.value.existing_id == pair
    things.insert({"code": [2, 1]}, unique=["code"])
    assert len(things) == 4


def test_numbers_and_text_come_back_as_they_went_in(store: Store) -> None:
    things = store.collection("things")
    doc = {
        "ints": [0, -3, 2**53 + 1, 2**63 - 1],
        "floats": [0.1, 1.0, -2.5, 1e-7, 123456.789],
        "flags": [True, False, None],
        "text": ["", "1", "王建国", "emoji 👪", 'quote " and \\ backslash', "tab\tnewline\n"],
        "nested": {"": {"a.b": 1}},
    }
    doc_id = things.insert(doc)
    back = things.get(doc_id)
    assert back == {"id": doc_id, "_rev": 1, **doc}
    assert [type(v) for v in back["floats"]] == [float] * 5  # type: ignore[index]
    assert [type(v) for v in back["ints"]] == [int] * 4  # type: ignore[index]


def test_expected_rev_is_compared_with_python_equality(store: Store) -> None:
    things = store.collection("things")
    doc_id = things.insert({"n": 1})
    for stale in (1.5, 2**70, "1", 0):
        with pytest.raises(Conflict) as caught:
            things.update(doc_id, {"n": 2}, expected_rev=stale)  # type: ignore[arg-type]
        assert caught.value.current_rev == 1
        with pytest.raises(Conflict):
            things.delete(doc_id, expected_rev=stale)  # type: ignore[arg-type]
    assert things.update(doc_id, {"n": 2}, expected_rev=1.0) == 2  # type: ignore[arg-type]
    assert things.update(doc_id, {"n": 3}, expected_rev=2, unique=["n"]) == 3
    things.delete(doc_id, expected_rev=3.0)  # type: ignore[arg-type]
    assert len(things) == 0


@pytest.mark.parametrize("indexed", [False, True])
def test_find_any_is_the_union_of_its_finds_by_id(store: Store, indexed: bool) -> None:
    """``find_any`` means each alternative's ``find``, every document once, ordered by id;
    an alternative no document can meet (NaN, a NUL) drops out, a list or dict wanted is
    still found, and no alternatives find nothing."""
    rng = random.Random(5)
    things = store.collection("things")
    for _ in range(80):
        things.insert({"k": _shape(rng, 3), "j": rng.choice(["x", 1, None])})
    if indexed:
        for path in ("k", "j", "k.k", "k.j"):
            things.ensure_index(path)
    wanted: list[dict[str, Any]] = [
        {"j": "x"},
        {"k.j": 1},
        {"k.k": "x", "j": None},
        {"k": float("nan")},
        {"j": "nul\x00"},
        {"k.j": ["x"]},
        {"k": {"k": "x", "j": "x"}},
    ]
    for size in range(len(wanted) + 1):
        for _ in range(4):
            chosen = rng.sample(wanted, size)
            union = {d["id"] for equals in chosen for d in things.find(**equals)}
            found = things.find_any(chosen)
            assert [d["id"] for d in found] == sorted(union), chosen
            assert all(d == things.get(d["id"]) for d in found)
    assert things.find_any([]) == []


@pytest.mark.parametrize("indexed", [False, True])
def test_holding_finds_one_element_with_every_field(store: Store, indexed: bool) -> None:
    """``Holding`` means: one element at the path (a dict, or a dict in the list there) has
    every field ``==`` its value; two elements holding one field each are no match."""
    rng = random.Random(9)
    things = store.collection("things")
    pool = ["x", "y", 1, True, None, "1"]
    for _ in range(150):
        members = [
            {key: rng.choice(pool) for key in ("a", "b") if rng.random() < 0.8}
            for _ in range(rng.randint(0, 3))
        ]
        shape = rng.random()
        doc = {
            "m": members
            if shape < 0.7
            else (members[0] if members else {})
            if shape < 0.85
            else "m"
        }
        doc["deep"] = {"m": members}
        things.insert(doc)
    things.insert({"m": [{"a": "x"}, {"b": "y"}]})  # each field, in two elements
    if indexed:
        for path in ("m.a", "m.b", "deep.m.a"):
            things.ensure_index(path)

    def oracle(path: str, wanted: dict[str, Any]) -> list[int]:
        def holds(value: Any) -> bool:
            items = value if isinstance(value, list) else [value]
            return any(
                isinstance(item, dict)
                and all(k in item and item[k] == v for k, v in wanted.items())
                for item in items
            )

        return [d["id"] for d in things.scan() if any(holds(v) for v in values_at(d, split(path)))]

    for path in ("m", "deep.m"):
        for a in pool:
            for b in pool:
                for wanted in ({"a": a, "b": b}, {"a": a}):
                    expected = oracle(path, wanted)
                    found = things.find(**{path: Holding(**wanted)})
                    assert [d["id"] for d in found] == expected, (path, wanted)
                    assert things.count(**{path: Holding(**wanted)}) == len(expected)
    split_pair = things.find(m=Holding(a="x", b="y"))
    assert all(any(m.get("a") == "x" and m.get("b") == "y" for m in d["m"]) for d in split_pair)
    assert things.find(m=Holding(a=float("nan"))) == []
    assert [d["id"] for d in things.find_any([{"m": Holding(a="x", b="y")}, {"m.a": 1}])] == sorted(
        set(oracle("m", {"a": "x", "b": "y"})) | {d["id"] for d in things.find(**{"m.a": 1})}
    )
