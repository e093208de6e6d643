"""Security headers on every response, and cookies that are Secure whenever HTTPS is used.

The Content-Security-Policy allows scripts and styles from this site only. Styles may also
be inline: the summary's charts are SVG with their own ``<style>``, and a few bars set their
width in a ``style`` attribute. Scripts may not be inline (the pages have none; data for a
script travels in ``<script type="application/json">`` blocks, which never run).

Behind a reverse proxy that ends HTTPS, set ``CENSUS_BEHIND_PROXY=true``: the proxy's
``X-Forwarded-For`` and ``X-Forwarded-Proto`` are then believed (one hop, werkzeug's
``ProxyFix``), so the audit log and the login throttle see the client's address and the
cookies get their Secure flag. ``CENSUS_SECURE_COOKIES=true`` makes them Secure always.

``Strict-Transport-Security`` (browsers then use HTTPS only, for a year) is sent only when
the site is known to be HTTPS: the request came over HTTPS (directly, or through the proxy
when it is believed) or ``CENSUS_SECURE_COOKIES`` says so. A server reached over plain
HTTP on the office network must not tell browsers that it has a certificate.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
STRICT_TRANSPORT_SECURITY = "max-age=31536000"  # one year: the browser keeps to HTTPS


def config_flag(value: Any) -> bool:
    """A config value as a boolean: true, 1, yes, on (any case) are true."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with the Secure flag on for every HTTPS request."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def install(app: Flask) -> None:
    """Headers after every request, the session cookie's flags and, if asked, ProxyFix."""
    secure = config_flag(app.config.get("SECURE_COOKIES"))
    secure = secure or config_flag(app.config.get("SESSION_COOKIE_SECURE"))
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config["REMEMBER_COOKIE_SAMESITE"] = app.config["SESSION_COOKIE_SAMESITE"]
    app.session_interface = SessionInterface()
    if config_flag(app.config.get("BEHIND_PROXY")) and not isinstance(app.wsgi_app, ProxyFix):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure or app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
        return response
