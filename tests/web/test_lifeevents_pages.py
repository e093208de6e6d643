"""Life event pages: staff record an event in a small form; mistakes come back explained."""

from __future__ import annotations

import pytest

from census.services import records
from tests.conftest import csrf_token
from tests.factories import make_household


@pytest.fixture
def hid(store, app):
    defn = app.extensions["census"].surveys["household"]
    return records.save(store, defn, make_household(members=4), user="surveyor1").id


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, url), **data})


def member(store, hid, n):
    return store.collection("households").get(hid)["members"][n]


def test_only_staff_record_life_events(client, auth, hid):
    auth.login("surveyor1")
    assert client.get(f"/households/{hid}/events").status_code == 403
    assert client.get(f"/households/{hid}/events/move_out").status_code == 403
    assert client.get("/events/move-in").status_code == 403
    auth.logout()
    auth.login("reviewer")
    page = client.get(f"/households/{hid}/events").get_data(as_text=True)
    assert "迁出" in page and "租户变更" not in page  # the household owns its home
    assert client.get(f"/households/{hid}/events/nonsense").status_code == 404


def test_moving_out_through_the_form(client, auth, store, hid):
    auth.login("reviewer")
    url = f"/households/{hid}/events/move_out"
    response = post(
        client, url, members=["2", "3"], on="2025-03-01", destination="昌吉市", _rev="1"
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/households/{hid}")
    assert [member(store, hid, n)["status"] for n in range(4)] == [
        "active", "active", "moved_out", "moved_out"
    ]  # fmt: skip
    view = client.get(f"/households/{hid}").get_data(as_text=True)
    assert "已迁出 2025-03-01" in view and "迁往昌吉市" in view


def test_a_refused_event_explains_why_and_keeps_what_was_typed(client, auth, store, hid):
    auth.login("reviewer")
    url = f"/households/{hid}/events/move_out"
    page = post(client, url, members=["0"], on="2025-03-01", destination="北京", _rev="1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "请从仍在册的成员中指定新户主" in html
    assert 'value="北京"' in html
    future = post(client, f"/households/{hid}/events/death", member="1", on="2999-01-01", _rev="1")
    assert "迁出/死亡日期" in future.get_data(as_text=True)
    assert store.collection("households").get(hid)["_rev"] == 1


def test_a_birth_and_a_new_household_through_the_forms(client, auth, store, hid):
    auth.login("admin")
    post(
        client,
        f"/households/{hid}/events/birth",
        on="2025-09-09",
        **{"p-name": "张小宝", "p-relation": "grandchild", "p-sex": "male"},
        _rev="1",
    )
    baby = member(store, hid, 4)
    assert (baby["name"], baby["birth_date"], baby["move_in_date"]) == (
        "张小宝", "2025-09-09", "2025-09-09"
    )  # fmt: skip
    response = post(
        client,
        "/events/move-in",
        building="2栋",
        room="808",
        housing="rented",
        landlord_name="马建华",
        on="2025-10-01",
        **{"p-name": "古丽", "p-sex": "female", "p-birth_date": "1990-02-02", "p-id_type": "other"},
    )
    assert response.status_code == 302
    new = store.collection("households").find_one(room="808")
    assert new["members"][0]["relation"] == "head"
    assert new["members"][0]["move_in_date"] == "2025-10-01"


def test_splitting_through_the_form(client, auth, store, hid):
    auth.login("admin")
    response = post(
        client,
        f"/households/{hid}/events/split",
        members=["2"],
        split_head="2",
        on="2025-05-05",
        building="1栋",
        unit="2",
        room="202",
        _rev="1",
    )
    assert response.status_code == 302
    new = store.collection("households").find_one(room="202")
    assert new["members"][0]["relation"] == "head" and new["unit"] == "2"
    assert member(store, hid, 2)["status"] == "moved_out"
