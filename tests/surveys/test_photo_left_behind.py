"""A save that is refused keeps no photo: media/ holds only the files records name.

A new photo is written before the record (with PostgreSQL in the same transaction). With
TinyDB the file is in the data folder at once, so when the record's write is then refused
— a full disk, an edit from an old revision, a uuid stored meanwhile — the file must go
again, or media/ fills with photos no record names.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from census.services import records
from census.store import Conflict, DuplicateKey, StoreFull, open_store
from census.surveys.photos import photo_names
from tests.surveys.test_nested_and_photos import answers, data_url, form_of, jpeg_with_gps

FOLDER = "survey_roster"


def with_photo(**extra):
    body = answers(**extra)
    body["members"][0]["m_photo"] = data_url(jpeg_with_gps())
    return body


def files(data: Path) -> set[str]:
    """Every file in the survey's media folder, temporary ones too."""
    folder = data / "media" / FOLDER
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_a_save_refused_by_a_full_disk_leaves_no_photo(tmp_path, monkeypatch):
    form = form_of()
    with open_store(tmp_path / "data") as store:

        def full_disk(fd: int, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "write", full_disk)  # the journal's write; the photo is written
        with pytest.raises(StoreFull):
            records.save(store, form, with_photo(), user="admin")
        monkeypatch.undo()
        assert len(store.collection(FOLDER)) == 0
        assert files(tmp_path / "data") == set()
        saved = records.save(store, form, with_photo(), user="admin")  # room again
        assert saved.saved
        assert files(tmp_path / "data") == photo_names(saved.record)


def test_an_edit_from_an_old_revision_leaves_no_photo(tmp_path):
    form = form_of()
    with open_store(tmp_path / "data") as store:
        first = records.save(store, form, with_photo(), user="admin")
        kept = photo_names(first.record)
        records.save(store, form, first.record, user="admin", record_id=first.id, expected_rev=1)
        with pytest.raises(Conflict):
            records.save(store, form, with_photo(), user="admin", record_id=first.id,
                         expected_rev=1)  # fmt: skip
        assert files(tmp_path / "data") == kept


def test_a_uuid_stored_meanwhile_leaves_no_photo(tmp_path):
    form = form_of()
    with open_store(tmp_path / "data") as store:
        store.collection(FOLDER).ensure_index("uuid")
        first = records.save(store, form, with_photo(), user="admin", meta={"uuid": "u-1"})
        with pytest.raises(DuplicateKey):
            records.save(store, form, with_photo(), user="admin", meta={"uuid": "u-1"})
        assert files(tmp_path / "data") == photo_names(first.record)


def test_a_save_with_errors_writes_no_photo(tmp_path):
    form = form_of()
    with open_store(tmp_path / "data") as store:
        refused = records.save(store, form, with_photo(hh_size="abc"), user="admin")
        assert not refused.saved
        assert files(tmp_path / "data") == set()
