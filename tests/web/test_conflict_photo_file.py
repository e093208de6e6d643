"""A conflict keeps a new photo as a file, as a save does, not as megabytes of base64.

An edit sent from an old revision waits on the 冲突 page until a reviewer merges it; its
photo is stored beside the record when the edit arrives, the conflict names the file, and
the merge keeps that file when the reviewer takes their photo.
"""

from __future__ import annotations

import io
import re
import uuid as uuidlib

from PIL import Image

from census.fieldwork import CONFLICTS, conflicts
from tests.surveys.test_nested_and_photos import data_url, jpeg_with_gps
from tests.web.test_survey_photos_api import bearer, body, family, noisy_jpeg, tokens  # noqa: F401

STORED = re.compile(r"[0-9a-f]{32}\.jpg")


def test_an_edit_from_an_old_revision_keeps_its_photo_as_a_file_until_merged(
    client,
    store,
    family,  # noqa: F811 - the fixtures imported above
    tokens,  # noqa: F811
):
    made = client.post(
        "/api/v1/records/family", json=body(data_url(jpeg_with_gps())),
        headers=bearer(tokens["surveyor1"]),
    )  # fmt: skip
    record_id = made.json["id"]
    first_photo = store.collection("survey_family").get(record_id)["members"][0]["m_photo"]
    url = f"/api/v1/records/family/{record_id}"
    edit = body(first_photo, uuid=str(uuidlib.uuid4()), base_revision=1)
    edit["members"][0]["kids"][1]["k_age"] = "6"
    assert client.put(url, json=edit, headers=bearer(tokens["surveyor1"])).status_code == 200
    late = body(data_url(noisy_jpeg()), uuid=str(uuidlib.uuid4()), base_revision=1)
    assert len(str(late)) > 1024 * 1024
    answer = client.put(url, json=late, headers=bearer(tokens["surveyor1"]))
    assert answer.status_code == 409 and answer.json["error"] == "edit_conflict"
    conflict = store.collection(CONFLICTS).get(answer.json["conflict"])
    their_photo = conflict["theirs"]["members"][0]["m_photo"]
    assert STORED.fullmatch(their_photo) and their_photo != first_photo
    assert len(str(conflict)) < 10_000  # a file name, not the photo
    kept = store.media.get("survey_family", their_photo)
    assert Image.open(io.BytesIO(kept)).size == (1400, 1000)
    files = store.media.names()
    again = client.put(url, json=late, headers=bearer(tokens["surveyor1"]))
    assert (again.status_code, again.json["conflict"]) == (409, conflict["id"])
    assert store.media.names() == files  # the retry stored no second copy

    current = store.collection("survey_family").get(record_id)
    d = conflicts.diff(family, current, conflict["theirs"])
    # (members of a staff survey are matched by nothing here: theirs is a member of its own)
    (theirs_only,) = [m for m in d.members if m.mine is None]
    assert theirs_only.theirs["m_photo"] == their_photo  # the same file each time it is drawn
    choices = {m.name: conflicts.THEIRS for m in d.members}  # their member instead of mine
    result, _d = conflicts.resolve(
        store, family, conflict, choices, user="admin", expected_rev=current["_rev"]
    )
    assert result.saved, result.problems
    merged = store.collection("survey_family").get(record_id)
    assert merged["members"][0]["m_photo"] == their_photo
    assert [m["m_photo"] for m in merged["members"]] == [their_photo]
    assert store.media.get("survey_family", their_photo) == kept
