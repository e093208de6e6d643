"""Log-in per role, and which role may open which page."""

from __future__ import annotations

import pytest

from census.services import audit
from tests.conftest import PASSWORD, csrf_token
from tests.factories import make_household


def test_login_and_logout(client, auth, store):
    assert client.get("/households").status_code == 302
    response = auth.login("admin")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    assert "住户" in client.get("/households").get_data(as_text=True)
    auth.logout()
    assert client.get("/households").status_code == 302
    actions = [e["action"] for e in audit.entries(store, actor="admin")]
    assert actions[:2] == ["logout", "login"]


def test_a_wrong_password_is_refused_and_logged(client, auth, store):
    response = auth.login("admin", "wrong-password")
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    assert client.get("/households").status_code == 302
    assert audit.entries(store, action="login_failed")[0]["actor"] == "admin"


def test_passwords_are_stored_hashed(store):
    from census.services.accounts import add_user, authenticate

    add_user(store, "newcomer", "surveyor", "a-long-password")
    user = store.collection("users").find_one(username="newcomer")
    assert "a-long-password" not in str(user)
    assert user["password_hash"].startswith("scrypt:")
    assert authenticate(store, "newcomer", "a-long-password")["username"] == "newcomer"
    assert authenticate(store, "newcomer", "a-long-passwore") is None


def test_forms_without_a_csrf_token_are_refused(client):
    response = client.post("/login", data={"username": "admin", "password": "secret-pass-1"})
    assert response.status_code == 400


@pytest.fixture
def household_id(store):
    from census.services import records
    from census.surveys.definition import load_surveys

    result = records.save(store, load_surveys()["household"], make_household(), user="surveyor1")
    assert result.saved
    return result.id


# route -> the status each role gets (302 = sent to log in, 403 = refused)
ACCESS = [
    ("/households", {"admin": 200, "reviewer": 200, "surveyor1": 403, None: 302}),
    (
        "/households/{hid}",
        {"admin": 200, "reviewer": 200, "surveyor1": 200, "surveyor2": 403, None: 302},
    ),
    ("/households/{hid}?full=1", {"admin": 200, "reviewer": 403, "surveyor1": 403}),
    ("/households/{hid}/history", {"admin": 200, "reviewer": 200, "surveyor1": 403}),
    ("/records/storefront", {"admin": 200, "reviewer": 200, "surveyor1": 403}),
    (
        "/buildings/1栋/household-list.pdf",
        {"admin": 200, "reviewer": 200, "surveyor1": 403, None: 302},
    ),
    ("/buildings/1栋/household-list.pdf?full=1", {"admin": 200, "reviewer": 403}),
    ("/survey/", {"admin": 200, "surveyor1": 200, None: 302}),
    ("/survey/building/1栋", {"admin": 200, "surveyor1": 200, "surveyor2": 403}),
    ("/survey/building/2栋", {"surveyor1": 403, "surveyor2": 200}),
    ("/survey/household/new?building=1栋", {"surveyor1": 200, "surveyor2": 403, "reviewer": 200}),
    ("/survey/household/{hid}/edit", {"admin": 200, "surveyor1": 200, "surveyor2": 403}),
]


@pytest.mark.parametrize(("route", "expected"), ACCESS, ids=[r for r, _ in ACCESS])
def test_route_by_role(app, household_id, route, expected):
    from tests.conftest import Auth

    for user, status in expected.items():
        client = app.test_client()
        if user:
            Auth(client).login(user)
        response = client.get(route.format(hid=household_id))
        assert response.status_code == status, f"{user} on {route}"


def test_a_surveyor_sees_only_their_buildings(client, auth):
    auth.login("surveyor1")
    page = client.get("/survey/").get_data(as_text=True)
    assert "1栋" in page and "民族大院" in page
    assert "2栋" not in page


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "/\t/evil.example", "/\\evil.example",
     "https://evil.example/", "/\n/evil.example", "javascript:alert(1)"],
)  # fmt: skip
def test_login_never_redirects_to_another_site(client, target):
    from urllib.parse import quote

    url = "/login?next=" + quote(target, safe="")
    token = csrf_token(client, url)
    response = client.post(
        url, data={"username": "admin", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//"), location
    assert "evil" not in location and "javascript" not in location


def test_login_keeps_a_local_next_page(client):
    token = csrf_token(client, "/login?next=/survey/building/1栋")
    response = client.post(
        "/login?next=/survey/building/1栋",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
    )
    from urllib.parse import unquote

    assert unquote(response.headers["Location"]) == "/survey/building/1栋"


def test_a_failed_login_keeps_only_the_start_of_a_huge_username(client, store):
    token = csrf_token(client, "/login")
    client.post("/login", data={"username": "x" * 100_000, "password": "p", "csrf_token": token})
    (entry,) = [e for e in store.collection("audit").scan() if e["action"] == "login_failed"]
    assert entry["actor"] == "x" * 64
