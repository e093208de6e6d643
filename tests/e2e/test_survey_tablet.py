"""A surveyor registers households on a tablet: real Chromium, touch, 768×1024 and 1024×768.

Each test asserts what the surveyor sees on the screen and what lands in the store.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from census.domain.ids import make_resident_id
from census.services import records
from tests.factories import make_household

SCREENSHOTS = Path(tempfile.gettempdir()) / "census-e2e"
PORTRAIT = {"width": 768, "height": 1024}
LANDSCAPE = {"width": 1024, "height": 768}

HEAD_ID = make_resident_id("110105", date(1960, 3, 15), 11, "male")
SPOUSE_ID = make_resident_id("110105", date(1962, 7, 9), 12, "female")
LODGER_ID = make_resident_id("650102", date(1993, 11, 2), 13, "female")


def member(page: Any, n: int) -> Any:
    """The n-th roster member on the screen (0-based)."""
    return page.locator("fieldset.member").nth(n)


def field(scope: Any, key: str) -> Any:
    """The ``.field`` box of one question inside a scope (the page or one member)."""
    return scope.locator(f'.field[data-key="{key}"]')


def open_new_household(page: Any, building: str = "1栋") -> None:
    """From the surveyor's home: tap the building, then 新增住户."""
    page.goto("/survey/")
    with page.expect_navigation():
        page.locator("a.tile", has_text=building).tap()
    assert page.locator("h1").inner_text().startswith(building)
    with page.expect_navigation():
        page.get_by_role("link", name="新增住户").tap()
    assert page.locator("h1").inner_text() == "住户登记表"
    assert page.locator("#building").input_value() == building


def type_member(page: Any, n: int, **values: str) -> None:
    """Fill member n: text by typing, ``select`` values by the label the surveyor reads."""
    for key, value in values.items():
        control = page.locator(f"#members-{n}-{key}")
        if control.evaluate("el => el.tagName") == "SELECT":
            control.select_option(label=value)
        else:
            control.tap()
            control.fill(value)


def tap_add_member(page: Any) -> None:
    page.locator('button[name="add_item"]').tap()


