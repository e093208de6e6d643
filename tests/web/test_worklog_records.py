"""Staff record their work — visits, mediations, activities, volunteers, service cases — through
the forms and through the API, and each record that names a household or person links to it."""

from __future__ import annotations

import pytest

from census.services.accounts import create_token
from census.worklog.links import Links, households_of
from tests.web.worklog_helpers import post_form, stored_household


@pytest.fixture
def home(app, store):
    """H0001 in 1栋1单元101: 张建国 (head), 李秀兰, 张伟."""
    return stored_household(app, store)


@pytest.fixture
def token(app, store):
    return create_token(store, "admin")


def records_for(app, home):
    """Each work record kind as staff fill it in, naming the household and its people."""
    head, spouse = home["members"][0], home["members"][1]
    no = home["household_no"]
    return {
        "visit": {
            "date": "2025-02-01",
            "kind": "condolence",
            "visitors": "王书记、网格员小李",
            "households": [{"household": no, "person": f"{no}/{head['name']}"}],
            "aid": "米面油一份",
            "aid_amount": "300",
        },
        "mediation": {
            "date": "2025-03-02",
            "kind": "neighbour",
            "parties": [
                {"name": head["name"], "role": "applicant", "person": spouse["id_number"]},
                {"name": "赵六", "role": "respondent", "phone": "13912345678"},
            ],
            "matter": "楼上漏水",
            "outcome": "resolved",
        },
        "activity": {
            "date": "2025-04-05",
            "title": "重阳节联欢会",
            "kind": "festival",
            "place": "社区活动室",
            "participants": "86",
        },
        "volunteer": {
            "person": f"{no}/{spouse['name']}",
            "team": "党员志愿服务队",
            "skills": ["elderly_care", "teaching"],
            "joined_date": "2024-06-01",
            "hours": "48",
            "status": "active",
        },
        "service_case": {
            "channel": "window",
            "received_date": "2025-05-06",
            "matter": "开具居住证明",
            "applicant": head["name"],
            "applicant_person": f"{no}/{head['name']}",
            "state": "handled",
            "handled_date": "2025-05-06",
        },
    }


LINKED = ("visit", "mediation", "volunteer", "service_case")  # an activity names no household


@pytest.mark.parametrize("kind", ["visit", "mediation", "activity", "volunteer", "service_case"])
def test_a_work_record_is_made_through_its_form_and_shows_where_it_belongs(
    kind, app, store, client, auth, home
):
    auth.login("reviewer")
    defn = app.extensions["census"].surveys[kind]
    response = post_form(client, defn, records_for(app, home)[kind])
    assert response.status_code == 302, response.get_data(as_text=True)
    (stored,) = store.collection(defn.collection).scan()
    assert stored["created_by"] == "reviewer"
    linked = households_of(Links.from_store(store), defn, stored)
    assert linked == ({home["id"]} if kind in LINKED else set())
    # It is in its list and its register, and the household page shows it.
    assert defn.text("zh") in client.get(f"/records/{kind}").get_data(as_text=True)
    register = client.get(f"/worklog/{kind}").get_data(as_text=True)
    assert f"/worklog/{kind}/{stored['id']}" in register
    page = client.get(f"/households/{home['id']}").get_data(as_text=True)
    assert (f'data-work="{kind}-{stored["id"]}"' in page) == (kind in LINKED)


def test_a_visit_names_the_household_and_the_person_visited(app, store, client, auth, home):
    auth.login("reviewer")
    defn = app.extensions["census"].surveys["visit"]
    post_form(client, defn, records_for(app, home)["visit"])
    (visit,) = store.collection("care_visits").scan()
    assert visit["households"] == [{"household": "H0001", "person": "H0001/张建国"}]
    assert visit["aid_amount"] == 300
    page = client.get(f"/worklog/visit/{visit['id']}").get_data(as_text=True)
    assert "H0001 1栋1单元101室" in page and f'href="/households/{home["id"]}"' in page
    household_page = client.get(f"/households/{home['id']}").get_data(as_text=True)
    assert "走访慰问记录" in household_page and "慰问" in household_page


def test_a_mediation_lists_its_parties_residents_linked(app, store, client, auth, home):
    auth.login("reviewer")
    defn = app.extensions["census"].surveys["mediation"]
    post_form(client, defn, records_for(app, home)["mediation"])
    (mediation,) = store.collection("mediations").scan()
    page = client.get(f"/worklog/mediation/{mediation['id']}").get_data(as_text=True)
    assert "张建国" in page and "赵六" in page and "被申请人" in page
    assert "李秀兰（H0001 1栋1单元101室）" in page  # the applicant's link resolves by ID number
    register = client.get("/worklog/mediation").get_data(as_text=True)
    assert "张建国（申请人，李秀兰）" in register and "139****5678" in register
    assert "调解成功" in register


