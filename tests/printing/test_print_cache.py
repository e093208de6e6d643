"""The print cache: a reprint renders nothing; an edit renders only the building it touched."""

from __future__ import annotations

import copy
from datetime import date, datetime

from print_factories import building_bookmarks

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


def test_buildings_rendered_together_keep_their_own_pages(demo_records, tmp_path):
    from pypdf import PdfReader

    stats = print_list(demo_records, tmp_path)
    batch_files = list((tmp_path / "print-cache").glob("*.pdf"))
    assert len(batch_files) < stats.parts  # several buildings shared a render

    reader = PdfReader(tmp_path / "out.pdf")
    outline = [
        (item.title, reader.get_destination_page_number(item))
        for item in building_bookmarks(reader)
    ]
    titles = [title for title, _ in outline]
    assert sorted(titles) == sorted({h["building"] for h in demo_records.households})
    starts = [page for _, page in outline] + [len(reader.pages)]
    for (building, first), end in zip(outline, starts[1:], strict=True):
        texts = [reader.pages[i].extract_text() for i in range(first, end)]
        assert building in texts[0]  # the building's title on its first page
        for number, text in enumerate(texts, start=1):
            assert f"第 {number} 页 / 共 {len(texts)} 页" in text


def test_a_part_whose_batch_file_is_gone_is_rendered_again(demo_records, tmp_path):
    first = print_list(demo_records, tmp_path)
    for path in (tmp_path / "print-cache").glob("*.pdf"):
        path.unlink()
    again = print_list(demo_records, tmp_path)
    assert (again.rendered, again.cached, again.pages) == (first.parts, 0, first.pages)


def test_a_change_to_the_grid_drawing_code_empties_the_cache(monkeypatch):
    from pathlib import Path

    from census.printing import gridstyle, pipeline

    pipeline.assets_digest.cache_clear()
    before = pipeline.assets_digest()
    drawing = Path(gridstyle.__file__).resolve()
    real = Path.read_bytes

    def edited(path):
        data = real(path)
        return data + b"\n# another colour\n" if path.resolve() == drawing else data

    monkeypatch.setattr(Path, "read_bytes", edited)
    pipeline.assets_digest.cache_clear()
    try:
        assert pipeline.assets_digest() != before
    finally:
        monkeypatch.undo()
        pipeline.assets_digest.cache_clear()
