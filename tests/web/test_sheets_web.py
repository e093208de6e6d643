"""The import wizard and the export buttons, as staff use them in the browser."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from census.domain.ids import make_resident_id
from census.services import audit
from tests.conftest import csrf_token

HEAD = make_resident_id("110105", date(1960, 1, 1), 5, "male")
SPOUSE = make_resident_id("110105", date(1962, 3, 4), 5, "female")
HEADER = ["户编号", "楼栋", "单元", "室", "住房性质", "姓名", "与户主关系", "身份证号", "本人手机"]
ROWS = [
    ["H0101", "1栋", "1", "101", "自有", "张建国", "户主", HEAD, "13912345678"],
    ["H0101", "1栋", "1", "101", "自有", "李秀兰", "配偶", SPOUSE, ""],
    ["H0102", "1栋", "1", "102", "自有", "王五", "朋友", HEAD[:-1] + "0", ""],
]


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in [HEADER, *rows]:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, data: bytes, name: str = "台账.xlsx", form: str = "household"):
    token = csrf_token(client, "/sheets/")
    return client.post(
        "/sheets/upload",
        data={"csrf_token": token, "form": form, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def import_id(response) -> str:
    match = re.search(r"/sheets/import/([0-9a-f]{16})", response.headers["Location"])
    assert match, response.headers.get("Location")
    return match.group(1)


def fingerprint(html: str) -> str:
    return re.search(r'name="fingerprint" value="([^"]+)"', html).group(1)


@pytest.fixture
def admin(client, auth):
    auth.login("admin")
    return client


def test_the_wizard_from_upload_to_import(admin, app, store):
    data = xlsx(ROWS)
    response = upload(admin, data)
    assert response.status_code == 302
    upload_id = import_id(response)
    folder = Path(app.config["DATA_DIR"]) / "imports" / upload_id
    assert (folder / "source.xlsx").read_bytes() == data  # kept on disk, not in the cookie

    page = admin.get(f"/sheets/import/{upload_id}").get_data(as_text=True)
    assert "张建国" in page and "未识别" in page  # the preview, and 本人手机 not recognised
    token = csrf_token(admin, f"/sheets/import/{upload_id}")
    response = admin.post(
        f"/sheets/import/{upload_id}",
        data={"csrf_token": token, "map-0-I": "members.phone"},
    )
    assert response.headers["Location"].endswith(f"/sheets/import/{upload_id}/report")

    report = admin.get(f"/sheets/import/{upload_id}/report").get_data(as_text=True)
    assert "“朋友”不是“与户主关系”的可选值；可填：户主、配偶、子女" in report  # row 4, column G
    assert re.search(r"<td>4</td><td>G 与户主关系</td>", report)
    assert "新增 1" in report and "更新 0" in report

    download = admin.get(f"/sheets/import/{upload_id}/report.xlsx")
    assert download.status_code == 200
    book = load_workbook(io.BytesIO(download.data))
    rows = list(book["Sheet"].iter_rows(values_only=True))
    assert rows[0][-2:] == ("导入结果", "问题") and rows[3][-2] == "未导入"
    assert audit.entries(store, action="export")[0]["target"] == f"import-report/{upload_id}"

    token = csrf_token(admin, f"/sheets/import/{upload_id}/report")
    done = admin.post(
        f"/sheets/import/{upload_id}/apply",
        data={"csrf_token": token, "fingerprint": fingerprint(report)},
    )
    assert done.status_code == 200 and "导入完成" in done.get_data(as_text=True)
    household = store.collection("households").find_one(household_no="H0101")
    assert [m["name"] for m in household["members"]] == ["张建国", "李秀兰"]
    assert household["members"][0]["phone"] == "13912345678"  # the column mapped by hand
    assert store.collection("households").find_one(household_no="H0102") is None
    assert not folder.exists()
    entry = audit.entries(store, action="import")[0]
    assert entry["detail"]["created"] == 1 and entry["detail"]["rejected"] == 1


def test_a_reimport_shows_the_changes_and_applies_them_on_confirmation(admin, store):
    first = import_id(upload(admin, xlsx(ROWS[:2])))
    report = admin.get(f"/sheets/import/{first}/report").get_data(as_text=True)
    token = csrf_token(admin, f"/sheets/import/{first}/report")
    admin.post(
        f"/sheets/import/{first}/apply",
        data={"csrf_token": token, "fingerprint": fingerprint(report)},
    )

    same = import_id(upload(admin, xlsx(ROWS[:2])))
    report = admin.get(f"/sheets/import/{same}/report").get_data(as_text=True)
    assert "无变化" in report and 'class="count-unchanged">1<' in report

    def housing(word):
        return [row[:4] + [word] + row[5:] for row in ROWS[:2]]

    rented = import_id(upload(admin, xlsx(housing("租住"))))
    report = admin.get(f"/sheets/import/{rented}/report").get_data(as_text=True)
    assert "“房东姓名”为空：此项必填" in report  # rented needs the landlord: rejected
    again = import_id(upload(admin, xlsx(housing("公租房"))))
    report = admin.get(f"/sheets/import/{again}/report").get_data(as_text=True)
    assert "住房性质：自有 → 公租房" in report
    token = csrf_token(admin, f"/sheets/import/{again}/report")
    admin.post(
        f"/sheets/import/{again}/apply",
        data={"csrf_token": token, "fingerprint": fingerprint(report)},
    )
    household = store.collection("households").find_one(household_no="H0101")
    assert household["housing"] == "public" and household["_rev"] == 2


def test_an_import_checked_before_the_data_changed_is_checked_again(admin, store):
    upload_id = import_id(upload(admin, xlsx(ROWS[:2])))
    report = admin.get(f"/sheets/import/{upload_id}/report").get_data(as_text=True)
    other = import_id(upload(admin, xlsx(ROWS[:1])))
    other_report = admin.get(f"/sheets/import/{other}/report").get_data(as_text=True)
    token = csrf_token(admin, f"/sheets/import/{other}/report")
    admin.post(
        f"/sheets/import/{other}/apply",
        data={"csrf_token": token, "fingerprint": fingerprint(other_report)},
    )
    response = admin.post(
        f"/sheets/import/{upload_id}/apply",
        data={"csrf_token": token, "fingerprint": fingerprint(report)},
    )
    assert response.headers["Location"].endswith(f"/sheets/import/{upload_id}/report")
    assert len(store.collection("households")) == 1


def test_import_nothing_forgets_the_file(admin, app, store):
    upload_id = import_id(upload(admin, xlsx(ROWS)))
    token = csrf_token(admin, f"/sheets/import/{upload_id}/report")
    response = admin.post(f"/sheets/import/{upload_id}/discard", data={"csrf_token": token})
    assert response.status_code == 302
    assert not (Path(app.config["DATA_DIR"]) / "imports" / upload_id).exists()
    assert len(store.collection("households")) == 0
    assert admin.get(f"/sheets/import/{upload_id}").status_code == 404
    assert audit.entries(store, action="import")[0]["detail"]["stage"] == "discarded"


def test_unreadable_and_foreign_files_are_refused_with_a_message(admin):
    response = upload(admin, b"not a spreadsheet", name="x.xls")
    assert response.headers["Location"].endswith("/sheets/")
    assert "不支持 .xls 文件" in admin.get("/sheets/").get_data(as_text=True)
    broken = import_id(upload(admin, b"PK\x03\x04 broken", name="x.xlsx"))
    response = admin.get(f"/sheets/import/{broken}")
    assert response.status_code == 302
    assert "无法读取该文件" in admin.get("/sheets/").get_data(as_text=True)


def test_exports_and_templates_download_and_are_audited(admin, store):
    from census.services import records
    from census.surveys.definition import load_surveys
    from tests.factories import make_household

    records.save(store, load_surveys()["household"], make_household(), user="admin")
    xlsx_file = admin.get("/sheets/export.xlsx")
    assert xlsx_file.status_code == 200
    assert load_workbook(io.BytesIO(xlsx_file.data)).sheetnames == ["住户", "成员", "门面", "单位"]
    csv_file = admin.get("/sheets/export.csv")
    assert csv_file.mimetype == "text/csv"
    assert csv_file.data.decode("utf-8-sig").splitlines()[0].startswith("户编号,楼栋/院落")
    targets = [e["target"] for e in audit.entries(store, action="export")]
    assert targets[:2] == ["dataset.csv", "dataset.xlsx"]
    assert audit.entries(store, action="export")[0]["detail"]["members"] == 3
    template = admin.get("/sheets/template/household.xlsx")
    assert "填表说明" in load_workbook(io.BytesIO(template.data)).sheetnames
    assert admin.get("/sheets/template/nothing.xlsx").status_code == 404


def test_who_may_do_what(client, auth, store):
    assert client.get("/sheets/").status_code == 302
    auth.login("surveyor1")
    assert client.get("/sheets/").status_code == 403
    assert client.get("/sheets/export.xlsx").status_code == 403
    auth.logout()
    auth.login("reviewer")
    upload_id = import_id(upload(client, xlsx(ROWS[:2])))
    report = client.get(f"/sheets/import/{upload_id}/report").get_data(as_text=True)
    assert "导入须由管理员确认" in report and 'name="fingerprint"' not in report
    token = csrf_token(client, f"/sheets/import/{upload_id}/report")
    refused = client.post(f"/sheets/import/{upload_id}/apply", data={"csrf_token": token})
    assert refused.status_code == 403
    assert len(store.collection("households")) == 0
    auth.logout()
    auth.login("admin")  # an admin may pick up a reviewer's upload and apply it
    report = client.get(f"/sheets/import/{upload_id}/report").get_data(as_text=True)
    token = csrf_token(client, f"/sheets/import/{upload_id}/report")
    client.post(
        f"/sheets/import/{upload_id}/apply",
        data={"csrf_token": token, "fingerprint": fingerprint(report)},
    )
    assert len(store.collection("households")) == 1
    assert client.get("/sheets/import/../../secret_key").status_code == 404


def test_the_navigation_links_to_import_and_export_in_both_languages(admin):
    assert 'href="/sheets/"' in admin.get("/households").get_data(as_text=True)
    page = admin.get("/sheets/?lang=en").get_data(as_text=True)
    assert "Import an Excel or CSV register" in page and ">Import/Export<" in page


def test_the_wizard_plans_once_until_the_records_change(admin, app, store):
    from census.services import records
    from census.surveys.definition import load_surveys

    upload_id = import_id(upload(admin, xlsx(ROWS[:2])))
    report = admin.get(f"/sheets/import/{upload_id}/report").get_data(as_text=True)
    assert "新增 1" in report
    kept = app.extensions["census_import_plans"]._kept.plan
    again = admin.get(f"/sheets/import/{upload_id}/report").get_data(as_text=True)
    # the same page (its CSRF tokens carry the second they were made in, so leave them out)
    token = re.compile(r'(csrf[-_]token"?[^>]*value="|content=")[^"]+"')
    assert token.sub("", again) == token.sub("", report)
    assert app.extensions["census_import_plans"]._kept.plan is kept

    # someone registers the same household by hand meanwhile: the file now updates it
    form = load_surveys()["household"]
    household = {
        "household_no": "H0101",
        "building": "1栋",
        "unit": "1",
        "room": "101",
        "housing": "rented",
        "landlord_name": "房东甲",
        "members": [
            {"name": "张建国", "relation": "head", "id_number": HEAD, "ethnicity": "汉族"},
        ],
    }
    saved = records.save(store, form, household, user="reviewer")
    assert saved.saved, saved.problems
    after = admin.get(f"/sheets/import/{upload_id}/report").get_data(as_text=True)
    assert app.extensions["census_import_plans"]._kept.plan is not kept
    assert "新增 0" in after and "更新 1" in after


def test_the_web_export_masks_id_numbers_unless_an_admin_asks(admin, client, auth, store):
    from census.services import records
    from census.surveys.definition import load_surveys
    from tests.factories import make_household

    body = make_household()
    records.save(store, load_surveys()["household"], body, user="admin")
    numbers = [m["id_number"] for m in body["members"]]
    masked = admin.get("/sheets/export.csv").data.decode("utf-8-sig")
    assert not any(n in masked for n in numbers) and numbers[0][:6] + "********" in masked
    whole = admin.get("/sheets/export.csv?full=1").data.decode("utf-8-sig")
    assert all(n in whole for n in numbers)
    (logged,) = audit.entries(store, action="view_full_ids")
    assert (logged["actor"], logged["target"]) == ("admin", "dataset.csv")
    auth.login("reviewer")
    assert client.get("/sheets/export.xlsx?full=1").status_code == 403
    reviewer_copy = client.get("/sheets/export.csv").data.decode("utf-8-sig")
    assert not any(n in reviewer_copy for n in numbers)
