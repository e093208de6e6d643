"""A staff survey with a repeat in its roster and a photo, as the tablet sends it and staff see it.

The tablet's outbox sends a staff survey to ``/api/v1/records/<name>`` as it sends a
household: a retry of the same uuid and body is the first record again, an edit is a PUT from
its revision. The photo arrives as a data URL inside the body (larger than the API's usual
limit) and is kept beside the record; it is shown to staff and to the surveyor who took it,
never to another surveyor, and a name the record does not hold is no photo.
"""

from __future__ import annotations

import io
import os
import re
import uuid as uuidlib

import pytest
from PIL import Image

from census.services.accounts import create_token
from census.surveys import custom
from census.web.current import context
from tests.conftest import csrf_token
from tests.surveys.test_nested_and_photos import HEAD, NESTED, data_url, jpeg_with_gps
from tests.surveys.xlsform_files import xlsform

SETTINGS = {"form_title": "家庭子女调查", "form_id": "family"}


@pytest.fixture
def family(app):
    added = custom.add(context(app), "family.xlsx", xlsform(NESTED, [], SETTINGS, HEAD))
    assert added.form is not None, added.problems
    return added.form


@pytest.fixture
def tokens(app, store):
    return {name: create_token(store, name) for name in ("admin", "surveyor1", "surveyor2")}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def noisy_jpeg(width: int = 1400, height: int = 1000) -> bytes:
    """A photo that does not compress well: more than 1 MB as a data URL."""
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def body(photo: str, **extra):
    kids = [{"k_name": "小明", "k_age": "3"}, {"k_name": "小红", "k_age": "5"}]
    member = {"m_name": "阿依古丽", "n_kids": "2", "kids": kids, "m_photo": photo}
    return {"uuid": str(uuidlib.uuid4()), "hh_size": "1", "members": [member]} | extra


def test_the_same_staff_survey_sent_twice_is_stored_once_with_its_photo(
    client, store, family, tokens
):
    photo = noisy_jpeg()
    sent = body(data_url(photo))
    assert len(str(sent)) > 1024 * 1024  # more than a household's body may be
    first = client.post("/api/v1/records/family", json=sent, headers=bearer(tokens["surveyor1"]))
    assert first.status_code == 201, first.get_data(as_text=True)[:500]
    again = client.post("/api/v1/records/family", json=sent, headers=bearer(tokens["surveyor1"]))
    assert (again.status_code, again.json["id"]) == (200, first.json["id"])
    other = dict(sent, hh_size="2")
    reused = client.post("/api/v1/records/family", json=other, headers=bearer(tokens["surveyor1"]))
    assert reused.status_code == 409 and reused.json["id"] == first.json["id"]
    (record,) = store.collection("survey_family").scan()
    (member,) = record["members"]
    assert [(k["k_name"], k["k_no"], k["k_parent"]) for k in member["kids"]] == [
        ("小明", 1, "阿依古丽"),
        ("小红", 2, "阿依古丽"),
    ]
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", member["m_photo"])
    assert store.media.get("survey_family", member["m_photo"]) == photo  # no GPS: kept as sent
    assert len(store.media.names()) == 1  # the retry stored no second file


def test_an_edit_through_the_api_keeps_the_photo_and_makes_one_new_revision(
    client, store, family, tokens
):
    sent = body(data_url(jpeg_with_gps()))
    made = client.post("/api/v1/records/family", json=sent, headers=bearer(tokens["surveyor1"]))
    record = store.collection("survey_family").get(made.json["id"])
    name = record["members"][0]["m_photo"]
    kept = store.media.get("survey_family", name)
    assert 0x8825 not in Image.open(io.BytesIO(kept)).getexif()  # where it was taken: gone
    edit = body(name, uuid=str(uuidlib.uuid4()), base_revision=1, hh_size="1")
    edit["members"][0]["kids"][1]["k_age"] = "6"
    url = f"/api/v1/records/family/{record['id']}"
    answer = client.put(url, json=edit, headers=bearer(tokens["surveyor1"]))
    assert (answer.status_code, answer.json["revision"]) == (200, 2), answer.json
    retry = client.put(url, json=edit, headers=bearer(tokens["surveyor1"]))
    assert (retry.status_code, retry.json["revision"]) == (200, 2)
    stored = store.collection("survey_family").get(record["id"])
    assert stored["_rev"] == 2 and stored["members"][0]["m_photo"] == name
    assert stored["members"][0]["kids"][1]["k_age"] == 6
    theirs = client.put(url, json=dict(edit, uuid=str(uuidlib.uuid4())),
                        headers=bearer(tokens["surveyor2"]))  # fmt: skip
    assert theirs.status_code == 403
    # a photo name of no record of this one's: refused at the save, nothing changes
    forged = body("0" * 32 + ".jpg", uuid=str(uuidlib.uuid4()), base_revision=2)
    refused = client.put(url, json=forged, headers=bearer(tokens["surveyor1"]))
    assert refused.status_code == 422
    assert store.collection("survey_family").get(record["id"])["_rev"] == 2


