"""The web form keeps every record kind in the surveyor's buildings, as the API does."""

from __future__ import annotations

from tests.conftest import csrf_token
from tests.factories import make_storefront


def test_a_surveyor_cannot_move_their_storefront_into_another_grids_building(client, auth, store):
    auth.login("surveyor1")
    url = "/survey/storefront/new?building=1栋"
    saved = client.post(url, data=make_storefront() | {"csrf_token": csrf_token(client, url)})
    assert saved.status_code == 302
    shop = store.collection("storefronts").find_one(building="1栋")
    edit = f"/survey/storefront/{shop['id']}/edit"
    moved = client.post(
        edit,
        data=make_storefront(building="2栋")  # 2栋 is the second grid's
        | {"_rev": shop["_rev"], "csrf_token": csrf_token(client, edit)},
    )
    assert moved.status_code == 403
    assert store.collection("storefronts").get(shop["id"])["building"] == "1栋"
    # Within their own buildings, or to a street that is no building of ours, it moves.
    kept = client.post(
        edit,
        data=make_storefront(building="民族大院", address="大院门口")
        | {"_rev": shop["_rev"], "csrf_token": csrf_token(client, edit)},
    )
    assert kept.status_code == 302
    assert store.collection("storefronts").get(shop["id"])["building"] == "民族大院"


def test_staff_may_move_a_storefront_anywhere(client, auth, store):
    shop_id = store.collection("storefronts").insert(make_storefront(created_by="surveyor1"))
    auth.login("reviewer")
    edit = f"/survey/storefront/{shop_id}/edit"
    moved = client.post(
        edit,
        data=make_storefront(building="2栋") | {"_rev": 1, "csrf_token": csrf_token(client, edit)},
    )
    assert moved.status_code == 302
    assert store.collection("storefronts").get(shop_id)["building"] == "2栋"