def test_a_surveyor_registers_a_household_of_three_on_the_tablet(page, login, live_server):
    login("surveyor1")
    open_new_household(page)
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.evaluate("window.__sameDocument = true")

    page.locator("#unit").fill("2")
    page.locator("#room").fill("301")
    assert page.locator("fieldset.member").count() == 1
    type_member(page, 0, name="张建国", relation="户主", id_number=HEAD_ID, phone="13912345678")

    # Two more rows, made in the browser: no request, nothing typed lost.
    tap_add_member(page)
    tap_add_member(page)
    assert page.locator("fieldset.member").count() == 3
    assert navigations == [] and page.evaluate("window.__sameDocument") is True
    assert page.locator("#members-0-name").input_value() == "张建国"
    assert page.locator("#members-0-id_number").input_value() == HEAD_ID
    assert page.locator("#members-0-phone").input_value() == "13912345678"
    assert member(page, 2).locator("legend .num").inner_text() == "3"
    # New rows start blank, with the definition's defaults.
    assert page.locator("#members-2-name").input_value() == ""
    assert page.locator("#members-2-ethnicity").input_value() == "汉族"
    assert page.locator("#members-2-residence_type").input_value() == "registered"

    type_member(page, 1, name="李秀兰", relation="配偶", id_number=SPOUSE_ID, sex="女")
    type_member(
        page, 2, name="阿依古丽", relation="非亲属/租户", id_number=LODGER_ID, ethnicity="维吾尔族"
    )

    # Landlord questions only for rented homes.
    landlord = [field(page, "landlord_name"), field(page, "landlord_phone")]
    for box in landlord:
        assert box.is_hidden()
    page.locator("#housing").select_option(label="租住")
    for box in landlord:
        assert box.is_visible()
    page.locator("#landlord_name").fill("周房东")
    page.locator("#landlord_phone").fill("13998765432")

    # 户籍地址 only for the floating member, nowhere else.
    for n in range(3):
        assert field(member(page, n), "hukou_address").is_hidden()
    type_member(page, 2, residence_type="流动人口")
    assert field(member(page, 2), "hukou_address").is_visible()
    assert field(member(page, 0), "hukou_address").is_hidden()
    assert field(member(page, 1), "hukou_address").is_hidden()
    type_member(page, 2, hukou_address="新疆乌鲁木齐市天山区")
    member(page, 0).get_by_text("退役军人").tap()  # a tap on the row's label ticks the box
    assert page.locator('input[name="members-0-conditions"][value="veteran"]').is_checked()

    # A fourth row added by mistake, then removed.
    tap_add_member(page)
    assert page.locator("fieldset.member").count() == 4
    type_member(page, 3, name="误加的人")
    member(page, 3).get_by_role("button", name="删除此成员").tap()
    assert page.locator("fieldset.member").count() == 3
    assert page.get_by_text("误加的人").count() == 0
    assert navigations == [] and page.evaluate("window.__sameDocument") is True
    assert page.locator("#members-2-hukou_address").input_value() == "新疆乌鲁木齐市天山区"

    with page.expect_navigation():
        page.get_by_role("button", name="保存").tap()
    assert "/survey/building/" in page.url
    assert page.locator(".flash.success").inner_text() == "已保存"
    row = page.locator("li.dwelling")
    assert row.count() == 1
    assert row.locator(".addr").inner_text() == "2单元301"
    assert row.locator(".who").inner_text() == "张建国 · 3 人"
    assert "租住" in row.locator(".meta").inner_text()

    (stored,) = live_server.store.collection("households").find(building="1栋")
    assert stored["surveyor"] == "surveyor1"
    assert (stored["unit"], stored["room"], stored["housing"]) == ("2", "301", "rented")
    assert (stored["landlord_name"], stored["landlord_phone"]) == ("周房东", "13998765432")
    people = stored["members"]
    assert len(people) == 3
    assert [p["name"] for p in people] == ["张建国", "李秀兰", "阿依古丽"]
    assert [p["relation"] for p in people] == ["head", "spouse", "non_relative"]
    assert [p["id_number"] for p in people] == [HEAD_ID, SPOUSE_ID, LODGER_ID]
    # Birth date (and sex) left blank are read from the resident ID.
    assert [p["birth_date"] for p in people] == ["1960-03-15", "1962-07-09", "1993-11-02"]
    assert [p["sex"] for p in people] == ["male", "female", "female"]
    assert [p["ethnicity"] for p in people] == ["汉族", "汉族", "维吾尔族"]
    assert [p["residence_type"] for p in people] == ["registered", "registered", "floating"]
    assert people[2]["hukou_address"] == "新疆乌鲁木齐市天山区"
    assert not people[0].get("hukou_address") and not people[1].get("hukou_address")
    assert people[0]["phone"] == "13912345678"
    assert people[0]["conditions"] == ["veteran"]