def test_a_volunteer_is_a_person_of_the_register(app, store, client, auth, home):
    auth.login("reviewer")
    defn = app.extensions["census"].surveys["volunteer"]
    post_form(client, defn, records_for(app, home)["volunteer"])
    register = client.get("/worklog/volunteer").get_data(as_text=True)
    assert "李秀兰（H0001 1栋1单元101室）" in register
    assert "为老服务、教育辅导" in register and "48" in register


@pytest.mark.parametrize("kind", ["visit", "mediation", "activity", "volunteer", "service_case"])
def test_a_work_record_is_made_through_the_api_too(kind, app, store, client, home, token):
    headers = {"Authorization": f"Bearer {token}"}
    body = records_for(app, home)[kind] | {"uuid": f"test-{kind}-1"}
    response = client.post(f"/api/v1/records/{kind}", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    record_id = response.get_json()["id"]
    again = client.post(f"/api/v1/records/{kind}", json=body, headers=headers)
    assert (again.status_code, again.get_json()["id"]) == (200, record_id)  # the same uuid
    defn = app.extensions["census"].surveys[kind]
    assert len(store.collection(defn.collection)) == 1
    shown = client.get(f"/api/v1/records/{kind}/{record_id}", headers=headers).get_json()
    assert shown["uuid"] == f"test-{kind}-1" and shown["created_by"] == "admin"
    listed = client.get(f"/api/v1/records/{kind}?household=H0001", headers=headers).get_json()
    assert listed["count"] == (1 if kind in LINKED else 0)


def test_the_api_refuses_a_link_that_leads_nowhere_and_says_where(app, store, client, token):
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "date": "2025-02-01",
        "kind": "care",
        "visitors": "王书记",
        "households": [{"household": "H0404"}],
        "colour": "red",
    }
    response = client.post("/api/v1/records/visit", json=body, headers=headers)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert "H0404" in errors["households[0].household"][0]
    assert "colour" in errors
    assert len(store.collection("care_visits")) == 0
    missing = client.post("/api/v1/records/visit", json={"kind": "care"}, headers=headers)
    assert set(missing.get_json()["errors"]) >= {"date", "visitors", "households"}
    assert client.post("/api/v1/records/household", json={}, headers=headers).status_code == 404
    assert client.post("/api/v1/records/visit", json=body).status_code == 401


def test_a_form_with_an_unknown_household_saves_but_the_register_flags_it(app, store, client, auth):
    auth.login("reviewer")
    defn = app.extensions["census"].surveys["visit"]
    record = {
        "date": "2025-02-01",
        "kind": "care",
        "visitors": "王",
        "households": [{"household": "H0404"}],
    }
    assert post_form(client, defn, record).status_code == 302
    register = client.get("/worklog/visit").get_data(as_text=True)
    assert "H0404（未找到）" in register and 'class="warning"' in register


def test_surveyors_may_record_but_not_read_the_registers(app, client, auth):
    auth.login("surveyor1")
    assert client.get("/survey/visit/new").status_code == 200
    for url in ("/worklog/", "/worklog/visit", "/worklog/report", "/worklog/visit.xlsx"):
        assert client.get(url).status_code == 403, url


def test_the_api_tells_a_surveyor_nothing_about_people_outside_their_buildings(
    app, store, client, home
):
    from datetime import date

    from census.domain.ids import make_resident_id

    known = home["members"][1]["id_number"]  # registered in 1栋 (第一网格)
    nobody = make_resident_id("110105", date(1971, 3, 4), 77, "female")
    body = records_for(app, home)["mediation"]

    def answer(who: str, number: str):
        headers = {"Authorization": f"Bearer {create_token(store, who)}"}
        sent = dict(body, parties=[dict(body["parties"][0], person=number)])
        response = client.post("/api/v1/records/mediation", json=sent, headers=headers)
        said = response.get_json().get("errors", {})
        return response.status_code, {
            k: [m.replace(number, "…") for m in v] for k, v in said.items()
        }

    # surveyor2 works in 第二网格: someone registered in 1栋 and nobody at all look the same
    assert answer("surveyor2", known) == answer("surveyor2", nobody)
    assert answer("surveyor2", known)[0] == 422
    assert answer("surveyor1", known)[0] == 201  # their own building: the link resolves
