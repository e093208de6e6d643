"""One cell at a time: what is fixed (only the unambiguous) and what is passed on as written."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sheet_files import SURVEYS

from census.sheets.cells import read_cell, read_date
from census.sheets.vocabulary import vocabulary

VOCAB = vocabulary(SURVEYS["household"])


def cell(key: str, raw):
    return read_cell(VOCAB.targets[key], raw, VOCAB)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1990/1/2", "1990-01-02"),
        ("1990-1-2", "1990-01-02"),
        ("1990.1.2", "1990-01-02"),
        ("1990年1月2日", "1990-01-02"),
        ("19900102", "1990-01-02"),
        (19900102, "1990-01-02"),
        ("１９９０/０１/０２", "1990-01-02"),
        (datetime(1990, 1, 2), "1990-01-02"),
        (date(1990, 1, 2), "1990-01-02"),
        (32875, "1990-01-02"),  # an Excel serial whose cell lost its date format
        (32875.0, "1990-01-02"),
        ("32875", "1990-01-02"),
        ("1990-01-02 00:00:00", "1990-01-02"),
        # Not unambiguous: passed on as written, for clean() to report.
        ("90/1/2", "90/1/2"),
        ("1990/13/2", "1990/13/2"),
        ("19901302", "19901302"),
        ("1990年", "1990年"),
        ("2/1/1990", "2/1/1990"),
    ],
)
def test_dates(raw, expected):
    assert read_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("65010319680512029x", "65010319680512029X"),
        (" 650103 19680512 029X ", "65010319680512029X"),
        ("６５０１０３１９６８０５１２０２９Ｘ", "65010319680512029X"),
        ("'650103196805120298", "650103196805120298"),
        ("E12345678", "E12345678"),
    ],
)
def test_id_numbers(raw, expected):
    assert cell("members.id_number", raw).value == expected


def test_an_id_number_stored_as_a_number_is_reported_not_repaired():
    lost = cell("members.id_number", 6.50103196805121e17)
    assert lost.value is None and lost.problem == "id_number_as_number"
    assert cell("members.id_number", 650103196805120298).problem == "id_number_as_number"
    # Short numbers (passports, old 15-digit IDs) survive Excel and are kept.
    assert cell("members.id_number", 650103680512029).value == "650103680512029"


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        ("members.sex", "男", "male"),
        ("members.sex", "女性", "female"),
        ("members.ethnicity", "汉", "汉族"),
        ("members.ethnicity", "维吾尔", "维吾尔族"),
        ("members.ethnicity", "维", "维吾尔族"),
        ("members.ethnicity", "回族", "回族"),
        ("members.residence_type", "常住人口", "registered"),
        ("members.residence_type", "户籍人口", "registered"),
        ("members.residence_type", "流动人口", "floating"),
        ("members.residence_type", "外出人员", "away"),
        ("members.relation", "户主", "head"),
        ("members.relation", "妻子", "spouse"),
        ("members.relation", "儿媳/女婿", "child_in_law"),
        ("members.political", "中共党员", "cpc_member"),
        ("members.political", "党员", "cpc_member"),
        ("housing", "租住", "rented"),
        ("members.relation", "head", "head"),
        # Unknown words stay as written: clean() reports “表哥”不是可选的值.
        ("members.relation", "表哥", "表哥"),
        ("members.ethnicity", "哈", "哈"),  # 哈萨克族 or 哈尼族: not guessed
    ],
)
def test_code_words(key, raw, expected):
    assert cell(key, raw).value == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("残疾、退役军人", ["disability", "veteran"]),
        ("残疾，独居老人", ["disability", "living_alone_elderly"]),
        ("残疾,空巢老人;留守儿童", ["disability", "empty_nest_elderly", "left_behind_child"]),
        ("残疾人；残疾", ["disability"]),
        ("无", []),
        ("残疾、看守对象", ["disability", "看守对象"]),
    ],
)
def test_several_conditions_in_one_cell(raw, expected):
    assert cell("members.conditions", raw).value == expected


@pytest.mark.parametrize(
    ("raw", "first", "more"),
    [
        ("13912345678；13812345678", "13912345678", ["13812345678"]),
        ("13912345678;13812345678，0991-1234567", "13912345678", ["13812345678", "0991-1234567"]),
        ("13912345678 13812345678", "13912345678", ["13812345678"]),
        ("0991 1234567", "0991 1234567", []),
        (13912345678, "13912345678", []),
        ("无", None, []),
    ],
)
def test_several_phones_in_one_cell(raw, first, more):
    result = cell("members.phone", raw)
    assert (result.value, result.more) == (first, more)


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        ("building", "１栋 ", "1栋"),
        ("unit", "2单元", "2"),
        ("room", " 3０1 室", "301"),
        ("room", "12号", "12号"),
        ("household_no", "Ｈ ００１", "H001"),
        ("members.name", " 张  建国 ", "张建国"),
        ("members.name", "Mary Smith", "Mary Smith"),
        ("notes", "３楼，独居。", "3楼，独居。"),  # Chinese punctuation stays
        ("building", 5, "5"),
    ],
)
def test_text(key, raw, expected):
    assert cell(key, raw).value == expected


def test_a_guarded_formula_is_read_back_as_the_text_it_was():
    assert cell("notes", "'=1+1").value == "=1+1"
    assert cell("notes", "''=1+1").value == "'=1+1"
    assert cell("notes", "'abc").value == "'abc"