def test_a_photo_is_shown_to_staff_and_its_surveyor_only(app, client, store, family, tokens, auth):
    photo = jpeg_with_gps()
    made = client.post(
        "/api/v1/records/family", json=body(data_url(photo)), headers=bearer(tokens["surveyor1"])
    )
    record = store.collection("survey_family").get(made.json["id"])
    name = record["members"][0]["m_photo"]
    url = f"/survey/family/{record['id']}/photo/{name}"
    assert client.get(url).status_code == 302  # not logged in: the login page
    for who, status in (("surveyor2", 403), ("surveyor1", 200), ("reviewer", 200), ("admin", 200)):
        auth.login(who)
        answer = client.get(url)
        assert answer.status_code == status, who
        if status == 200:
            assert answer.mimetype == "image/jpeg"
            assert answer.data == store.media.get("survey_family", name)
        auth.logout()
    auth.login("admin")
    missing = [
        f"/survey/family/{record['id']}/photo/{'0' * 32}.jpg",  # no photo of this record
        f"/survey/family/{record['id']}/photo/..%2Fsecret_key",
        f"/survey/family/{record['id'] + 1}/photo/{name}",  # no such record
        f"/survey/nosuchform/{record['id']}/photo/{name}",
    ]
    for wrong in missing:
        assert client.get(wrong).status_code == 404, wrong


def test_the_tablet_form_nests_the_children_in_each_member_and_saves_through_the_outbox(
    client, store, family, tokens, auth
):
    auth.login("admin")
    page = client.get("/survey/family/new").get_data(as_text=True)
    assert 'data-outbox="POST" data-api="/api/v1/records/family"' in page
    assert 'data-roster="kids" data-name="members-0-kids"' in page
    assert 'name="members-0-kids-0-k_name"' in page
    assert 'type="file" id="members-0-m_photo-file" accept="image/*" capture="environment"' in page
    # Without the script the form posts to the page: the inner rows are read by their names.
    form = {
        "csrf_token": csrf_token(client, "/survey/family/new"),
        "save": "1",
        "hh_size": "1",
        "members-0-m_name": "买买提",
        "members-0-n_kids": "2",
        "members-0-kids-0-k_name": "阿力",
        "members-0-kids-3-k_name": "古丽",  # a gap left by a removed row
    }
    saved = client.post("/survey/family/new", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    (record,) = store.collection("survey_family").scan()
    assert [k["k_name"] for k in record["members"][0]["kids"]] == ["阿力", "古丽"]
    edit = client.get(f"/survey/family/{record['id']}/edit").get_data(as_text=True)
    assert f'data-outbox="PUT" data-api="/api/v1/records/family/{record["id"]}"' in edit
    assert f'data-photo-base="/survey/family/{record["id"]}/photo/"' in edit
    assert 'value="古丽"' in edit and 'name="members-0-kids-1-k_name"' in edit


def test_the_record_page_lists_the_inner_rows_and_shows_the_photo(
    client, store, family, tokens, auth
):
    made = client.post(
        "/api/v1/records/family",
        json=body(data_url(jpeg_with_gps())),
        headers=bearer(tokens["surveyor1"]),
    )
    record = store.collection("survey_family").get(made.json["id"])
    name = record["members"][0]["m_photo"]
    auth.login("admin")
    page = client.get(f"/worklog/family/{record['id']}").get_data(as_text=True)
    src = f"/survey/family/{record['id']}/photo/{name}"
    assert f'<img class="thumb" loading="lazy" alt="照片" src="{src}">' in page
    inner = re.search(r'data-item="members-0-kids-1">\s*<p>(.*?)</p>', page, re.S).group(1)
    assert "子女姓名：小红" in inner and "子女年龄：5" in inner


def test_the_upload_page_says_photos_and_repeats_inside_repeats_work(client, auth):
    auth.login("admin")
    page = client.get("/admin/surveys/").get_data(as_text=True)
    assert "照片（image：平板拍照或选取文件" in page and "重复组里的重复组（最多三层）" in page
    assert "暂不支持，会略去" in page and "照片、录音等题型暂不支持" not in page
    english = client.get("/admin/surveys/?lang=en").get_data(as_text=True)
    assert "repeats inside repeats (up to three levels)" in english
    assert "a repeat inside a repeat is not supported" not in english


def test_without_the_script_a_child_row_is_added_and_removed_in_its_own_member(
    client, store, family, auth
):
    auth.login("admin")
    form = {
        "csrf_token": csrf_token(client, "/survey/family/new"),
        "hh_size": "2",
        "members-0-m_name": "阿依古丽",
        "members-0-kids-0-k_name": "小明",
        "members-1-m_name": "买买提",
        "members-1-kids-0-k_name": "阿力",
    }
    added = client.post("/survey/family/new", data=form | {"add_item": "members-1-kids"})
    page = added.get_data(as_text=True)
    assert 'name="members-1-kids-1-k_name"' in page  # a second child of the second member
    assert 'name="members-0-kids-1-k_name"' not in page and 'name="members-2-m_name"' not in page
    removed = client.post(
        "/survey/family/new", data=form | {"members-1-kids-1-k_name": "古丽",
                                           "remove_item": "members-1-kids-0"}
    )  # fmt: skip
    page = removed.get_data(as_text=True)
    assert 'value="古丽"' in page and 'value="阿力"' not in page and 'value="小明"' in page
    assert len(store.collection("survey_family")) == 0  # nothing saved by either button
