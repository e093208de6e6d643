"""Counting every register without making its rows gives what the rows give."""

from __future__ import annotations

from collections import Counter

import pytest

from census.domain.registers import counts_in, rows_in
from census.domain.residents import (
    DWELLING_DERIVED,
    HOUSEHOLD_DERIVED,
    PART_KEYS,
    address_text,
    build_community,
    door,
)
from census.domain.summary import figures_of, summary
from census.surveys.registers import column_info, load_registers
from tests.community import AS_OF, PAST, TRUE_REGISTERS, build

REGISTERS = load_registers()


@pytest.fixture(scope="module")
def community():
    return build()


@pytest.mark.parametrize("day", [AS_OF, PAST], ids=["as_of", "past"])
def test_every_count_is_the_number_of_rows(community, day):
    built = build_community(community.households, day)
    counts = counts_in(REGISTERS, built, community.storefronts, community.units)
    rows = {
        reg.key: len(rows_in(reg, built, community.storefronts, community.units))
        for reg in REGISTERS
    }
    assert counts == rows
    if day == AS_OF:
        assert counts == TRUE_REGISTERS


def test_counts_and_figures_make_no_row(community):
    built = build_community(community.households, AS_OF)
    counts_in(REGISTERS, built, community.storefronts, community.units)
    figures = figures_of(built, community.storefronts, community.units)
    made = {"residents", "away", "present", "households", "dwellings"} & set(vars(built))
    assert made == set()
    assert figures == summary(community.households, community.storefronts, community.units, AS_OF)


@pytest.mark.parametrize("day", [AS_OF, PAST], ids=["as_of", "past"])
def test_person_fields_read_as_the_person_rows_would(community, day):
    built = build_community(community.households, day)
    columns = built.columns("person")
    keys = set(column_info("person")) | PART_KEYS | {"_order", "no_such_field", "id"}
    keys |= {key for h in community.households for p in h["members"] for key in p}
    values = {key: columns[key] for key in keys}
    assert len(columns) == built.resident_count() == len(built.residents)
    for key in keys:
        assert values[key] == [row.get(key) for row in built.residents], key
    assert built.columns("person") is columns  # shared by every person register


def test_with_the_away_persons_the_same_values_in_some_order(community):
    built = build_community(community.households, AS_OF)
    everyone = built.persons(include_away=True)
    assert built.away_count() == len(built.away) == len(everyone) - len(built.residents)
    for key in ("residence_type", "age", "ethnicity", "name", "grid", "conditions"):
        counted = built.columns("person", include_away=True)[key]
        assert Counter(map(repr, counted)) == Counter(repr(p.get(key)) for p in everyone), key


def test_household_fields_read_as_the_household_rows_would(community):
    built = build_community(community.households, AS_OF)
    columns = built.columns("household")
    keys = set(column_info("household")) | set(HOUSEHOLD_DERIVED) | {"id", "no_such_field"}
    keys |= {key for h in community.households for key in h}
    values = {key: columns[key] for key in keys - {"members"}}
    assert "households" not in vars(built)  # the rows were not made
    assert len(columns) == len(built.present_households()) == len(built.households)
    for key in keys - {"members"}:
        assert values[key] == [row.get(key) for row in built.households], key
    assert columns["members"] == [row["members"] for row in built.households]
    assert built.present_households() == [(h, len(rows)) for h, rows in built.present]


def test_dwelling_fields_read_as_the_dwelling_rows_would(community):
    built = build_community(community.households, AS_OF)
    columns = built.columns("dwelling")
    keys = set(column_info("dwelling")) | set(DWELLING_DERIVED) | {"no_such_field"}
    values = {key: columns[key] for key in keys}
    assert "dwellings" not in vars(built) and "households" not in vars(built)
    assert len(columns) == len(built.dwellings)
    for key in keys:
        assert values[key] == [row.get(key) for row in built.dwellings], key


