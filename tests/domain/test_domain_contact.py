"""Phone numbers and credit codes as they arrive from forms and old registers."""

from __future__ import annotations

import pytest

from census.domain.contact import check_phone, check_uscc, normalise_phone


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13912345678", "13912345678"),
        ("139 1234 5678", "13912345678"),
        ("139-1234-5678", "13912345678"),
        ("１３９１２３４５６７８", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("0991-1234567", "0991-1234567"),
        ("09911234567", "0991-1234567"),
        ("0991 1234567", "0991-1234567"),
        ("(0991)1234567", "0991-1234567"),
        ("（０９９１）１２３４５６７", "0991-1234567"),
        ("0991–1234567", "0991-1234567"),
        ("0991-123-4567", "0991-1234567"),
        ("01012345678", "010-12345678"),
        ("021-87654321", "021-87654321"),
        ("0991-1234567-801", "0991-1234567-801"),
        ("0991-1234567转801", "0991-1234567-801"),
        ("0991-1234567 ext. 801", "0991-1234567-801"),
    ],
)
def test_normalise_phone(raw, expected):
    assert normalise_phone(raw) == expected
    assert check_phone(raw) == []


@pytest.mark.parametrize(
    "raw",
    [
        "1391234567",  # 10 digits
        "139123456789",  # 12 digits
        "12912345678",  # no mobile starts with 12
        "1234567",  # local number without area code
        "0991-123456",  # local number too short
        "0991-123456789",
        "13912345678;13812345678",  # several numbers in one field
        "13912345678，13812345678",
        "13912345678 13812345678",
        "13912345678/0991-1234567",
        "13912345678转8",
        "电话13912345678",
        "١٣٩١٢٣٤٥٦٧٨",  # Arabic-Indic digits are not silently taken for 0-9
        "abc",
    ],
)
def test_invalid_phones(raw):
    problems = check_phone(raw)
    assert [p.code for p in problems] == ["phone_invalid"]
    assert problems[0].is_error


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_blank_phone_is_not_checked_here(raw):
    assert check_phone(raw) == []


def test_unfixable_phone_comes_back_cleaned_of_spaces():
    assert normalise_phone(" 139 1234 567 ") == "1391234567"


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341L",
        "91110000600037341l",
        "9111 0000 6000 3734 1L",
        "９１１１００００６０００３７３４１Ｌ",
    ],
)
def test_valid_uscc(code):
    assert check_uscc(code) == []


@pytest.mark.parametrize(
    "code, reason",
    [
        ("9111000060003734", "长度"),
        ("91110000600037341L1", "长度"),
        ("A1110000600037341L", "格式"),
        ("91110000600O37341L", "格式"),  # O is not in the alphabet
        ("91110000600037341K", "校验位"),
    ],
)
def test_invalid_uscc_says_why(code, reason):
    problems = check_uscc(code)
    assert [p.code for p in problems] == ["uscc_invalid"]
    assert problems[0].params == {"reason": reason}
    assert reason in problems[0].message()


def test_blank_uscc_is_not_checked_here():
    assert check_uscc("") == [] and check_uscc(None) == []
