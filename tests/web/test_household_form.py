"""A surveyor fills the household form in the browser; staff find, open and edit it."""

from __future__ import annotations

import re

from census.domain.ids import mask_id
from census.services import records
from tests.conftest import csrf_token
from tests.factories import form_fields, make_household, make_storefront


def post_household(client, url, household, **extra):
    data = form_fields(household) | {"csrf_token": csrf_token(client, url), "save": "1"} | extra
    return client.post(url, data=data)


def test_a_household_with_five_members_round_trips_through_the_form(client, auth, store):
    auth.login("surveyor1")
    household = make_household(
        members=5,
        housing="rented",
        landlord_name="周房东",
        landlord_phone="13998765432",
        hardship=["low_income"],
    )
    household["members"][2].update(
        conditions=["disability", "veteran"],
        residence_type="floating",
        hukou_address="四川省成都市武侯区",
    )
    response = post_household(client, "/survey/household/new?building=1栋", household)
    assert response.status_code == 302, response.get_data(as_text=True)
    (stored,) = store.collection("households").find(building="1栋")
    assert stored["surveyor"] == "surveyor1"
    assert stored["household_no"].startswith("H")
    assert stored["landlord_name"] == "周房东" and stored["hardship"] == ["low_income"]
    assert len(stored["members"]) == 5
    for sent, kept in zip(household["members"], stored["members"], strict=True):
        for key, value in sent.items():
            assert kept[key] == value, key
    # The building page lists it; the edit form shows every value again.
    page = client.get("/survey/building/1栋").get_data(as_text=True)
    assert "张建国" in page and "1单元101" in page
    edit = client.get(f"/survey/household/{stored['id']}/edit").get_data(as_text=True)
    assert 'value="四川省成都市武侯区"' in edit
    number = household["members"][4]["id_number"]  # shown masked (tests/web/test_full_ids.py)
    assert f'value="{mask_id(number)}"' in edit and number not in edit


def test_errors_show_beside_the_field_and_nothing_typed_is_lost(client, auth, store):
    auth.login("surveyor1")
    household = make_household(members=2, notes="三楼西户")
    good = household["members"][1]["id_number"]
    household["members"][1]["id_number"] = good[:-1] + ("0" if good[-1] != "0" else "1")
    household["members"][1]["phone"] = "555"
    response = post_household(client, "/survey/household/new?building=1栋", household)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(store.collection("households")) == 0
    assert re.search(r'data-error-for="members-1-id_number">居民身份证号码校验位错误', html)
    assert 'data-error-for="members-1-phone">电话号码格式不正确' in html
    for value in (
        "三楼西户",
        household["members"][0]["name"],
        household["members"][1]["id_number"],
        "555",
    ):
        assert value in html


def test_add_and_remove_members_without_javascript_keeps_what_was_typed(client, auth):
    auth.login("surveyor1")
    household = make_household(members=2)
    html = post_household(
        client, "/survey/household/new?building=1栋", household, add_item="1", save=""
    ).get_data(as_text=True)
    assert 'name="members-2-name"' in html and household["members"][1]["name"] in html
    html = post_household(
        client, "/survey/household/new?building=1栋", household, remove_item="0", save=""
    ).get_data(as_text=True)
    assert household["members"][0]["id_number"] not in html
    assert household["members"][1]["id_number"] in html


def test_an_id_already_in_another_household_is_a_warning_that_says_not_where(client, auth, store):
    first = make_household(members=2)
    saved = records.save(
        store, client.application.extensions["census"].surveys["household"], first, user="admin"
    )
    auth.login("surveyor1")
    second = make_household(members=1, room="202")
    second["members"][0] = first["members"][1] | {"relation": "head"}
    response = post_household(client, "/survey/household/new?building=1栋", second)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # a surveyor learns the person is registered, not which household holds them
    assert "此证件号码已在本社区登记" in page and f'/households/{saved.id}"' not in page
    assert len(store.collection("households")) == 2


