"""Printing: Jinja templates to PDF via WeasyPrint, data escaped, nothing fetched from outside."""

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
