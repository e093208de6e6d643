"""A return's field notes stay with the person they name: a member above deleted (by staff,
while the record is back with the surveyor) leaves the note beside the same person, now one
place up; a note about the deleted member is said at the top of the form."""

from __future__ import annotations

from census.services import records, review
from tests.conftest import csrf_token
from tests.factories import make_household


def post(client, url, data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/survey/"), **data})


def field_box(page: str, input_id: str) -> str:
    (box,) = [b for b in page.split('<div class="field ')[1:] if f'id="{input_id}"' in b]
    return box


def test_a_note_follows_its_member_when_one_above_is_deleted(client, auth, store, app):
    defn = app.extensions["census"].surveys["household"]
    saved = records.save(store, defn, make_household(members=3), user="surveyor1")
    hid = saved.id
    names = [m["name"] for m in store.collection("households").get(hid)["members"]]
    assert names == ["张建国", "李秀兰", "张伟"]
    auth.login("reviewer")
    response = post(
        client,
        f"/review/households/{hid}/return",
        {"comment": "电话打不通", "fields": ["members[1].name", "members[2].phone"]},
    )
    assert response.status_code == 302
    (comment,) = review.thread(store, hid)
    assert comment["people"]["members[2].phone"]["name"] == "张伟"
    # Staff delete 李秀兰 (the second member) while the record waits for the surveyor.
    record = store.collection("households").get(hid)
    edited = {k: v for k, v in record.items() if not k.startswith("_")}
    edited["members"] = [record["members"][0], record["members"][2]]
    kept = records.save(
        store, defn, edited, user="admin", record_id=hid, expected_rev=record["_rev"]
    )
    assert kept.saved
    assert store.collection("households").get(hid)["review_state"] == "returned"
    view = client.get(f"/households/{hid}").get_data(as_text=True)
    assert "涉及：张伟 · 联系电话、李秀兰 · 姓名（已删除的成员）" in view
    auth.logout()

    auth.login("surveyor1")
    form = client.get(f"/survey/household/{hid}/edit").get_data(as_text=True)
    note = "审核意见：电话打不通"
    # 张伟 is second now: the note is beside his phone, not the head's.
    assert 'value="张伟"' in field_box(form, "members-1-name")
    assert note in field_box(form, "members-1-phone")
    assert note not in field_box(form, "members-0-phone")
    # 李秀兰's name was named: 张伟, now in her place, is not marked for it.
    assert note not in field_box(form, "members-1-name")
    assert form.count('class="review-note"') == 1
    top = form[form.index('id="review-comment"') : form.index('<form method="post" class="survey"')]
    assert "涉及已删除的成员：李秀兰 · 姓名" in top
    # The tablet's copy of the returned records names the fields as the roster now is.
    kept_rows = client.get("/survey/keep.json").get_json()["returned"]
    (row,) = [r for r in kept_rows if r["id"] == hid]
    assert row["comment"]["fields"] == ["members[1].phone"]
    assert row["comment"]["gone"] == ["李秀兰 · 姓名"]