def test_dwelling_rows_are_those_the_household_rows_give(community):
    """(as they were made before: from the household rows)"""
    for day in (AS_OF, PAST):
        built = build_community(community.households, day)
        assert built.dwellings == _dwellings_from_household_rows(built.households)


def test_nothing_modifies_the_records_it_counts(community):
    before = repr(community.households)
    built = build_community(community.households, AS_OF)
    counts_in(REGISTERS, built, community.storefronts, community.units)
    for reg in REGISTERS:
        rows_in(reg, built, community.storefronts, community.units)
    assert repr(community.households) == before


def _dwellings_from_household_rows(households):
    """How dwelling rows were made from household rows (before they were made from records)."""
    grouped = {}
    for h in households:
        grouped.setdefault(door(h), []).append(h)
    rows = []
    for (building, unit, room), group in grouped.items():
        rented = [h for h in group if h.get("housing") == "rented"]
        first = rented[0] if rented else group[0]
        assert first["address"] == address_text(first)
        rows.append(
            {
                "building": building,
                "unit": unit,
                "room": room,
                "address": first["address"],
                "grid": first.get("grid"),
                "housing": first.get("housing"),
                "landlord_name": first.get("landlord_name"),
                "landlord_phone": first.get("landlord_phone"),
                "households": len(group),
                "household_nos": "、".join(h.get("household_no") or "" for h in group),
                "residents": sum(h["residents"] for h in group),
                "tenants": "、".join(p.get("name") or "" for h in rented for p in h["members"]),
                "household_ids": [h.get("household_id") for h in group],
            }
        )
    return rows


def test_odd_records_read_the_same_as_their_rows():
    """Persons with household keys of their own, conditions not as lists, heads moved out."""
    from tests.factories import make_household, make_member

    odd = make_household(room="301", hardship="low_income", grid=None)
    odd["members"] = [
        make_member(1, relation="spouse", conditions="disability", building="别处"),
        make_member(0, status="moved_out", status_date="2020-01-01"),
        make_member(2, conditions=None, address="他处", grid="第九网格", residence_type=None),
        make_member(3, residence_type="away", conditions=("veteran",)),
        make_member(4, birth_date="2030-01-01"),
        make_member(5, residence_type="visitor", household_id=7),
        make_member(6, residence_type="away", status="moved_out", status_date="2030-01-01"),
    ]
    empty = make_household(room="302")
    empty["members"] = []
    gone = make_household(room="303", members=1)
    gone["members"][0]["status"] = "deceased"
    built = build_community([gone, odd, empty, dict(odd, room="300", id=9)], AS_OF)
    assert built.resident_count() == 4 and built.away_count() == 4  # two of each per copy
    keys = set(column_info("person")) | PART_KEYS | {"_order", "id", "relation"}
    for key in keys:
        assert built.columns("person")[key] == [r.get(key) for r in built.residents], key
        with_away = built.columns("person", include_away=True)[key]
        assert with_away == [r.get(key) for r in built.residents + built.away], key
    for key in set(column_info("household")) | set(HOUSEHOLD_DERIVED) - {"members"}:
        assert built.columns("household")[key] == [h.get(key) for h in built.households], key
    for key in DWELLING_DERIVED:
        assert built.columns("dwelling")[key] == [d.get(key) for d in built.dwellings], key


def test_a_community_is_freed_as_soon_as_it_is_dropped(community):
    """Its kept columns and dwellings hold no cycle back to it: no wait for the collector."""
    import gc
    import weakref

    was_on = gc.isenabled()
    gc.disable()
    try:
        built = build_community(community.households, AS_OF)
        counts_in(REGISTERS, built, community.storefronts, community.units)
        figures_of(built, community.storefronts, community.units)
        built.dwellings  # noqa: B018 - made and kept
        gone = weakref.ref(built)
        del built
        assert gone() is None
    finally:
        if was_on:
            gc.enable()
