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


@pytest.fixture(scope="session")
def demo_records():
    """A generated community of 30 households in six buildings and three grids."""
    from datetime import date

    from census.demo.generate import generate_demo
    from census.printing.plans import Records

    demo = generate_demo(households=30, as_of=date(2025, 9, 1))
    grids = {b["name"]: b["grid"] for b in demo["buildings"]}
    for record in demo["households"] + demo["storefronts"]:
        record["grid"] = grids.get(record.get("building"))
    return Records(
        "佐斯腾社区", demo["buildings"], demo["households"], demo["storefronts"], demo["units"]
    )
