"""What one household save reads and does, on a TinyDB data folder and on PostgreSQL: the
households its duplicate checks compare with, and the warnings they still give."""

from __future__ import annotations

import pytest

from census.fieldwork import edits
from census.services import records
from census.services.accounts import add_user
from census.store import Conflict, open_store
from census.surveys.definition import load_surveys
from census.surveys.validate import clean
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


def test_a_save_from_a_stale_read_is_still_a_conflict(any_store):
    first = records.save(any_store, FORM, make_household(), user="admin")
    read = any_store.collection("households").get(first.id)
    records.save(any_store, FORM, make_household(notes="先改"), user="admin", record_id=first.id,
                 expected_rev=1, stored=read)  # fmt: skip
    with pytest.raises(Conflict):  # the record read at rev 1 is handed in again
        records.save(any_store, FORM, make_household(notes="后改"), user="admin",
                     record_id=first.id, expected_rev=1, stored=read)  # fmt: skip
    assert any_store.collection("households").get(first.id)["notes"] == "先改"


def test_an_api_edit_checks_its_household_once_and_reads_it_once(client, auth, store, monkeypatch):
    """The edit is cleaned to decide between a save and a conflict; the save takes that, and
    the household and the account the request read, instead of doing it all again."""
    from census.services.accounts import create_token

    token = create_token(store, "admin")
    headers = {"Authorization": f"Bearer {token}"}
    made = client.post("/api/v1/households", json=make_household() | {"uuid": "u-1"},
                       headers=headers)  # fmt: skip
    assert made.status_code == 201, made.get_json()
    record_id = made.get_json()["id"]
    cleaned, reads = [], []
    households = store.collection("households")
    get = households.get

    def counted(*args, **kwargs):
        cleaned.append(1)
        return clean(*args, **kwargs)

    monkeypatch.setattr(records, "clean", counted)
    monkeypatch.setattr(edits, "clean", counted)
    monkeypatch.setattr(households, "get", lambda *a, **k: reads.append(1) or get(*a, **k))
    body = make_household(notes="三楼") | {"uuid": "u-2", "base_revision": 1}
    answer = client.put(f"/api/v1/households/{record_id}", json=body, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert households.get(record_id)["notes"] == "三楼" and households.get(record_id)["_rev"] == 2
    assert (len(cleaned), len(reads)) == (1, 1 + 2)  # the edit's read, then the two above
