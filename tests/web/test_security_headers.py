"""Security headers on every response, a CSP the pages satisfy, and the cookie's flags."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from census.app import create_app
from census.services.accounts import add_user
from census.util.resources import CHECKOUT as PROJECT_ROOT
from census.web.current import get_store
from census.web.security import CONTENT_SECURITY_POLICY
from tests.conftest import FAST_HASH, PASSWORD, csrf_token

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
}


def assert_headers(response) -> None:
    try:
        for name, value in EXPECTED.items():
            assert response.headers.get(name) == value, (name, response.request.path)
    finally:
        response.close()


def test_every_kind_of_response_carries_the_headers(client, auth):
    assert_headers(client.get("/login"))
    assert_headers(client.get("/"))  # a redirect
    assert_headers(client.get("/static/app.css"))
    assert_headers(client.get("/sw.js"))
    assert_headers(client.get("/no-such-page"))
    assert_headers(client.get("/api/v1/households"))  # 401 JSON
    auth.login("admin")
    for url in ("/households", "/admin/users", "/summary", "/account/password"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_headers(response)


def test_the_policy_allows_no_inline_script_and_no_framing():
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in CONTENT_SECURITY_POLICY.split("; ")
    )
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in CONTENT_SECURITY_POLICY


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"href=\"javascript:", re.I)


@pytest.mark.parametrize(
    "path",
    sorted(
        str(p.relative_to(PROJECT_ROOT))
        for p in (PROJECT_ROOT / "templates").rglob("*.html")
        # the print templates are PDFs made by WeasyPrint, never pages in a browser
        if "print" not in p.relative_to(PROJECT_ROOT / "templates").parts[0]
        or p.parent.name == "prints"
    ),
)
def test_no_page_template_has_an_inline_script_or_handler(path):
    text = (PROJECT_ROOT / path).read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), (
        f"{path}: an inline script, which the Content-Security-Policy blocks; "
        "move it into census/static/ (data for it in data- attributes)"
    )
    assert not HANDLER.search(text), path
    assert not JS_URL.search(text), path


def test_the_static_scripts_build_no_inline_handlers():
    for script in Path(PROJECT_ROOT / "census" / "static").glob("*.js"):
        text = script.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+=\\?\"", text), script.name
        assert "eval(" not in text and "new Function" not in text, script.name


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    return cookies[-1]


def test_the_session_cookie_is_httponly_and_lax_and_not_secure_over_http(client):
    cookie = session_cookie(client.get("/login"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_over_https_the_session_cookie_is_secure(app):
    client = app.test_client()
    cookie = session_cookie(client.get("/login", base_url="https://census.example"))
    assert "Secure" in cookie and "HttpOnly" in cookie


def _app(tmp_path, **config):
    app = create_app(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "SECRET_KEY": "x",
            "FSYNC": False,
            "TESTING": True,
        }
        | config
    )
    add_user(get_store(app), "admin", "admin", PASSWORD, hash_method=FAST_HASH)
    return app


def test_behind_a_proxy_the_forwarded_scheme_and_address_are_believed(tmp_path):
    app = _app(tmp_path, BEHIND_PROXY=True)
    try:
        client = app.test_client()
        forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
        assert "Secure" in session_cookie(client.get("/login", headers=forwarded))
        token = csrf_token(client, "/login")
        client.post(
            "/login",
            data={"username": "admin", "password": PASSWORD, "csrf_token": token},
            headers=forwarded | {"Referer": "https://localhost/login"},
        )
        login = get_store(app).collection("audit").find_one(action="login")
        assert login["ip"] == "203.0.113.7"
    finally:
        get_store(app).close()


def test_without_the_proxy_setting_forwarded_headers_are_ignored(tmp_path):
    app = _app(tmp_path)
    try:
        response = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "Secure" not in session_cookie(response)
    finally:
        get_store(app).close()


def test_census_secure_cookies_makes_the_cookie_secure_always(tmp_path, monkeypatch):
    monkeypatch.setenv("CENSUS_SECURE_COOKIES", "true")
    app = _app(tmp_path)
    try:
        assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
        assert "Secure" in session_cookie(app.test_client().get("/login"))
    finally:
        get_store(app).close()


def test_logging_in_over_https_keeps_working(app):
    """Over HTTPS, CSRF also checks the Referer: Referrer-Policy same-origin still sends it."""
    client = app.test_client()
    token = csrf_token(client, "https://localhost/login")
    response = client.post(
        "/login",
        data={"username": "reviewer", "password": PASSWORD, "csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},
    )
    assert response.status_code == 302
    assert client.get("/households", base_url="https://localhost").status_code == 200


# -- Strict-Transport-Security: only where the site is known to be HTTPS ----------------------

HSTS = "max-age=31536000"


def test_no_hsts_over_plain_http(client):
    response = client.get("/login")
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_over_https(client):
    for url in ("/login", "/", "/api/v1/households"):
        response = client.get(url, base_url="https://census.example")
        assert response.headers.get("Strict-Transport-Security") == HSTS, url


def test_hsts_behind_the_proxy_only_when_the_proxy_is_believed(tmp_path):
    forwarded = {"X-Forwarded-Proto": "https"}
    believed = _app(tmp_path / "believed", BEHIND_PROXY=True)
    ignored = _app(tmp_path / "ignored")
    try:
        assert (
            believed.test_client()
            .get("/login", headers=forwarded)
            .headers.get("Strict-Transport-Security")
            == HSTS
        )
        assert "Strict-Transport-Security" not in believed.test_client().get("/login").headers
        response = ignored.test_client().get("/login", headers=forwarded)
        assert "Strict-Transport-Security" not in response.headers
    finally:
        get_store(believed).close()
        get_store(ignored).close()


def test_census_secure_cookies_sends_hsts_always(tmp_path, monkeypatch):
    monkeypatch.setenv("CENSUS_SECURE_COOKIES", "true")
    app = _app(tmp_path)
    try:
        response = app.test_client().get("/login")
        assert response.headers.get("Strict-Transport-Security") == HSTS
    finally:
        get_store(app).close()
