"""A weak signal is not no signal: saving never waits for it, and nothing lands twice.

The network is made slow through the Chrome DevTools Protocol
(``Network.emulateNetworkConditions``: every request waits seconds before it goes) or made
to hang (a route that holds requests without answering), or to lose the server's reply
(the request reaches the server, its answer is dropped). In every case the surveyor sees the
save confirmed at once, and the server ends with each record exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from census.services import records, review
from tests.e2e.test_offline import (
    OTHER_HEAD_ID,
    form_uuid,
    households,
    open_home_and_keep_it_offline,
    outbox_count,
    tap_building_then_new_household,
)
from tests.e2e.test_survey_tablet import HEAD_ID, type_member
from tests.factories import make_household

CONFIRMED_WITHIN_S = 0.5
WEAK = {"offline": False, "latency": 3000, "downloadThroughput": 20_000, "uploadThroughput": 10_000}
GOOD = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


def weak_signal(page: Any) -> Callable[[], None]:
    """Every request of the page waits 3 s before it goes, then crawls; returns the undo."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", WEAK)
    return lambda: cdp.send("Network.emulateNetworkConditions", GOOD)


class Hang:
    """API requests held without an answer, as on one bar in a stairwell, until released."""

    def __init__(self, page: Any, pattern: str = "**/api/v1/**") -> None:
        self.page, self.pattern, self.held = page, pattern, []
        page.context.route(pattern, self.hold)

    def hold(self, route: Any) -> None:
        self.held.append(route)

    def release(self) -> None:
        """The signal comes back: held requests go on to the server, new ones go at once."""
        self.page.context.unroute(self.pattern)
        for route in self.held:
            try:
                route.continue_()
            except Exception:  # noqa: BLE001 - the page that sent it has gone; the outbox resends
                pass


def fill_household(page: Any, room: str, name: str = "张建国", id_number: str = HEAD_ID) -> None:
    page.locator("#room").fill(room)
    page.locator("#housing").select_option(label="自有")
    type_member(page, 0, name=name, relation="户主", id_number=id_number)


# Measured in the page, as the surveyor sees it: from the click event (its own timestamp)
# to the confirmation being put on the screen (a MutationObserver), and to the first frame
# drawn after it when the page lives that long (a save offline moves on to the building at
# once). Kept in sessionStorage, which outlives that move. The harness's own latency (the
# test's tap travelling from Python to the browser, the answer travelling back) is not in it.
MEASURE = """(() => {
  if (window.__censusTiming) return;
  window.__censusTiming = true;
  const KEY = "census-test-timings";
  const CONFIRMED = ".flash.saved-note, .visit-status";
  const kept = () => JSON.parse(sessionStorage.getItem(KEY) || "[]");
  const keep = (rows) => sessionStorage.setItem(KEY, JSON.stringify(rows));
  let tap = null;
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest("button")) tap = event.timeStamp;
  }, true);
  new MutationObserver(() => {
    if (tap === null) return;
    const shown = [...document.querySelectorAll(CONFIRMED)].find((el) => el.textContent.trim());
    if (!shown) return;
    const from = tap;
    tap = null;
    const rows = kept();
    const text = shown.textContent.trim();
    const n = rows.push({ confirmed_ms: performance.now() - from, painted_ms: null, text }) - 1;
    keep(rows);
    requestAnimationFrame(() => {
      const drawn = performance.now() - from;
      const now = kept();
      if (now[n]) { now[n].painted_ms = drawn; keep(now); }
    });
  }).observe(document, { subtree: true, childList: true, characterData: true });
})()"""

TIMED = "JSON.parse(sessionStorage.getItem('census-test-timings') || '[]')"


def measure_in_page(page: Any) -> None:
    """From now on every page of this tab times its confirmations (the open one too)."""
    page.add_init_script(script=MEASURE)
    page.evaluate(MEASURE)


def measured(page: Any, count: int) -> dict[str, Any]:
    """The ``count``-th confirmation the pages timed (1 for the first), once it is kept, with
    the frame drawn after it if one comes within a second (a page that moved on has none).

    Read again when the tab is between two pages (a save moves on to the building)."""
    deadline = time.monotonic() + 10
    drawn_by = None
    while True:
        try:
            rows = page.evaluate(TIMED)
        except Exception:  # noqa: BLE001 - the page is being replaced: ask the next one
            rows = []
        if len(rows) >= count:
            drawn_by = drawn_by or time.monotonic() + 1
            if rows[count - 1]["painted_ms"] is not None or time.monotonic() > drawn_by:
                return rows[count - 1]
        assert time.monotonic() < deadline, "the page timed no confirmation"
        page.wait_for_timeout(50)


