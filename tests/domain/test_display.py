"""One way to write a stored value: the pages, the printouts and the exports all ask here."""

from __future__ import annotations

import pytest

from census.domain.display import blank, timestamp_text, value_text, yes_no
from census.domain.registers import Column
from census.surveys.definition import load_surveys

ID = "110105199003071234"


@pytest.fixture(scope="module")
def form():
    return load_surveys()["household"]


def test_codes_become_words_in_each_language(form) -> None:
    housing, conditions = form.field("housing"), form.field("members.conditions")
    assert value_text(housing, "rented") == "租住"
    assert value_text(housing, "rented", "en") not in ("rented", "租住")
    assert value_text(conditions, ["disability", "veteran"]) == "残疾、退役军人"
    assert ", " in value_text(conditions, ["disability", "veteran"], "en")
    assert value_text(conditions, ["disability", "veteran"], sep="；") == "残疾；退役军人"
    assert value_text(housing, "no_such_code") == "no_such_code"  # an unknown code as stored
    column = Column("sex", {"zh": "性别"}, "select_one", "sex")  # a register's column
    assert value_text(column, "male") == "男" and value_text(column, "male", "en") == "Male"


def test_yes_no_lists_and_nothing(form) -> None:
    assert (yes_no(True), yes_no(False, "en")) == ("是", "No")
    assert value_text(None, True) == "是" and value_text(None, False, "en") == "No"
    assert value_text(None, ["a", "b"]) == "a、b"
    assert value_text(None, 0) == "0"  # 0 is an answer
    for nothing in (None, "", [], ()):
        assert blank(nothing) and value_text(None, nothing) == ""
        assert value_text(form.field("notes"), nothing, empty="—") == "—"
    assert not blank(False) and not blank(0)


def test_id_numbers_are_masked_unless_asked_and_phones_when_printing(form) -> None:
    id_field, phone = form.field("members.id_number"), form.field("members.phone")
    assert value_text(id_field, ID) == "110105********1234"
    assert value_text(id_field, ID, masked=False) == ID
    head_id = Column("head_id_number", {"zh": "户主证件号码"})  # no field type, masked by key
    assert value_text(head_id, ID).count("*") == 8
    assert value_text(phone, "13912345678") == "13912345678"  # pages show phones
    assert value_text(phone, "13912345678", mask_phones=True) == "139****5678"
    head_phone = Column("head_phone", {"zh": "户主电话"})
    assert value_text(head_phone, "13912345678", mask_phones=True) == "139****5678"


def test_timestamps_to_the_minute() -> None:
    assert timestamp_text("2026-11-27T08:57:31") == "2026-11-27 08:57"
    assert timestamp_text(None) == ""
