"""Repeats inside repeats, repeat counts and photos: from the XLSForm to what is stored.

A household roster whose members each list their children (a repeat in a repeat), whose
roster has as many rows as the household size says, and whose members may have a photo.
"""

from __future__ import annotations

import base64
import io
from datetime import date

import pytest
from PIL import Image

from census.surveys.definition import parse_definition
from census.surveys.photos import MAX_PHOTO_BYTES, Photo
from census.surveys.validate import clean, has_errors
from census.surveys.xlsform import XLSFormError, translate
from tests.surveys.xlsform_files import SURVEY_HEAD, xlsform

TODAY = date(2026, 3, 15)
HEAD = (*SURVEY_HEAD, "calculation", "repeat_count")
NESTED = [
    ("integer", "hh_size", "家庭人数", "Size", "", "", "yes"),
    ("begin_repeat", "members", "成员", "Members", "", "", "", "", "", "", "", "${hh_size}"),
    ("text", "m_name", "姓名", "Name", "", "", "yes"),
    ("integer", "n_kids", "子女数", "Children"),
    ("begin_repeat", "kids", "子女", "Children", "", "", "", "", "", "", "", "${n_kids}"),
    ("text", "k_name", "子女姓名", "Child", "", "", "yes"),
    ("integer", "k_age", "子女年龄", "Age", "", "", "", ". <= 120", "${hh_size} > 0"),
    ("calculate", "k_no", "", "", "", "", "", "", "", "", "position(..)"),
    ("calculate", "k_parent", "", "", "", "", "", "", "", "", "${m_name}"),
    ("end_repeat",),
    ("calculate", "kid_count", "", "", "", "", "", "", "", "", "count(${kids})"),
    ("calculate", "first_kid", "", "", "", "", "", "", "", "",
     "indexed-repeat(${k_name}, ${kids}, 1)"),
    ("image", "m_photo", "照片", "Photo"),
    ("end_repeat",),
]  # fmt: skip


def form_of(rows=NESTED):
    definition = translate(xlsform(rows, [], {}, HEAD)).definition
    return parse_definition(dict(definition, collection="survey_roster"), "x.xlsx")


