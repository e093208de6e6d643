"""axe-core over the main pages of each role, and the office pages' width at 1366×768.

axe-core comes from the npm package pinned in tests/e2e/package.json (``make browser`` runs
``npm ci`` there); nothing is fetched from a CDN. It is injected into a context that bypasses
the Content-Security-Policy, in these tests only: the pages themselves are run as served.
A page passes with no serious or critical violation; the counts by impact of every page are
printed as a table (``pytest -s``).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from census.services import records
from census.services.accounts import add_user
from tests.e2e.conftest import FAST_HASH, PASSWORD, PORTRAIT
from tests.factories import make_household

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
IMPACTS = ("critical", "serious", "moderate", "minor")
# The columns of a household sheet from another system: known, aliased and unknown headers.
SHEET_HEADER = [
    "户编号", "楼栋", "单元", "室", "住房性质", "姓名", "与户主关系", "身份证号", "本人手机",
    "民族", "文化程度", "政治面貌", "婚姻状况", "户籍地址", "现住址", "工作单位", "备注",
    "网格员", "采集日期", "是否人户分离",
]  # fmt: skip
SHEET_ROW = [
    "H0101", "1栋", "1", "101", "自有", "张建国", "户主", "", "13912345678", "汉族", "高中",
    "群众", "已婚", "北京市朝阳区某某路 1 号", "1单元101室", "某某公司", "", "王网格员",
    "2024-05-01", "0",
]  # fmt: skip


def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(
            f"{AXE.relative_to(Path.cwd()) if AXE.is_relative_to(Path.cwd()) else AXE} is "
            "missing: run `make browser` (npm ci in tests/e2e).",
            pytrace=False,
        )
    return AXE.read_text(encoding="utf-8")


def log_in(page: Any, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert "/login" not in page.url, username


def audit_page(page: Any, source: str) -> dict[str, Any]:
    """axe.run() over the page as it is now: counts by impact and the serious ones' rules."""
    page.evaluate(source)
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)})); }"
    )
    counts = {impact: 0 for impact in IMPACTS}
    for violation in result:
        counts[violation["impact"] or "minor"] += 1
    return {"counts": counts, "violations": result}


