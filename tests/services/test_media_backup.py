"""Photos kept in PostgreSQL (``census_media``) are in the backup and come back on restore:
into another database, into a data folder, and a data folder's photos into a database."""

from __future__ import annotations

import secrets
import tarfile

import psycopg
import pytest
from psycopg import sql

from census.services import backup, records
from census.store import open_store
from tests.store.conftest import pg_server, with_search_path  # noqa: F401  (a fixture)
from tests.surveys.test_nested_and_photos import answers, data_url, form_of, jpeg_with_gps

pytestmark = pytest.mark.postgres


@pytest.fixture
def schemas(pg_server):  # noqa: F811
    """New PostgreSQL schemas for one test (a URL each), dropped afterwards."""
    made: list[str] = []

    def new() -> str:
        schema = f"census_media_{secrets.token_hex(5)}"
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        made.append(schema)
        return with_search_path(pg_server, schema)

    yield new
    with psycopg.connect(pg_server, autocommit=True) as conn:
        for schema in made:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def with_photos(target, n: int = 2) -> dict[str, bytes]:
    """``n`` records with a photo each in the store at ``target``: {file name: bytes}."""
    found = {}
    with open_store(target, fsync=False) as store:
        for i in range(n):
            body = answers()
            body["members"][0]["m_photo"] = data_url(jpeg_with_gps((40 + i, 30)))
            result = records.save(store, form_of(), body, user="admin")
            assert result.saved, result.problems
            name = result.record["members"][0]["m_photo"]
            found[name] = store.media.get("survey_roster", name)
    return found


def media_of(target) -> dict[str, bytes]:
    with open_store(target, fsync=False) as store:
        return {name: store.media.get(folder, name) for folder, name in store.media.names()}


def test_a_databases_photos_are_backed_up_and_restored_into_a_database(schemas, tmp_path):
    source = schemas()
    photos = with_photos(source)
    stray = tmp_path / "data" / "media" / "survey_roster" / "stale.jpg"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"not the database's")  # a folder's leftovers are no database photo
    out = tmp_path / "census.tar.gz"
    made = backup.backup(out, source, tmp_path / "data")
    assert sorted(n for n in made.files if n.startswith("media/")) == sorted(
        f"media/survey_roster/{name}" for name in photos
    )
    with tarfile.open(out) as tar:
        for name, data in photos.items():
            assert tar.extractfile(f"files/media/survey_roster/{name}").read() == data

    target = schemas()
    restored = backup.restore(out, target, tmp_path / "restored")
    assert restored.content_hash == made.content_hash
    assert media_of(target) == photos
    assert not (tmp_path / "restored" / "media").exists()  # in the database, not the folder


def test_a_databases_photos_restore_into_a_data_folder_and_back(schemas, tmp_path):
    source = schemas()
    photos = with_photos(source, 1)
    out = tmp_path / "census.tar.gz"
    backup.backup(out, source, tmp_path / "empty")
    folder = tmp_path / "folder"
    backup.restore(out, folder, folder)
    assert media_of(folder) == photos
    again = tmp_path / "again.tar.gz"
    backup.backup(again, folder, folder)
    target = schemas()
    backup.restore(again, target, tmp_path / "other")
    assert media_of(target) == photos
