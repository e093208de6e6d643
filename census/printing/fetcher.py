"""The only way a print template reaches a file: the package's own static folder.

Names and notes typed by residents and staff end up in print templates. Autoescape
keeps them text; this fetcher is the second wall: whatever URL WeasyPrint asks for,
only files inside ``census/static/`` are served, and everything else stops the render.
The one exception is an SVG image carried in the page itself as a base64 ``data:`` URL
(the grid's column rules, drawn from numbers by ``census.printing.grid``): it reaches no
file and no network, and anything it might link to comes back through this fetcher.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

from census.util.resources import STATIC_DIR

SVG_DATA = "data:image/svg+xml;base64,"


class ResourceRefused(ValueError):
    """A print template asked for a resource outside the package's static folder."""


def static_base_url() -> str:
    """The base URL print templates resolve relative links against (the static folder)."""
    return STATIC_DIR.as_uri() + "/"


def static_path_for(url: str) -> Path:
    """The file inside the static folder that ``url`` names, or ResourceRefused."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise ResourceRefused(
            f"print resources are served only from the census static folder; refused {url!r}"
        )
    path = Path(url2pathname(unquote(parts.path))).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        raise ResourceRefused(
            f"print resources are served only from the census static folder; "
            f"refused {url!r} (not a file in static/)"
        )
    return path


class StaticOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves static files and refuses everything else."""

    def __init__(self) -> None:
        super().__init__(
            allowed_protocols=("file", "data"), allow_redirects=False, fail_on_errors=True
        )

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        """Serve ``url`` from the static folder (or an inline SVG), or raise ResourceRefused."""
        if url.startswith(SVG_DATA):
            try:
                body = base64.b64decode(url[len(SVG_DATA) :], validate=True)
            except (binascii.Error, ValueError):
                raise ResourceRefused("print resources: an unreadable inline SVG") from None
            return URLFetcherResponse(url, body=body, headers={"Content-Type": "image/svg+xml"})
        path = static_path_for(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
        )
