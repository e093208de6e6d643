"""Old ID numbers and ID warnings where people read them: the form, the API, the history, imports.

A first-generation (15-digit) number is stored as its 18 digits with a note naming the
member; the version history keeps the number as typed; an invalid one is refused with its
reason; every warning names its member, once, in the page's language.
"""

from __future__ import annotations

import csv
import html
import re
import uuid
from datetime import date

import pytest

from census.domain.ids import make_resident_id, mask_id
from census.services import records
from census.services.accounts import create_token
from census.sheets.apply import apply_plan
from census.sheets.report import text_report
from census.sheets.wizard import plan_file
from census.web.current import get_store
from tests.conftest import csrf_token
from tests.factories import form_fields, make_household, make_member

NEW_ID = make_resident_id("650102", date(1948, 10, 1), 21, "female")  # 天山区
OLD_ID = NEW_ID[:6] + NEW_ID[8:17]  # the same person's first-generation card
UNKNOWN = make_resident_id("650199", date(1975, 3, 3), 5, "male")  # no such code


def family() -> dict:
    """A head with a 15-digit number and a son whose region code is not in the table."""
    household = make_household(members=0)
    household["members"] = [
        make_member(0, name="李秀兰", sex="", birth_date="", id_number=OLD_ID),
        make_member(2, name="王强", sex="male", birth_date="1975-03-03", id_number=UNKNOWN),
    ]
    return household


