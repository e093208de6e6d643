"""The print cache: a reprint renders nothing; an edit renders only the building it touched."""

from __future__ import annotations

import copy
from datetime import date, datetime

from census.printing.pipeline import print_parts
from census.printing.plans import PrintRequest, Records, plan

AS_OF = date(2025, 9, 1)


def print_list(records: Records, data_dir, **options):
    request = PrintRequest(
        "household-list", as_of=AS_OF, printed_at=datetime(2025, 9, 2, 8, 0), **options
    )
    the_plan = plan(request, records)
    return print_parts(the_plan.parts, data_dir / "out.pdf", data_dir, workers=0)


def test_a_second_print_renders_nothing_and_an_edit_one_building(demo_records, tmp_path):
    records = copy.deepcopy(demo_records)
    first = print_list(records, tmp_path)
    buildings = {h["building"] for h in records.households}
    assert first.rendered == first.parts == len(buildings)

    again = print_list(records, tmp_path)
    assert (again.rendered, again.cached, again.pages) == (0, again.parts, first.pages)

    edited = records.households[7]
    edited["members"][0]["name"] = "新名字"
    after_edit = print_list(records, tmp_path)
    assert after_edit.rendered == 1
    assert after_edit.rendered_labels == [edited["building"]]
    assert after_edit.cached == after_edit.parts - 1


def test_masked_and_full_prints_and_languages_are_cached_apart(demo_records, tmp_path):
    grid = demo_records.buildings[0]["grid"]
    masked = print_list(demo_records, tmp_path, grid=grid)
    full = print_list(demo_records, tmp_path, grid=grid, full_ids=True)
    english = print_list(demo_records, tmp_path, grid=grid, lang="en")
    assert masked.rendered == full.rendered == english.rendered == masked.parts
