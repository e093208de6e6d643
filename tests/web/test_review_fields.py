"""A return names the fields its comment is about; the surveyor's form marks them.

The reviewer ticks fields read from the form definition (the household's own and each
member's, 张伟 · 证件号码); the fields are kept with the comment, and the returned record's
edit form shows the reviewer's words beside each named field, inside the roster too.
"""

from __future__ import annotations

import pytest

from census.services import records, review
from tests.conftest import csrf_token
from tests.factories import make_household, make_storefront


@pytest.fixture
def defn(app):
    return app.extensions["census"].surveys["household"]


def submit(store, defn, user="surveyor1", **overrides):
    result = records.save(store, defn, make_household(**overrides), user=user)
    assert result.saved
    return result.id


def post(client, url, data):
    token = csrf_token(client, "/survey/")
    return client.post(url, data={"csrf_token": token, **data})


def field_box(page: str, input_id: str) -> str:
    """The HTML of the one field box on a form page that holds the input ``input_id``."""
    (box,) = [b for b in page.split('<div class="field ')[1:] if f'id="{input_id}"' in b]
    return box


def test_the_return_form_offers_the_forms_fields_and_each_members(client, auth, store, defn):
    hid = submit(store, defn)
    auth.login("reviewer")
    page = client.get(f"/households/{hid}").get_data(as_text=True)
    # the household's own questions and every member's, from the definition
    assert 'name="fields" value="housing"' in page
    assert 'name="fields" value="members[2].id_number"' in page
    assert "张伟 · </span>证件号码" in page  # the second group is the third member, 张伟
    assert 'value="members[3].id_number"' not in page  # three members: no fourth


def test_the_named_fields_are_stored_and_shown_beside_those_fields(client, auth, store, defn):
    hid = submit(store, defn)
    auth.login("reviewer")
    response = post(
        client,
        f"/review/households/{hid}/return",
        {"comment": "身份证号与出生日期不符", "fields": ["members[2].id_number", "housing"]},
    )
    assert response.status_code == 302
    assert store.collection("households").get(hid)["review_state"] == "returned"
    (comment,) = review.thread(store, hid)
    assert comment["fields"] == ["housing", "members[2].id_number"]  # in form order
    # the thread on the household page names them
    view = client.get(f"/households/{hid}").get_data(as_text=True)
    assert "涉及：住房性质、张伟 · 证件号码" in view
    auth.logout()

    auth.login("surveyor1")
    form = client.get(f"/survey/household/{hid}/edit").get_data(as_text=True)
    assert form.index('id="review-comment"') < form.index('<form method="post" class="survey"')
    assert "表单中已标出 2 处" in form
    note = "审核意见：身份证号与出生日期不符"
    assert note in field_box(form, "members-2-id_number")
    assert note in field_box(form, "housing")
    assert note not in field_box(form, "members-0-id_number")  # the head's number is not named
    assert note not in field_box(form, "members-2-name")
    assert form.count('class="review-note"') == 2
    english = client.get(f"/survey/household/{hid}/edit?lang=en").get_data(as_text=True)
    assert "Reviewer: 身份证号与出生日期不符" in field_box(english, "members-2-id_number")


def test_a_field_ticked_without_a_comment_says_check_it(client, auth, store, defn):
    hid = submit(store, defn)
    auth.login("reviewer")
    post(client, f"/review/households/{hid}/return", {"fields": ["members[1].phone"]})
    (comment,) = review.thread(store, hid)
    assert (comment["text"], comment["fields"]) == ("", ["members[1].phone"])
    auth.logout()
    auth.login("surveyor1")
    form = client.get(f"/survey/household/{hid}/edit").get_data(as_text=True)
    assert "审核意见：请核对" in field_box(form, "members-1-phone")
    assert "请核对表单中标出的项目" in form


