"""The edit form on the tablet shows ID numbers masked, and saving it keeps the stored ones.

The browser's own checks must let a masked number through (the server knows the stored
one), and must still stop a number typed wrong.
"""

from __future__ import annotations

from census.domain.ids import mask_id
from census.services import records
from tests.e2e.test_offline import tap_save
from tests.factories import make_household


def test_a_surveyor_edits_a_household_whose_numbers_are_masked(page, login, live_server):
    defn = live_server.app.extensions["census"].surveys["household"]
    saved = records.save(
        live_server.store, defn, make_household(members=2, room="601"), user="surveyor1"
    )
    numbers = [m["id_number"] for m in saved.record["members"]]
    login("surveyor1")
    page.goto(f"/survey/household/{saved.id}/edit")
    shown = [page.locator(f"#members-{n}-id_number").input_value() for n in range(2)]
    assert shown == [mask_id(n) for n in numbers]
    assert not any(n in page.content() for n in numbers)

    # A wrong number typed over a mask is stopped at the door, as any other.
    wrong = numbers[1][:-1] + ("0" if numbers[1][-1] != "0" else "1")
    page.locator("#members-1-id_number").fill(wrong)
    page.get_by_role("button", name="保存").tap()
    error = page.locator('[data-error-for="members-1-id_number"]')
    error.wait_for()
    assert "校验位" in error.inner_text()
    page.locator("#members-1-id_number").fill(mask_id(numbers[1]))  # put the mask back

    page.locator("#room").fill("602")
    tap_save(page)
    assert page.locator(".flash.success").inner_text() == "已保存"
    stored = live_server.store.collection("households").get(saved.id)
    assert stored["room"] == "602"
    assert [m["id_number"] for m in stored["members"]] == numbers
