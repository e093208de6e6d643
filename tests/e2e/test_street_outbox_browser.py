"""The tablet's outbox in the header, in a real Chromium: a surveyor's pages show it (待发送,
立即同步), a street account's never do (it saves no records). The street of two TinyDB
folders of ``tests.street.street_site``, behind waitress, as ``census serve`` serves it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import PORTRAIT, TIMEOUT_MS
from tests.street.street_site import make_street

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(tmp_path) -> Iterator[str]:
    from waitress import create_server, wasyncore

    deployment = make_street({"DATA_DIR": str(tmp_path / "data"), "FSYNC": False})
    server = create_server(deployment, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="street-outbox", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.task_dispatcher.shutdown()
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=5)
        deployment.close()


def _tab(browser: Any, site: str, username: str) -> Any:
    context = browser.new_context(base_url=site, viewport=PORTRAIT, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    return page


def test_the_outbox_is_in_a_surveyors_header_and_not_in_the_streets(browser, site):
    surveyor = _tab(browser, site, "walker")
    surveyor.wait_for_selector(".topbar .sync-bar .outbox-link")
    assert surveyor.locator(".topbar .sync-now").is_visible()
    staff = _tab(browser, site, "street1")
    assert staff.url.endswith("/street/")
    staff.wait_for_load_state("networkidle")  # offline.js has run (and registered its worker)
    staff.wait_for_function("navigator.serviceWorker.getRegistration().then(r => !!r)")
    assert staff.locator(".sync-bar, .sync-now, .outbox-link, .netbar").count() == 0
    staff.goto("/street/registers")
    staff.wait_for_load_state("networkidle")
    assert staff.locator(".sync-bar, .sync-now, .outbox-link, .netbar").count() == 0
    surveyor.context.close()
    staff.context.close()
