"""The audit log: every audited action leaves who/when/what/where; nothing changes an entry."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from census.services import audit, records
from census.store import AppendOnly
from tests.conftest import csrf_token
from tests.factories import form_fields, make_household


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/survey/"), **data})


def test_each_audited_action_records_who_when_what_and_from_where(client, auth, store):
    auth.login("admin", "wrong-password")
    auth.login("surveyor1")
    post(client, "/survey/household/new?building=1栋", **form_fields(make_household()))
    (hid,) = [h["id"] for h in store.collection("households").scan()]
    auth.logout()

    auth.login("admin")
    client.get(f"/households/{hid}?full=1")
    client.get("/buildings/1栋/household-list.pdf")
    client.get("/review/checks.csv")
    post(client, f"/review/households/{hid}/return", comment="请补充电话")
    post(client, f"/review/households/{hid}/comment", comment="补充后再提交")
    post(
        client,
        f"/survey/household/{hid}/edit",
        _rev="2",
        **form_fields(make_household(notes="管理员修改")),
    )
    post(client, f"/review/households/{hid}/approve")
    post(client, f"/review/households/{hid}/restore/1", _rev="4")
    post(client, f"/households/{hid}/events/death", member="2", on="2025-01-02", _rev="5")
    client.get("/audit/export.csv")
    auth.logout()

    expected = [
        ("login_failed", "admin", ""),
        ("login", "surveyor1", ""),
        ("create", "surveyor1", f"households/{hid}"),
        ("logout", "surveyor1", ""),
        ("login", "admin", ""),
        ("view_full_ids", "admin", f"households/{hid}"),
        ("print", "admin", "household-list/1栋"),
        ("export", "admin", "checks.csv"),
        ("review_return", "admin", f"households/{hid}"),
        ("review_comment", "admin", f"households/{hid}"),
        ("edit", "admin", f"households/{hid}"),
        ("review_approve", "admin", f"households/{hid}"),
        ("restore", "admin", f"households/{hid}"),
        ("death", "admin", f"households/{hid}"),
        ("export", "admin", "audit.csv"),
        ("logout", "admin", ""),
    ]
    entries = list(reversed(audit.entries(store)))
    assert [(e["action"], e["actor"], e["target"]) for e in entries] == expected
    assert {e["ip"] for e in entries} == {"127.0.0.1"}  # from where, every time
    assert all(len(e["at"]) == 19 for e in entries)  # when, to the second
    assert entries[8]["detail"]["comment"] == "请补充电话"
    assert entries[13]["detail"]["on"] == "2025-01-02"


def test_the_log_is_for_admins_with_filters_and_pages(client, auth, store):
    for n in range(60):
        audit.record(store, "surveyor1" if n % 2 else "reviewer", "edit", f"households/{n}")
    audit.record(store, "admin", "print", "household-list/2栋")
    auth.login("reviewer")
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    auth.logout()
    auth.login("admin")
    first = client.get("/audit/").get_data(as_text=True)
    assert "共 64 条" in first and "第 1 页 / 共 2 页" in first  # 61, two logins, a logout
    mine = client.get("/audit/?actor=surveyor1&action=edit").get_data(as_text=True)
    assert "共 30 条" in mine
    target = client.get("/audit/?target=household-list").get_data(as_text=True)
    assert "共 1 条" in target and "household-list/2栋" in target
    today = store.collection("audit").scan()[0]["at"][:10]
    assert "共 64 条" in client.get(f"/audit/?since={today}&until={today}").get_data(as_text=True)
    assert "共 0 条" in client.get("/audit/?until=2000-01-01").get_data(as_text=True)
    second = client.get("/audit/?page=2").get_data(as_text=True)
    assert "households/0<" in second or 'households/0"' in second


def test_the_log_exports_to_csv_and_xlsx(client, auth, store):
    audit.record(store, "reviewer", "edit", "households/7", rev=2)
    auth.login("admin")
    response = client.get("/audit/export.csv?action=edit")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == [
        "时间", "操作人", "操作", "对象", "来源地址", "详情", "操作人姓名", "操作名称", "对象说明",
    ]  # fmt: skip
    assert rows[1][1:4] == ["reviewer", "edit", "households/7"] and rows[1][5] == "rev=2"
    assert len(rows) == 2
    book = load_workbook(io.BytesIO(client.get("/audit/export.xlsx").data))
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    assert values[0][0] == "时间" and ["reviewer", "edit", "households/7"] in [
        v[1:4] for v in values
    ]
    exports = audit.entries(store, action="export")
    assert [(e["target"], e["detail"]["filters"]) for e in exports] == [
        ("audit.xlsx", {}),
        ("audit.csv", {"action": "edit"}),
    ]


def test_no_entry_can_be_changed_or_removed(client, auth, store, app):
    audit.record(store, "admin", "login")
    (entry,) = store.collection("audit").scan()
    with pytest.raises(AppendOnly):
        store.collection("audit").update(entry["id"], dict(entry, actor="someone else"))
    with pytest.raises(AppendOnly):
        store.collection("audit").delete(entry["id"])
    # The app offers no way either: the log's routes only read.
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("audit_log."):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
    auth.login("admin")
    assert post(client, "/audit/", actor="x").status_code == 405
    assert store.collection("audit").get(entry["id"]) == entry


def test_a_save_outside_a_request_is_logged_without_an_address(store, app):
    defn = app.extensions["census"].surveys["household"]
    records.save(store, defn, make_household(), user="admin")
    (entry,) = audit.entries(store, action="create")
    assert entry["ip"] == "" and entry["detail"] == {"rev": 1}


def test_changes_of_roles_are_logged_with_before_and_after(store):
    from census.services.accounts import add_user, set_role

    add_user(store, "newcomer", "surveyor", "a-long-password", grids=["第二网格"], actor="admin")
    set_role(store, "newcomer", "reviewer", actor="admin")
    set_role(store, "newcomer", "reviewer", actor="admin")  # no change, nothing to log
    assert store.collection("users").find_one(username="newcomer")["role"] == "reviewer"
    entries = [(e["action"], e["target"], e["detail"]) for e in reversed(audit.entries(store))]
    assert entries == [
        (
            "user_add",
            "users/newcomer",
            {"role": "surveyor", "grids": ["第二网格"], "buildings": []},
        ),
        ("role_change", "users/newcomer", {"role_before": "surveyor", "role": "reviewer"}),
    ]


def test_exports_of_the_log_keep_a_hostile_username_as_text(client, auth, store):
    hostile = '=HYPERLINK("http://evil.example","open")'
    token = csrf_token(client, "/login")
    client.post("/login", data={"username": hostile, "password": "x", "csrf_token": token})
    audit.record(store, "admin", "edit", "households/1", uuid="a\x00b")  # an old entry with NUL
    auth.login("admin")
    text = client.get("/audit/export.csv").data.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'" + hostile in cells and hostile not in cells
    response = client.get("/audit/export.xlsx")
    assert response.status_code == 200
    cells = [c.value for row in load_workbook(io.BytesIO(response.data)).active.rows for c in row]
    assert "'" + hostile in cells and hostile not in cells
