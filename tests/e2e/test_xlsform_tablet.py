"""An XLSForm survey on a tablet in Chromium: the household roster of the corpus, uploaded as
staff add it, filled as a surveyor would.

What the browser must do by itself, before any save: the roster grows to the household
size (repeat_count), labels name the member they ask about, the summary note counts the
members and the children as they are typed (calculate + note), and the location comes
from the tablet (geolocation, with its accuracy). The saved record holds what the server
worked out from the same answers.
"""

from __future__ import annotations

from typing import Any

from census.surveys import custom
from tests.e2e.conftest import PORTRAIT, TIMEOUT_MS
from tests.e2e.test_survey_tablet import SCREENSHOTS
from tests.surveys.xlsforms import HOUSEHOLD, RENTAL

WHERE = {"latitude": 43.825592, "longitude": 87.616848, "accuracy": 12}


def wait_until(page: Any, done: Any, tries: int = 100) -> None:
    """Poll from Python (the page's CSP forbids evaluating strings), 10 s at most."""
    for _ in range(tries):
        if done():
            return
        page.wait_for_timeout(100)
    raise AssertionError("not done in time")


def test_a_household_roster_xlsform_calculates_fills_and_locates_on_the_tablet(
    browser: Any, live_server: Any
) -> None:
    added = custom.add(live_server.app.extensions["census"], "household.xlsx", HOUSEHOLD.workbook())
    assert added.form is not None, added.problems
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PORTRAIT,
        has_touch=True,
        is_mobile=True,
        locale="zh-CN",
        geolocation=WHERE,
        permissions=["geolocation"],
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/login")
        page.locator("#username").fill("admin")
        page.locator("#password").fill("secret-pass-1")
        with page.expect_navigation():
            page.get_by_role("button", name="登录").tap()
        page.goto("/survey/household_roster/new")
        assert page.locator(".field-note").first.inner_text() == "您好，我们是社区居委会的调查员。"
        page.locator("#consent").select_option("yes")
        page.locator("#head_name").fill("阿依古丽")
        page.locator("#hh_size").fill("3")
        members = page.locator("fieldset.member")
        assert members.count() == 3  # as many entries as the household size
        for n, (name, sex, age) in enumerate(
            [("阿依古丽", "f", "34"), ("买买提", "m", "36"), ("小明", "m", "3")]
        ):
            page.locator(f"#members-{n}-m_name").fill(name)
            page.locator(f"#members-{n}-m_sex").select_option(sex)
            page.locator(f"#members-{n}-m_age").fill(age)
        label = page.locator('label[for="members-2-m_age"]').inner_text()
        assert label.startswith("小明 的年龄")
        summary = page.locator('.field[data-key="summary"] .note-text')
        assert summary.inner_text() == "本户 3 人，其中 5 岁以下 1 人。"
        page.locator("#members-2-m_age").fill("7")
        assert summary.inner_text() == "本户 3 人，其中 5 岁以下 0 人。"
        page.locator("#members-2-m_age").fill("3")
        page.get_by_role("button", name="获取当前位置").tap()
        wait_until(page, lambda: page.locator("#location").input_value() != "")
        assert page.locator("#location").input_value().startswith("43.825592 87.616848 ")
        status = page.locator(".geo-status").inner_text()
        assert status == "已定位，精度约 ±12 米"
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "xlsform-household-roster.png"), full_page=True)
        page.get_by_role("button", name="保存").tap()
        store = live_server.store.collection("survey_household_roster")
        wait_until(page, lambda: len(store) == 1)
        (record,) = store.scan()
        assert record["n_members"] == 3 and record["n_under5"] == 1
        assert record["location"].split()[:2] == ["43.825592", "87.616848"]
        assert record["location"].split()[3] == "12"
        assert [m["m_child"] for m in record["members"]] == [0, 0, 1]
        assert errors == []
    finally:
        context.close()


def test_a_cascading_select_offers_the_streets_of_the_district_chosen(
    browser: Any, live_server: Any
) -> None:
    added = custom.add(live_server.app.extensions["census"], "rental.xlsx", RENTAL.workbook())
    assert added.form is not None, added.problems
    context = browser.new_context(
        base_url=live_server.url, viewport=PORTRAIT, has_touch=True, locale="zh-CN"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/login")
        page.locator("#username").fill("admin")
        page.locator("#password").fill("secret-pass-1")
        with page.expect_navigation():
            page.get_by_role("button", name="登录").tap()
        page.goto("/survey/rental_check/new")

        def offered() -> list[str]:
            return page.locator("#street option:not([hidden]):not([disabled])").evaluate_all(
                "options => options.map(o => o.value).filter(Boolean)"
            )

        page.locator("#district").select_option("east")
        assert offered() == ["lane1", "lane2"]
        page.locator("#street").select_option("lane2")
        page.locator("#district").select_option("west")
        assert offered() == ["market"]
        assert page.locator("#street").input_value() == ""  # another district's street: cleared
        page.locator("#address").fill("5栋1单元202")
        page.locator("#tenants").fill("2")
        hint = page.locator('.field[data-key="tenants"] .hint').inner_text()
        assert hint == "5栋1单元202 现住几人"
    finally:
        context.close()
