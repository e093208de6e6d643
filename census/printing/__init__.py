"""Printing: Jinja templates to PDF via WeasyPrint, data escaped, nothing fetched from outside.

- ``grid``: long lists laid out and paginated in Python (household lists, registers);
- ``household_list``, ``register_list``, ``cards``, ``summary_print``: what each print shows;
- ``plans``: a print request and plain records -> the parts to render;
- ``pipeline``: parts rendered in worker processes, cached on disk, merged with pypdf;
- ``jobs``: background print jobs with progress, for the web app.
"""

from census.printing.fetcher import ResourceRefused, StaticOnlyFetcher
from census.printing.household_list import household_list_pdf
from census.printing.render import html_to_pdf, render_pdf

__all__ = [
    "ResourceRefused",
    "StaticOnlyFetcher",
    "household_list_pdf",
    "html_to_pdf",
    "render_pdf",
]
