"""The JSON API: bearer tokens, idempotent uuids, 422 with field paths, surveyor scope."""

from __future__ import annotations

import threading
import uuid as uuidlib

import pytest

from census.domain.ids import mask_id
from census.services.accounts import create_token
from census.web.current import get_store
from tests.factories import make_household, make_storefront


@pytest.fixture
def tokens(app):
    store = get_store(app)
    return {name: create_token(store, name) for name in ("admin", "surveyor1", "surveyor2")}


def post(client, token, body):
    return client.post(
        "/api/v1/households", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def get(client, token, url):
    return client.get(url, headers={"Authorization": f"Bearer {token}"})


def new_body(**overrides):
    return make_household(members=5, **overrides) | {"uuid": str(uuidlib.uuid4())}


def test_no_token_no_access(client, tokens):
    assert client.get("/api/v1/households").status_code == 401
    assert get(client, "not-a-token", "/api/v1/households").status_code == 401
    assert post(client, "", new_body()).status_code == 401


def test_a_household_with_five_members_round_trips(client, tokens, store):
    body = new_body(housing="rented", landlord_name="周房东", landlord_phone="0991-6543210")
    body["members"][3]["conditions"] = ["left_behind_child"]
    response = post(client, tokens["surveyor1"], body)
    assert response.status_code == 201, response.json
    new_id = response.json["id"]
    got = get(client, tokens["surveyor1"], f"/api/v1/households/{new_id}").json
    for key in ("building", "unit", "room", "housing", "landlord_name", "landlord_phone", "uuid"):
        assert got[key] == body[key], key
    assert got["members"] == [  # ID numbers masked: only an admin's ?full=1 shows them
        {k: m.get(k) for k in got["members"][0]} | m | {"id_number": mask_id(m["id_number"])}
        for m in body["members"]
    ]
    assert got["surveyor"] == "surveyor1" and got["revision"] == 1
    assert store.collection("households").get(new_id)["members"][3]["conditions"] == [
        "left_behind_child"
    ]


def test_the_same_uuid_and_body_again_gives_the_same_id(client, tokens, store):
    body = new_body()
    first = post(client, tokens["surveyor1"], body)
    again = post(client, tokens["surveyor1"], body)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json["id"] == first.json["id"]
    assert len(store.collection("households")) == 1


def test_the_same_uuid_with_another_body_is_a_conflict(client, tokens, store):
    body = new_body()
    first = post(client, tokens["surveyor1"], body)
    changed = dict(body, room="999")
    response = post(client, tokens["surveyor1"], changed)
    assert response.status_code == 409 and response.json["id"] == first.json["id"]
    assert store.collection("households").get(first.json["id"])["room"] == "101"


def test_retries_sent_at_the_same_moment_make_one_record(app, tokens, store):
    body = new_body()
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def send():
        client = app.test_client()
        barrier.wait()
        statuses.append(post(client, tokens["surveyor1"], body).status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 7 + [201]
    assert len(store.collection("households").find(uuid=body["uuid"])) == 1


def test_validation_errors_are_422_with_field_paths(client, tokens, store):
    body = new_body()
    good = body["members"][1]["id_number"]
    body["members"][1]["id_number"] = good[:-1] + ("0" if good[-1] != "0" else "1")
    body["members"][2]["relation"] = "head"
    body["housing"] = "castle"
    response = post(client, tokens["admin"], body)
    assert response.status_code == 422
    errors = response.json["errors"]
    assert "校验位" in errors["members[1].id_number"][0]
    assert "户主" in errors["members"][0]
    assert "housing" in errors
    assert len(store.collection("households")) == 0


def test_unknown_keys_are_reported_not_dropped(client, tokens):
    body = new_body(religion="x")
    body["members"][0]["nickname"] = "老张"
    response = post(client, tokens["admin"], body)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"religion", "members[0].nickname"}


def test_a_missing_uuid_is_a_field_error(client, tokens):
    body = make_household()
    response = post(client, tokens["admin"], body)
    assert response.status_code == 422 and "uuid" in response.json["errors"]


def test_warnings_come_back_with_the_id(client, tokens):
    first = new_body()
    post(client, tokens["admin"], first)
    second = new_body(room="303")
    second["members"] = [first["members"][2] | {"relation": "head"}]
    response = post(client, tokens["admin"], second)
    assert response.status_code == 201
    assert "已登记在" in response.json["warnings"]["members[0].id_number"][0]


def test_surveyors_see_only_their_own_submissions(client, tokens):
    mine = post(client, tokens["surveyor1"], new_body()).json["id"]
    theirs = post(client, tokens["surveyor2"], new_body(building="2栋")).json["id"]
    assert get(client, tokens["surveyor1"], f"/api/v1/households/{theirs}").status_code == 403
    listed = get(client, tokens["surveyor1"], "/api/v1/households").json
    assert [h["id"] for h in listed["households"]] == [mine]
    everything = get(client, tokens["admin"], "/api/v1/households").json
    assert {h["id"] for h in everything["households"]} == {mine, theirs}
    in_2 = get(client, tokens["admin"], "/api/v1/households?building=2栋").json
    assert [h["id"] for h in in_2["households"]] == [theirs]


def test_a_surveyor_cannot_post_into_a_building_not_assigned(client, tokens, store):
    response = post(client, tokens["surveyor1"], new_body(building="2栋"))
    assert response.status_code == 403
    assert len(store.collection("households")) == 0


def test_unknown_household_is_404_json(client, tokens):
    response = get(client, tokens["admin"], "/api/v1/households/999")
    assert response.status_code == 404 and response.json["error"] == "not_found"


def shop_body(**overrides):
    return (
        make_storefront(
            premises="rented", landlord_name="周房东", employees="4", uuid=str(uuidlib.uuid4())
        )
        | overrides
    )


def post_to(client, token, url, body):
    return client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})


