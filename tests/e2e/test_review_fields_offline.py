"""A reviewer's comment beside the field it names, on the tablet without signal.

The reviewer returns a household naming the second member's phone; the surveyor's tablet
keeps the returned record and its form; opened in the stairwell, the form shows the comment
at the top and beside that member's phone (not beside anyone else's), the fix is saved on the
tablet and lands once when the signal comes back.
"""

from __future__ import annotations

from playwright.sync_api import expect

from census.fieldwork import CONFLICTS
from census.services import records, review
from tests.e2e.test_offline import households, open_home_and_keep_it_offline
from tests.factories import make_household


def test_a_returned_household_opened_offline_shows_the_note_beside_the_named_member_field(
    page, login, live_server
):
    store = live_server.store
    defn = live_server.app.extensions["census"].surveys["household"]
    with live_server.app.test_request_context():
        saved = records.save(store, defn, make_household(members=2, room="602"), user="surveyor1")
    review.act(
        store,
        saved.id,
        "return",
        username="admin",
        role="admin",
        comment="李秀兰的电话少一位",
        fields=["members[1].phone"],
        form=defn,
    )
    returned_rev = store.collection("households").get(saved.id)["_rev"]
    login("surveyor1")
    open_home_and_keep_it_offline(page)

    page.context.set_offline(True)  # in the stairwell
    page.goto(f"/survey/household/{saved.id}/edit")
    expect(page.locator("#review-comment")).to_contain_text("李秀兰的电话少一位")
    spouse_phone = page.locator(".member[data-index='1'] .field[data-key='phone']")
    note = spouse_phone.locator(".review-note")
    expect(note).to_be_visible()
    expect(note).to_have_text("! 审核意见：李秀兰的电话少一位")
    expect(page.locator(".member[data-index='0'] .review-note")).to_have_count(0)
    expect(page.locator(".review-note")).to_have_count(1)
    # beside the field: the note sits within the box of that input, just below it
    box, field = note.bounding_box(), page.locator("#members-1-phone").bounding_box()
    assert 0 <= box["y"] - (field["y"] + field["height"]) < 80

    page.locator("#members-1-phone").fill("13912345699")
    page.get_by_role("button", name="保存").tap()
    page.wait_for_url("**/survey/building/**")
    expect(page.locator(".net-banner")).to_have_text("离线 · 1 条待发送")
    assert store.collection("households").get(saved.id)["_rev"] == returned_rev

    page.context.set_offline(False)
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0", timeout=20_000)
    (stored,) = households(live_server)
    assert stored["members"][1]["phone"] == "13912345699"
    assert stored["review_state"] == "submitted"
    assert stored["_rev"] == returned_rev + 1  # landed once


