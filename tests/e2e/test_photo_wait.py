"""A save while the photo is still being made smaller waits for it, but not for ever.

The tablet makes a photo smaller before it is kept (forms.js); a save pressed meanwhile
waits for it (15 s on the tablet, 1.5 s here: the form's data-photo-wait) so the photo goes
with the record. A photo that is still not ready then is not left out silently: nothing is
saved, the surveyor is told to press Save again or to clear the photo; a cleared photo is
no longer waited for, and of two photos chosen one after the other the last one is kept.
The decoding is held here by the test (createImageBitmap waits until the test lets it go),
as a slow tablet would hold it.
"""

from __future__ import annotations

import io
import time

from PIL import Image
from playwright.sync_api import expect

from census.surveys import custom
from tests.e2e.test_offline import open_home_and_keep_it_offline
from tests.e2e.test_xlsform_tablet import wait_until
from tests.surveys.test_nested_and_photos import HEAD, NESTED, jpeg_with_gps
from tests.surveys.xlsform_files import xlsform

SETTINGS = {"form_title": "家庭子女调查", "form_id": "family"}
HOLD = """(() => {
  const real = window.createImageBitmap.bind(window);
  const held = [];
  window.createImageBitmap = (file) =>
    new Promise((resolve, reject) => held.push(() => real(file).then(resolve, reject)));
  window.censusTestHeldPhotos = () => held.length;
  window.censusTestReleasePhotos = () => held.splice(0).forEach((go) => go());
  window.censusTestReleaseLast = () => held.pop()();
})();"""
BUSY = "照片还在处理，这份登记还没有保存"


def _choose(page, size: tuple[int, int]) -> None:
    page.locator("#members-0-m_photo-file").set_input_files(
        files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps(size)}]
    )


def _fill(page, name: str) -> None:
    page.goto("/survey/family/new")
    wait_until(page, lambda: "uuid=" in page.url)  # the outbox knows the form
    page.locator("#hh_size").fill("1")
    page.locator("#members-0-m_name").fill(name)
    page.locator("#members-0-n_kids").fill("0")
    page.eval_on_selector("form.survey", "form => { form.dataset.photoWait = '1500'; }")
    _choose(page, (800, 600))
    status = page.locator(".field[data-key=m_photo] .photo-status")
    expect(status).to_have_text("正在处理照片…")
    wait_until(page, lambda: page.evaluate("() => window.censusTestHeldPhotos()") == 1)


def test_a_save_waits_for_a_slow_photo_then_says_so_and_saves_nothing(page, login, live_server):
    census = live_server.app.extensions["census"]
    assert custom.add(census, "family.xlsx", xlsform(NESTED, [], SETTINGS, HEAD)).form
    store = live_server.store.collection("survey_family")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script(HOLD)
    login("admin")
    open_home_and_keep_it_offline(page)

    _fill(page, "阿依古丽")
    started = time.monotonic()
    page.get_by_role("button", name="保存").tap()
    warning = page.locator(".flash.photo-busy")
    expect(warning).to_contain_text(BUSY, timeout=10_000)
    assert time.monotonic() - started >= 1.4  # it waited for the photo first
    assert "/survey/family/new" in page.url and len(store) == 0
    assert page.locator("#members-0-m_photo").input_value() == ""
    # The photo comes: Save again keeps it with the record.
    page.evaluate("() => window.censusTestReleasePhotos()")
    status = page.locator(".field[data-key=m_photo] .photo-status")
    expect(status).to_contain_text("照片 800×600")
    page.get_by_role("button", name="保存").tap()
    page.wait_for_url("**/survey/")
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0", timeout=20_000)
    (record,) = store.scan()
    name = record["members"][0]["m_photo"]
    assert name.endswith(".jpg") and live_server.store.media.get("survey_family", name)

    # A photo that will not come is cleared: the save no longer waits for it.
    _fill(page, "买买提")
    page.locator(".field[data-key=m_photo] button.photo-clear").tap()
    started = time.monotonic()
    page.get_by_role("button", name="保存").tap()
    page.wait_for_url("**/survey/")
    assert time.monotonic() - started < 1.4
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0", timeout=20_000)
    wait_until(page, lambda: len(store) == 2)
    later = next(r for r in store.scan() if r["members"][0]["m_name"] == "买买提")
    assert later["members"][0].get("m_photo") is None

    # Another photo chosen while the first is still being prepared: the last one chosen is
    # kept, even when the first one comes after it.
    _fill(page, "阿力")
    _choose(page, (640, 480))
    wait_until(page, lambda: page.evaluate("() => window.censusTestHeldPhotos()") == 2)
    page.evaluate("() => window.censusTestReleaseLast()")  # the second photo
    status = page.locator(".field[data-key=m_photo] .photo-status")
    expect(status).to_contain_text("照片 640×480")
    page.evaluate("() => window.censusTestReleaseLast()")  # the first one, late
    page.wait_for_timeout(1000)
    expect(status).to_contain_text("照片 640×480")
    page.get_by_role("button", name="保存").tap()
    page.wait_for_url("**/survey/")
    wait_until(page, lambda: len(store) == 3)
    third = next(r for r in store.scan() if r["members"][0]["m_name"] == "阿力")
    kept = live_server.store.media.get("survey_family", third["members"][0]["m_photo"])
    with Image.open(io.BytesIO(kept)) as image:
        assert image.size == (640, 480)
    assert errors == []
