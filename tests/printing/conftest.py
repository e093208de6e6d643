"""Fixtures for print tests: one rendered 40-household building shared by the module tests."""

from __future__ import annotations

from typing import Any

import pytest
from print_factories import make_building, render_building
from pypdf import PdfReader


@pytest.fixture(scope="module")
def forty_households() -> list[dict[str, Any]]:
    """A building of 40 households, three people each, enough for several pages."""
    return make_building(40)


@pytest.fixture(scope="module")
def forty_pdf(forty_households: list[dict[str, Any]]) -> PdfReader:
    """The printed household list of the 40-household building, IDs masked."""
    return render_building(forty_households)
