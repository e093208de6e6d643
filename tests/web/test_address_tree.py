"""The address tree is the one truth: a household never lands in a building the outputs miss.

Staff (the web form, the API) and imports add a building the community does not have
yet, audited, without a grid (shown as 未分网格); a surveyor is refused, with a message
naming the building; households stored in such a building before (older data) get it
added when the store is opened.
"""

from __future__ import annotations

import uuid

from census.app import create_app
from census.printing.plans import PrintRequest, plan, read_records
from census.services import audit
from census.services.accounts import create_token
from census.web.current import get_store
from tests.conftest import csrf_token
from tests.factories import form_fields, make_household


def _post(client, token, body, url="/api/v1/households"):
    return client.post(
        url, json=body | {"uuid": str(uuid.uuid4())}, headers={"Authorization": f"Bearer {token}"}
    )


def _added(store, name):
    return [e for e in audit.entries(store, action="add_building") if name in e["target"]]


def test_a_surveyor_naming_a_building_we_do_not_have_is_told_which(client, store):
    token = create_token(store, "surveyor1")
    refused = _post(client, token, make_household(building="99栋"))
    assert refused.status_code == 422
    (message,) = refused.get_json()["errors"]["building"]
    assert "99栋" in message and "没有楼栋" in message
    assert len(store.collection("households")) == 0
    assert store.collection("buildings").find_one(name="99栋") is None
    # another grid's building stays what it was: not theirs
    assert _post(client, token, make_household(building="2栋")).status_code == 403
    # and an edit cannot move a household there either
    mine = _post(client, token, make_household(room="303")).get_json()["id"]
    moved = client.put(
        f"/api/v1/households/{mine}",
        json=make_household(building="99栋", room="303")
        | {"uuid": str(uuid.uuid4()), "base_revision": 1},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert moved.status_code == 422 and "99栋" in moved.get_json()["errors"]["building"][0]
    assert store.collection("households").get(mine)["building"] == "1栋"


def test_the_surveyors_form_says_so_at_the_building_field_in_both_languages(client, auth, store):
    auth.login("surveyor1")
    url = "/survey/household/new?building=1栋"
    for lang, words in (("zh", "本社区没有楼栋“99栋”"), ("en", "99栋 is not a building")):
        client.get(f"/survey/?lang={lang}")
        data = form_fields(make_household(building="99栋"))
        answer = client.post(url, data=data | {"csrf_token": csrf_token(client, url), "save": "1"})
        assert answer.status_code == 200, lang
        assert words in answer.get_data(as_text=True), lang
    assert len(store.collection("households")) == 0
    assert store.collection("buildings").find_one(name="99栋") is None


def test_staff_add_the_building_through_the_form_audited_and_listed_under_no_grid(
    client, auth, store
):
    auth.login("reviewer")
    url = "/survey/household/new?building=8栋"  # a building the community does not have
    assert client.get(url).status_code == 200
    data = form_fields(make_household(building="8栋", unit="3单元", room="101室"))
    saved = client.post(url, data=data | {"csrf_token": csrf_token(client, url), "save": "1"})
    assert saved.status_code == 302
    building = store.collection("buildings").find_one(name="8栋")
    assert building is not None and building["grid"] == ""
    (entry,) = _added(store, "8栋")
    assert entry["actor"] == "reviewer" and entry["detail"]["reason"] == "save"
    household = store.collection("households").find_one(building="8栋")
    assert entry["detail"]["record"] == f"households/{household['id']}"
    assert "8栋" in client.get("/survey/building/8栋").get_data(as_text=True)
    home = client.get("/survey/").get_data(as_text=True)
    assert "8栋" in home and "未分网格" in home
    assert "8栋3单元101室" in client.get(f"/households/{household['id']}").get_data(as_text=True)
    auth.logout()
    auth.login("admin")
    log = client.get("/audit/?action=add_building").get_data(as_text=True)
    assert "添加楼栋" in log and "8栋" in log
    # a second household there adds nothing more
    token = create_token(store, "admin")
    assert _post(client, token, make_household(building="8栋", room="102")).status_code == 201
    assert len(_added(store, "8栋")) == 1
    assert len(store.collection("buildings").find(name="8栋")) == 1


def test_older_households_outside_the_tree_get_their_building_when_the_store_opens(tmp_path):
    config = {"DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "x", "FSYNC": False}
    app = create_app(config)
    store = get_store(app)
    store.collection("grids").insert({"name": "第一网格"})
    store.collection("buildings").insert({"name": "1栋", "grid": "第一网格"})
    # stored before every save put its building into the tree (written as such data was)
    store.collection("households").insert(make_household(building="老楼", household_no="H0001"))
    store.collection("households").insert(make_household(room="102", household_no="H0002"))
    store.close()

    app = create_app(config)
    store = get_store(app)
    try:
        assert store.collection("buildings").find_one(name="老楼")["grid"] == ""
        (entry,) = _added(store, "老楼")
        assert entry["actor"] == "system" and entry["detail"]["reason"] == "repair"
        printed = plan(PrintRequest("household-list"), read_records(store, "佐斯腾社区"))
        assert [(p.group, p.label) for p in printed.parts] == [
            ("第一网格", "1栋"),
            ("未分网格", "老楼"),
        ]
        english = plan(PrintRequest("household-list", lang="en"), read_records(store, "佐斯腾社区"))
        assert english.parts[-1].group == "No grid"
    finally:
        store.close()
    app = create_app(config)  # opened again: nothing more to add
    try:
        assert len(_added(get_store(app), "老楼")) == 1
    finally:
        get_store(app).close()


def test_many_buildings_outside_the_tree_are_added_once_each_and_the_known_kept(tmp_path):
    """Households of twelve buildings, four of them in the tree (one also in a grid): the
    eight others are added (one read of the tree, not a lookup each), once, and nothing
    of the four changes; opened again, nothing more is added."""
    config = {"DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "x", "FSYNC": False}
    app = create_app(config)
    store = get_store(app)
    names = [f"{n:02d}号楼" for n in range(1, 13)]  # none is part of another
    for name in names[:4]:
        store.collection("buildings").insert(
            {"name": name, "grid": "第一网格" if name == "01号楼" else ""}
        )
    for n, name in enumerate(names):
        store.collection("households").insert(
            make_household(building=name, room=str(101 + n), household_no=f"H{n:04d}")
        )
    store.close()
    for _ in range(2):
        app = create_app(config)
        store = get_store(app)
        try:
            buildings = store.collection("buildings").scan()
            assert sorted(b["name"] for b in buildings) == sorted(names)
            assert {b["name"]: b["grid"] for b in buildings}["01号楼"] == "第一网格"
            assert {name for name in names if _added(store, name)} == set(names[4:])
            assert all(len(_added(store, name)) <= 1 for name in names)
        finally:
            store.close()
