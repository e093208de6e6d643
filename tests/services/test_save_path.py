"""What one household save reads and does, on a TinyDB data folder and on PostgreSQL: the
households its duplicate checks compare with, and the warnings they still give."""

from __future__ import annotations

import pytest

from census.services import records
from census.services.accounts import add_user
from census.store import open_store
from census.surveys.definition import load_surveys
from tests.conftest import FAST_HASH
from tests.factories import make_household, make_member

FORM = load_surveys()["household"]


@pytest.fixture(params=["tinydb", "postgres"])
def any_store(request, tmp_path):
    if request.param == "tinydb":
        store = open_store(tmp_path / "data", fsync=False)
    else:
        store = open_store(request.getfixturevalue("pg_url"), fsync=False)
    records.prepare_store(store)
    store.collection("buildings").insert({"name": "1栋", "grid": "", "type": "residential"})
    add_user(store, "admin", "admin", "secret-pass-1", hash_method=FAST_HASH)
    yield store
    store.close()


def one_person(name: str, born: str, room: str, **member: object) -> dict[str, object]:
    """A household of one (no ID number: found by name and birth date only)."""
    person = make_member(0, name=name, birth_date=born, id_type="", id_number="") | member
    return make_household(members=0, room=room) | {"members": [person]}


def test_a_common_name_reads_only_the_households_born_the_same_day(any_store):
    households = any_store.collection("households")
    for n in range(30):  # thirty 王芳, each born another day
        households.insert(one_person("王芳", f"1980-01-{n + 1:02d}", f"{n + 101}"))
    twin = households.insert(one_person("王芳", "1975-06-01", "301"))
    record = one_person("王芳", "1975-06-01", "401")
    assert [h["id"] for h in records.candidates(any_store, record)] == [twin]
    result = records.save(any_store, FORM, record, user="admin")
    assert result.saved
    warned = [(p.code, p.params.get("id")) for p in result.problems if not p.is_error]
    assert ("probable_duplicate", twin) in warned