def timed_tap(page: Any, button: Any, wait: Callable[[], None], what: str) -> float:
    """Tap ``button``, wait (``wait``) until the confirmation is on the screen, and say how
    long the page took from the click to showing it (seconds; asserted by the caller). The
    harness's time, tap sent from here to the confirmation seen from here, is said beside it."""
    count = len(page.evaluate(TIMED))
    started = time.perf_counter()
    button.tap()
    wait()
    harness = time.perf_counter() - started
    row = measured(page, count + 1)
    painted = row["painted_ms"]
    drawn = f", drawn {painted:.0f} ms" if painted is not None else ""
    print(
        f"\n{what}: confirmed in the page {row['confirmed_ms']:.0f} ms after the click{drawn}"
        f" (harness, tap to seen: {harness * 1000:.0f} ms)"
    )
    return max(row["confirmed_ms"], painted or 0) / 1000


def tap_save_and_time_it(page: Any, what: str) -> float:
    """Tap 保存 and measure, in the page, until the save is confirmed on the screen (s).

    The form says so itself before anything is sent; without signal the tablet may already
    have moved on to the building, whose page says it again.
    """
    measure_in_page(page)

    def confirmed() -> None:
        page.locator(".flash.saved-note, .flash.success").first.wait_for()

    return timed_tap(page, page.get_by_role("button", name="保存"), confirmed, what)


