"""A staff survey with a roster, a repeat inside it and a photo, filled on a tablet offline.

The household's members each list their children (a repeat inside the roster, as many rows
as the member's answer says); each member may have a photo, taken with the tablet's camera
(here: chosen as a file, 3000×2000 px with the place it was taken in its EXIF, then
replaced by another just before the save). Offline the
photo is made smaller on the tablet, the record waits in the outbox with it, and once the
signal returns it lands once: the inner rows with what they worked out from their own row,
the photo stored beside the record (at most 2000 px, no location), shown on the record page.
"""

from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import expect

from census.surveys import custom
from tests.e2e.test_offline import open_home_and_keep_it_offline, outbox_count
from tests.e2e.test_xlsform_tablet import wait_until
from tests.surveys.test_nested_and_photos import HEAD, NESTED, jpeg_with_gps
from tests.surveys.xlsform_files import xlsform

SETTINGS = {"form_title": "家庭子女调查", "form_id": "family"}


def test_a_roster_with_children_and_a_photo_saved_offline_lands_once_with_its_photo(
    page, login, live_server
):
    census = live_server.app.extensions["census"]
    added = custom.add(census, "family.xlsx", xlsform(NESTED, [], SETTINGS, HEAD))
    assert added.form is not None, added.problems
    store = live_server.store.collection("survey_family")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login("admin")
    open_home_and_keep_it_offline(page)
    page.goto("/survey/family/new")
    wait_until(page, lambda: "uuid=" in page.url)  # the outbox knows the form

    page.context.set_offline(True)  # in the stairwell
    page.locator("#hh_size").fill("1")
    expect(page.locator("section[data-roster=members] > fieldset.member")).to_have_count(1)
    page.locator("#members-0-m_name").fill("阿依古丽")
    kids = page.locator("section[data-roster=kids] > fieldset.member:not([hidden])")
    expect(kids).to_have_count(0)  # no children said yet: no row to fill
    page.locator("#members-0-n_kids").fill("2")
    expect(kids).to_have_count(2)  # repeat_count from the member's own answer
    page.locator("#members-0-kids-0-k_name").fill("小明")
    page.locator("#members-0-kids-0-k_age").fill("3")
    page.locator("#members-0-kids-1-k_name").fill("小红")
    page.locator("#members-0-kids-1-k_age").fill("5")
    # what the inner rows work out: their place, and the name of the member they belong to
    assert page.locator("#members-0-kids-1-k_no").input_value() == "2"
    assert page.locator("#members-0-kids-0-k_parent").input_value() == "阿依古丽"
    assert page.locator("#members-0-kid_count").input_value() == "2"

    big = jpeg_with_gps(size=(3000, 2000))
    page.locator("#members-0-m_photo-file").set_input_files(
        files=[{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": big}]
    )
    photo = page.locator("#members-0-m_photo")
    wait_until(page, lambda: photo.input_value().startswith("data:image/jpeg;base64,"))
    expect(page.locator("img[data-photo-of='members-0-m_photo']")).to_be_visible()
    expect(page.locator(".field[data-key=m_photo] .photo-status")).to_contain_text("2000×1333")

    # Another photo instead, saved straight away: the record keeps the last one chosen.
    page.locator("#members-0-m_photo-file").set_input_files(
        files=[
            {"name": "again.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps((2400, 1800))}
        ]
    )
    page.get_by_role("button", name="保存").tap()
    page.wait_for_url("**/survey/")
    expect(page.locator(".net-banner")).to_have_text("离线 · 1 条待发送")
    assert len(store) == 0  # on the tablet only

    page.context.set_offline(False)
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0", timeout=20_000)
    (record,) = store.scan()
    (member,) = record["members"]
    assert [(k["k_name"], k["k_age"], k["k_no"]) for k in member["kids"]] == [
        ("小明", 3, 1),
        ("小红", 5, 2),
    ]
    assert {k["k_parent"] for k in member["kids"]} == {"阿依古丽"}
    name = member["m_photo"]
    kept = live_server.store.media.get("survey_family", name)
    assert kept is not None and name.endswith(".jpg")
    with Image.open(io.BytesIO(kept)) as image:
        assert image.size == (2000, 1500)  # the second photo, resized on the tablet
        assert 0x8825 not in image.getexif()  # where it was taken: not kept
    assert len(kept) < 5 * 1024 * 1024

    # Synced again (a reload, the next page): still one record.
    page.reload()
    assert outbox_count(page) == "0"
    assert len(store) == 1

    # The record's page shows the children and a thumbnail of the photo.
    page.goto(f"/worklog/family/{record['id']}")
    expect(page.locator("main")).to_contain_text("小红")
    thumb = page.locator(f"img.thumb[src$='/photo/{name}']")
    expect(thumb).to_be_visible()
    assert thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [2000, 1500]
    # Its edit form shows the stored photo and sends its name back unchanged.
    page.goto(f"/survey/family/{record['id']}/edit")
    preview = page.locator("img[data-photo-of='members-0-m_photo']")
    expect(preview).to_be_visible()
    wait_until(page, lambda: preview.evaluate("img => img.naturalWidth") == 2000)
    assert page.locator("#members-0-m_photo").input_value() == name
    assert errors == []


def test_a_surveyor_opens_a_staff_survey_kept_on_the_tablet_and_it_lands_once(
    page, login, live_server
):
    census = live_server.app.extensions["census"]
    assert custom.add(census, "family.xlsx", xlsform(NESTED, [], SETTINGS, HEAD)).form
    store = live_server.store.collection("survey_family")
    login("surveyor1")
    open_home_and_keep_it_offline(page)  # the blank staff survey is kept with the rest

    page.context.set_offline(True)
    page.goto("/survey/family/new")  # never opened with signal: the tablet's copy
    page.locator("#hh_size").fill("1")
    page.locator("#members-0-m_name").fill("买买提")
    page.locator("#members-0-n_kids").fill("0")  # no children: no inner row is sent
    expect(page.locator("section[data-roster=kids] > fieldset.member:not([hidden])")).to_have_count(
        0
    )
    page.get_by_role("button", name="保存").tap()
    page.wait_for_url("**/survey/")
    expect(page.locator(".net-banner")).to_have_text("离线 · 1 条待发送")

    page.context.set_offline(False)
    expect(page.locator(".sync-bar .outbox-link .count")).to_have_text("0", timeout=20_000)
    (record,) = store.scan()
    assert record["created_by"] == "surveyor1"
    assert [(m["m_name"], m["kids"]) for m in record["members"]] == [("买买提", [])]
