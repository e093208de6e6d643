"""The top bar stays one compact line at the desk, for every role, and opens on a tablet.

The menu's pages are grouped under a few words (记录, 审核, 台账, 打印与导出, 管理); before,
fifteen links wrapped the bar to 176-228 px at 1366×768. Each role's pages are measured in
both languages; on a tablet in portrait staff open the menu with its 菜单 button.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from census.services import records
from census.services.accounts import add_user
from tests.e2e.conftest import FAST_HASH, PASSWORD, PORTRAIT, TIMEOUT_MS
from tests.e2e.test_accessibility import audit_page, axe_source, log_in, visit
from tests.factories import make_household

BAR_LIMIT = 64  # px at 1366×768: one line of 48 px targets and its padding
HEIGHT = "() => Math.round(document.querySelector('header.topbar').getBoundingClientRect().height)"


def pages_of(household_id: int) -> dict[str, list[str]]:
    """The pages each role works on, by account."""
    return {
        "surveyor1": ["/survey/", "/survey/building/1栋", "/survey/household/new?building=1栋"],
        "reviewer1": [
            "/review/",
            "/households",
            f"/households/{household_id}",
            "/registers/",
            "/summary",
            "/prints/",
            "/fieldwork/coverage",
        ],
        "admin": [
            "/households",
            "/review/",
            "/registers/",
            "/worklog/",
            "/sheets/",
            "/audit/",
            "/admin/users",
            "/admin/surveys/",
        ],
    }


@pytest.fixture
def tablet(browser, live_server) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PORTRAIT,
        has_touch=True,
        is_mobile=True,
        locale="zh-CN",
        bypass_csp=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def seed(live_server: Any) -> int:
    add_user(live_server.store, "reviewer1", "reviewer", PASSWORD, hash_method=FAST_HASH)
    defn = live_server.app.extensions["census"].surveys["household"]
    saved = records.save(live_server.store, defn, make_household(room="101"), user="admin")
    assert saved.saved
    return saved.id


def test_the_bar_is_one_line_on_every_roles_pages_at_1366(desk, live_server):
    household = seed(live_server)
    heights: dict[str, int] = {}
    for username, urls in pages_of(household).items():
        log_in(desk, username)
        for lang in ("zh", "en"):
            for url in urls:
                visit(desk, url + ("&" if "?" in url else "?") + f"lang={lang}")
                heights[f"{username} {lang} {url}"] = desk.evaluate(HEIGHT)
    print(f"\ntop bar height at 1366×768 (limit {BAR_LIMIT} px)")
    for name, height in heights.items():
        print(f"{height:>4} px  {name}")
    assert {name: h for name, h in heights.items() if h > BAR_LIMIT} == {}


def test_a_menu_group_opens_with_its_pages_and_leads_to_one(desk, live_server):
    seed(live_server)
    log_in(desk, "admin")
    visit(desk, "/households")
    review = desk.locator("header nav details", has=desk.locator("summary", has_text="审核"))
    assert not desk.get_by_role("link", name="审核队列").is_visible()
    review.locator("summary").click()
    assert desk.get_by_role("link", name="审核队列").is_visible()
    # The open list lies over the page without growing the bar, and passes axe.
    assert desk.evaluate(HEIGHT) <= BAR_LIMIT
    found = audit_page(desk, axe_source())
    assert [v for v in found["violations"] if v["impact"] in ("serious", "critical")] == []
    # One group open at a time; Escape closes it and gives the focus back to its word.
    desk.locator("header nav summary", has_text="台账").click()
    expect(desk.get_by_role("link", name="审核队列")).to_be_hidden()
    assert desk.get_by_role("link", name="基本情况").is_visible()
    desk.keyboard.press("Escape")
    expect(desk.get_by_role("link", name="基本情况")).to_be_hidden()
    assert desk.evaluate("() => document.activeElement.textContent.trim()") == "台账"
    # The keyboard alone: Enter opens the group, Tab reaches its first page.
    desk.keyboard.press("Enter")
    desk.keyboard.press("Tab")
    assert desk.evaluate("() => document.activeElement.textContent") == "台账"
    assert desk.evaluate("() => document.activeElement.closest('.menu-list') !== null")
    review.locator("summary").click()
    with desk.expect_navigation():
        desk.get_by_role("link", name="审核队列").click()
    assert desk.url.endswith("/review/")
    # The group of the page shown is marked, and its page is the current one.
    assert review.locator("summary.here").count() == 1
    assert review.locator("a[aria-current=page]").get_attribute("href") == "/review/"


def test_staff_open_the_menu_on_a_tablet_with_its_button(tablet, live_server):
    seed(live_server)
    log_in(tablet, "reviewer1")
    visit(tablet, "/households")
    toggle = tablet.get_by_role("button", name="菜单")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    closed = tablet.evaluate(HEIGHT)
    assert not tablet.locator("header nav").is_visible()
    toggle.tap()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert tablet.locator("header nav").is_visible()
    tablet.locator("header nav summary", has_text="台账").tap()
    link = tablet.get_by_role("link", name="基本情况")
    box = link.bounding_box()
    assert box is not None and box["height"] >= 44  # a finger's target
    found = audit_page(tablet, axe_source())
    assert [v for v in found["violations"] if v["impact"] in ("serious", "critical")] == []
    with tablet.expect_navigation():
        link.tap()
    assert tablet.url.endswith("/summary")
    assert not tablet.locator("header nav").is_visible()
    print(f"\ntablet bar closed: {closed} px")
    assert closed <= 2 * BAR_LIMIT


def test_a_surveyors_bar_on_the_tablet_has_no_menu_button(tablet, live_server):
    log_in(tablet, "surveyor1")
    visit(tablet, "/survey/")
    assert tablet.get_by_role("button", name="菜单").count() == 0
    assert tablet.get_by_role("link", name="楼栋").is_visible()
    assert tablet.get_by_role("button", name="退出").is_visible()
    height = tablet.evaluate(HEIGHT)
    print(f"\nsurveyor's bar at 768: {height} px")
    assert height <= 2 * BAR_LIMIT