def wait_for(page: Any, condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    """Poll the server's side while the browser runs (its route handlers run meanwhile)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the outbox did not deliver in time"
        page.wait_for_timeout(200)


def test_a_household_saved_on_a_weak_signal_is_confirmed_at_once_and_lands_once(
    page, login, live_server
):
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    tap_building_then_new_household(page)
    uuid = form_uuid(page)
    fill_household(page, "301")
    back_to_good = weak_signal(page)

    elapsed = tap_save_and_time_it(page, "household saved with 3 s latency")
    assert elapsed <= CONFIRMED_WITHIN_S
    expect(page.locator(".flash.saved-note")).to_contain_text("已保存到本机")
    assert page.locator("button[name=save]").inner_text() == "保存"  # no spinner

    # The page moves on by itself; the outbox sends in the background, through the latency.
    wait_for(page, lambda: len(households(live_server)) == 1, timeout_s=40)
    back_to_good()
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0", timeout=20_000)
    (stored,) = households(live_server)
    assert stored["uuid"] == uuid and stored["room"] == "301"
    page.locator(".sync-bar .sync-now").tap()  # one more round: nothing is sent twice
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0")
    assert len(households(live_server)) == 1


def test_a_save_whose_requests_hang_is_confirmed_at_once_and_sent_when_they_go(
    page, login, live_server
):
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    tap_building_then_new_household(page)
    fill_household(page, "302")
    hang = Hang(page)

    elapsed = tap_save_and_time_it(page, "household saved with hanging requests")
    assert elapsed <= CONFIRMED_WITHIN_S
    page.wait_for_url("**/survey/building/**")  # left to the outbox, not to a spinner
    expect(page.locator(".flash.success").first).to_have_text("已保存到本机，有信号时会自动发送")
    pending = page.locator("[data-building-pending] li.outbox-item")
    expect(pending).to_have_count(1)
    assert households(live_server) == []

    hang.release()
    # The note on the page follows the household until the server has it.
    expect(page.locator(".flash.success").first).to_have_text("已保存", timeout=30_000)
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0")
    (stored,) = households(live_server)
    assert stored["room"] == "302"


def test_a_reply_lost_on_the_way_back_still_makes_one_household(page, login, live_server):
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    tap_building_then_new_household(page)
    fill_household(page, "303")
    lost: list[int] = []

    def drop_the_reply(route: Any) -> None:
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch().status)  # the server stores it; the tablet hears nothing
            route.abort()
        else:
            route.continue_()

    page.context.route("**/api/v1/households", drop_the_reply)
    assert tap_save_and_time_it(page, "household saved, reply lost") <= CONFIRMED_WITHIN_S
    wait_for(page, lambda: lost == [201])
    assert len(households(live_server)) == 1
    page.wait_for_url("**/survey/building/**")
    page.locator(".sync-bar .sync-now").tap()  # the outbox sends it again: the same record
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0", timeout=20_000)
    (stored,) = households(live_server)
    assert stored["room"] == "303"


def test_a_household_saved_offline_is_opened_edited_and_sent_once_as_last_saved(
    page, login, live_server
):
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    page.context.set_offline(True)
    tap_building_then_new_household(page)
    uuid = form_uuid(page)
    fill_household(page, "401")
    assert tap_save_and_time_it(page, "household saved offline") <= CONFIRMED_WITHIN_S
    page.wait_for_url("**/survey/building/**")

    # Still on the tablet: it opens from the building's list, with what was saved.
    pending = page.locator("[data-building-pending] li.outbox-item")
    expect(pending).to_have_count(1)
    with page.expect_navigation():
        pending.get_by_role("link", name="修改").tap()
    expect(page.locator("#room")).to_have_value("401")
    expect(page.get_by_text("这份登记还在本机等待发送")).to_be_visible()
    assert form_uuid(page) == uuid
    page.locator("#room").fill("402")
    assert tap_save_and_time_it(page, "household edited offline") <= CONFIRMED_WITHIN_S
    page.wait_for_url("**/survey/building/**")
    expect(pending).to_have_count(1)  # one item, holding the latest version
    assert outbox_count(page) == "1"

    page.context.set_offline(False)
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0", timeout=20_000)
    (stored,) = households(live_server)
    assert (stored["uuid"], stored["room"], stored["_rev"]) == (uuid, "402", 1)


def test_an_edit_of_a_household_already_on_its_way_follows_it(page, login, live_server):
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    tap_building_then_new_household(page)
    uuid = form_uuid(page)
    fill_household(page, "501", name="马建华", id_number=OTHER_HEAD_ID)
    hang = Hang(page, "**/api/v1/households")  # the household is sent, and hangs
    tap_save_and_time_it(page, "household saved, its request hanging")
    page.wait_for_url("**/survey/building/**")
    pending = page.locator("[data-building-pending] li.outbox-item")
    expect(pending).to_have_count(1)
    # It was tried (it may have reached the server): the next version must follow it.
    tried = """async (uuid) => {
        const db = await import('/static/db.js');
        return ((await db.get('outbox', uuid)) || {}).attempts;
    }"""
    wait_for(page, lambda: (page.evaluate(tried, uuid) or 0) > 0)
    with page.expect_navigation():
        pending.get_by_role("link", name="修改").tap()
    expect(page.locator("#room")).to_have_value("501")
    page.locator("#room").fill("502")
    tap_save_and_time_it(page, "household edited while its first version hangs")
    page.wait_for_url("**/survey/building/**")
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("1")

    hang.release()
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0", timeout=30_000)
    (stored,) = households(live_server)
    assert (stored["uuid"], stored["room"]) == (uuid, "502")
    assert stored["_rev"] == 2  # stored once, then edited to the latest version


def test_a_returned_household_is_fixed_offline_with_its_comment_and_lands_once(
    page, login, live_server
):
    store = live_server.store
    defn = live_server.app.extensions["census"].surveys["household"]
    with live_server.app.test_request_context():
        saved = records.save(store, defn, make_household(members=1, room="601"), user="surveyor1")
    review.act(
        store, saved.id, "return", username="admin", role="admin", comment="请补充户主的联系电话"
    )
    returned_rev = store.collection("households").get(saved.id)["_rev"]
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    # 需要修改 counts the returned household, named apart from what the server refused.
    fix = page.locator(".sync-bar .fix-link")
    expect(fix).to_be_visible()
    expect(fix.locator(".count")).to_have_text("1")
    expect(fix.locator(".returned")).to_have_text("审核退回 1")
    expect(fix.locator(".refused")).to_be_hidden()

    page.context.set_offline(True)  # in the stairwell: the record and its page are on the tablet
    expect(page.locator(".net-banner")).to_have_text("离线 · 没有待发送的登记")
    with page.expect_navigation():
        fix.tap()
    item = page.locator("#returned li.returned-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("1栋1单元601")
    expect(item).to_contain_text("请补充户主的联系电话")
    with page.expect_navigation():
        item.get_by_role("link", name="修改").tap()
    comment = page.locator("#review-comment")
    expect(comment).to_be_visible()
    expect(comment).to_contain_text("审核退回")
    expect(comment).to_contain_text("请补充户主的联系电话")
    assert comment.bounding_box()["y"] < page.locator("form.survey").bounding_box()["y"]

    page.locator("#members-0-phone").fill("13912345678")
    assert tap_save_and_time_it(page, "returned household fixed offline") <= CONFIRMED_WITHIN_S
    page.wait_for_url("**/survey/building/**")
    expect(page.locator(".net-banner")).to_have_text("离线 · 1 条待发送")
    expect(fix).to_be_hidden()  # fixed on the tablet: nothing left to correct
    assert store.collection("households").get(saved.id)["_rev"] == returned_rev

    page.context.set_offline(False)
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0", timeout=20_000)
    expect(page.locator(".net-banner")).to_be_hidden()
    (stored,) = households(live_server)
    assert stored["members"][0]["phone"] == "13912345678"
    assert stored["review_state"] == "submitted"  # back to the reviewer
    assert stored["_rev"] == returned_rev + 1  # fixed once


def visits(live_server) -> list[dict[str, Any]]:
    return live_server.store.collection("visits").scan()


def open_building(page: Any, name: str = "1栋") -> Any:
    with page.expect_navigation():
        page.locator("a.tile", has_text=name).tap()
    return page.locator("form[data-visit]")


def test_a_double_tap_on_a_weak_signal_is_one_visit_confirmed_at_once(page, login, live_server):
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    form = open_building(page)
    form.locator("input[name=unit]").fill("2")
    form.locator("input[name=room]").fill("301")
    back_to_good = weak_signal(page)
    button = form.get_by_role("button", name="无人在家")
    status = form.locator(".visit-status")
    measure_in_page(page)
    elapsed = timed_tap(
        page,
        button,
        lambda: expect(status).to_contain_text("已记录在本机：1栋2单元301 无人在家"),
        "visit tapped with 3 s latency",
    )
    assert elapsed <= CONFIRMED_WITHIN_S
    button.tap()  # the same door, the same outcome, a moment later: the same visit
    expect(status).to_contain_text("已记录过了：1栋2单元301 无人在家")
    button.tap()
    expect(page.locator("[data-building-pending] li.outbox-item")).to_have_count(1)

    wait_for(page, lambda: len(visits(live_server)) == 1, timeout_s=40)
    back_to_good()
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0", timeout=20_000)
    (visit,) = visits(live_server)
    assert (visit["room"], visit["outcome"], visit.get("withdrawn_at")) == ("301", "not_home", None)

    # 撤销: the visit was sent, so its withdrawal follows it; the door is unvisited again.
    with page.expect_navigation():
        status.get_by_role("button", name="撤销").tap()
    (visit,) = visits(live_server)
    assert visit["withdrawn_by"] == "surveyor1"
    expect(page.locator("main")).to_contain_text("0 户已走访 · 12 户未走访")


def test_with_signal_a_tap_is_sent_at_once_and_a_second_one_is_the_same_visit(
    page, login, live_server
):
    login("surveyor1")
    page.goto("/survey/")
    form = open_building(page)
    form.locator("input[name=unit]").fill("1")
    form.locator("input[name=room]").fill("502")
    with page.expect_navigation():
        form.get_by_role("button", name="拒绝").tap()
    note = page.locator(".flash.success").first
    expect(note).to_contain_text("已记录：1栋1单元502 拒绝")
    expect(page.locator("main")).to_contain_text("1 户已走访")
    form = page.locator("form[data-visit]")
    form.locator("input[name=unit]").fill("1")
    form.locator("input[name=room]").fill("502")
    form.get_by_role("button", name="拒绝").tap()  # again, after the page came back
    expect(form.locator(".visit-status")).to_contain_text("已记录过了")
    assert len(visits(live_server)) == 1

    with page.expect_navigation():  # the undo on the note after the reload
        note.get_by_role("button", name="撤销").tap()
    (visit,) = visits(live_server)
    assert visit["withdrawn_at"]
    expect(page.locator("main")).to_contain_text("0 户已走访")


def test_a_visit_undone_before_it_left_never_reaches_the_server(page, login, live_server):
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    form = open_building(page)
    page.context.set_offline(True)
    form.locator("input[name=room]").fill("7")
    form.get_by_role("button", name="空置").tap()
    status = form.locator(".visit-status")
    expect(status).to_contain_text("已记录在本机")
    status.get_by_role("button", name="撤销").tap()
    expect(status).to_have_text("已撤销：1栋7 空置")
    expect(page.locator("[data-building-pending] li.outbox-item")).to_have_count(0)
    page.context.set_offline(False)
    page.locator(".sync-bar .sync-now").tap()
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0")
    assert visits(live_server) == []
