"""An admin assigns grids and buildings; what a surveyor sees follows; every change is audited."""

from __future__ import annotations

import re
from urllib.parse import unquote

from census.services import audit
from census.services.accounts import create_token
from tests.conftest import Auth, csrf_token
from tests.factories import make_household


def assign(client, username, grids=(), buildings=()):
    url = f"/admin/users/{username}/assignments"
    token = csrf_token(client, url)
    return client.post(
        url, data={"csrf_token": token, "grid": list(grids), "building": list(buildings)}
    )


def home_buildings(client) -> list[str]:
    html = client.get("/survey/").get_data(as_text=True)
    return [unquote(name) for name in re.findall(r'href="/survey/building/([^"]+)"', html)]


def test_an_admin_moves_a_surveyor_from_a_grid_to_one_building(app, client, auth, store):
    surveyor = Auth(app.test_client())
    surveyor.login("surveyor1")
    assert sorted(home_buildings(surveyor.client)) == sorted(["1栋", "民族大院"])
    assert surveyor.client.get("/survey/building/2栋").status_code == 403

    auth.login("admin")
    page = client.get("/admin/users/surveyor1/assignments").get_data(as_text=True)
    assert 'name="grid" value="第一网格" checked' in page
    response = assign(client, "surveyor1", buildings=["2栋"])
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users")

    # the surveyor's next page already follows the new assignment
    assert home_buildings(surveyor.client) == ["2栋"]
    assert surveyor.client.get("/survey/building/1栋").status_code == 403
    assert surveyor.client.get("/survey/building/2栋").status_code == 200
    assert surveyor.client.get("/survey/household/new?building=1栋").status_code == 403

    user = store.collection("users").find_one(username="surveyor1")
    assert (user["grids"], user["buildings"]) == ([], ["2栋"])
    entry = audit.entries(store, action="assign")[0]
    assert entry["actor"] == "admin" and entry["target"] == "users/surveyor1"
    assert entry["detail"]["grids_before"] == ["第一网格"] and entry["detail"]["grids"] == []
    assert entry["detail"]["buildings"] == ["2栋"]
    assert entry["ip"]


def test_the_api_follows_the_assignment_too(app, client, auth, store):
    token = create_token(store, "surveyor1")
    headers = {"Authorization": f"Bearer {token}"}
    body = make_household(building="2栋") | {"uuid": "0f5c1e2a-0000-4000-8000-000000000001"}
    assert client.post("/api/v1/households", json=body, headers=headers).status_code == 403
    auth.login("admin")
    assign(client, "surveyor1", grids=["第一网格", "第二网格"])
    assert client.post("/api/v1/households", json=body, headers=headers).status_code == 201


def test_an_unchanged_assignment_is_not_audited_again(client, auth, store):
    auth.login("admin")
    assign(client, "surveyor1", grids=["第一网格"])
    assert audit.entries(store, action="assign") == []


def test_only_admins_assign(app, store):
    for name in ("reviewer", "surveyor1"):
        other = Auth(app.test_client())
        other.login(name)
        assert other.client.get("/admin/users").status_code == 403
        assert other.client.get("/admin/users/surveyor1/assignments").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get("/admin/users").status_code == 302


def test_the_users_page_lists_every_account_and_links_surveyors(client, auth):
    auth.login("admin")
    html = client.get("/admin/users").get_data(as_text=True)
    for name in ("admin", "reviewer", "surveyor1", "surveyor2"):
        assert name in html
    assert "/admin/users/surveyor2/assignments" in html
    assert "/admin/users/reviewer/assignments" not in html
    assert client.get("/admin/users/reviewer/assignments").status_code == 404


def test_the_assign_command_adds_replaces_and_removes(tmp_path):
    import os
    import subprocess
    import sys

    from census.app import create_app
    from census.services.accounts import add_user
    from census.web.current import get_store

    data = tmp_path / "data"
    app = create_app({"DATA_DIR": str(data), "SECRET_KEY": "x", "FSYNC": False})
    store = get_store(app)
    for name, grid in (("1栋", "第一网格"), ("2栋", "第二网格")):
        store.collection("buildings").insert({"name": name, "grid": grid})
    add_user(store, "li", "surveyor", "pass-word-9", hash_method="pbkdf2:sha256:1000")
    store.close()
    env = dict(os.environ, CENSUS_DATA_DIR=str(data), CENSUS_FSYNC="false")

    def census(*args):
        return subprocess.run(
            [sys.executable, "-m", "census", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    added = census("assign", "li", "--grid", "第一网格", "--building", "2栋")
    assert added.returncode == 0, added.stderr
    assert "第一网格" in added.stdout and "2栋" in added.stdout
    removed = census("assign", "li", "--remove", "--building", "2栋")
    assert removed.returncode == 0 and "2栋" not in removed.stdout
    replaced = census("assign", "li", "--replace", "--grid", "第二网格")
    assert replaced.returncode == 0, replaced.stderr
    typo = census("assign", "li", "--building", "9栋")
    assert typo.returncode == 1 and "9栋" in typo.stderr

    app = create_app({"DATA_DIR": str(data), "SECRET_KEY": "x", "FSYNC": False})
    store = get_store(app)
    user = store.collection("users").find_one(username="li")
    assert (user["grids"], user["buildings"]) == (["第二网格"], [])
    entries = audit.entries(store, action="assign")
    assert len(entries) == 3 and entries[0]["actor"].startswith("cli:")
    store.close()
