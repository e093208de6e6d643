"""Resident ID numbers as surveyors type them and as residents really hold them."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.cn import ric

from census.domain.ids import (
    check_person_id,
    check_region,
    check_resident_id,
    make_resident_id,
    mask_id,
    normalise_id,
    region_name,
)

# The example of GB 11643 itself: 北京市朝阳区, born 1949-12-31, a woman, check character X.
STANDARD_EXAMPLE = "11010519491231002X"
# 天山区 (650102) has had its code since 1983; a resident born there in 1975 got an ID with it.
URUMQI_1975 = "650102197503120014"


def codes(problems):
    return [p.code for p in problems]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("11010519491231002x", STANDARD_EXAMPLE),
        ("１１０１０５１９４９１２３１００２Ｘ", STANDARD_EXAMPLE),
        (" 110105 19491231 002x ", STANDARD_EXAMPLE),
        ("110105\u300019491231\t002X\ufeff", STANDARD_EXAMPLE),
        ("ｘ", "X"),
        ("", ""),
    ],
)
def test_normalise_fixes_what_spreadsheets_carry(raw, expected):
    assert normalise_id(raw) == expected


def test_normalise_leaves_other_mistakes_for_the_check():
    assert normalise_id("11010519491231002Y") == "11010519491231002Y"
    assert normalise_id("110105-19491231-002X") == "110105-19491231-002X"


def test_standard_example_is_valid_and_says_birth_date_and_sex():
    result = check_resident_id(STANDARD_EXAMPLE)
    assert result.ok and result.problems == []
    assert result.birth_date == date(1949, 12, 31)
    assert result.sex == "female"


@pytest.mark.parametrize("sex", ["male", "female"])
def test_made_numbers_are_valid_with_the_sex_in_digit_17(sex):
    number = make_resident_id("650104", date(1990, 2, 28), 37, sex)
    result = check_resident_id(number)
    assert result.problems == []
    assert result.sex == sex and result.birth_date == date(1990, 2, 28)
    assert int(number[16]) % 2 == (1 if sex == "male" else 0)
    assert ric.is_valid(number)


@pytest.mark.parametrize(
    "number, length", [("11010519491231002", 17), ("11010519491231002X1", 19), ("", 0)]
)
def test_wrong_length(number, length):
    result = check_resident_id(number)
    assert codes(result.problems) == ["id_length"]
    assert result.problems[0].params == {"length": length}
    assert not result.ok and result.birth_date is None and result.sex is None


@pytest.mark.parametrize(
    "number",
    ["1101051949123100XX", "A1010519491231002X", "11010519491231002Y", "١١٠١٠٥19491231002X"],
)
def test_wrong_characters(number):
    assert codes(check_resident_id(number).problems) == ["id_format"]


@pytest.mark.parametrize(
    "birth, code",
    [
        ("19490230", "id_birth_date"),
        ("19491301", "id_birth_date"),
        ("18800101", "id_birth_too_early"),
        ("20991231", "id_birth_future"),
    ],
    ids=["30 February", "month 13", "before 1900", "in the future"],
)
def test_birth_date_must_be_real_past_and_after_1900(birth, code):
    body = f"110105{birth}002"
    number = body + ric.calc_check_digit(body + "0")
    result = check_resident_id(number, today=date(2025, 1, 1))
    assert codes(result.problems) == [code]
    assert result.problems[0].params["value"] == birth
    assert result.problems[0].is_error and result.birth_date is None


def test_gb11643_example_born_1880_is_refused_for_the_1900_floor_not_as_unreal():
    (problem,) = check_resident_id("440524188001010014").problems
    assert problem.code == "id_birth_too_early" and problem.is_error
    assert problem.message() == "居民身份证号码中的出生年份早于 1900 年（18800101），请核对"
    assert problem.message("en") == (
        "The birth date 18800101 in this resident ID is before 1900; please check"
    )
    assert "不是有效日期" not in problem.message()


def test_wrong_check_digit_names_the_expected_one():
    result = check_resident_id("110105194912310021")
    assert codes(result.problems) == ["id_checksum"]
    assert result.problems[0].params == {"expected": "X"}
    assert result.birth_date is None and result.sex is None


def test_region_listed_from_the_first_table_is_no_finding_for_someone_born_before_it():
    # python-stdnum rejects this real-world number (its issue #442): "[1983-]天山区" means
    # "already there when the table begins", and a warning would fire for most residents.
    assert not ric.is_valid(URUMQI_1975)
    result = check_resident_id(URUMQI_1975)
    assert result.ok and result.problems == []
    assert result.birth_date == date(1975, 3, 12) and result.sex == "male"


def test_code_created_in_2007_held_by_someone_born_in_1992_is_normal():
    # An ID carries the code of where and when it was issued: no warning, anywhere.
    number = make_resident_id("650109", date(1992, 6, 1), 5, "female")  # 米东区
    assert check_resident_id(number).problems == []


@pytest.mark.parametrize("region", ["990101", "110199", "000000"])
def test_unknown_region_is_only_a_warning(region):
    result = check_resident_id(make_resident_id(region, date(1980, 5, 5), 1, "male"))
    assert result.ok
    assert codes(result.problems) == ["id_region_unknown"]
    assert result.problems[0].level == "warning"
    assert result.problems[0].params == {"region": region}


def test_region_given_up_before_the_birth_year_is_only_a_warning():
    # 商水县 (412723) numbers are held by people born before 2000 (stdnum issue #442).
    assert check_resident_id(make_resident_id("412723", date(1980, 1, 1), 1, "male")).problems == []
    result = check_resident_id(make_resident_id("412723", date(2005, 1, 1), 1, "male"))
    assert result.ok and codes(result.problems) == ["id_region_retired"]
    assert result.problems[0].params == {"region": "412723", "year": 2000}


def test_region_codes_in_use_in_the_birth_year_raise_nothing():
    assert check_region("650102", 1983) == []
    assert check_region("650121", 1950) == []  # 乌鲁木齐县: no dates in the table
    assert codes(check_region("650107", 1990)) == []  # 南山矿区, later 达坂城区


def test_region_names_for_hukou_addresses():
    assert region_name("650102") == "新疆维吾尔自治区乌鲁木齐市天山区"
    assert region_name("110105") == "北京市朝阳区"
    assert region_name("990101") == ""


def test_person_id_fills_blanks_from_a_valid_number():
    problems, birth, sex = check_person_id(
        "resident_id", STANDARD_EXAMPLE, birth_date=None, sex=None
    )
    assert problems == [] and birth == date(1949, 12, 31) and sex == "female"


def test_person_id_normalises_before_checking():
    problems, birth, _ = check_person_id(
        "resident_id", "11010519491231002x", birth_date=None, sex=None
    )
    assert problems == [] and birth == date(1949, 12, 31)


def test_person_id_agreeing_birth_date_and_sex():
    problems, _, _ = check_person_id(
        "resident_id", STANDARD_EXAMPLE, birth_date=date(1949, 12, 31), sex="female"
    )
    assert problems == []


def test_birth_date_and_sex_that_differ_from_the_number_are_errors():
    problems, birth, sex = check_person_id(
        "resident_id", STANDARD_EXAMPLE, birth_date=date(1949, 12, 30), sex="male"
    )
    assert codes(problems) == ["birth_date_mismatch", "sex_mismatch"]
    assert problems[0].params == {"expected": "1949-12-31"} and problems[0].path == "birth_date"
    assert problems[1].params == {"expected": "女"} and problems[1].path == "sex"
    assert all(p.is_error for p in problems)
    assert (birth, sex) == (date(1949, 12, 31), "female")


def test_mismatch_is_reported_alongside_a_region_warning():
    number = make_resident_id("659999", date(1975, 3, 12), 7, "male")  # unknown code
    problems, _, _ = check_person_id("resident_id", number, birth_date=None, sex="female")
    assert codes(problems) == ["id_region_unknown", "sex_mismatch"]
    assert problems[1].params == {"expected": "男"}


def test_invalid_resident_id_gives_no_derived_values_and_no_mismatch():
    problems, birth, sex = check_person_id(
        "resident_id", "110105194912310021", birth_date=date(2000, 1, 1), sex="male"
    )
    assert codes(problems) == ["id_checksum"] and problems[0].path == "id_number"
    assert birth is None and sex is None


def test_blank_id_type_with_18_characters_is_a_resident_id():
    problems, birth, _ = check_person_id(None, "110105194912310021", birth_date=None, sex=None)
    assert codes(problems) == ["id_checksum"]
    problems, birth, _ = check_person_id("", STANDARD_EXAMPLE, birth_date=None, sex=None)
    assert problems == [] and birth == date(1949, 12, 31)


@pytest.mark.parametrize(
    "id_type, number",
    [
        ("passport", "E12345678"),
        ("hmt_permit", "H1234567801"),
        ("other", "军官证 第123号"),
        (None, "E12345678"),
    ],
)
def test_other_documents_need_only_short_printable_text(id_type, number):
    assert check_person_id(id_type, number, birth_date=None, sex="male") == ([], None, None)


@pytest.mark.parametrize("number", ["", "   ", "E" * 31, "E123\n456", "E123\x00"])
def test_other_documents_refuse_empty_long_or_unprintable_numbers(number):
    problems, birth, sex = check_person_id("passport", number, birth_date=None, sex=None)
    assert codes(problems) == ["pattern_mismatch"] and problems[0].path == "id_number"
    assert birth is None and sex is None


def test_no_type_and_no_number_is_nothing_to_check():
    assert check_person_id(None, "", birth_date=None, sex=None) == ([], None, None)


@pytest.mark.parametrize(
    "number, masked",
    [
        ("11010519491231002X", "110105********002X"),
        ("E12345678", "E1*****78"),
        ("E1234567", "E1****67"),
        ("1234567", "12****7"),
        ("12345", "1****"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_masking_hides_the_birth_date_and_at_least_four_characters(number, masked):
    assert mask_id(number) == masked
    assert len(masked) == len(number)


@pytest.mark.parametrize(
    "args",
    [
        ("65010", date(1990, 1, 1), 1, "male"),
        ("650102", date(1990, 1, 1), 0, "male"),
        ("650102", date(1990, 1, 1), 500, "male"),
        ("650102", date(1990, 1, 1), 1, "男"),
    ],
)
def test_make_resident_id_refuses_bad_parts(args):
    with pytest.raises(ValueError):
        make_resident_id(*args)
