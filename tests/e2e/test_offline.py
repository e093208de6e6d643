"""Field work without signal, on the tablet: the outbox, drafts and checks at the door.

Real Chromium with the service worker on the live server's http://127.0.0.1 origin.
``context.set_offline(True)`` cuts the page and its service worker off the network, as a
stairwell does. Each test asserts what the surveyor sees and what lands on the server.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from playwright.sync_api import expect

from census.domain.ids import make_resident_id, mask_id
from census.services import records
from tests.e2e.test_survey_tablet import (
    HEAD_ID,
    LODGER_ID,
    SPOUSE_ID,
    field,
    member,
    tap_add_member,
    type_member,
)
from tests.factories import make_household, make_storefront

OTHER_HEAD_ID = make_resident_id("650102", date(1975, 5, 20), 21, "male")


def households(live_server) -> list[dict[str, Any]]:
    return live_server.store.collection("households").scan()


def open_home_and_keep_it_offline(page: Any) -> None:
    """The surveyor opens their buildings once with signal; the tablet keeps them."""
    page.goto("/survey/")
    page.wait_for_selector("html[data-offline=ready]", state="attached")


def tap_building_then_new_household(page: Any, building: str = "1栋") -> None:
    with page.expect_navigation():
        page.locator("a.tile", has_text=building).tap()
    with page.expect_navigation():
        page.get_by_role("link", name="新增住户").tap()
    assert page.locator("h1").inner_text() == "住户登记表"


def form_uuid(page: Any) -> str:
    """The uuid the open form will be sent with (kept in its address for reloads)."""
    return page.evaluate("new URL(location.href).searchParams.get('uuid')")


def tap_save(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="保存").tap()


def outbox_count(page: Any) -> str:
    """The top bar's count of waiting records, once the page has read the tablet's outbox."""
    page.wait_for_function(
        "() => document.querySelector('.sync-bar .outbox-link .count')?.textContent !== ''"
    )
    return page.locator(".sync-bar .outbox-link .count").inner_text()


def test_three_members_go_through_the_outbox_and_land_once(page, login, live_server):
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    tap_building_then_new_household(page)
    uuid = form_uuid(page)
    assert uuid
    page.locator("#unit").fill("2")
    page.locator("#room").fill("301")
    page.locator("#housing").select_option(label="自有")
    type_member(page, 0, name="张建国", relation="户主", id_number=HEAD_ID)
    tap_add_member(page)
    tap_add_member(page)
    type_member(page, 1, name="李秀兰", relation="配偶", id_number=SPOUSE_ID)
    type_member(
        page,
        2,
        name="阿依古丽",
        relation="非亲属/租户",
        id_number=LODGER_ID,
        residence_type="流动人口",
        hukou_address="新疆乌鲁木齐市天山区",
    )
    tap_save(page)

    assert "/survey/building/" in page.url
    assert page.locator(".flash.success").inner_text() == "已保存"
    assert page.locator("li.dwelling .who").inner_text() == "张建国 · 3 人"
    (stored,) = households(live_server)
    assert stored["uuid"] == uuid and stored["surveyor"] == "surveyor1"
    assert [p["name"] for p in stored["members"]] == ["张建国", "李秀兰", "阿依古丽"]
    assert [p["sex"] for p in stored["members"]] == ["male", "female", "female"]
    assert stored["members"][2]["hukou_address"] == "新疆乌鲁木齐市天山区"
    assert outbox_count(page) == "0"

    # The answer was lost on the way back: the tablet sends the same uuid again.
    page.evaluate(
        """async (uuid) => {
            const db = await import('/static/db.js');
            await db.update('outbox', uuid, (item) => ({...item, state: 'waiting'}));
        }""",
        uuid,
    )
    page.reload()
    page.locator(".sync-bar .sync-now").tap()
    page.goto("/survey/outbox")
    sent = page.locator("#sent li.outbox-item")
    sent.first.wait_for()
    assert sent.count() == 1
    assert sent.first.get_attribute("data-state") == "sent"
    assert "张建国" in sent.first.inner_text() and stored["household_no"] in sent.first.inner_text()
    assert len(households(live_server)) == 1


def register_one(page: Any, room: str, name: str, id_number: str) -> str:
    tap_building_then_new_household(page)
    uuid = form_uuid(page)
    page.locator("#room").fill(room)
    page.locator("#housing").select_option(label="自有")
    type_member(page, 0, name=name, relation="户主", id_number=id_number)
    tap_save(page)
    assert page.locator(".flash.success").inner_text() == "已保存到本机，有信号时会自动发送"
    return uuid


def test_two_households_saved_without_signal_reach_the_server_once_each(page, login, live_server):
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    page.context.set_offline(True)

    first = register_one(page, "101", "张建国", HEAD_ID)
    # The building page (kept on the tablet) lists what waits to be sent.
    pending = page.locator("[data-building-pending] li.outbox-item")
    pending.first.wait_for()
    assert pending.count() == 1 and "张建国" in pending.first.inner_text()
    page.goto("/survey/")
    second = register_one(page, "102", "马建华", OTHER_HEAD_ID)
    assert first != second
    assert households(live_server) == []

    page.reload()  # still no signal: the page comes from the tablet, the outbox from IndexedDB
    page.wait_for_function(
        "() => document.querySelector('.sync-bar .outbox-link .count')?.textContent === '2'"
    )
    with page.expect_navigation():
        page.locator(".sync-bar .outbox-link").tap()
    waiting = page.locator("#waiting li.outbox-item")
    waiting.nth(1).wait_for()
    assert waiting.count() == 2
    assert [waiting.nth(n).get_attribute("data-state") for n in range(2)] == ["waiting"] * 2
    assert "张建国" in waiting.nth(0).inner_text() and "马建华" in waiting.nth(1).inner_text()
    assert households(live_server) == []

    page.context.set_offline(False)  # the signal comes back: the outbox sends by itself
    page.wait_for_function(
        "() => document.querySelectorAll('#sent li.outbox-item').length === 2",
        timeout=15_000,
    )
    assert outbox_count(page) == "0"
    stored = households(live_server)
    assert sorted(h["uuid"] for h in stored) == sorted([first, second])
    assert sorted(h["room"] for h in stored) == ["101", "102"]


def test_a_draft_survives_a_reload_and_can_be_discarded(page, login, live_server):
    login("surveyor1")
    page.goto("/survey/household/new?building=1栋")
    page.locator("#room").fill("702")
    page.locator("#housing").select_option(label="租住")
    page.locator("#landlord_name").fill("周房东")
    type_member(page, 0, name="张建国", relation="户主")
    tap_add_member(page)
    type_member(page, 1, name="李秀兰")
    page.locator("#members-1-name").blur()

    page.reload()  # as after a crash: the address still names the draft
    page.get_by_text("已恢复上次没有保存的填写内容").wait_for()
    assert page.locator("#room").input_value() == "702"
    assert page.locator("#housing").input_value() == "rented"
    assert field(page, "landlord_name").is_visible()
    assert page.locator("#landlord_name").input_value() == "周房东"
    assert page.locator("fieldset.member").count() == 2
    assert page.locator("#members-0-relation").input_value() == "head"
    assert member(page, 1).locator("[data-key=name] input").input_value() == "李秀兰"

    page.goto("/survey/")
    draft = page.locator("#drafts li.draft")
    draft.wait_for()
    assert draft.count() == 1
    assert "1栋702 · 张建国" in draft.inner_text()
    with page.expect_navigation():
        draft.get_by_role("link", name="继续填写").tap()
    # The draft is read back from IndexedDB after the page loads: wait for it, as a person would.
    expect(page.locator("#landlord_name")).to_have_value("周房东")

    page.goto("/survey/")
    page.locator("#drafts li.draft").get_by_role("button", name="删除").tap()
    page.locator("#drafts li.draft").get_by_role("button", name="确认删除？").tap()
    page.locator("#drafts").wait_for(state="hidden")
    assert households(live_server) == []


def test_a_submission_the_server_refuses_comes_back_with_its_messages(page, login, live_server):
    defn = live_server.app.extensions["census"].surveys["household"]
    taken = records.save(
        live_server.store, defn, make_household(members=1, room="901"), user="admin"
    ).record["household_no"]
    wrong = SPOUSE_ID[:-1] + ("0" if SPOUSE_ID[-1] != "0" else "1")
    login("surveyor1")
    # The browser's checks would catch the check digit: turn them off to reach the server.
    page.goto("/survey/household/new?building=1栋&checks=off")
    page.locator("#household_no").fill(taken)
    page.locator("#room").fill("902")
    page.locator("#housing").select_option(label="自有")
    type_member(page, 0, name="张建国", relation="户主", id_number=HEAD_ID)
    tap_add_member(page)
    type_member(page, 1, name="李秀兰", relation="配偶", id_number=wrong)
    page.get_by_role("button", name="保存").tap()

    message = page.locator('[data-error-for="members-1-id_number"]')
    message.wait_for()
    assert message.inner_text().startswith("居民身份证号码校验位错误")
    assert page.locator("#members-1-id_number").get_attribute("aria-invalid") == "true"
    assert len(households(live_server)) == 1

    # It waits in the surveyor's "需要修改" list; opening it brings the form back as sent.
    fix = page.locator(".sync-bar .fix-link")
    assert fix.is_visible() and fix.locator(".count").inner_text() == "1"
    with page.expect_navigation():
        fix.tap()
    item = page.locator("#corrections li.outbox-item")
    item.wait_for()
    assert item.count() == 1
    assert "成员 2：居民身份证号码校验位错误" in item.inner_text()
    with page.expect_navigation():
        item.get_by_role("link", name="修改").tap()
    page.locator('[data-error-for="members-1-id_number"]').wait_for()
    assert page.locator("#room").input_value() == "902"
    assert page.locator("#household_no").input_value() == taken
    assert page.locator("#members-1-name").input_value() == "李秀兰"
    assert page.locator("#members-1-id_number").input_value() == wrong
    id_box = field(member(page, 1), "id_number")
    assert id_box.locator(".error").inner_text().startswith("居民身份证号码校验位错误")

    # With the ID fixed, the server finds what only it can know: the number is taken.
    page.locator("#members-1-id_number").fill(SPOUSE_ID)
    assert id_box.locator(".error").count() == 0
    page.get_by_role("button", name="保存").tap()
    taken_message = page.locator('[data-error-for="household_no"]')
    taken_message.wait_for()
    assert taken_message.inner_text() == f"户编号 {taken} 已被使用"
    assert len(households(live_server)) == 1

    page.locator("#household_no").fill("")
    tap_save(page)
    assert page.locator(".flash.success").inner_text() == "已保存"
    assert sorted(h["room"] for h in households(live_server)) == ["901", "902"]
    assert not page.locator(".sync-bar .fix-link").is_visible()


def test_a_wrong_check_digit_is_caught_before_anything_is_sent(page, login, live_server):
    login("surveyor1")
    page.goto("/survey/household/new?building=1栋")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if "/api/" in request.url else None)
    wrong = HEAD_ID[:-1] + ("0" if HEAD_ID[-1] != "0" else "1")
    page.locator("#room").fill("301")
    page.locator("#housing").select_option(label="租住")
    type_member(page, 0, name="张建国", relation="户主", id_number=wrong)
    tap_add_member(page)
    type_member(page, 1, name="李秀兰", relation="户主", id_number=SPOUSE_ID)
    page.get_by_role("button", name="保存").tap()

    error = page.locator('[data-error-for="members-0-id_number"]')
    assert error.inner_text() == f"居民身份证号码校验位错误（应为 {HEAD_ID[-1]}）"
    assert page.locator("#members-0-id_number").get_attribute("aria-invalid") == "true"
    assert "有填写错误" in page.locator("#form-problems").inner_text()
    # Skip logic: the landlord is asked for because the home is rented.
    assert page.locator('[data-error-for="landlord_name"]').inner_text() == "必填项"
    # A wrong ID does not also ask for the birth date and sex it would have given.
    assert field(member(page, 0), "birth_date").locator(".error").count() == 0
    assert page.locator('[data-error-for="members"]').inner_text() == (
        "每户必须有且只有一位户主（现有 2 位）"
    )
    assert sent == [] and outbox_count(page) == "0"

    # Corrected at the door, the messages go as the answers are fixed.
    page.locator("#members-0-id_number").fill(HEAD_ID)
    page.locator("#housing").select_option(label="自有")
    type_member(page, 1, relation="配偶")
    assert page.locator("form.survey p.error").all_inner_texts() == []
    assert page.locator("#form-problems").is_hidden()
    tap_save(page)
    assert page.locator(".flash.success").inner_text() == "已保存"
    assert [u for u in sent if u.endswith("/api/v1/households")]
    assert len(households(live_server)) == 1


def test_an_edit_made_without_signal_that_crossed_another_is_kept_for_a_reviewer(
    page, login, live_server
):
    defn = live_server.app.extensions["census"].surveys["household"]
    saved = records.save(
        live_server.store, defn, make_household(members=2, room="501"), user="surveyor1"
    )
    login("surveyor1")
    page.goto(f"/survey/household/{saved.id}/edit")  # opened with signal: kept on the tablet
    assert page.locator("form.survey").get_attribute("data-outbox") == "PUT"
    page.locator("#room").fill("502")
    tap_save(page)
    assert page.locator(".flash.success").inner_text() == "已保存"
    assert live_server.store.collection("households").get(saved.id)["room"] == "502"

    page.goto(f"/survey/household/{saved.id}/edit")
    page.context.set_offline(True)
    page.locator("#notes").fill("门口有轮椅坡道")
    tap_save(page)
    assert page.locator(".flash.success").inner_text() == "已保存到本机，有信号时会自动发送"
    # Meanwhile, at the office, staff change the same household.
    current = live_server.store.collection("households").get(saved.id)
    answers = {f.key: current.get(f.key) for f in defn.fields}
    records.save(
        live_server.store, defn, answers | {"room": "503"}, user="admin", record_id=saved.id
    )

    page.context.set_offline(False)
    page.goto("/survey/outbox")
    conflict = page.locator("#sent li.outbox-item[data-state=conflict]")
    conflict.wait_for()
    assert "与他人的修改冲突，待审核员处理" in conflict.inner_text()
    kept = live_server.store.collection("households").get(saved.id)
    assert (kept["room"], kept.get("notes") or "") == ("503", "")  # nothing overwritten
    assert len(live_server.store.collection("conflicts").find(household_id=saved.id)) == 1


def visits(live_server) -> list[dict[str, Any]]:
    return live_server.store.collection("visits").scan()


def test_a_door_marked_without_signal_is_recorded_once_when_the_signal_returns(
    page, login, live_server
):
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    with page.expect_navigation():
        page.locator("a.tile", has_text="1栋").tap()
    page.context.set_offline(True)  # in the stairwell
    form = page.locator("form[data-visit]")
    form.locator("input[name=unit]").fill("2")
    form.locator("input[name=room]").fill("301")
    form.get_by_role("button", name="无人在家").tap()
    expect(form.locator(".visit-status")).to_have_text(
        "已记录在本机：1栋2单元301 无人在家，有信号时自动发送 撤销"  # with its undo button
    )
    pending = page.locator("[data-building-pending] li.outbox-item")
    expect(pending).to_have_count(1)
    expect(pending.first).to_contain_text("1栋2单元301 · 无人在家")
    assert outbox_count(page) == "1"
    assert visits(live_server) == []

    page.context.set_offline(False)  # the signal comes back: sent by itself, once
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0", timeout=15_000)
    (visit,) = visits(live_server)
    assert (visit["building"], visit["unit"], visit["room"], visit["outcome"]) == (
        "1栋",
        "2",
        "301",
        "not_home",
    )
    assert visit["surveyor"] == "surveyor1"


def test_a_door_marked_with_signal_shows_its_new_state_at_once(page, login, live_server):
    login("surveyor1")
    page.goto("/survey/")
    with page.expect_navigation():
        page.locator("a.tile", has_text="1栋").tap()
    form = page.locator("form[data-visit]")
    form.locator("input[name=unit]").fill("1")
    form.locator("input[name=room]").fill("502")
    with page.expect_navigation():
        form.get_by_role("button", name="空置").tap()
    expect(page.locator(".flash.success").first).to_have_text("已记录：1栋1单元502 空置 撤销")
    (visit,) = visits(live_server)
    assert (visit["room"], visit["outcome"]) == ("502", "vacant")
    expect(page.locator("main")).to_contain_text("1 户已走访")


def test_a_storefront_and_a_unit_saved_without_signal_land_once_each(page, login, live_server):
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    page.context.set_offline(True)  # the storefront and unit forms were kept with the buildings

    with page.expect_navigation():
        page.locator("a.tile", has_text="1栋").tap()
    with page.expect_navigation():
        page.get_by_role("link", name="登记门面").tap()
    assert page.locator("h1").inner_text() == "门面/个体工商户登记表"
    shop_uuid = form_uuid(page)
    page.locator("#name").fill("红柳烤肉店")
    page.locator("#address").fill("1栋101底商")
    page.locator("#category").select_option(label="餐饮")
    page.locator("#operator_name").fill("马明")
    tap_save(page)
    assert page.locator(".flash.success").inner_text() == "已保存到本机，有信号时会自动发送"
    assert "/survey/building/" in page.url
    pending = page.locator("[data-building-pending] li.outbox-item")
    expect(pending).to_have_count(1)
    expect(pending.first).to_contain_text("红柳烤肉店 · 1栋101底商")

    page.goto("/survey/")
    with page.expect_navigation():
        page.get_by_role("link", name="登记单位").tap()
    unit_uuid = form_uuid(page)
    page.locator("#name").fill("和什托洛盖镇中心学校")
    page.locator("#kind").select_option(label="学校")
    page.locator("#address").fill("和什路1号")
    tap_save(page)
    assert page.locator(".flash.success").inner_text() == "已保存到本机，有信号时会自动发送"
    assert outbox_count(page) == "2"
    store = live_server.store
    assert store.collection("storefronts").scan() == store.collection("units").scan() == []

    page.context.set_offline(False)  # the signal comes back: both are sent by themselves
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0", timeout=15_000)
    (shop,) = store.collection("storefronts").scan()
    (unit,) = store.collection("units").scan()
    assert (shop["uuid"], shop["name"], shop["building"], shop["category"]) == (
        shop_uuid,
        "红柳烤肉店",
        "1栋",
        "catering",
    )
    assert (unit["uuid"], unit["name"], unit["kind"]) == (
        unit_uuid,
        "和什托洛盖镇中心学校",
        "school",
    )
    assert shop["surveyor"] == unit["surveyor"] == "surveyor1"


def test_a_storefront_corrected_without_signal_is_saved_once_the_signal_returns(
    page, login, live_server
):
    store = live_server.store
    shop = store.collection("storefronts").insert(make_storefront(created_by="surveyor1"))
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    with page.expect_navigation():
        page.locator("a.tile", has_text="1栋").tap()
    with page.expect_navigation():
        page.locator("ul.storefronts li", has_text="红柳烤肉店").get_by_role(
            "link", name="修改"
        ).tap()
    page.context.set_offline(True)  # the page is open; the signal goes
    page.locator("#status").select_option(label="停业")
    tap_save(page)
    assert page.locator(".flash.success").inner_text() == "已保存到本机，有信号时会自动发送"
    assert store.collection("storefronts").get(shop)["status"] == "open"

    page.context.set_offline(False)
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0", timeout=15_000)
    saved = store.collection("storefronts").get(shop)
    assert (saved["status"], saved["_rev"], saved["updated_by"]) == ("closed", 2, "surveyor1")


def test_a_15_digit_number_on_the_tablet_is_saved_as_18_digits_and_the_note_is_english(
    page, login, live_server
):
    new = make_resident_id("650102", date(1948, 10, 1), 21, "female")
    old = new[:6] + new[8:17]  # her first-generation card
    unknown = make_resident_id("650199", date(1975, 3, 3), 5, "male")  # no such region code
    login("surveyor1")
    page.goto("/survey/household/new?building=1栋&lang=en")
    page.locator("#room").fill("501")
    page.locator("#housing").select_option("owned")
    page.locator("#members-0-name").fill("李秀兰")
    page.locator("#members-0-relation").select_option("head")
    page.locator("#members-0-id_number").fill(old)  # sex and birth date left blank
    tap_add_member(page)
    page.locator("#members-1-name").fill("王强")
    page.locator("#members-1-relation").select_option("child")
    page.locator("#members-1-id_number").fill(unknown)
    # The tablet's checks take the old number (they would ask for sex and birth date, or
    # say "18 characters", otherwise); the server's answer carries the notes.
    with page.expect_navigation():
        page.locator('button[name="save"]').tap()
    assert page.locator(".flash.success").inner_text() == "Saved"
    notes = page.locator(".flash.warning").all_inner_texts()
    assert notes == [
        f"李秀兰: The 15-digit ID number was converted to 18 digits: {mask_id(new)} "
        f"(was {mask_id(old)})",
        "王强: Region code 650199 is not in the code table; please check (saving is allowed)",
    ]
    (stored,) = households(live_server)
    head = stored["members"][0]
    assert (head["id_number"], head["birth_date"], head["sex"]) == (new, "1948-10-01", "female")