def test_a_wrong_check_digit_is_shown_beside_the_id_and_nothing_typed_is_lost(
    page, login, live_server
):
    login("surveyor1")
    open_new_household(page)
    wrong = SPOUSE_ID[:-1] + ("0" if SPOUSE_ID[-1] != "0" else "1")
    page.locator("#room").fill("502")
    page.locator("#housing").select_option(label="租住")
    page.locator("#landlord_name").fill("周房东")
    page.locator("#notes").fill("三楼西户，晚上在家")
    type_member(page, 0, name="张建国", relation="户主", id_number=HEAD_ID)
    tap_add_member(page)
    type_member(
        page,
        1,
        name="李秀兰",
        relation="配偶",
        id_number=wrong,
        residence_type="流动人口",
        hukou_address="四川省成都市武侯区",
        phone="13812345678",
    )

    # The browser checks the ID before sending anything (static/checks.js): no page load.
    page.get_by_role("button", name="保存").tap()

    assert len(live_server.store.collection("households")) == 0
    assert "有填写错误" in page.locator(".flash.error").inner_text()
    id_box = field(member(page, 1), "id_number")
    error = id_box.locator('[data-error-for="members-1-id_number"]')
    assert error.is_visible()
    assert error.inner_text().startswith("居民身份证号码校验位错误")
    assert page.locator("#members-1-id_number").get_attribute("aria-invalid") == "true"
    # Beside the field: just below its input, in the same column.
    box, below = page.locator("#members-1-id_number").bounding_box(), error.bounding_box()
    assert 0 <= below["y"] - (box["y"] + box["height"]) < 40
    assert abs(below["x"] - box["x"]) < 20
    # The other member's ID is fine: no error there.
    assert member(page, 0).locator(".error").count() == 0

    assert page.locator("#room").input_value() == "502"
    assert page.locator("#housing").input_value() == "rented"
    assert field(page, "landlord_name").is_visible()
    assert page.locator("#landlord_name").input_value() == "周房东"
    assert page.locator("#notes").input_value() == "三楼西户，晚上在家"
    assert page.locator("fieldset.member").count() == 2
    assert page.locator("#members-0-name").input_value() == "张建国"
    assert page.locator("#members-0-relation").input_value() == "head"
    assert page.locator("#members-0-id_number").input_value() == HEAD_ID
    assert page.locator("#members-1-name").input_value() == "李秀兰"
    assert page.locator("#members-1-relation").input_value() == "spouse"
    assert page.locator("#members-1-id_number").input_value() == wrong
    assert page.locator("#members-1-residence_type").input_value() == "floating"
    assert field(member(page, 1), "hukou_address").is_visible()
    assert page.locator("#members-1-hukou_address").input_value() == "四川省成都市武侯区"
    assert page.locator("#members-1-phone").input_value() == "13812345678"

    # Corrected, it saves.
    page.locator("#members-1-id_number").fill(SPOUSE_ID)
    with page.expect_navigation():
        page.get_by_role("button", name="保存").tap()
    assert page.locator(".flash.success").is_visible()
    (stored,) = live_server.store.collection("households").find(building="1栋")
    assert [p["id_number"] for p in stored["members"]] == [HEAD_ID, SPOUSE_ID]


# What "fits the tablet" means, measured in the page. Returns what breaks it.
LAYOUT_PROBLEMS = """
(minTap) => {
  const doc = document.documentElement;
  const problems = [];
  if (doc.scrollWidth > window.innerWidth || doc.scrollWidth > doc.clientWidth) {
    problems.push(`scrolls sideways: scrollWidth ${doc.scrollWidth}, ` +
      `innerWidth ${window.innerWidth}`);
  }
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
  };
  const name = (el) => {
    const cls = typeof el.className === "string" ? el.className.trim() : "";
    const classes = cls ? "." + cls.replace(/\\s+/g, ".") : "";
    const text = (el.getAttribute("name") || el.textContent || "").trim().slice(0, 20);
    return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${classes} "${text}"`;
  };
  for (const el of document.body.querySelectorAll("*")) {
    if (!shown(el) || el.closest(".table-wrap")) continue;
    const r = el.getBoundingClientRect();
    if (r.right > doc.clientWidth + 0.5 || r.left < -0.5) {
      const span = `${Math.round(r.left)}..${Math.round(r.right)}`;
      problems.push(`outside the screen: ${name(el)} ${span}`);
    }
  }
  const targets = "button, a.button, a.tile, .topbar a, select, textarea, " +
    "input:not([type=hidden]):not([type=checkbox]):not([type=radio]), .options li, .options label";
  for (const el of document.querySelectorAll(targets)) {
    if (!shown(el)) continue;
    const h = el.getBoundingClientRect().height;
    if (h < minTap) problems.push(`tap target ${Math.round(h)}px high: ${name(el)}`);
  }
  // A checkbox row is one target: its label fills the row's height.
  for (const row of document.querySelectorAll(".options li")) {
    const label = row.querySelector("label");
    if (!shown(row) || !label) continue;
    if (label.getBoundingClientRect().height < row.clientHeight - 1) {
      problems.push(`checkbox row only tappable on its text: ${name(label)}`);
    }
  }
  return problems;
}
"""


