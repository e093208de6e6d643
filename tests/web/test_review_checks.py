"""The consistency checks as staff meet them: beside fields, in the report, printed, exported,
and merging the duplicates they find."""

from __future__ import annotations

import csv
import io
from datetime import date

from pypdf import PdfReader

from census.domain.ids import make_resident_id
from census.services import audit, records
from tests.conftest import csrf_token
from tests.factories import make_household, make_member


def own_people(household, seq):
    """Give a household people of its own (the factory reuses the same ones)."""
    for member in household["members"]:
        born = date.fromisoformat(member["birth_date"])
        member["id_number"] = make_resident_id("110105", born, 100 + seq, member["sex"])
        member["name"] += str(seq)
    return household


def test_warnings_of_the_checks_show_beside_the_fields_and_on_save(client, auth, store):
    defn = client.application.extensions["census"].surveys["household"]
    household = own_people(make_household(), 1)
    household["members"][1]["birth_date"] = "2012-01-01"  # the spouse is a child
    household["members"][1]["id_number"] = make_resident_id("110105", date(2012, 1, 1), 9, "female")
    result = records.save(store, defn, household, user="surveyor1")
    assert result.saved
    assert [(p.code, p.path) for p in result.problems] == [
        ("spouse_under_18", "members[1].birth_date")
    ]
    auth.login("reviewer")
    page = client.get(f"/households/{result.id}").get_data(as_text=True)
    assert 'data-warning-for="members-1"' in page and "配偶未满 18 岁" in page
    assert "核查提示 1 条" in page


def _duplicates(store, defn):
    first = records.save(store, defn, own_people(make_household(), 1), user="surveyor1")
    copy = own_people(make_household(room="909"), 1)
    copy["members"].append(make_member(5, name="马丽", relation="non_relative", id_number=""))
    second = records.save(store, defn, copy, user="surveyor2")
    rented = own_people(make_household(room="303", housing="rented", landlord_name="x"), 3)
    third = records.save(store, defn, rented, user="admin")
    # A landlord lost in an old record (the form would not let it through today).
    doc = store.collection("households").get(third.id)
    store.collection("households").update(third.id, doc | {"landlord_name": ""})
    return first.id, second.id, third.id


def test_the_report_counts_each_check_and_links_to_the_records(client, auth, store):
    defn = client.application.extensions["census"].surveys["household"]
    first, second, third = _duplicates(store, defn)
    auth.login("reviewer")
    page = client.get("/review/checks").get_data(as_text=True)
    assert "证件号码重复登记" in page and "共发现 7 处问题" in page  # 3 people × 2, 1 landlord
    listed = client.get("/review/checks?code=id_in_other_household").get_data(as_text=True)
    assert f'/households/{first}"' in listed and f'/households/{second}"' in listed
    assert f"/review/merge?keep={first}&amp;duplicate={second}" in listed
    landlord = client.get("/review/checks?code=landlord_missing").get_data(as_text=True)
    assert f'/households/{third}"' in landlord and "租住房屋未登记房东姓名" in landlord


def test_the_report_exports_to_csv_and_prints_and_both_are_logged(client, auth, store):
    defn = client.application.extensions["census"].surveys["household"]
    _duplicates(store, defn)
    auth.login("admin")
    response = client.get("/review/checks.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["核查项", "代码", "户编号"] and len(rows) == 8
    assert {r[1] for r in rows[1:]} == {"id_in_other_household", "landlord_missing"}
    pdf = client.get("/review/checks.pdf")
    assert pdf.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "数据核查报告" in text and "租住房屋未登记房东姓名" in text
    assert [e["target"] for e in audit.entries(store, action="export")] == ["checks.csv"]
    assert [e["target"] for e in audit.entries(store, action="print")] == ["checks.pdf"]


def test_merging_duplicates_from_the_report(client, auth, store):
    defn = client.application.extensions["census"].surveys["household"]
    first, second, _ = _duplicates(store, defn)
    auth.login("reviewer")
    url = f"/review/merge?keep={first}&duplicate={second}"
    compare = client.get(url).get_data(as_text=True)
    assert "马丽" in compare and "确认合并" in compare
    response = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    kept = store.collection("households").get(first)
    merged = store.collection("households").get(second)
    assert [m["name"] for m in kept["members"]][-1] == "马丽"
    assert merged["merged_into"] == first and kept["merged_from"] == [second]
    assert "共发现 1 处问题" in client.get("/review/checks").get_data(as_text=True)
    counts = client.get("/review/checks?code=id_in_other_household").get_data(as_text=True)
    assert f"/review/merge?keep={first}" not in counts
    history = client.get(f"/households/{first}/history").get_data(as_text=True)
    assert f"/households/{second}/history" in history  # the merged record's versions
    view = client.get(f"/households/{second}").get_data(as_text=True)
    assert "此户已于" in view and f"/households/{first}" in view
