"""A reviewer sends approved records back from the queue's 已审核 view, one or many at once,
with a comment; the outputs that count approved records count them no more."""

from __future__ import annotations

import io

from pypdf import PdfReader

from census.services import audit, records, review
from tests.conftest import csrf_token
from tests.factories import make_household, make_member

DAY = "2026-01-01"


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/survey/"), **data})


def approved_household(store, defn, room: str, name: str) -> int:
    household = make_household(room=room, members=0) | {
        "members": [make_member(0, relation="head", name=name)]
    }
    saved = records.save(store, defn, household, user="surveyor1")
    assert saved.saved
    review.act(store, saved.id, "approve", username="reviewer", role="reviewer")
    return saved.id


def state(store, record_id: int) -> str:
    return store.collection("households").get(record_id)["review_state"]


def printed(client, building: str) -> str:
    response = client.get(f"/buildings/{building}/household-list.pdf")
    assert response.status_code == 200
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)


def test_approved_households_are_returned_in_bulk_and_leave_the_outputs(app, client, auth, store):
    defn = app.extensions["census"].surveys["household"]
    building = make_household()["building"]
    if store.collection("buildings").find_one(name=building) is None:
        store.collection("buildings").insert({"name": building, "grid": "第一网格"})
    ids = [
        approved_household(store, defn, f"{n}01", name)
        for n, name in enumerate(["张建国", "李秀英", "王卫东"], start=1)
    ]
    auth.login("reviewer")
    summary = client.get(f"/summary?as_of={DAY}").get_data(as_text=True)
    assert "共有居民3户3人" in summary
    assert "李秀英" in printed(client, building)
    # The 已审核 view ticks approved records and offers the return, not the approval.
    page = client.get("/review/?state=approved").get_data(as_text=True)
    for record_id in ids:
        assert f'name="ids" value="{record_id}"' in page
    assert "批量通过所选记录" not in page
    assert '<details class="review-fields bulk-return" open>' in page
    # A return without a comment is refused and changes nothing.
    post(client, "/review/return", ids=[str(ids[0])], comment="", back="/review/?state=approved")
    assert state(store, ids[0]) == "approved"
    # Two of the three sent back with one comment.
    response = post(
        client,
        "/review/return",
        ids=[str(ids[0]), str(ids[1])],
        comment="户主电话需核实",
        back="/review/?state=approved",
    )
    assert response.status_code == 302
    assert [state(store, i) for i in ids] == ["returned", "returned", "approved"]
    shown = client.get("/review/?state=approved").get_data(as_text=True)
    assert "已退回给调查员 2 条" in shown
    assert f'value="{ids[2]}"' in shown and f'value="{ids[0]}"' not in shown
    returns = audit.entries(store, action="review_return")
    assert sorted(e["target"] for e in returns) == [f"households/{i}" for i in ids[:2]]
    # The outputs count the one still approved and say two wait.
    summary = client.get(f"/summary?as_of={DAY}").get_data(as_text=True)
    assert "共有居民1户1人" in summary and "另有 2 户待审核未计入" in summary
    text = printed(client, building)
    assert "王卫东" in text and "李秀英" not in text and "张建国" not in text
    # One more, singly from its page's review action.
    view = client.get(f"/households/{ids[2]}").get_data(as_text=True)
    assert f'formaction="/review/households/{ids[2]}/return">退回修改</button>' in view
    response = post(client, f"/review/households/{ids[2]}/return", comment="门牌号不对")
    assert response.status_code in (200, 302)
    assert state(store, ids[2]) == "returned"
    thread = review.thread(store, ids[2])
    assert thread[-1]["text"] == "门牌号不对"
