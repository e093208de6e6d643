"""Templates to PDF: one autoescaping Jinja environment and one locked-down WeasyPrint call."""

from __future__ import annotations

import atexit
import gc
import threading
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from weasyprint import HTML
from weasyprint.document import Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError

from census.printing.fetcher import ResourceRefused, StaticOnlyFetcher, static_base_url
from census.printing.gridstyle import grid_text, rows_image
from census.util.resources import TEMPLATES_DIR

# Building a FontConfiguration scans the system fonts (tens of milliseconds with the
# CJK collections); keep one per thread, as Pango font maps are not shared safely.
_fonts = threading.local()


@cache
def environment() -> Environment:
    """The Jinja environment for print templates: autoescape always on, undefined is an error."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(grid_text=grid_text, rows_image=rows_image)
    return env


def _release_fonts() -> None:
    """Let the main thread's font configuration go while GLib is still there.

    Left to the interpreter's own teardown, the thread-local's Pango font map is freed
    after the libraries it belongs to have begun to go, and the process dies of a
    segmentation fault as it exits (a `census print` that wrote its PDF then exits 139).
    """
    _fonts.__dict__.clear()
    gc.collect()


atexit.register(_release_fonts)


def font_config() -> FontConfiguration:
    """This thread's cached WeasyPrint font configuration."""
    config = getattr(_fonts, "config", None)
    if config is None:
        config = _fonts.config = FontConfiguration()
    return config


def render_html(template_name: str, context: dict[str, Any], *, lang: str = "zh") -> str:
    """The HTML of a print template, with ``lang`` available to the template."""
    return environment().get_template(template_name).render({**context, "lang": lang})


def html_to_document(html: str) -> Document:
    """The laid-out pages of an HTML string; links resolve only to files in the static folder."""
    document = HTML(string=html, base_url=static_base_url(), url_fetcher=StaticOnlyFetcher())
    try:
        return document.render(font_config=font_config())
    except FatalURLFetchingError as error:
        cause = error.__cause__
        if isinstance(cause, ResourceRefused):
            raise ResourceRefused(str(cause)) from None
        raise OSError(f"{error}: {cause}") from cause


def html_to_pdf(html: str) -> bytes:
    """PDF bytes of an HTML string."""
    return html_to_document(html).write_pdf()


def render_pdf(template_name: str, context: dict[str, Any], *, lang: str = "zh") -> bytes:
    """Render a template under templates/ to PDF bytes."""
    return html_to_pdf(render_html(template_name, context, lang=lang))