def test_a_note_about_a_member_since_deleted_is_said_on_a_page_kept_before_the_return(
    page, login, live_server
):
    """The tablet kept the household's form before the return, and lost the signal before it
    could fetch the form again: the comment comes from the tablet's copy of the returned
    records, with the line the server's page has for a member deleted since the return."""
    store = live_server.store
    defn = live_server.app.extensions["census"].surveys["household"]
    with live_server.app.test_request_context():
        saved = records.save(store, defn, make_household(members=3, room="603"), user="surveyor1")
    edit = f"/survey/household/{saved.id}/edit"
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    page.goto(edit)  # opened once with signal: the tablet keeps the page as it was then
    expect(page.locator("#review-comment")).to_have_count(0)

    review.act(
        store,
        saved.id,
        "return",
        username="admin",
        role="admin",
        comment="这一户人员有变动，请核实",
        fields=["members[1].name", "members[2].phone"],
        form=defn,
    )
    # Staff delete 李秀兰 while the household is back with the surveyor.
    record = store.collection("households").get(saved.id)
    edited = {k: v for k, v in record.items() if not k.startswith("_")}
    edited["members"] = [record["members"][0], record["members"][2]]
    with live_server.app.test_request_context():
        kept = records.save(
            store, defn, edited, user="admin", record_id=saved.id, expected_rev=record["_rev"]
        )
    assert kept.saved and store.collection("households").get(saved.id)["review_state"] == "returned"

    # The list of returned records arrives; the form's page does not (the signal goes).
    page.context.route(f"**{edit}*", lambda route: route.abort())
    page.goto("/survey/")
    expect(page.locator(".sync-bar .fix-link .count")).to_have_text("1")
    expect(page.locator(".ready-note")).to_contain_text("离线准备未完成")

    page.context.set_offline(True)
    page.goto(edit)
    comment = page.locator("#review-comment")
    expect(comment).to_contain_text("这一户人员有变动，请核实")
    expect(comment.locator(".gone-members")).to_have_text("涉及已删除的成员：李秀兰 · 姓名")
    # 张伟's phone is members[1] on the server now, members[2] on this older page: the note
    # goes to 张伟, found by who he is, not to 李秀兰 in the second box.
    expect(page.locator(".member[data-index='2'] #members-2-name")).to_have_value("张伟")
    note = page.locator(".member[data-index='2'] .field[data-key='phone'] .review-note")
    expect(note).to_have_text("! 审核意见：这一户人员有变动，请核实")
    expect(page.locator(".review-note")).to_have_count(1)
    expect(page.locator(".member[data-index='1'] .review-note")).to_have_count(0)

    # The fix from this page still has 李秀兰, whom staff deleted since: a real change in
    # between, so it waits for a reviewer as a conflict and the record keeps staff's roster.
    page.locator("#members-2-phone").fill("13912345688")
    page.get_by_role("button", name="保存").tap()
    page.wait_for_url("**/survey/building/**")
    expect(page.locator(".net-banner")).to_have_text("离线 · 1 条待发送")
    page.context.unroute(f"**{edit}*")
    page.context.set_offline(False)
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0", timeout=20_000)
    (conflict,) = store.collection(CONFLICTS).scan()
    assert conflict["base_revision"] == 1 and conflict["current_revision"] == 3
    stored = store.collection("households").get(saved.id)
    assert stored["_rev"] == 3 and len(stored["members"]) == 2


def test_a_fix_from_a_page_kept_before_the_return_lands_as_a_resubmission(page, login, live_server):
    """The tablet kept the form at revision 1; the return made revision 2 (its review state
    only). The fix made offline on the kept page carries revision 1 and lands as the fix of
    a returned household does: submitted, revision 3, no conflict for a reviewer."""
    store = live_server.store
    defn = live_server.app.extensions["census"].surveys["household"]
    with live_server.app.test_request_context():
        saved = records.save(store, defn, make_household(members=2, room="604"), user="surveyor1")
    edit = f"/survey/household/{saved.id}/edit"
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    page.goto(edit)  # kept as it was before the return
    expect(page.locator("#review-comment")).to_have_count(0)

    review.act(
        store,
        saved.id,
        "return",
        username="admin",
        role="admin",
        comment="李秀兰的电话少一位",
        fields=["members[1].phone"],
        form=defn,
    )
    returned_rev = store.collection("households").get(saved.id)["_rev"]
    assert returned_rev == 2
    page.context.route(f"**{edit}*", lambda route: route.abort())
    page.goto("/survey/")
    expect(page.locator(".sync-bar .fix-link .count")).to_have_text("1")

    page.context.set_offline(True)
    page.goto(edit)
    assert page.locator("input[name=_rev]").input_value() == "1"  # the page from before
    note = page.locator(".member[data-index='1'] .field[data-key='phone'] .review-note")
    expect(note).to_have_text("! 审核意见：李秀兰的电话少一位")
    page.locator("#members-1-phone").fill("13912345699")
    page.get_by_role("button", name="保存").tap()
    page.wait_for_url("**/survey/building/**")
    expect(page.locator(".net-banner")).to_have_text("离线 · 1 条待发送")
    expect(page.locator(".sync-bar .fix-link .count")).to_have_text("0")  # fixed, waiting

    page.context.unroute(f"**{edit}*")
    page.context.set_offline(False)
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0", timeout=20_000)
    (stored,) = households(live_server)
    assert stored["members"][1]["phone"] == "13912345699"
    assert stored["review_state"] == "submitted"
    assert stored["_rev"] == returned_rev + 1  # landed once, on the returned revision
    assert store.collection(CONFLICTS).count() == 0
    newest = records.history(store, "households", saved.id)[0]
    assert newest["detail"]["base_revision"] == 1 and newest["detail"]["applied_on"] == 2