def test_a_storefront_lands_once_however_often_it_is_sent(client, tokens, store):
    body = shop_body()
    first = post_to(client, tokens["surveyor1"], "/api/v1/storefronts", body)
    assert first.status_code == 201, first.json
    assert "household_no" not in first.json and first.json["warnings"] == {}
    again = post_to(client, tokens["surveyor1"], "/api/v1/storefronts", body)
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    (shop,) = store.collection("storefronts").scan()
    assert shop["name"] == "红柳烤肉店" and shop["employees"] == 4
    assert shop["uuid"] == body["uuid"] and shop["surveyor"] == "surveyor1"
    assert shop["created_by"] == "surveyor1"
    other = post_to(client, tokens["surveyor1"], "/api/v1/storefronts", body | {"name": "别家"})
    assert other.status_code == 409 and len(store.collection("storefronts")) == 1


def test_a_storefront_with_errors_is_422_and_not_stored(client, tokens, store):
    body = shop_body(category="", operator_name="")
    response = post_to(client, tokens["surveyor1"], "/api/v1/storefronts", body)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"category", "operator_name"}
    assert len(store.collection("storefronts")) == 0


def test_storefronts_stay_in_the_surveyors_buildings_units_have_none(client, tokens, store):
    url = "/api/v1/storefronts"
    elsewhere = post_to(client, tokens["surveyor1"], url, shop_body(building="2栋"))
    assert elsewhere.status_code == 403
    # a courtyard or street that is no building of ours
    street = post_to(
        client, tokens["surveyor1"], "/api/v1/storefronts", shop_body(building="和平路")
    )
    assert street.status_code == 201
    unit = {
        "name": "和什托洛盖镇中心学校",
        "kind": "school",
        "address": "和什路1号",
        "key_unit": "yes",
        "staff_count": "85",
        "uuid": str(uuidlib.uuid4()),
    }
    created = post_to(client, tokens["surveyor1"], "/api/v1/units", unit)
    assert created.status_code == 201, created.json
    stored = store.collection("units").get(created.json["id"])
    assert stored["key_unit"] is True and stored["staff_count"] == 85
    assert [s["building"] for s in store.collection("storefronts").scan()] == ["和平路"]


