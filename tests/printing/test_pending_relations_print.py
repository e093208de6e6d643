"""While an import's relations wait to be verified, printouts say so instead of a blank.

A person sheet without 与户主关系 stores every member with ``pending_fields: ["relation"]``
and the household with ``housing`` and ``members.relation`` to verify (tests/sheets/
test_pending_members.py). A signed household list or card with a blank 与户主关系 reads as
forgotten, and a register's 户主姓名 left blank (or filled with whoever comes first, as if
known) is not true: the cells say 待核实, and the first member stands for the head marked
户主00（待核实）. The PDFs are printed and read back.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from print_factories import flat, make_household
from pypdf import PdfReader

from census.printing.pipeline import print_parts
from census.printing.plans import PrintRequest, Records, plan

AS_OF = date(2025, 9, 1)
AT = datetime(2025, 9, 2, 10, 15)


def waiting(index: int, members: int = 3, **overrides) -> dict:
    """A household as such an import stores it: no relation, no housing, both to verify."""
    household = make_household(index, members=members, housing=None, **overrides)
    household["members"].insert(0, household["members"].pop())  # the sheet's order
    for member in household["members"]:
        member.update(relation=None, pending_fields=["relation"])
    household["pending_fields"] = ["housing", "members.relation"]
    return household


def community() -> tuple[Records, list[dict]]:
    households = [waiting(1, hardship=["low_income"]), waiting(2, members=2)]
    known = make_household(3, hardship=["low_income"])  # relations typed in: as before
    households.append(known)
    return Records("幸福社区", [{"name": "3栋", "grid": "第一网格"}], households), households


def printed(tmp_path, target: str, lang: str = "zh") -> str:
    records, _ = community()
    request = PrintRequest(target, as_of=AS_OF, printed_at=AT, lang=lang, approved=False)
    out = tmp_path / f"{target}-{lang}.pdf"
    print_parts(plan(request, records).parts, out, tmp_path / "cache", workers=0)
    return "\n".join(page.extract_text() for page in PdfReader(out).pages)


def lines_of(text: str, name: str) -> list[str]:
    return [flat(line) for line in text.splitlines() if name in line]


def test_the_household_list_says_to_verify_where_relation_and_housing_wait(tmp_path):
    _, households = community()
    text = printed(tmp_path, "household-list")
    first = households[0]
    for member in first["members"]:
        (line,) = lines_of(text, member["name"])
        assert "待核实" in line, line  # 与户主关系
    (head_line,) = lines_of(text, first["members"][0]["name"])
    assert head_line.count("待核实") == 2  # 住房 on the household's first line, and relation
    known = households[2]
    head = next(m for m in known["members"] if m["relation"] == "head")
    (line,) = lines_of(text, head["name"])
    assert "待核实" not in line and " 户主 " in line and " 自有 " in line

    english = printed(tmp_path, "household-list", "en")
    (line,) = lines_of(english, first["members"][1]["name"])
    assert "To verify" in line and "待核实" not in english


def test_the_cards_say_to_verify_in_the_relation_row_and_housing(tmp_path):
    _, households = community()
    text = printed(tmp_path, "household-cards")
    pages = text.split("户主签字")
    first = next(p for p in pages if households[0]["household_no"] in p)
    (relation,) = [
        flat(line) for line in first.splitlines() if line.strip().startswith("与户主关系")
    ]
    assert relation == "与户主关系 待核实 待核实 待核实"
    (housing,) = [flat(line) for line in first.splitlines() if "住房性质" in line]
    assert housing.startswith("住房性质 待核实")


def test_a_household_register_names_the_first_member_as_head_to_verify(tmp_path):
    _, households = community()
    text = printed(tmp_path, "low_income")
    first = households[0]["members"][0]["name"]
    assert re.search(rf"{first}\s*（待核实）", text), text
    known = next(m for m in households[2]["members"] if m["relation"] == "head")["name"]
    assert known in text and not re.search(rf"{known}\s*（待核实）", text)

    english = printed(tmp_path, "low_income", "en")
    assert re.search(rf"{first}\s*\(to\s+verify\)", english), english


def test_a_person_register_says_to_verify_in_the_relation_column(tmp_path):
    _, households = community()
    text = printed(tmp_path, "registered")
    for member in households[0]["members"]:
        if member["residence_type"] == "registered":
            (line,) = lines_of(text, member["name"])
            assert "待核实" in line, line