def visit(page: Any, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.wait_for_load_state("networkidle")


def sheet() -> bytes:
    book = Workbook()
    book.active.append(SHEET_HEADER)
    for n in range(5):
        book.active.append([*SHEET_ROW[:3], str(101 + n), *SHEET_ROW[4:]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload_sheet(page: Any) -> str:
    """The import page's form, with a sheet of 20 columns: the mapping page's URL."""
    visit(page, "/sheets/")
    page.locator("#file").set_input_files(
        {"name": "台账.xlsx", "mimeType": "application/octet-stream", "buffer": sheet()}
    )
    with page.expect_navigation():
        page.locator("#file").evaluate("input => input.form.submit()")
    assert "/sheets/import/" in page.url, page.url
    return page.url


def start_print(page: Any) -> str:
    visit(page, "/prints/")
    with page.expect_navigation():
        page.get_by_role("button", name="开始打印").click()
    page.locator("#ready").wait_for(state="visible", timeout=120_000)
    return page.url


def office_pages(page: Any, live_server: Any, household_id: int) -> dict[str, str]:
    """The admin's desk pages, by name: URL (an import and a print are made on the way)."""
    registers = live_server.app.extensions["census"].registers
    first = next(iter(registers)) if isinstance(registers, dict) else registers[0].key
    mapping = upload_sheet(page)
    job = start_print(page)
    return {
        "台账": "/registers/",
        "台账 · 登记": f"/registers/{first}",
        "基本情况": "/summary",
        "住户列表": "/households",
        "住户页": f"/households/{household_id}",
        "导入": "/sheets/",
        "核对表头": mapping,
        "日志": "/audit/",
        "打印": "/prints/",
        "打印任务": job,
        "账号": "/admin/users",
    }


def seed(live_server: Any) -> tuple[int, int]:
    """A reviewer, an approved-looking household and one waiting for review."""
    store = live_server.store
    add_user(store, "reviewer1", "reviewer", PASSWORD, hash_method=FAST_HASH)
    defn = live_server.app.extensions["census"].surveys["household"]
    kept = records.save(store, defn, make_household(members=3, room="101"), user="admin")
    waiting = records.save(store, defn, make_household(members=2, room="102"), user="surveyor1")
    assert kept.saved and waiting.saved
    return kept.id, waiting.id


def print_table(results: dict[str, dict[str, Any]]) -> None:
    width = max(len(name) for name in results) + 2
    print("\naxe-core violations by impact (rules, not nodes)")
    print("page".ljust(width) + "".join(i.rjust(10) for i in IMPACTS) + "  rules")
    for name, found in results.items():
        counts = found["counts"]
        rules = ", ".join(f"{v['id']}({v['impact']})" for v in found["violations"])
        print(name.ljust(width) + "".join(str(counts[i]).rjust(10) for i in IMPACTS), rules)


def test_the_main_pages_of_each_role_have_no_serious_accessibility_violation(desk, live_server):
    source = axe_source()
    kept, waiting = seed(live_server)
    results: dict[str, dict[str, Any]] = {}

    visit(desk, "/login")
    results["登录"] = audit_page(desk, source)

    log_in(desk, "surveyor1")
    for name, url in (
        ("采集员首页", "/survey/"),
        ("楼栋页", "/survey/building/1栋"),
        ("住户表单", "/survey/household/new?building=1栋"),
        ("住户表单 · 修改", f"/survey/household/{waiting}/edit"),
    ):
        visit(desk, url)
        results[name] = audit_page(desk, source)

    log_in(desk, "reviewer1")
    for name, url in (
        ("审核队列", "/review/"),
        ("审核页", f"/households/{waiting}"),
    ):
        visit(desk, url)
        results[name] = audit_page(desk, source)
    # The return form's list of fields open and filtered, one found field ticked.
    desk.locator("#review-fields > summary").click()
    desk.get_by_label("查找项目").fill("电话")
    desk.locator("#review-fields .choices label:visible").first.click()
    results["审核页 · 退回项目"] = audit_page(desk, source)

    log_in(desk, "admin")
    pages = office_pages(desk, live_server, kept)
    for name, url in pages.items():
        visit(desk, url)
        results[name] = audit_page(desk, source)
    # The same tables on a tablet, where they do scroll sideways in their box.
    desk.set_viewport_size(PORTRAIT)
    for name in ("日志", "住户页", "台账 · 登记", "核对表头"):
        visit(desk, pages[name])
        results[f"{name} @768"] = audit_page(desk, source)

    print_table(results)
    serious = {
        name: [v for v in found["violations"] if v["impact"] in ("serious", "critical")]
        for name, found in results.items()
    }
    assert {name: found for name, found in serious.items() if found} == {}


MEASURE = """() => {
  const main = document.querySelector("main");
  const wraps = [...document.querySelectorAll(".table-wrap")];
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
          height: document.documentElement.scrollHeight,
          main: Math.round(main.getBoundingClientRect().width),
          tables: wraps.length,
          cut: wraps.filter(w => w.scrollWidth > w.clientWidth + 1).length};
}"""
# The layout before: every page in a 1000 px column (966 px inside its padding), no wrapping
# in table cells.
OLD_COLUMN = (
    "main { max-width: 1000px !important; padding: 16px !important; }"
    " table.list th, table.list td { white-space: nowrap !important; }"
)


def test_the_office_pages_do_not_scroll_sideways_at_1366(desk, live_server, tmp_path):
    kept, waiting = seed(live_server)
    log_in(desk, "admin")
    pages = office_pages(desk, live_server, kept)
    pages["审核队列"] = "/review/"
    pages["审核页"] = f"/households/{waiting}"
    now: dict[str, dict[str, int]] = {}
    old: dict[str, dict[str, int]] = {}
    for name, url in pages.items():
        visit(desk, url)
        now[name] = desk.evaluate(MEASURE)
        desk.screenshot(path=tmp_path / f"{len(now):02d}.png", full_page=True)
        desk.add_style_tag(content=OLD_COLUMN)
        old[name] = desk.evaluate(MEASURE)
    print(f"\nscreenshots in {tmp_path}")
    print("office pages at 1366×768: page scrollWidth / innerWidth, height; <main> width and")
    print("tables cut (scrolling sideways in their box), in the old 1000 px column → now")
    for name, size in now.items():
        before = old[name]
        print(
            f"{name:<10} {size['scroll']:>5} / {size['inner']} {size['height']:>6} px"
            f"   main {before['main']:>4} → {size['main']:>4}"
            f"   cut {before['cut']}/{before['tables']} → {size['cut']}/{size['tables']}"
        )
    assert {name: s for name, s in now.items() if s["scroll"] > s["inner"]} == {}
    assert {name: s for name, s in now.items() if s["cut"]} == {}
    # Pages with tables use the width of the screen; forms keep their column.
    assert now["住户列表"]["main"] == 1366 and now["导入"]["main"] <= 1000
    # The mapping page of a 20-column sheet is one compact row per column: before, the 20
    # columns stood side by side (2,459 px wide, 1,035 px tall, selects cut).
    assert now["核对表头"]["height"] <= 1800, now["核对表头"]
    # A long table keeps its header in view.
    position = desk.evaluate(
        "() => getComputedStyle(document.querySelector('table.list thead th')).position"
    )
    assert position == "sticky"


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(desk, live_server):
    log_in(desk, "admin")
    visit(desk, "/households")
    desk.keyboard.press("Tab")
    link = desk.locator(".skip-link")
    assert desk.evaluate("() => document.activeElement.className") == "skip-link"
    box = link.bounding_box()
    assert box is not None and box["y"] >= 0 and link.inner_text() == "跳到正文"
    desk.keyboard.press("Enter")
    assert desk.evaluate("() => document.activeElement.id") == "content"
    desk.keyboard.press("Tab")  # the next stop is inside the content, past the menu
    assert desk.evaluate("() => !!document.activeElement.closest('main')")
    ring = desk.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert ring == "solid"
