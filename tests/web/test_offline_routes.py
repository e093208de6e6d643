"""The installable survey app on the server side: worker, manifest, the rules the browser
checks with, the pages it keeps, and the API taking the logged-in session from the outbox."""

from __future__ import annotations

import io
import json
import re
import shutil
import uuid as uuidlib
from pathlib import Path

from PIL import Image

from census.domain.problems import MESSAGES
from census.services import records
from census.services.accounts import create_token
from census.util.resources import STATIC_DIR as STATIC
from census.web.offline import OFFLINE_FILES, _version
from tests.factories import make_household


def embedded(page: str, element_id: str) -> dict:
    tag = f'<script type="application/json" id="{element_id}">'
    match = re.search(re.escape(tag) + "(.*?)</script>", page, re.S)
    assert match, f"no #{element_id} in the page"
    return json.loads(match.group(1))


def fetch(client, url: str, **kwargs):
    """A GET whose body is read and whose file (static files stream) is closed."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def test_the_worker_is_served_at_the_root_and_may_control_the_whole_site(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    script = response.get_data(as_text=True)
    version = re.search(r'^const CENSUS_VERSION = "([0-9a-f]{16})";$', script, re.M)
    files = json.loads(re.search(r"^const CENSUS_FILES = (\[.*\]);$", script, re.M).group(1))
    assert version and 'self.addEventListener("fetch"' in script
    assert files == [f"/static/{name}" for name in OFFLINE_FILES]
    # Everything it caches at install exists (a missing one would fail the install).
    for url in files:
        assert fetch(client, url).status_code == 200, url


def test_a_changed_file_makes_a_new_worker_version(tmp_path):
    folder = tmp_path / "static"
    shutil.copytree(STATIC, folder)
    before = _version.__wrapped__(folder)
    (folder / "app.css").write_text((folder / "app.css").read_text() + "\n/* changed */\n")
    assert _version.__wrapped__(folder) != before


def test_the_manifest_makes_the_survey_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "社区入户摸底"
    assert (manifest["start_url"], manifest["display"], manifest["scope"]) == (
        "/survey/",
        "standalone",
        "/",
    )
    sizes = set()
    for icon in manifest["icons"]:
        image = fetch(client, icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
        width, height = Image.open(io.BytesIO(image.data)).size
        assert icon["sizes"] == f"{width}x{height}"
        sizes.add(width)
    assert {192, 512} <= sizes


def test_every_page_links_the_manifest_and_starts_the_offline_script(client, auth):
    login_page = client.get("/login").get_data(as_text=True)
    assert 'rel="manifest" href="/manifest.webmanifest"' in login_page
    assert re.search(
        r'<script type="module" src="/static/offline.js" data-census data-user=""[^>]*>', login_page
    )
    auth.login("surveyor1")
    home = client.get("/survey/").get_data(as_text=True)
    assert 'data-census data-user="surveyor1" data-community=""' in home  # the first community


def keep_list(client) -> dict[str, dict]:
    answer = client.get("/survey/keep.json")
    assert answer.status_code == 200
    return {page["url"]: page["stamp"] for page in answer.json["pages"]} | {
        "returned": answer.json["returned"]
    }


def test_a_surveyor_keeps_their_buildings_and_forms_not_others(client, auth):
    assert client.get("/survey/keep.json").status_code == 302  # to the login page
    auth.login("surveyor1")
    kept = keep_list(client)
    returned = kept.pop("returned")
    assert returned == []
    urls = list(kept)
    assert urls[:2] == ["/survey/", "/survey/outbox"]
    # one copy of each new-record form: the worker opens it for any building
    assert "/survey/household/new?building=1%E6%A0%8B" in urls
    assert "/survey/storefront/new?building=1%E6%A0%8B" in urls
    assert "/survey/unit/new" in urls
    assert not any("new?building=%E6%B0%91" in url for url in urls)
    assert "/survey/building/1%E6%A0%8B" in urls
    assert "/survey/building/%E6%B0%91%E6%97%8F%E5%A4%A7%E9%99%A2" in urls  # 民族大院
    assert not any("2%E6%A0%8B" in url for url in urls)  # 2栋 is another grid's
    assert len(urls) == 7
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert all(re.fullmatch(r"[0-9a-f]{16}", stamp) for stamp in kept.values())


def test_a_page_s_stamp_changes_with_what_it_shows_and_only_then(client, auth, app, store):
    from census.fieldwork import outcomes

    auth.login("surveyor1")
    before = keep_list(client)
    assert keep_list(client) == before  # nothing changed: nothing to fetch again
    defn = app.extensions["census"].surveys["household"]
    with app.test_request_context():
        records.save(store, defn, make_household(members=1, building="民族大院"), user="admin")
    after = keep_list(client)
    changed = {url for url in before if before[url] != after.get(url)}
    assert changed == {"/survey/", "/survey/building/%E6%B0%91%E6%97%8F%E5%A4%A7%E9%99%A2"}

    visit = {"uuid": "v-1", "building": "1栋", "unit": "1", "room": "102", "outcome": "vacant"}
    outcomes.record_visit(store, visit | {"visited_at": "2026-01-05T10:00:00"}, user="surveyor1")
    again = keep_list(client)
    assert {url for url in after if after[url] != again.get(url)} == {
        "/survey/",
        "/survey/building/1%E6%A0%8B",
    }
    english = client.get("/survey/keep.json?lang=en").json["pages"]
    assert all(page["stamp"] != again[page["url"].split("?lang")[0]] for page in english[:2])


def test_a_returned_record_is_listed_with_its_comment_and_kept_with_its_edit_page(
    client, auth, app, store
):
    from census.services import review

    defn = app.extensions["census"].surveys["household"]
    with app.test_request_context():
        saved = records.save(store, defn, make_household(members=1, room="808"), user="surveyor1")
    review.act(
        store, saved.id, "return", username="reviewer", role="reviewer", comment="户主电话请核实"
    )
    auth.login("surveyor1")
    kept = keep_list(client)
    (row,) = kept.pop("returned")
    assert row["id"] == saved.id and row["form"] == "household"
    assert row["title"].startswith("1栋1单元808")
    assert row["comment"]["text"] == "户主电话请核实" and row["comment"]["by"] == "reviewer"
    assert row["edit"] == f"/survey/household/{saved.id}/edit"
    assert row["api"] == f"/api/v1/households/{saved.id}"
    assert row["edit"] in kept

    page = client.get(row["edit"]).get_data(as_text=True)
    comment = re.search(
        r'<section class="review-comment" id="review-comment".*?</section>', page, re.S
    )
    assert comment and "审核退回" in comment.group(0) and "户主电话请核实" in comment.group(0)
    assert page.index('id="review-comment"') < page.index('class="survey"')
    english = client.get(row["edit"] + "?lang=en").get_data(as_text=True)
    assert "Returned by review" in english

    auth.logout()
    auth.login("reviewer")
    assert keep_list(client)["returned"] == []  # staff fix records themselves


def test_the_outbox_page_is_for_logged_in_users(client, auth):
    assert client.get("/survey/outbox").status_code == 302
    auth.login("surveyor1")
    page = client.get("/survey/outbox").get_data(as_text=True)
    for section in ("corrections", "waiting", "sent"):
        assert f'id="{section}"' in page
    assert "需要修改" in page


def test_the_form_carries_its_rules_and_the_problem_catalogue(client, auth):
    auth.login("surveyor1")
    page = client.get("/survey/household/new?building=1栋").get_data(as_text=True)
    assert 'data-outbox="POST" data-api="/api/v1/households"' in page
    assert 'data-back="/survey/building/1%E6%A0%8B"' in page
    rules = embedded(page, "census-checks")
    assert rules["messages"].keys() == MESSAGES.keys() | {"constraint_failed"}
    assert rules["messages"]["required"] == "必填项"
    assert rules["messages"]["integer_min"] == "不能小于 {min}"  # filled in the page
    assert rules["resident_id"] == "resident_id" and rules["sex_words"]["male"] == "男"
    fields = {f["key"]: f for f in rules["fields"]}
    assert fields["landlord_name"]["required"] is True
    assert fields["landlord_name"]["relevant"] == {
        "op": "==",
        "args": [{"var": "housing"}, {"const": "rented"}],
    }
    members = {f["key"]: f for f in fields["members"]["fields"]}
    assert fields["members"]["exactly_one"]["problem"] == "head_count"
    assert members["id_number"]["birth_date_field"] == "birth_date"
    assert members["birth_date"]["past"] is True

    english = client.get("/survey/household/new?building=1栋&lang=en").get_data(as_text=True)
    said = embedded(english, "census-checks")["messages"]
    assert said["required"] == "This field is required"
    assert said["integer_min"] == "Must be at least {min}"
    assert said["constraint_failed"] == "{en}"  # the XLSForm's own constraint_message


def test_storefronts_and_units_go_through_the_outbox_other_forms_post(client, auth, store):
    auth.login("admin")
    page = client.get("/survey/storefront/new?building=1栋").get_data(as_text=True)
    assert 'data-outbox="POST" data-api="/api/v1/storefronts"' in page
    assert 'data-back="/survey/building/1%E6%A0%8B"' in page
    assert embedded(page, "census-checks")["form"] == "storefront"
    # a new form starts from the door page's address and the form's defaults (状态: 营业)
    status = re.search(r'<select[^>]*id="status".*?</select>', page, re.S).group(0)
    assert re.search(r'<option selected value="open">营业</option>', status), status
    assert 'value="1栋"' in page
    unit = client.get("/survey/unit/new").get_data(as_text=True)
    assert 'data-outbox="POST" data-api="/api/v1/units"' in unit
    assert "data-back" not in unit  # back to the surveyor's home page

    # an edit goes through the outbox too, to the record itself
    shop = store.collection("storefronts").insert(
        {"name": "老王烧烤", "building": "1栋", "address": "1栋底商3号", "created_by": "admin"}
    )
    edit = client.get(f"/survey/storefront/{shop}/edit").get_data(as_text=True)
    assert f'data-outbox="PUT" data-api="/api/v1/storefronts/{shop}"' in edit
    # forms the API does not take keep the plain post
    mediation = client.get("/survey/mediation/new").get_data(as_text=True)
    assert "data-outbox" not in mediation and "data-api" not in mediation
    household = client.get("/survey/household/new?building=1栋")
    assert household.status_code == 200


def test_the_outbox_sends_with_the_session_and_its_csrf_token(client, auth, store):
    auth.login("surveyor1")
    body = make_household(members=2) | {"uuid": str(uuidlib.uuid4())}
    refused = client.post("/api/v1/households", json=body)
    assert refused.status_code == 400 and refused.json["error"] == "csrf_invalid"
    forged = client.post("/api/v1/households", json=body, headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 400
    assert len(store.collection("households")) == 0

    me = client.get("/api/v1/me").json
    assert me["username"] == "surveyor1" and me["csrf_token"]
    headers = {"X-CSRFToken": me["csrf_token"]}
    created = client.post("/api/v1/households", json=body, headers=headers)
    assert created.status_code == 201
    again = client.post("/api/v1/households", json=body, headers=headers)
    assert again.status_code == 200 and again.json["id"] == created.json["id"]
    (stored,) = store.collection("households").scan()
    assert stored["surveyor"] == "surveyor1" and stored["uuid"] == body["uuid"]
    listed = client.get("/api/v1/households").json
    assert [h["id"] for h in listed["households"]] == [created.json["id"]]

    # The session still only reaches the surveyor's own buildings.
    elsewhere = make_household(members=1, building="2栋") | {"uuid": str(uuidlib.uuid4())}
    assert client.post("/api/v1/households", json=elsewhere, headers=headers).status_code == 403


def test_without_a_session_the_api_still_wants_a_bearer_token(app, client, auth):
    assert client.get("/api/v1/me").status_code == 401
    token = create_token(app.extensions["census"].store, "surveyor2")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json
    assert me == {"username": "surveyor2", "role": "surveyor"}
    # A bearer header is taken at its word, even beside a session.
    auth.login("surveyor1")
    wrong = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert wrong.status_code == 401


def test_the_static_folder_holds_what_the_worker_lists():
    assert all((Path(STATIC) / name).is_file() for name in OFFLINE_FILES)