def shown_text(response) -> str:
    """The page as a person reads it: tags gone, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


NOTE_ZH = f"李秀兰：15 位身份证号码已升级为 18 位：{mask_id(NEW_ID)}（原号码 {mask_id(OLD_ID)}）"
NOTE_EN = (
    f"李秀兰: The 15-digit ID number was converted to 18 digits: {mask_id(NEW_ID)} "
    f"(was {mask_id(OLD_ID)})"
)
REGION_ZH = "王强：地区码 650199 不在行政区划代码表中，请核对（不影响保存）"
REGION_EN = "王强: Region code 650199 is not in the code table; please check (saving is allowed)"


@pytest.mark.parametrize(
    "lang, note, region", [("zh", NOTE_ZH, REGION_ZH), ("en", NOTE_EN, REGION_EN)]
)
def test_the_form_stores_18_digits_and_names_each_member_once_in_the_page_language(
    client, auth, store, lang, note, region
):
    auth.login("surveyor1")
    url = f"/survey/household/new?building=1栋&lang={lang}"
    data = form_fields(family()) | {"csrf_token": csrf_token(client, url), "save": "1"}
    response = client.post(url, data=data, follow_redirects=True)
    text = shown_text(response)
    assert text.count(note) == 1 and text.count(region) == 1
    assert NEW_ID not in text and OLD_ID not in text  # masked, as every page shows them
    (stored,) = store.collection("households").scan()
    head = stored["members"][0]
    assert head["id_number"] == NEW_ID
    assert (head["birth_date"], head["sex"]) == ("1948-10-01", "female")
    (version,) = records.history(store, "households", stored["id"])
    assert version["record"]["members"][0]["id_number"] == NEW_ID
    assert version["typed_ids"] == {NEW_ID: OLD_ID}


def test_the_history_page_shows_both_numbers(client, auth, store):
    saved = records.save(store, _household_form(client), family(), user="admin")
    assert saved.saved
    auth.login("admin")
    text = shown_text(client.get(f"/households/{saved.id}/history"))
    assert (
        f"李秀兰：录入的 15 位身份证号码 {mask_id(OLD_ID)} 已升级为 18 位 {mask_id(NEW_ID)}" in text
    )
    english = shown_text(client.get(f"/households/{saved.id}/history?lang=en"))
    assert (
        f"李秀兰: the 15-digit ID number typed, {mask_id(OLD_ID)}, was converted to 18 digits: "
        f"{mask_id(NEW_ID)}" in english
    )
    # An ordinary 18-digit save keeps nothing more in its version.
    plain = records.save(store, _household_form(client), make_household(room="102"), user="admin")
    assert "typed_ids" not in records.history(store, "households", plain.id)[0]


def _household_form(client):
    return client.application.extensions["census"].surveys["household"]


def _api(client, body, lang=""):
    token = create_token(get_store(client.application), "surveyor1")
    url = "/api/v1/households" + (f"?lang={lang}" if lang else "")
    return client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})


def test_the_api_answers_warnings_and_reasons_in_the_callers_language(client):
    answer = _api(client, family() | {"uuid": str(uuid.uuid4())})
    assert answer.status_code == 201
    assert answer.json["warnings"] == {
        "members[0].id_number": [NOTE_ZH],
        "members[1].id_number": [REGION_ZH],
    }
    other = family() | {"uuid": str(uuid.uuid4()), "room": "909"}  # the same two, registered
    other["members"][0]["id_number"] = OLD_ID[:-1] + "6"  # again: other people, other numbers
    other["members"][1]["id_number"] = make_resident_id("650199", date(1975, 3, 3), 6, "male")
    english = _api(client, other, lang="en")
    assert english.status_code == 201, english.json
    new_id = make_resident_id("650102", date(1948, 10, 1), 23, "female")
    assert english.json["warnings"] == {
        "members[0].id_number": [
            f"李秀兰: The 15-digit ID number was converted to 18 digits: {mask_id(new_id)} "
            f"(was {mask_id(OLD_ID[:-1] + '6')})"
        ],
        "members[1].id_number": [REGION_EN],
    }
    bad = family() | {"uuid": str(uuid.uuid4()), "room": "808"}
    bad["members"][0]["id_number"] = "610104620932690"  # 32 September
    refused = _api(client, bad, lang="en")
    assert refused.status_code == 422
    assert refused.json["errors"]["members[0].id_number"] == [
        "Characters 7–12 of a 15-digit ID number are the birth date (YYMMDD): "
        "620932 is not a real date"
    ]
    refused = _api(client, bad, lang="zh")  # the language chosen last is remembered
    assert refused.json["errors"]["members[0].id_number"] == [
        "15 位身份证号码第 7–12 位应为出生日期（年月日各 2 位），620932 不是有效日期"
    ]


def test_an_import_upgrades_old_numbers_infers_blank_types_and_reports_in_both_languages(
    client, store, tmp_path
):
    path = tmp_path / "老台账.csv"
    rows = [
        [
            "户编号",
            "楼栋",
            "单元",
            "室",
            "住房性质",
            "姓名",
            "与户主关系",
            "证件类型",
            "身份证号码",
        ],
        ["H101", "1栋", "1", "101", "自有", "李秀兰", "户主", "", OLD_ID],
        ["H101", "1栋", "1", "101", "自有", "王强", "儿子", "", UNKNOWN],
        ["H102", "1栋", "1", "102", "自有", "赵明", "户主", "", "610104620932690"],
    ]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    plan, _sheets = plan_file(store, _household_form(client), path)
    chinese, english = "\n".join(text_report(plan, "zh")), "\n".join(text_report(plan, "en"))
    assert chinese.count(NOTE_ZH) == 1 and chinese.count(REGION_ZH) == 1
    assert english.count(NOTE_EN) == 1 and english.count(REGION_EN) == 1
    # The blank type is inferred: the impossible date is refused with its reason.
    assert "620932 不是有效日期" in chinese and "620932 is not a real date" in english
    assert "不在行政区划代码表中" not in english and "已升级" not in english
    apply_plan(store, plan, user="admin")
    (stored,) = store.collection("households").scan()
    head = stored["members"][0]
    assert (head["id_number"], head["id_type"], head["birth_date"]) == (
        NEW_ID,
        "resident_id",
        "1948-10-01",
    )
    (version,) = records.history(store, "households", stored["id"])
    assert version["typed_ids"] == {NEW_ID: OLD_ID}


def test_a_reimport_of_the_15_digit_number_finds_the_stored_person(client, store, tmp_path):
    saved = records.save(store, _household_form(client), family(), user="admin")
    path = tmp_path / "再导入.csv"
    rows = [
        ["楼栋", "单元", "室", "姓名", "身份证号码", "联系电话"],
        ["1栋", "1", "101", "李秀兰", OLD_ID, "13500001111"],
    ]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    plan, _sheets = plan_file(store, _household_form(client), path)
    (planned,) = plan.records
    assert planned.target is not None and planned.target["id"] == saved.id
    apply_plan(store, plan, user="admin")
    now = store.collection("households").get(saved.id)
    assert len(now["members"]) == 2 and now["members"][0]["phone"] == "13500001111"
    assert now["members"][0]["id_number"] == NEW_ID
