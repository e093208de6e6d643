"""Single records and short lists that pages look up by id, number, uuid or building.

The read models (``census.queries.derived``) answer the questions about the whole
community; these answer the small ones a page asks about one record or one building.
``collection`` is a form's ``FormDef.collection`` (households, storefronts, units, a staff
survey's or a work register's records).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from census.fieldwork import CONFLICTS, VISITS
from census.fieldwork.conflicts import RESOLVED
from census.services.records import PENDING
from census.store import Store

Doc = dict[str, Any]
HOUSEHOLDS = "households"
STOREFRONTS = "storefronts"


def record(store: Store, collection: str, record_id: int) -> Doc | None:
    """The record with this id in a form's collection, or None."""
    return store.collection(collection).get(record_id)


def records_of(store: Store, collection: str) -> list[Doc]:
    """Every record of a form's collection, by id."""
    return store.collection(collection).scan()


def record_with_uuid(store: Store, collection: str, uuid: str) -> Doc | None:
    """The record a client sent with this uuid before, or None."""
    return store.collection(collection).find_one(uuid=uuid)


def record_count(store: Store, collection: str) -> int:
    """How many records a form's collection holds."""
    return len(store.collection(collection))


def household(store: Store, record_id: int) -> Doc | None:
    """The household with this id, or None."""
    return record(store, HOUSEHOLDS, record_id)


def households_by_id(store: Store, record_ids: Iterable[int]) -> list[Doc]:
    """The households with these ids, in the order given; ids of none are left out."""
    found = (household(store, i) for i in record_ids)
    return [h for h in found if h is not None]


def households(store: Store) -> list[Doc]:
    """Every household, by id."""
    return records_of(store, HOUSEHOLDS)


def households_in_building(store: Store, building: str) -> list[Doc]:
    """The households of one building, by id."""
    return store.collection(HOUSEHOLDS).find(building=building)


def household_numbered(store: Store, household_no: str) -> Doc | None:
    """The household with this household number (H0012), or None."""
    return store.collection(HOUSEHOLDS).find_one(household_no=household_no)


def households_with_member_id(store: Store, id_number: str) -> list[Doc]:
    """The households with a member of this ID number (as stored), by id.

    The index's count answers first: most people of a first import are in no household,
    and it tells so without reading a document.
    """
    households = store.collection(HOUSEHOLDS)
    path = {"members.id_number": id_number}
    return households.find(**path) if households.count(**path) else []


def record_matching(store: Store, collection: str, fields: Mapping[str, Any]) -> Doc | None:
    """The first record (lowest id) of a form's collection with these values, or None."""
    return store.collection(collection).find_one(**fields)


def awaiting_follow_up(store: Store, collection: str) -> list[Doc]:
    """The records of a form's collection that an import stored without a field its file
    lacked (``pending_fields``, 待核实), by id.

    The store's own documents (``scan_shared``: none is copied to be thrown away, as
    most records wait for nothing): read only.
    """
    return [doc for doc in store.collection(collection).scan_shared() if doc.get(PENDING)]


def storefronts_in_building(store: Store, building: str) -> list[Doc]:
    """The storefronts of one building, by id."""
    return store.collection(STOREFRONTS).find(building=building)


def visit_with_uuid(store: Store, uuid: str) -> Doc | None:
    """The visit a client sent with this uuid before, or None."""
    return store.collection(VISITS).find_one(uuid=uuid)


def visits_in_buildings(store: Store, buildings: Iterable[str]) -> list[Doc]:
    """The visits logged in these buildings, building by building in the order given."""
    visits = store.collection(VISITS)
    return [v for name in buildings for v in visits.find(building=name)]


def conflict(store: Store, conflict_id: int) -> Doc | None:
    """One crossed edit (open or resolved), or None."""
    return store.collection(CONFLICTS).get(conflict_id)


def resolved_conflicts(store: Store, last: int = 20) -> list[Doc]:
    """The ``last`` crossed edits resolved most recently, newest first."""
    found = store.collection(CONFLICTS).find(state=RESOLVED)
    return sorted(found, key=lambda c: c.get("resolved_at") or "", reverse=True)[:last]


def building_parts(store: Store, names: Iterable[str]) -> dict[str, list[tuple[str, int, Any]]]:
    """For each of these buildings: (collection, id, revision) of every household,
    storefront and visit in it, sorted; a page kept offline is stale when these change.

    One pass over each collection (``scan_shared``: read only), whatever the number of
    buildings.
    """
    parts: dict[str, list[tuple[str, int, Any]]] = {name: [] for name in names}
    for name in (HOUSEHOLDS, STOREFRONTS, VISITS):
        for doc in store.collection(name).scan_shared():
            found = parts.get(str(doc.get("building") or ""))
            if found is not None:
                found.append((name, doc["id"], doc.get("_rev")))
    return {name: sorted(found) for name, found in parts.items()}