def test_staff_search_by_name_id_number_household_no_and_building(client, auth, store):
    defn = client.application.extensions["census"].surveys["household"]
    a = records.save(store, defn, make_household(room="101"), user="admin")
    b = make_household(building="2栋", room="502", members=1)
    b["members"][0].update(
        name="马哈木提", id_number="", id_type="passport", birth_date="1990-02-02"
    )
    records.save(store, defn, b, user="admin")
    auth.login("reviewer")
    assert "马哈木提" in client.get("/households?q=哈木").get_data(as_text=True)
    found = client.get(f"/households?q={a.record['members'][1]['id_number']}").get_data(
        as_text=True
    )
    assert a.record["household_no"] in found and "马哈木提" not in found
    only_2 = client.get("/households?building=2栋").get_data(as_text=True)
    assert "马哈木提" in only_2 and "张建国" not in only_2
    assert a.record["household_no"] in client.get(
        f"/households?q={a.record['household_no']}"
    ).get_data(as_text=True)
    # Full-width forms and Chinese numerals are folded as the import folds them.
    for typed in ("２栋", "二栋", "2栋1单元５０２", "二栋一单元502室"):
        page = client.get(f"/households?q={typed}").get_data(as_text=True)
        assert "马哈木提" in page and "张建国" not in page, typed
    # Lists show masked ID numbers only.
    head_id = a.record["members"][0]["id_number"]
    listing = client.get("/households").get_data(as_text=True)
    assert head_id not in listing and head_id[:6] + "********" + head_id[-4:] in listing


def test_editing_keeps_every_version_with_who_and_when(client, auth, store):
    defn = client.application.extensions["census"].surveys["household"]
    saved = records.save(store, defn, make_household(), user="surveyor1")
    auth.login("reviewer")
    changed = make_household(notes="已核实")
    response = post_household(client, f"/survey/household/{saved.id}/edit", changed, _rev="1")
    assert response.status_code == 302
    stored = store.collection("households").get(saved.id)
    assert (
        stored["notes"] == "已核实" and stored["_rev"] == 2 and stored["updated_by"] == "reviewer"
    )
    assert (
        stored["surveyor"] == "surveyor1" and stored["household_no"] == saved.record["household_no"]
    )
    versions = records.history(store, "households", saved.id)
    assert [(v["rev"], v["saved_by"], v["record"]["notes"]) for v in versions] == [
        (2, "reviewer", "已核实"),
        (1, "surveyor1", None),
    ]
    page = client.get(f"/households/{saved.id}/history").get_data(as_text=True)
    assert "reviewer" in page and "surveyor1" in page


def test_a_stale_edit_is_refused_not_overwritten(client, auth, store):
    defn = client.application.extensions["census"].surveys["household"]
    saved = records.save(store, defn, make_household(), user="admin")
    records.save(store, defn, make_household(notes="别人先改了"), user="admin", record_id=saved.id)
    auth.login("reviewer")
    response = post_household(
        client, f"/survey/household/{saved.id}/edit", make_household(notes="我的修改"), _rev="1"
    )
    assert response.status_code == 302
    assert store.collection("households").get(saved.id)["notes"] == "别人先改了"


def test_admin_sees_full_ids_on_request_and_it_is_logged(client, auth, store):
    from census.services import audit

    defn = client.application.extensions["census"].surveys["household"]
    saved = records.save(store, defn, make_household(), user="admin")
    head_id = saved.record["members"][0]["id_number"]
    auth.login("admin")
    assert head_id not in client.get(f"/households/{saved.id}").get_data(as_text=True)
    assert head_id in client.get(f"/households/{saved.id}?full=1").get_data(as_text=True)
    (entry,) = audit.entries(store, action="view_full_ids")
    assert entry["actor"] == "admin" and entry["target"] == f"households/{saved.id}"


def test_english_is_one_click_away(client, auth):
    auth.login("surveyor1")
    html = client.get("/survey/household/new?building=1栋&lang=en").get_data(as_text=True)
    assert "Household form" in html and "Relation to head" in html
    html = client.get("/survey/household/new?building=1栋&lang=zh").get_data(as_text=True)
    assert "住户登记表" in html and "与户主关系" in html