def assert_fits_tablet(page: Any, where: str) -> None:
    for size, orientation in ((PORTRAIT, "portrait"), (LANDSCAPE, "landscape")):
        page.set_viewport_size(size)
        assert page.evaluate("window.innerWidth") == size["width"], (where, orientation)
        problems = page.evaluate(LAYOUT_PROBLEMS, 44)
        assert problems == [], f"{where} ({orientation}): " + "; ".join(problems[:10])
    page.set_viewport_size(PORTRAIT)


def test_pages_fit_the_tablet_in_both_orientations(page, login, live_server):
    defn = live_server.app.extensions["census"].surveys["household"]
    household = make_household(
        members=3,
        unit="3",
        room="1202",
        housing="rented",
        landlord_name="周房东",
        notes="长备注" * 40,
    )
    records.save(live_server.store, defn, household, user="surveyor1")

    page.goto("/login")
    assert_fits_tablet(page, "login")
    login("surveyor1")
    page.goto("/survey/")
    assert_fits_tablet(page, "surveyor home")
    page.goto("/survey/building/1栋")
    assert page.locator("li.dwelling").count() == 1
    assert_fits_tablet(page, "building page")
    page.goto("/survey/household/new?building=1栋")
    tap_add_member(page)
    tap_add_member(page)
    page.locator("#housing").select_option("rented")
    page.locator("#members-2-residence_type").select_option("floating")
    assert_fits_tablet(page, "household form")

    # The save bar stays on screen while the surveyor is at the top of a long form.
    page.evaluate("window.scrollTo(0, 0)")
    bar = page.locator(".submitbar button").bounding_box()
    assert bar["y"] + bar["height"] <= PORTRAIT["height"] + 1

    SCREENSHOTS.mkdir(exist_ok=True)
    for size, orientation in ((PORTRAIT, "portrait"), (LANDSCAPE, "landscape")):
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"household-form-{orientation}.png"), full_page=True)
        page.screenshot(path=str(SCREENSHOTS / f"household-form-{orientation}-top.png"))


def test_a_surveyor_sees_only_the_buildings_of_their_grid(page, login):
    login("surveyor1")
    page.goto("/survey/")
    tiles = page.locator("a.tile strong")
    assert tiles.all_inner_texts() == ["1栋"]
    assert page.get_by_text("2栋").count() == 0

    response = page.goto("/survey/building/2栋")
    assert response.status == 403
    assert page.locator("h1").inner_text() == "无权访问"
    assert page.get_by_role("link", name="新增住户").count() == 0
    response = page.goto("/survey/household/new?building=2栋")
    assert response.status == 403
    assert page.locator("h1").inner_text() == "无权访问"


def test_english_and_back_to_chinese(page, login):
    login("surveyor1")
    assert page.locator("h1").inner_text() == "我的楼栋"
    with page.expect_navigation():
        page.get_by_role("link", name="English").tap()
    assert page.locator("h1").inner_text() == "My buildings"

    # The choice stays while the surveyor moves on to the form.
    with page.expect_navigation():
        page.locator("a.tile", has_text="1栋").tap()
    with page.expect_navigation():
        page.get_by_role("link", name="New household").tap()
    assert page.locator("h1").inner_text() == "Household form"
    assert page.locator('label[for="room"]').inner_text().startswith("Room or door no.")
    assert page.locator('label[for="members-0-name"]').inner_text().startswith("Name")
    assert page.locator("#members-0-residence_type option:checked").inner_text() == (
        "Registered resident"
    )
    assert page.get_by_role("button", name="Add a member").is_visible()
    assert page.get_by_role("button", name="Save").is_visible()
    assert page.locator("#building").input_value() == "1栋"

    page.go_back()
    with page.expect_navigation():
        page.get_by_role("link", name="中文").tap()
    assert page.get_by_role("link", name="新增住户").is_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="新增住户").tap()
    assert page.locator("h1").inner_text() == "住户登记表"
    assert page.locator('label[for="members-0-name"]').inner_text().startswith("姓名")
    assert page.get_by_role("button", name="添加成员").is_visible()


def test_switching_language_on_the_form_keeps_the_building(page, login):
    login("surveyor1")
    page.goto("/survey/household/new?building=1栋")
    with page.expect_navigation():
        page.get_by_role("link", name="English").tap()
    assert page.locator("h1").inner_text() == "Household form"
