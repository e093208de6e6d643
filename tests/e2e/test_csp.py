"""The Content-Security-Policy blocks nothing the pages need: real Chromium, every kind of page.

Chromium reports each blocked script, style or connection as a ``securitypolicyviolation``
event; the pages are visited with a listener that keeps them all, and none may occur.
"""

from __future__ import annotations

from typing import Any

from census.services import records
from tests.factories import make_household

LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${where}`);
});
"""


def violations(page: Any) -> list[str]:
    return page.evaluate("window.__violations || []")


def watch(page: Any) -> list[str]:
    """Listen on every page of this tab; return the console's CSP complaints as they come."""
    page.add_init_script(LISTEN)
    complaints: list[str] = []
    page.on(
        "console",
        lambda m: complaints.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return complaints


def visit(page: Any, url: str, seen: dict[str, list[str]]) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    seen[url] = violations(page)


def test_no_page_of_a_surveyor_or_an_admin_is_blocked_by_the_policy(page, login, live_server):
    defn = live_server.app.extensions["census"].surveys["household"]
    saved = records.save(live_server.store, defn, make_household(), user="surveyor1")
    assert saved.saved
    complaints = watch(page)
    seen: dict[str, list[str]] = {}
    page.goto("/login")
    seen["/login"] = violations(page)

    login("surveyor1")
    for url in (
        "/survey/",
        "/survey/building/1栋",
        "/survey/household/new?building=1栋",
        f"/survey/household/{saved.id}/edit",
        "/survey/storefront/new?building=1栋",
        "/survey/outbox",
        "/account/password",
    ):
        visit(page, url, seen)

    page.context.clear_cookies()
    login("admin")
    for url in (
        "/households",
        f"/households/{saved.id}",
        "/summary",
        "/admin/users",
        "/review/",
        "/fieldwork/coverage",
        "/prints/",
    ):
        visit(page, url, seen)
    # A print job's page polls its status from static/print-job.js until the PDF is ready.
    page.goto("/prints/")
    with page.expect_navigation():
        page.get_by_role("button", name="开始打印").click()
    page.locator("#ready").wait_for(state="visible", timeout=120_000)
    seen["print job"] = violations(page)

    assert {url: found for url, found in seen.items() if found} == {}
    assert complaints == []
    # The listener hears a violation when there is one: an inline script is refused.
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = 1'; document.body.append(s); }"
    )
    # (a function, not an expression: Playwright polls an expression with eval(), which the
    # policy forbids too)
    page.wait_for_function("() => window.__violations.length > 0")
    assert violations(page)[0].startswith("script-src-elem inline")
    assert page.evaluate("window.ran") is None
