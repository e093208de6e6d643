"""The WSGI app of a deployment: the first community, and each added one as an app of its own.

Every community is the whole app (``census.app.create_app``) on its own store, made the
first time somebody asks for it. Which one answers a request is chosen here, before any
of them sees it, so that the pages, the tablet's scripts and its offline copy keep the
same addresses in every community:

1. ``?community=<code>`` (the login page's list of communities links there) chooses the
   community and is remembered in the ``census_community`` cookie (an empty code: the
   first community and the street pages);
2. else an API client names it in the ``X-Census-Community`` header;
3. else the cookie;
4. else the first community.

Choosing another community's code gets nobody in: that app has its own accounts and its
own secret key, so a session or token of one community is no session or token in
another — its login page answers instead. One browser works in one community at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from flask import Flask

from census.app import create_app
from census.context import Census
from census.queries.communities import HOME, Community, added, find
from census.queries.street import Unavailable, logged
from census.services.communities import finish_community
from census.store import StoreError
from census.street.places import community_config, valid_code
from census.web import street
from census.web.current import context
from census.web.security import config_flag

COOKIE = "census_community"
HEADER = "HTTP_X_CENSUS_COMMUNITY"
COOKIE_DAYS = 365

StartResponse = Callable[..., Any]


class Deployment:
    """The first community's app, the added communities' apps, and who answers a request."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.overrides = dict(config or {})
        self.home = create_app(self.overrides)
        self.home.extensions["street"] = self
        self._apps: dict[str, Flask] = {}
        self._lock = threading.Lock()
        street.init_app(self.home, home=True)

    # ------------------------------------------------------------------ communities
    @property
    def census(self) -> Census:
        """The first community's context (its store lists the others)."""
        return context(self.home)

    def communities(self) -> list[Community]:
        """Every community of the deployment: the first, then the added ones in order."""
        first = Community(HOME, self.census.community_name())
        return [first, *added(self.census.store)]

    def app_of(self, code: str, *, create: bool = False) -> Flask | None:
        """The app of the community ``code`` (made on first use); None for no such community.

        A store that cannot be opened raises what opening it raised, and is tried again the
        next time it is asked for (a folder repaired, a database back, serve at once). One
        that is gone (its folder, its schema or its tables) is ``StoreMissing``: only
        ``create=True``, when the community is being added, makes its store, and so does
        the first opening of a community listed whose store was never made (adding it
        failed between its entry and its store), which is then marked made."""
        if code == HOME:
            return self.home
        found = self._apps.get(code)
        if found is not None:
            return found
        listed = find(self.census.store, code) if valid_code(code) else None
        if listed is None:
            return None
        with self._lock:
            if code not in self._apps:
                config = community_config(self.home.config, code)
                config |= {"SESSION_COOKIE_NAME": f"session_{code}", "COMMUNITY_NAME": listed.name}
                config["CREATE_STORE"] = create or not listed.made
                app = create_app(config)
                try:
                    finish_community(self.census.store, context(app).store, listed)
                except BaseException:  # tried again next time: its folder not left locked
                    context(app).close()
                    raise
                app.extensions["street"] = self
                street.init_app(app, home=False)
                self._apps[code] = app
            return self._apps[code]

    def open_all(self) -> None:
        """Make every community's app and its figures of today now (a server's start, in the
        background), so that the first street page does not wait for twelve of them."""
        from datetime import date

        for community in self.communities():
            census = self.opened(community)
            if isinstance(census, Unavailable) or census.derived is None:
                continue
            try:
                census.derived.view(date.today(), approved=True).figures()
            except (StoreError, OSError) as exc:
                logged(community, exc)

    def opened(self, community: Community, *, create: bool = False) -> Census | Unavailable:
        """The context of a community of the street, or why its store cannot be opened now
        (logged; the street's tables show it 暂不可用 and go on with the others).
        ``create=True``: the community is being added, its store is made now."""
        try:
            census = self.census_of(community.code, create=create)
        except Exception as exc:  # whatever stops its app: that community alone is left out
            return logged(community, exc)
        if census is None:  # taken off the street's list a moment ago
            return Unavailable("other", f"community {community.code!r} is no longer listed")
        return census

    def census_of(self, code: str, *, create: bool = False) -> Census | None:
        """The context of the community ``code`` (its store, definitions, read models)."""
        app = self.app_of(code, create=create)
        return context(app) if app is not None else None

    def close(self) -> None:
        """Close every community's store."""
        for app in [*self._apps.values(), self.home]:
            context(app).close()

    # ------------------------------------------------------------------ dispatch
    def _secure(self, environ: Mapping[str, Any]) -> bool:
        """Is the community cookie Secure: as the session cookie is (census.web.security:
        always with CENSUS_SECURE_COOKIES, else on every HTTPS request, behind a proxy
        the one it forwarded as HTTPS)."""
        config = self.home.config
        if config.get("SESSION_COOKIE_SECURE"):
            return True
        if str(environ.get("wsgi.url_scheme")) == "https":
            return True
        forwarded = str(environ.get("HTTP_X_FORWARDED_PROTO") or "").split(",")[-1].strip()
        return config_flag(config.get("BEHIND_PROXY")) and forwarded == "https"

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        chosen = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).get("community")
        if chosen is not None:
            code = chosen[0].strip()
            try:
                app = self.app_of(code)
            except Exception as exc:  # its store cannot be opened: 503 in words
                return self._unavailable(code, exc, environ, start_response)
            if app is None:
                return _not_found(start_response)
            return app(environ, _remembering(code, start_response, self._secure(environ)))
        code = str(environ.get(HEADER) or "").strip() or _cookie(environ)
        try:
            app = self.app_of(code) if code else self.home
        except Exception as exc:
            return self._unavailable(code, exc, environ, start_response)
        if app is None:  # a community since removed, or a made-up header: the first one
            app = self.home
        return app(environ, start_response)

    def _unavailable(
        self, code: str, exc: Exception, environ: Mapping[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """The community ``code`` cannot be opened: 503 and why, in words (logged)."""
        try:
            listed = find(self.census.store, code) if valid_code(code) else None
        except (StoreError, OSError):  # the first community's store is failing too
            listed = None
        name = listed.name if listed is not None else code
        found = logged(Community(code, name), exc)
        api = str(environ.get("PATH_INFO") or "").startswith("/api/")
        status, headers, body = street.unavailable_answer(self.home, name, found, api=api)
        start_response(status, headers)
        return [body]


def _cookie(environ: Mapping[str, Any]) -> str:
    cookies = SimpleCookie()
    try:
        cookies.load(str(environ.get("HTTP_COOKIE") or ""))
    except Exception:  # a malformed cookie header: as if there were none
        return ""
    morsel = cookies.get(COOKIE)
    return morsel.value if morsel is not None else ""


def _remembering(code: str, start_response: StartResponse, secure: bool) -> StartResponse:
    """``start_response`` that also sets the cookie choosing ``code`` for the next requests."""
    kept = f"{code}; Max-Age={COOKIE_DAYS * 86400}" if code else "; Max-Age=0"
    cookie = f"{COOKIE}={kept}; Path=/; SameSite=Lax; HttpOnly" + ("; Secure" if secure else "")

    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return start_response(status, [*headers, ("Set-Cookie", cookie)], exc_info)

    return start


def _not_found(start_response: StartResponse) -> Iterable[bytes]:
    body = "没有这个社区 / no such community\n".encode()
    start_response(
        "404 NOT FOUND",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]
