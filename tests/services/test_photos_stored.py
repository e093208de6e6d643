"""A survey's photos stored with its record: in the data folder (TinyDB) or the database
(PostgreSQL), named in the record, refused when an edit names another record's, and kept
by a backup and its restore."""

from __future__ import annotations

import io
import tarfile

import pytest
from PIL import Image

from census.services import backup, records
from census.store import open_store
from tests.surveys.test_nested_and_photos import answers, data_url, form_of, jpeg_with_gps


@pytest.fixture(params=["tinydb", "postgres"])
def any_store(request, tmp_path):
    if request.param == "tinydb":
        store = open_store(tmp_path / "data", fsync=False)
    else:
        store = open_store(request.getfixturevalue("pg_url"), fsync=False)
    yield store
    store.close()


def with_photo():
    body = answers()
    body["members"][0]["m_photo"] = data_url(jpeg_with_gps())
    return body


def test_a_photo_lands_with_its_record_without_its_gps(any_store):
    form = form_of()
    result = records.save(any_store, form, with_photo(), user="admin")
    assert result.saved, [(p.path, p.code) for p in result.problems]
    stored = any_store.collection("survey_roster").get(result.id)
    name = stored["members"][0]["m_photo"]
    assert type(name) is str and name.endswith(".jpg")
    data = any_store.media.get("survey_roster", name)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and 0x8825 not in image.getexif()
    assert any_store.media.names() == [("survey_roster", name)]
    # an edit sends the name back: the photo stays, nothing new is written
    again = stored | {"members": stored["members"]}
    edit = records.save(
        any_store, form, again, user="admin", record_id=result.id, expected_rev=stored["_rev"]
    )
    assert edit.saved and any_store.media.names() == [("survey_roster", name)]


def test_a_record_may_not_name_another_records_photo(any_store):
    form = form_of()
    first = records.save(any_store, form, with_photo(), user="admin")
    name = any_store.collection("survey_roster").get(first.id)["members"][0]["m_photo"]
    body = answers()
    body["members"][1]["m_photo"] = name
    taken = records.save(any_store, form, body, user="admin")
    assert not taken.saved and [p.code for p in taken.problems] == ["photo_unknown"]


def test_a_media_name_cannot_leave_its_folder(tmp_path):
    store = open_store(tmp_path / "data", fsync=False)
    try:
        for folder, name in [("..", "x.jpg"), ("survey_a", "../secret_key"), ("a/b", "x")]:
            with pytest.raises(ValueError):
                store.media.put(folder, name, b"x")
    finally:
        store.close()


def test_a_backup_keeps_the_photos_and_a_restore_brings_them_back(tmp_path):
    data = tmp_path / "data"
    store = open_store(data, fsync=False)
    try:
        result = records.save(store, form_of(), with_photo(), user="admin")
        name = store.collection("survey_roster").get(result.id)["members"][0]["m_photo"]
        photo = store.media.get("survey_roster", name)
    finally:
        store.close()
    out = tmp_path / "census.tar.gz"
    backup.backup(out, data, data)
    with tarfile.open(out) as tar:
        assert f"files/media/survey_roster/{name}" in tar.getnames()
    fresh = tmp_path / "fresh"
    backup.restore(out, fresh, fresh)
    restored = open_store(fresh, fsync=False)
    try:
        assert restored.media.get("survey_roster", name) == photo
        assert restored.collection("survey_roster").get(result.id)["members"][0]["m_photo"] == name
    finally:
        restored.close()
