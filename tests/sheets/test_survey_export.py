"""A staff survey's records exported: the records sheet, a sheet per repeat (three levels deep)
keyed as ODK and Kobo key theirs, photos as file names and in the zip, ID numbers masked
unless a permitted user asks (and then logged); on the web and on the command line."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile

import pytest
import yaml
from openpyxl import load_workbook

from census.services import audit, records
from census.surveys import custom
from census.web.current import context
from tests.surveys.test_nested_and_photos import HEAD, data_url, jpeg_with_gps
from tests.surveys.xlsform_files import xlsform

# A household, its members, each member's children, each child's vaccinations: three
# levels of repeats under the record, a photo in the second and a location at the top.
ROWS = [
    ("text", "address", "住址", "Address", "", "", "yes"),
    ("geopoint", "where", "位置", "Location"),
    ("begin_repeat", "members", "成员", "Members"),
    ("text", "m_name", "姓名", "Name", "", "", "yes"),
    ("image", "m_photo", "照片", "Photo"),
    ("begin_repeat", "kids", "子女", "Children"),
    ("text", "k_name", "姓名", "Name", "", "", "yes"),
    ("begin_repeat", "shots", "疫苗", "Vaccines"),
    ("text", "vaccine", "疫苗名称", "Vaccine", "", "", "yes"),
    ("date", "given", "接种日期", "Given"),
    ("end_repeat",),
    ("end_repeat",),
    ("end_repeat",),
]  # fmt: skip
SETTINGS = {"form_title": "家庭疫苗调查", "form_id": "vaccines"}
GPS = "43.825592 87.616848 850 12"


def kid(name: str, *shots: str) -> dict:
    return {"k_name": name, "shots": [{"vaccine": s, "given": "2025-04-01"} for s in shots]}


def household(photo: str | None = None) -> dict:
    return {  # fmt: skip
        "address": "1栋1单元101",
        "where": GPS,
        "members": [
            {
                "m_name": "阿依古丽",
                "m_photo": photo,
                "kids": [kid("小明", "乙肝", "麻疹"), kid("小红")],
            },
            {"m_name": "买买提", "kids": [kid("小刚", "卡介苗")]},
        ],
    }


@pytest.fixture
def vaccines(app):
    added = custom.add(context(app), "vaccines.xlsx", xlsform(ROWS, [], SETTINGS, HEAD))
    assert added.form is not None, [str(p) for p in added.problems]
    return added.form


@pytest.fixture
def stored(app, store, vaccines):
    """Two households: the first with a photo of its first member."""
    first = records.save(store, vaccines, household(data_url(jpeg_with_gps())), user="surveyor1")
    second = records.save(store, vaccines, household() | {"address": "2栋3单元502"}, user="admin")
    assert first.saved and second.saved, first.problems + second.problems
    return first, second


def sheets_of(data: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(data))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def as_dicts(rows: list[tuple]) -> list[dict]:
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_one_sheet_for_the_records_and_one_per_repeat_level(auth, client, stored):
    first, second = stored
    auth.login("reviewer")
    answer = client.get("/worklog/vaccines/records.xlsx")
    assert answer.status_code == 200
    sheets = sheets_of(answer.data)
    assert list(sheets) == ["家庭疫苗调查", "members", "kids", "shots"]
    top = as_dicts(sheets["家庭疫苗调查"])
    assert [(r["_index"], r["_id"], r["住址"]) for r in top] == [
        (1, first.id, "1栋1单元101"), (2, second.id, "2栋3单元502"),
    ]  # fmt: skip
    assert top[0]["位置"] == GPS and top[0]["_where_latitude"] == pytest.approx(43.825592)
    assert top[0]["_where_precision"] == 12 and top[0]["_uuid"] is None
    members = as_dicts(sheets["members"])
    keys = ("_index", "_parent_index", "_submission__id", "姓名")
    assert [tuple(m[k] for k in keys) for m in members] == [
        (1, 1, first.id, "阿依古丽"), (2, 1, first.id, "买买提"),
        (3, 2, second.id, "阿依古丽"), (4, 2, second.id, "买买提"),
    ]  # fmt: skip
    assert {m["_parent_table_name"] for m in members} == {"家庭疫苗调查"}
    photo = first.record["members"][0]["m_photo"]
    assert members[0]["照片"] == photo and members[2]["照片"] is None  # the name, not the image
    kids = as_dicts(sheets["kids"])
    assert [(k["_parent_index"], k["姓名"]) for k in kids] == [
        (1, "小明"), (1, "小红"), (2, "小刚"), (3, "小明"), (3, "小红"), (4, "小刚"),
    ]  # fmt: skip
    shots = as_dicts(sheets["shots"])
    assert [(s["_parent_index"], s["_parent_table_name"], s["疫苗名称"]) for s in shots] == [
        (1, "kids", "乙肝"), (1, "kids", "麻疹"), (3, "kids", "卡介苗"),
        (4, "kids", "乙肝"), (4, "kids", "麻疹"), (6, "kids", "卡介苗"),
    ]  # fmt: skip
    assert shots[0]["接种日期"].date().isoformat() == "2025-04-01"  # a date cell
    with zipfile.ZipFile(io.BytesIO(answer.data)) as book:  # no picture inside the workbook
        assert not [n for n in book.namelist() if n.startswith("xl/media/")]


def test_the_zip_holds_the_workbook_and_the_photos_it_names(app, auth, client, store, stored):
    first, _second = stored
    photo = first.record["members"][0]["m_photo"]
    auth.login("reviewer")
    answer = client.get("/worklog/vaccines/records.zip")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.data)) as archive:
        assert sorted(archive.namelist()) == [f"photos/{photo}", "vaccines.xlsx"]
        assert archive.read(f"photos/{photo}") == store.media.get("survey_vaccines", photo)
        sheets = sheets_of(archive.read("vaccines.xlsx"))
    assert as_dicts(sheets["members"])[0]["照片"] == photo
    entry = audit.entries(store, action="export")[0]
    assert entry["target"] == "worklog/vaccines/records.zip"
    assert entry["detail"]["photos"] == 1 and entry["detail"]["records"] == 2


def test_the_register_page_offers_both_downloads(auth, client, stored):
    auth.login("reviewer")
    page = client.get("/worklog/vaccines").get_data(as_text=True)
    assert "/worklog/vaccines/records.xlsx" in page and "/worklog/vaccines/records.zip" in page
    assert "/worklog/volunteer/records.xlsx" not in client.get("/worklog/volunteer").get_data(
        as_text=True
    )  # a work record of forms/ keeps its one register sheet
    assert client.get("/worklog/volunteer/records.xlsx").status_code == 404


ID_SURVEY = {
    "form": "helpers",
    "title": {"zh": "志愿者登记"},
    "fields": [
        {"key": "team", "type": "text", "label": {"zh": "队名"}, "required": True},
        {"key": "people", "type": "repeat", "label": {"zh": "队员"}, "fields": [
            {"key": "name", "type": "text", "label": {"zh": "姓名"}},
            {"key": "id_no", "type": "id_number", "label": {"zh": "身份证号"}},
        ]},
    ],
}  # fmt: skip
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def helpers(app, store):
    text = yaml.safe_dump(ID_SURVEY, allow_unicode=True).encode()
    added = custom.add(context(app), "helpers.yaml", text)
    assert added.form is not None, [str(p) for p in added.problems]
    body = {"team": "一队", "people": [{"name": "张伟", "id_no": ID_NUMBER}]}
    assert records.save(store, added.form, body, user="admin").saved
    return added.form


def id_cell(data: bytes) -> str:
    return as_dicts(sheets_of(data)["people"])[0]["身份证号"]


def test_id_numbers_are_masked_unless_a_permitted_user_asks(auth, client, store, helpers):
    auth.login("reviewer")  # staff, without the grant of full numbers
    masked = id_cell(client.get("/worklog/helpers/records.xlsx").data)
    assert masked != ID_NUMBER and masked.startswith("110105") and "*" in masked
    assert client.get("/worklog/helpers/records.xlsx?full=1").status_code == 403
    assert client.get("/worklog/helpers/records.zip?full=1").status_code == 403
    auth.logout()
    auth.login("admin")
    assert id_cell(client.get("/worklog/helpers/records.xlsx?full=1").data) == ID_NUMBER
    shown = audit.entries(store, action=audit.VIEW_FULL_IDS)
    assert [(e["target"], e["detail"]["count"]) for e in shown] == [
        ("worklog/helpers/records.xlsx", 1)
    ]


def test_surveyors_get_no_export(auth, client, stored):
    auth.login("surveyor1")
    assert client.get("/worklog/vaccines/records.xlsx").status_code == 403
    assert client.get("/worklog/vaccines/records.zip").status_code == 403


def test_the_command_line_writes_the_zip_and_masks_unless_told(app, tmp_path, store, helpers):
    first = records.save(
        store,
        context(app).surveys["helpers"],
        {"team": "二队", "people": [{"name": "李娜", "id_no": ID_NUMBER}]},
        user="admin",
    )
    assert first.saved
    env = dict(os.environ, CENSUS_DATA_DIR=app.config["DATA_DIR"], CENSUS_FSYNC="false")
    store.close()  # the command opens the data folder itself
    out = tmp_path / "helpers.zip"
    done = subprocess.run(
        [sys.executable, "-m", "census", "survey", "export", "helpers", str(out)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "志愿者登记 2，people 2" in done.stdout
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == ["helpers.xlsx"]
        assert id_cell(archive.read("helpers.xlsx")) != ID_NUMBER
    whole = tmp_path / "whole.xlsx"
    done = subprocess.run(
        [sys.executable, "-m", "census", "survey", "export", "helpers", str(whole), "--full-ids"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert id_cell(whole.read_bytes()) == ID_NUMBER
    refused = subprocess.run(
        [sys.executable, "-m", "census", "survey", "export", "volunteer", str(whole)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert refused.returncode != 0 and "volunteer" in refused.stderr


@pytest.mark.postgres
def test_the_zip_takes_the_photos_from_postgresql(pg_url):
    from census.sheets.survey_export import survey_sheets, zip_bytes
    from census.store import open_store
    from tests.surveys.test_nested_and_photos import answers, form_of

    form = form_of()  # a roster whose members list their children, with a photo each
    body = answers()
    body["members"][1]["m_photo"] = data_url(jpeg_with_gps())
    with open_store(pg_url, fsync=False) as store:
        saved = records.save(store, form, body, user="admin")
        assert saved.saved, saved.problems
        name = saved.record["members"][1]["m_photo"]
        export = survey_sheets(store, form)
        data, photos = zip_bytes(store, form, export)
        kept = store.media.get(form.collection, name)
    assert photos == 1 and kept
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read(f"photos/{name}") == kept
        sheets = sheets_of(archive.read(f"{form.name}.xlsx"))
    assert [len(rows) - 1 for rows in sheets.values()] == [1, 2, 2]  # record, members, kids
