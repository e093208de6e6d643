"""What the tablet keeps for no signal, and that it says so in words.

The banner says 离线 and how many records wait; the line under it counts the pages the tablet
keeps while it keeps them, then says it is ready. Pages are kept in the background from the
server's list, and a second login fetches only the pages that changed.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from census.services import records
from tests.e2e.test_offline import open_home_and_keep_it_offline, register_one
from tests.e2e.test_survey_tablet import HEAD_ID
from tests.factories import make_household

# Every text the ready line shows, recorded as it changes (an init script is not a page script).
RECORD_READY_LINE = """
window.__ready = [];
new MutationObserver(() => {
  const note = document.querySelector('.ready-note');
  const text = note && !note.hidden ? note.textContent : '';
  if (text && window.__ready[window.__ready.length - 1] !== text) window.__ready.push(text);
}).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
"""


def page_fetches(live_server) -> list[str]:
    """The survey pages the server is asked for from now on (GET, by path)."""
    seen: list[str] = []
    inner = live_server.app.wsgi_app

    def counting(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ["PATH_INFO"].encode("latin-1").decode("utf-8")
        if (
            environ["REQUEST_METHOD"] == "GET"
            and path.startswith("/survey/")
            and "keep" not in path
        ):
            seen.append(path)
        return inner(environ, start_response)

    live_server.app.wsgi_app = counting
    return seen


def log_out(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="退出").tap()


def test_the_tablet_counts_what_it_keeps_then_says_it_is_ready(page, login, live_server):
    page.add_init_script(RECORD_READY_LINE)
    fetched = page_fetches(live_server)
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    # home, the outbox, three forms (one copy each, for any building) and the one building
    expect(page.locator(".ready-note")).to_have_text("已可离线使用 · 本机已存 6 页")
    shown = page.evaluate("window.__ready")
    progress = [t for t in shown if t.startswith("正在存到本机")]
    assert progress and re.fullmatch(r"正在存到本机，以便离线使用 \d/6", progress[0]), shown
    assert progress[-1].endswith("6/6") or shown[-1].endswith("6 页")
    assert sorted(set(fetched)) == sorted(
        {
            "/survey/",
            "/survey/outbox",
            "/survey/household/new",
            "/survey/storefront/new",
            "/survey/unit/new",
            "/survey/building/1栋",
        }
    )

    # Logged out, the kept pages are locked: not shown to whoever holds the tablet.
    log_out(page)
    page.context.set_offline(True)
    page.goto("/survey/")
    expect(page.locator("h1")).to_have_text("无网络，此页面尚未保存到本机")
    page.context.set_offline(False)

    # Logged in again: only what changed since is fetched (a household was added in 1栋).
    with live_server.app.test_request_context():
        defn = live_server.app.extensions["census"].surveys["household"]
        records.save(live_server.store, defn, make_household(members=1), user="admin")
    fetched.clear()
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    assert "/survey/outbox" not in fetched and "/survey/unit/new" not in fetched
    assert set(fetched) <= {"/survey/", "/survey/building/1栋"}, fetched
    assert "/survey/building/1栋" in fetched


def test_without_signal_a_banner_says_so_in_words_with_what_waits(page, login, live_server):
    login("surveyor1")
    open_home_and_keep_it_offline(page)
    banner = page.locator(".net-banner")
    expect(banner).to_be_hidden()
    page.context.set_offline(True)
    expect(banner).to_be_visible()
    expect(banner).to_have_text("离线 · 没有待发送的登记")
    register_one(page, "101", "张建国", HEAD_ID)
    expect(banner).to_have_text("离线 · 1 条待发送")
    box = banner.bounding_box()
    assert box["height"] >= 36 and box["width"] > 600  # a banner, not a dot
    expect(page.locator(".ready-note")).to_contain_text("已可离线使用")

    # English too: the tablet keeps the page last seen. The signal comes back only for that
    # page; the outbox's sends are held off meanwhile, so the record still waits after it.
    page.route("**/api/v1/**", lambda route: route.abort("internetdisconnected"))
    page.context.set_offline(False)
    page.goto("/survey/?lang=en")
    page.context.set_offline(True)
    page.unroute("**/api/v1/**")
    page.reload()
    expect(page.locator(".net-banner")).to_have_text("Offline · 1 waiting")
    page.context.set_offline(False)
    expect(page.locator(".net-banner")).to_be_hidden(timeout=15_000)
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0", timeout=15_000)
    assert len(live_server.store.collection("households")) == 1