def test_neither_comment_nor_field_and_an_unknown_field_are_refused(client, auth, store, defn):
    hid = submit(store, defn)
    auth.login("reviewer")
    post(client, f"/review/households/{hid}/return", {"comment": " "})
    post(
        client,
        f"/review/households/{hid}/return",
        {"comment": "看看", "fields": ["members[9].name"]},
    )
    post(client, f"/review/households/{hid}/return", {"comment": "看看", "fields": ["religion"]})
    assert store.collection("households").get(hid)["review_state"] == "submitted"
    assert review.thread(store, hid) == []
    page = client.get(f"/households/{hid}").get_data(as_text=True)
    assert "未知字段 religion" in page


def test_an_old_return_without_fields_still_opens_with_its_comment(client, auth, store, defn):
    hid = submit(store, defn)
    review.act(store, hid, "return", username="reviewer", role="reviewer", comment="请核对人数")
    auth.login("surveyor1")
    form = client.get(f"/survey/household/{hid}/edit").get_data(as_text=True)
    assert "请核对人数" in form and 'class="review-note"' not in form
    keep = client.get("/survey/keep.json").get_json()
    (row,) = keep["returned"]
    assert row["comment"]["text"] == "请核对人数" and row["comment"]["fields"] == []


def test_the_tablet_keeps_the_named_fields_with_the_comment(client, auth, store, defn):
    hid = submit(store, defn)
    review.act(
        store,
        hid,
        "return",
        username="reviewer",
        role="reviewer",
        comment="电话少一位",
        fields=["members[0].phone"],
        form=defn,
    )
    auth.login("surveyor1")
    (row,) = client.get("/survey/keep.json").get_json()["returned"]
    assert row["comment"]["fields"] == ["members[0].phone"]


def test_a_storefront_is_returned_with_a_named_field(client, auth, store, app):
    form = app.extensions["census"].surveys["storefront"]
    saved = records.save(store, form, make_storefront(), user="surveyor1")
    auth.login("reviewer")
    page = client.get(f"/review/records/storefront/{saved.id}").get_data(as_text=True)
    assert 'name="fields" value="operator_name"' in page
    post(
        client,
        f"/review/records/storefront/{saved.id}/return",
        {"comment": "经营者姓名写错了", "fields": ["operator_name"]},
    )
    auth.logout()
    auth.login("surveyor1")
    edit = client.get(f"/survey/storefront/{saved.id}/edit").get_data(as_text=True)
    assert "审核意见：经营者姓名写错了" in field_box(edit, "operator_name")


def test_a_bulk_return_names_the_records_own_fields_on_each(client, auth, store, defn):
    first, second = submit(store, defn), submit(store, defn, room="102")
    auth.login("reviewer")
    queue = client.get("/review/").get_data(as_text=True)
    assert 'name="fields" value="housing"' in queue and "members[0]" not in queue
    post(
        client,
        "/review/return",
        {
            "ids": [str(first), str(second)],
            "comment": "住房性质请再问一次",
            "fields": ["housing"],
            "back": "/review/",
        },
    )
    for hid in (first, second):
        assert store.collection("households").get(hid)["review_state"] == "returned"
        (comment,) = review.thread(store, hid)
        assert (comment["text"], comment["fields"]) == ("住房性质请再问一次", ["housing"])
    refused = post(client, "/review/return", {"ids": [str(first)], "fields": ["members[0].name"]})
    assert refused.status_code == 302 and len(review.thread(store, first)) == 1


def test_each_persons_fields_are_folded_under_their_name_with_their_count(
    client, auth, store, defn
):
    hid = submit(store, defn)
    auth.login("reviewer")
    page = client.get(f"/households/{hid}").get_data(as_text=True)
    groups = review.field_choices(defn, store.collection("households").get(hid), "zh")
    assert [g.title for g in groups][1:] == ["张建国", "李秀兰", "张伟"]
    # the household's own fields open, each person's folded, each saying how many it holds
    assert page.count('<details class="field-group" open>') == 1
    assert page.count('<details class="field-group">') == 3
    for group in groups:
        assert f'{group.title}</span> <small class="group-size">{len(group.fields)} 项' in page
    # the filter box is the script's (hidden without it) and sends nothing with the form
    assert '<p class="field-filter" hidden>' in page
    assert 'id="review-fields-filter" autocomplete' in page and 'name="filter"' not in page
    assert "review-fields.js" in page