def jpeg_with_gps(size=(64, 48)) -> bytes:
    """A small real JPEG whose EXIF says where it was taken."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Census Camera"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (43.0, 49.0, 32.0)
    gps[3], gps[4] = "E", (87.0, 37.0, 0.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def data_url(data: bytes, kind: str = "jpeg") -> str:
    return f"data:image/{kind};base64," + base64.b64encode(data).decode()


def answers(**members):
    rows = [
        {"m_name": "阿依古丽", "n_kids": "2", "kids": [{"k_name": "小明", "k_age": "3"},
                                                        {"k_name": "小红", "k_age": "5"}]},
        {"m_name": "买买提", "n_kids": "0", "kids": []},
    ]  # fmt: skip
    return {"hh_size": "2", "members": rows} | members


def test_a_repeat_inside_a_repeat_is_accepted_and_stored_as_nested_lists():
    form = form_of()
    assert [f.key for f in form.field("members").fields if f.type == "repeat"] == ["kids"]
    record, problems = clean(form, answers(), today=TODAY)
    assert not has_errors(problems), [(p.path, p.code) for p in problems]
    first, second = record["members"]
    assert [k["k_name"] for k in first["kids"]] == ["小明", "小红"]
    assert [k["k_no"] for k in first["kids"]] == [1, 2]  # position(..) in the inner row
    assert [k["k_parent"] for k in first["kids"]] == ["阿依古丽", "阿依古丽"]  # its outer row
    assert first["kid_count"] == 2 and first["first_kid"] == "小明"
    assert second["kids"] == [] and second["kid_count"] == 0


def test_each_inner_row_is_checked_with_its_own_path():
    body = answers()
    body["members"][0]["kids"][1] = {"k_name": "", "k_age": "130"}
    _record, problems = clean(form_of(), body, today=TODAY)
    found = {(p.path, p.code) for p in problems}
    assert ("members[0].kids[1].k_name", "required") in found
    assert ("members[0].kids[1].k_age", "integer_max") in found or any(
        p.path == "members[0].kids[1].k_age" for p in problems
    )


def test_the_inner_rows_relevance_reads_the_form_outside_both_repeats():
    body = answers(hh_size="0", members=[])
    record, problems = clean(form_of(), body, today=TODAY)
    assert not has_errors(problems)
    body = answers()
    record, _ = clean(form_of(), body, today=TODAY)
    assert record["members"][0]["kids"][0]["k_age"] == 3  # hh_size > 0: asked and kept


def test_repeats_deeper_than_three_levels_are_refused_at_their_cell():
    rows = []
    for n in range(4):
        rows += [("begin_repeat", f"r{n}", f"第{n}层", f"L{n}"), ("text", f"t{n}", "T", "T")]
    rows += [("end_repeat",)] * 4
    with pytest.raises(XLSFormError) as refused:
        translate(xlsform(rows, [], {}, HEAD))
    assert [(p.code, p.cell) for p in refused.value.problems] == [("nested_repeat", "A8")]


def test_a_repeat_count_from_an_answer_is_enforced_on_the_server():
    form = form_of()
    _record, problems = clean(form, answers(hh_size="3"), today=TODAY)
    (wrong,) = [p for p in problems if p.code == "repeat_count_mismatch"]
    assert wrong.path == "members"
    assert wrong.message("zh") == "“成员”应有 3 项（收到 2 项）"
    assert "should have 3 entries" in wrong.message("en")
    body = answers()
    body["members"][0]["n_kids"] = "1"  # two children given
    _record, problems = clean(form, body, today=TODAY)
    assert [(p.path, p.code) for p in problems] == [("members[0].kids", "repeat_count_mismatch")]


def test_a_fixed_repeat_count_is_enforced_too():
    rows = [
        ("begin_repeat", "visits", "走访", "Visits", "", "", "", "", "", "", "", "2"),
        ("text", "v_note", "记录", "Note"),
        ("end_repeat",),
    ]
    form = form_of(rows)
    _record, problems = clean(form, {"visits": [{"v_note": "一"}]}, today=TODAY)
    assert [p.params["expected"] for p in problems] == [2]
    _record, problems = clean(form, {"visits": [{"v_note": "一"}, {"v_note": "二"}]}, today=TODAY)
    assert problems == []


def test_a_photo_is_read_by_its_content_and_its_gps_taken_out():
    form = form_of()
    body = answers()
    body["members"][0]["m_photo"] = data_url(jpeg_with_gps())
    record, problems = clean(form, body, today=TODAY)
    assert not has_errors(problems)
    photo = record["members"][0]["m_photo"]
    assert isinstance(photo, Photo) and photo.endswith(".jpg") and len(photo) == 36
    with Image.open(io.BytesIO(photo.content)) as image:
        exif = image.getexif()
        assert image.format == "JPEG" and image.size == (64, 48)
        assert 0x8825 not in exif and exif[0x010F] == "Census Camera"  # only the place goes


def test_a_photo_that_is_not_a_jpeg_or_png_or_too_large_is_refused():
    form = form_of()
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    for value, code in [
        (data_url(gif.getvalue(), "png"), "photo_invalid"),  # the content decides
        (data_url(b"not an image"), "photo_invalid"),
        ("../../secret_key", "photo_invalid"),
        ("data:image/jpeg;base64," + "A" * (MAX_PHOTO_BYTES * 4 // 3 + 8), "photo_too_large"),
    ]:
        body = answers()
        body["members"][1]["m_photo"] = value
        _record, problems = clean(form, body, today=TODAY)
        assert [(p.path, p.code) for p in problems] == [("members[1].m_photo", code)], code


def test_a_png_photo_is_kept_as_png():
    out = io.BytesIO()
    Image.new("RGB", (10, 10), (0, 0, 255)).save(out, "PNG")
    body = answers()
    body["members"][1]["m_photo"] = data_url(out.getvalue(), "png")
    record, problems = clean(form_of(), body, today=TODAY)
    assert not problems and record["members"][1]["m_photo"].endswith(".png")
    assert record["members"][1]["m_photo"].content == out.getvalue()  # no GPS: as it came