def test_storefront_and_unit_forms_save(client, auth, store):
    from stdnum.cn import uscc

    auth.login("admin")
    code = "92650100MA7XYK123"
    good = code + uscc.calc_check_digit(code)
    data = {
        "name": "红柳烤肉店",
        "address": "1栋101底商",
        "category": "catering",
        "operator_name": "马明",
        "status": "open",
        "uscc": good,
        "premises": "rented",
        "landlord_name": "周房东",
        "fire_safety_checked": "yes",
        "employees": "4",
    }
    url = "/survey/storefront/new"
    response = client.post(url, data=data | {"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302, response.get_data(as_text=True)
    (shop,) = store.collection("storefronts").scan()
    assert shop["uscc"] == good and shop["fire_safety_checked"] is True and shop["employees"] == 4
    bad = data | {"uscc": good[:-1] + ("1" if good[-1] != "1" else "2")}
    html = client.post(url, data=bad | {"csrf_token": csrf_token(client, url)}).get_data(
        as_text=True
    )
    assert "统一社会信用代码不正确" in html
    url = "/survey/unit/new"
    unit = {
        "name": "和什托洛盖镇中心学校",
        "kind": "school",
        "address": "和什路1号",
        "key_unit": "yes",
        "safe_unit": "yes",
        "staff_count": "85",
    }
    assert client.post(url, data=unit | {"csrf_token": csrf_token(client, url)}).status_code == 302
    assert store.collection("units").find_one(name="和什托洛盖镇中心学校")["key_unit"] is True
    assert "红柳烤肉店" in client.get("/records/storefront").get_data(as_text=True)


def test_the_interface_itself_switches_language(client, auth):
    assert "用户名" in client.get("/login").get_data(as_text=True)
    page = client.get("/login?lang=en").get_data(as_text=True)
    assert "Username" in page and "Log in" in page and "用户名" not in page
    auth.login("surveyor1")
    page = client.get("/survey/").get_data(as_text=True)
    assert "My buildings" in page and "Log out" in page


def test_a_door_page_opens_the_form_with_its_address(client, auth):
    auth.login("surveyor1")
    html = client.get("/survey/household/new?building=1栋&unit=2&room=502").get_data(as_text=True)
    assert 'name="unit" type="text" value="2"' in html or 'value="2"' in html
    assert 'value="502"' in html


def test_list_pages_keep_their_filters(client, auth, store):
    defn = client.application.extensions["census"].surveys["household"]
    for n in range(52):
        assert records.save(
            store, defn, make_household(room=str(100 + n), members=1, notes=str(n)), user="admin"
        ).saved
    auth.login("reviewer")
    page1 = client.get("/households?building=1栋").get_data(as_text=True)
    assert "第 1 页 / 共 2 页" in page1
    assert "/households?building=1%E6%A0%8B&amp;page=2" in page1
    page2 = client.get("/households?building=1栋&page=2").get_data(as_text=True)
    assert "第 2 页 / 共 2 页" in page2 and "page=1" in page2


def test_a_surveyor_registers_storefronts_only_in_their_buildings(client, auth, store):
    auth.login("surveyor1")
    shop = make_storefront(address="2栋底商")
    url = "/survey/storefront/new?building=2栋"  # 2栋 is another grid's
    refused = client.post(
        url, data=shop | {"building": "2栋", "csrf_token": csrf_token(client, url)}
    )
    assert refused.status_code == 403
    assert len(store.collection("storefronts")) == 0
    url = "/survey/storefront/new?building=1栋"
    saved = client.post(url, data=shop | {"building": "1栋", "csrf_token": csrf_token(client, url)})
    assert saved.status_code == 302
    assert [s["building"] for s in store.collection("storefronts").scan()] == ["1栋"]


def test_a_building_page_lists_its_storefronts(client, auth, store):
    store.collection("storefronts").insert(
        make_storefront(address="1栋底商3号", created_by="surveyor1")
    )
    store.collection("storefronts").insert(
        {"name": "别家小卖部", "building": "2栋", "address": "2栋底商1号", "category": "retail"}
    )
    auth.login("surveyor1")
    page = client.get("/survey/building/1栋").get_data(as_text=True)
    assert "已登记门面" in page and "红柳烤肉店 · 马明" in page and "餐饮 · 营业" in page
    assert "别家小卖部" not in page
    assert "/survey/storefront/1/edit" in page  # theirs to correct
    english = client.get("/survey/building/1栋?lang=en").get_data(as_text=True)
    assert "Registered storefronts" in english
