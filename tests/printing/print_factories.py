"""Households for print tests (valid IDs, Chinese names, mixed codes) and PDF reading."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any

from pypdf import PdfReader
from stdnum.cn.ric import calc_check_digit

from census.printing import household_list_pdf

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "秀英", "志强", "丽娟", "海燕", "明", "晓东", "桂兰", "子涵", "浩然", "雨萱", "伟"]
ETHNICITIES = ["汉族", "回族", "维吾尔族", "哈萨克族", "蒙古族", "满族"]


def resident_id(region: str, born: date, serial: int, male: bool) -> str:
    """An 18-character resident ID with a correct GB 11643 check digit."""
    seq = serial % 499 * 2 + (1 if male else 2)  # digit 17 odd = male
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + calc_check_digit(body + "0")  # stdnum expects a placeholder check digit


def make_person(index: int, **overrides: Any) -> dict[str, Any]:
    """One person; ``index`` (below 240) makes the name, ID and phone unique."""
    male = index % 2 == 0
    born = date(1940, 1, 1) + timedelta(days=index * 3571 % (80 * 365))
    person = {
        "name": SURNAMES[index % len(SURNAMES)] + GIVEN[index // len(SURNAMES) % len(GIVEN)],
        "relation": "head",
        "sex": "male" if male else "female",
        "ethnicity": ETHNICITIES[index % len(ETHNICITIES)],
        "id_type": "resident_id",
        "id_number": resident_id("110105", born, index, male),
        "birth_date": born.isoformat(),
        "residence_type": "floating" if index % 5 == 0 else "registered",
        "phone": f"139{index:08d}",
        "political": "cpc_member" if index % 7 == 0 else "masses",
        "conditions": ["veteran"] if index % 11 == 0 else [],
        "status": "active",
    }
    person.update(overrides)
    return person


def make_household(index: int, members: int = 3, **overrides: Any) -> dict[str, Any]:
    """A household in 3栋 with a head, a spouse and children; every 4th one rented."""
    relations = ["head", "spouse", "child", "child", "parent"]
    roster = [
        make_person(index * 5 + i, relation=relations[i % len(relations)]) for i in range(members)
    ]
    roster.append(roster.pop(0))  # the head is last in the roster; the printout puts it first
    household = {
        "household_no": f"H{index:04d}",
        "building": "3栋",
        "unit": str(index % 3 + 1),
        "room": f"{index // 3 + 1}0{index % 2 + 1}",
        "housing": "rented" if index % 4 == 0 else "owned",
        "landlord_name": "房东" + SURNAMES[index % len(SURNAMES)] + "某" if index % 4 == 0 else "",
        "hardship": ["low_income"] if index % 6 == 0 else [],
        "members": roster,
        "notes": "",
    }
    household.update(overrides)
    return household


def make_building(count: int) -> list[dict[str, Any]]:
    """``count`` households with unique (unit, room)."""
    return [make_household(i + 1) for i in range(count)]


PRINTED_AT = datetime(2024, 5, 6, 9, 30)


def render_building(households: list[dict[str, Any]], **options: Any) -> PdfReader:
    """Print the household list of 幸福社区 3栋 and open it with pypdf."""
    pdf = household_list_pdf(
        community="幸福社区",
        building="3栋",
        households=households,
        printed_at=PRINTED_AT,
        **options,
    )
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf))


def page_texts(reader: PdfReader) -> list[str]:
    """The extracted text of every page."""
    return [page.extract_text() for page in reader.pages]


def flat(text: str) -> str:
    """``text`` with every run of whitespace (a wrapped table cell) made one space."""
    return " ".join(text.split())


def building_bookmarks(reader: PdfReader) -> list[Any]:
    """The buildings' outline entries, in order: each under its grid's entry."""
    outline = reader.outline
    grids = outline[0::2]  # grid, [its buildings], grid, [its buildings] …
    assert not any(isinstance(grid, list) for grid in grids), "a grid bookmark first"
    return [entry for buildings in outline[1::2] for entry in buildings]