def test_a_surveyor_learns_that_a_person_is_registered_not_where(client, tokens, store):
    first = new_body(room="909")
    first_answer = post(client, tokens["admin"], first)
    number = store.collection("households").get(first_answer.json["id"])["household_no"]
    probe = new_body(room="303")
    probe["members"] = [
        first["members"][2] | {"name": "李试探", "relation": "head", "phone": "not a phone"}
    ]
    refused = post(client, tokens["surveyor1"], probe)  # invalid on purpose: nothing saved
    assert refused.status_code == 422
    said = str(refused.json)
    # Named as the surveyor typed the member, once; the stored person is not named.
    assert said.count("李试探：此证件号码已在本社区登记") == 1
    assert number not in said and "909" not in said
    assert first["members"][2]["name"] not in said
    probe["members"][0].pop("phone")
    saved = post(client, tokens["surveyor1"], probe)
    assert saved.status_code == 201 and "909" not in str(saved.json)
    staff = post(client, tokens["admin"], new_body(room="304") | {"members": probe["members"]})
    assert number in str(staff.json["warnings"])  # staff see where, to merge duplicates


def test_id_numbers_are_masked_unless_an_admin_asks_and_that_is_logged(client, app, tokens, store):
    from census.services.accounts import add_user

    add_user(store, "rev", "reviewer", "secret-pass-1", hash_method="pbkdf2:sha256:1000")
    tokens["rev"] = create_token(store, "rev")
    body = new_body()
    new_id = post(client, tokens["admin"], body).json["id"]
    numbers = [m["id_number"] for m in body["members"]]
    for who in ("rev", "admin"):
        for url in ("/api/v1/households", f"/api/v1/households/{new_id}"):
            said = get(client, tokens[who], url).get_data(as_text=True)
            assert not any(n in said for n in numbers), (who, url)
            assert numbers[0][:6] + "********" + numbers[0][-4:] in said
    assert get(client, tokens["rev"], "/api/v1/households?full=1").status_code == 403
    whole = get(client, tokens["admin"], f"/api/v1/households/{new_id}?full=1").json
    assert [m["id_number"] for m in whole["members"]] == numbers
    listed = get(client, tokens["admin"], "/api/v1/households?full=1").get_data(as_text=True)
    assert all(n in listed for n in numbers)
    logged = [e for e in store.collection("audit").scan() if e["action"] == "view_full_ids"]
    assert [(e["actor"], e["target"]) for e in logged] == [
        ("admin", f"households/{new_id}"),
        ("admin", "api/households?building="),
    ]


def test_an_edit_sent_back_with_the_masked_numbers_it_was_shown_keeps_them(client, tokens, store):
    body = new_body()
    new_id = post(client, tokens["admin"], body).json["id"]
    shown = get(client, tokens["admin"], f"/api/v1/households/{new_id}").json
    edit = {k: v for k, v in shown.items() if k not in ("id", "revision", "household_no")}
    edit |= {"uuid": str(uuidlib.uuid4()), "base_revision": shown["revision"], "notes": "改"}
    for k in ("surveyor", "review_state", "created_at", "created_by", "updated_at", "updated_by"):
        edit.pop(k, None)
    answer = client.put(
        f"/api/v1/households/{new_id}",
        json=edit,
        headers={"Authorization": f"Bearer {tokens['admin']}"},
    )
    assert answer.status_code == 200, answer.json
    stored = store.collection("households").get(new_id)
    assert [m["id_number"] for m in stored["members"]] == [m["id_number"] for m in body["members"]]
    assert stored["notes"] == "改"
    forged = dict(edit, uuid=str(uuidlib.uuid4()), base_revision=stored["_rev"])
    forged["members"] = [dict(m) for m in edit["members"]]
    forged["members"][0]["id_number"] = "110105********9999"  # not the mask of the stored one
    refused = client.put(
        f"/api/v1/households/{new_id}",
        json=forged,
        headers={"Authorization": f"Bearer {tokens['admin']}"},
    )
    assert refused.status_code == 422 and "members[0].id_number" in refused.json["errors"]
