"""A reviewer's comment beside the field it names, on the tablet without signal.

The reviewer returns a household naming the second member's phone; the surveyor's tablet
keeps the returned record and its form; opened in the stairwell, the form shows the comment
at the top and beside that member's phone (not beside anyone else's), the fix is saved on the
tablet and lands once when the signal comes back.
"""

from __future__ import annotations

from playwright.sync_api import expect

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
