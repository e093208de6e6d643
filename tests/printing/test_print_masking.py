"""Phone and ID numbers as a printout shows them."""

from __future__ import annotations

import pytest

from census.printing.masking import mask_phone, shown_id, shown_phone


@pytest.mark.parametrize(
    ("raw", "printed"),
    [
        ("13912345678", "139****5678"),
        ("139 1234 5678", "139****5678"),
        ("+86 139-1234-5678", "139****5678"),
        ("0991-4567890", "0991-***7890"),
        ("010-12345678", "010-****5678"),
        ("13912345678;18800001111", "139****5678；188****1111"),
        ("13912345678，0991-4567890", "139****5678；0991-***7890"),
        ("12345", "*2345"),
        ("110", "110"),
        ("", ""),
    ],
)
def test_mask_phone(raw, printed):
    assert mask_phone(raw) == printed


def test_full_values_pass_through_only_when_asked():
    assert shown_phone("13912345678", full=True) == "13912345678"
    assert shown_phone("13912345678", full=False) == "139****5678"
    assert shown_id("11010519900102002X", full=True) == "11010519900102002X"
    assert shown_id("11010519900102002X", full=False) == "110105********002X"
    assert shown_id(None, full=False) == ""
