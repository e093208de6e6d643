"""The reviewer's list of fields to name, for a household of twenty people, at the desk.

Twenty members make hundreds of checkboxes. The household's own fields are open; each
person's are folded under the name with their count; the filter box finds a field by its
name or its person's across every group; a folded group says how many of its fields are
ticked; Enter in the filter box never sends the form (its first button approves); the
return stores the one field ticked.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from census.services import records, review
from tests.e2e.test_accessibility import log_in, visit
from tests.factories import make_household, make_member

SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林罗高"
VISIBLE_BOXES = "() => [...document.querySelectorAll('#review-fields input[type=checkbox]')]"
COUNT_VISIBLE = VISIBLE_BOXES + ".filter(b => b.checkVisibility()).length"


def large_household(live_server: Any) -> int:
    """A household of 20 (distinct names), waiting for review."""
    people = [  # the head, the spouse, then 18 others
        make_member(n, name=f"{SURNAMES[n]}某某", **({"relation": "non_relative"} if n > 1 else {}))
        for n in range(20)
    ]
    defn = live_server.app.extensions["census"].surveys["household"]
    with live_server.app.test_request_context():
        saved = records.save(
            live_server.store,
            defn,
            make_household(room="901", members=0) | {"members": people},
            user="surveyor1",
        )
    assert saved.saved, saved.problems
    return saved.id


def test_a_large_households_field_list_is_grouped_filtered_and_counted(desk, live_server):
    hid = large_household(live_server)
    log_in(desk, "admin")
    visit(desk, f"/households/{hid}")
    boxes = desk.locator("#review-fields input[type=checkbox]")
    total = boxes.count()
    assert total > 300, total
    desk.locator("#review-fields > summary").click()
    groups = desk.locator("#review-fields details.field-group")
    expect(groups).to_have_count(21)  # the household's own fields, then one per person
    expect(groups.nth(1).locator("summary")).to_contain_text("张某某")
    expect(groups.nth(1).locator("summary .group-size")).to_have_text(
        f"{groups.nth(1).locator('input').count()} 项"
    )
    opened = desk.evaluate(COUNT_VISIBLE)
    assert opened == groups.nth(0).locator("input").count()  # every person's folded
    folded_height = desk.locator("#review-fields").bounding_box()["height"]
    unfolded_height = desk.evaluate(
        "() => { const box = document.getElementById('review-fields').cloneNode(true);"
        " box.id = 'unfolded'; box.querySelectorAll('details').forEach(d => d.open = true);"
        " document.body.append(box); const h = box.getBoundingClientRect().height;"
        " box.remove(); return h; }"
    )
    print(
        f"\nreturn form, 20 people, {total} fields: {folded_height:.0f} px folded,"
        f" {unfolded_height:.0f} px with every group open"
    )
    assert folded_height < unfolded_height / 4

    search = desk.get_by_label("查找项目")
    search.fill("联系电话")  # every person's phone, in every group
    shown = desk.evaluate(COUNT_VISIBLE)
    assert shown == 20
    expect(desk.locator("#review-fields .filter-count")).to_have_text("找到 20 项")
    search.fill("孙某某")  # one person: all their fields, the other groups out of the way
    sun = groups.filter(has_text="孙某某")
    expect(sun).to_have_attribute("open", "")
    assert desk.evaluate(COUNT_VISIBLE) == sun.locator("input").count()
    sun.get_by_label("联系电话").check()
    expect(sun.locator("summary .ticked-count")).to_have_text("已选 1 项")
    search.press("Enter")  # searches; the form is not sent
    assert live_server.store.collection("households").get(hid)["review_state"] == "submitted"
    search.fill("")  # the groups fold back as they were; the count still says what is ticked
    expect(sun).not_to_have_attribute("open", "")
    assert desk.evaluate(COUNT_VISIBLE) == opened
    expect(desk.locator("#review-fields > summary .ticked-count")).to_have_text("已选 1 项")

    desk.locator("#comment").fill("电话少一位")
    with desk.expect_navigation():
        desk.get_by_role("button", name="退回修改").click()
    (comment,) = review.thread(live_server.store, hid)
    assert comment["fields"] == ["members[11].phone"] and comment["text"] == "电话少一位"
    assert live_server.store.collection("households").get(hid)["review_state"] == "returned"
