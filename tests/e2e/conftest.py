"""Browser tests: the real app behind waitress, driven by Debian's Chromium as a tablet.

Browser downloads do not work where this suite runs, so Playwright always launches
/usr/bin/chromium (`make browser` installs it). A missing browser is a failure, not a skip:
a green run must mean the pages were really exercised.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from census.app import create_app
from census.services.accounts import add_user
from census.web.current import get_store

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "secret-pass-1"
FAST_HASH = "pbkdf2:sha256:1000"
ACCOUNTS = {
    "admin": ("admin", []),
    "surveyor1": ("surveyor", ["第一网格"]),
    "surveyor2": ("surveyor", ["第二网格"]),
}
BUILDINGS = (
    {"name": "1栋", "grid": "第一网格", "type": "residential", "expected_dwellings": 12},
    {"name": "2栋", "grid": "第二网格", "type": "residential", "expected_dwellings": 12},
)
PORTRAIT = {"width": 768, "height": 1024}
DESKTOP = {"width": 1366, "height": 768}
TIMEOUT_MS = 10_000
# Lines a module adds through the ``timings`` fixture (how long it took as a whole), said
# at the end of the run.
TIMINGS: list[str] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder drives a browser."""
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.e2e)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in TIMINGS:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def timings() -> list[str]:
    """``timings.append("…: 95 s")``: a line for the end of the run. A fixture, since a
    module that imports ``tests.e2e.conftest`` gets a copy of this file, not the one pytest
    loaded as ``conftest`` (whose list the summary reads)."""
    return TIMINGS


@dataclass
class LiveServer:
    """The app served over HTTP on a free local port."""

    app: Any
    url: str

    @property
    def store(self) -> Any:
        return get_store(self.app)


@contextmanager
def serve(folder: Path) -> Iterator[LiveServer]:
    """A fresh data folder with two buildings and three accounts, served by waitress."""
    from waitress import create_server, wasyncore

    app = create_app(
        {
            "DATA_DIR": str(folder / "data"),
            "SECRET_KEY": "e2e-secret",
            "FSYNC": False,
            "COMMUNITY_NAME": "佐斯腾社区",
        }
    )
    store = get_store(app)
    for building in BUILDINGS:
        store.collection("buildings").insert(dict(building))
    for name, (role, grids) in ACCOUNTS.items():
        add_user(store, name, role, PASSWORD, grids=grids, hash_method=FAST_HASH)

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="e2e-waitress", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.effective_port}")
    finally:
        server.task_dispatcher.shutdown()
        # Close the listener and any kept-alive connection from the server's own thread: closed
        # from here, a socket could vanish under its select() (EBADF); with none left, its
        # loop ends.
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=5)
        store.close()


@pytest.fixture
def live_server(tmp_path) -> Iterator[LiveServer]:
    """The app of one test (see ``serve``); a module that shares one opens ``serve`` itself."""
    with serve(tmp_path) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole run."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium "
            "(run `make browser`, or `apt-get install chromium`).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def desk(browser, live_server) -> Iterator[Any]:
    """A desktop tab at 1366×768 (mouse, no touch) that lets the test inject axe-core."""
    context = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, locale="zh-CN", bypass_csp=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[Any]:
    """A tablet in portrait: 768×1024 CSS px, touch, mobile viewport, 2× pixels."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PORTRAIT,
        has_touch=True,
        is_mobile=True,
        device_scale_factor=2,
        locale="zh-CN",
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login(page) -> Any:
    """``login("surveyor1")``: log in through the form, as a surveyor does on the tablet."""

    def log_in(username: str, password: str = PASSWORD) -> None:
        page.goto("/login")
        page.locator("#username").tap()
        page.locator("#username").fill(username)
        page.locator("#password").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="登录").tap()

    return log_in
