"""How many members of a realistic community get an ID warning: the previous rule beside today's.

    .venv/bin/python bench/id_warnings.py                       # 10,000 people, seed 15
    .venv/bin/python bench/id_warnings.py --people 50000 --unknown 0.01 --seed 3

Generates households of people born 1930-2010 whose resident IDs are made as they are
issued: with the region code in use where the person was registered, in the year the number
was issued (the birth year from 1985 on, else a year of the first cards, 1985-1995), and a
valid check digit. ``--old-districts`` of them (default 60 %) hold one of five city districts
that have had their code since before stdnum's table begins (上城区 330102, 天山区 650102,
荔湾区 440103, 中原区 410102, 城关区 620102); the others a code drawn from the whole table
that was in use in their year of issue; ``--unknown`` of them (default 2 %) a code the table
does not have (a mistyped region: the genuinely unknown codes).

Every household is cleaned and checked as a save does it (``census.surveys.validate.clean``
and ``census.domain.checks.check_household``). Printed per rule: the share of members with
any warning and with a region warning. "previous" is the rule before this change, kept
here (``previous_rule``): a warning whenever the code was not in use in the birth year
(unknown, newer than the birth year, or given up before it). Never passes or fails.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stdnum import numdb  # noqa: E402

from census.domain import checks  # noqa: E402
from census.domain.ids import (  # noqa: E402
    REGION_IN_USE,
    REGION_UNKNOWN,
    make_resident_id,
    region_status,
)
from census.surveys.definition import load_surveys  # noqa: E402
from census.surveys.validate import clean  # noqa: E402

OLD_DISTRICTS = ["330102", "650102", "440103", "410102", "620102"]
REGION_CODES = ("id_region_unknown", "id_region_retired", "id_region_newer")
TODAY = date(2026, 6, 1)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "秀英", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛"]


def previous_rule(region: str, birth_year: int) -> bool:
    """The rule before this change: a warning unless the code was in use in the birth year.

    ``census.domain.ids.check_region`` warned ``id_region_unknown``, ``id_region_newer`` or
    ``id_region_retired`` exactly when ``region_status`` is not "in use"; kept here as the
    baseline, so that both columns come from the same people in one run.
    """
    return region_status(region, birth_year) != REGION_IN_USE


def county_codes() -> list[str]:
    """Every county-level code in stdnum's table (the last two digits not 00)."""
    text = (Path(numdb.__file__).parent / "cn" / "loc.dat").read_text(encoding="utf-8")
    province = prefecture = ""
    codes = []
    for line in text.splitlines():
        if re.match(r"^\d\d ", line):
            province = line[:2]
        elif re.match(r"^  \d\d\d\d ", line):
            prefecture, county = line[2:4], line[4:6]
            if county != "00":
                codes.append(province + prefecture + county)
    return codes


def unknown_code(rng: random.Random, table: set[str]) -> str:
    """A region code the table does not have, as a typo in a real one makes it."""
    while True:
        code = rng.choice(OLD_DISTRICTS)[:4] + f"{rng.randrange(40, 100):02d}"
        if code not in table and region_status(code, 2000) == REGION_UNKNOWN:
            return code


class Community:
    """People with IDs as they are issued; ``make`` returns the households."""

    def __init__(self, seed: int, old_share: float, unknown_share: float) -> None:
        self.rng = random.Random(seed)
        self.old_share, self.unknown_share = old_share, unknown_share
        self.codes = county_codes()
        self.table = set(self.codes)
        self.by_year: dict[int, list[str]] = {}
        self.taken: set[str] = set()

    def in_use(self, year: int) -> list[str]:
        if year not in self.by_year:
            self.by_year[year] = [c for c in self.codes if region_status(c, year) == REGION_IN_USE]
        return self.by_year[year]

    def region(self, born: date) -> tuple[str, str]:
        """(code, kind): where and when the number was issued."""
        roll = self.rng.random()
        if roll < self.unknown_share:
            return unknown_code(self.rng, self.table), "unknown"
        if roll < self.unknown_share + self.old_share:
            return self.rng.choice(OLD_DISTRICTS), "old district"
        issued = born.year if born.year >= 1985 else self.rng.randint(1985, 1995)
        return self.rng.choice(self.in_use(issued)), "table"

    def person(self, relation: str, born: date, sex: str, surname: str) -> dict[str, Any]:
        region, kind = self.region(born)
        while True:
            number = make_resident_id(region, born, self.rng.randint(1, 499), sex)
            if number not in self.taken:
                self.taken.add(number)
                break
        return {
            "name": surname + self.rng.choice(GIVEN),
            "relation": relation,
            "id_type": "resident_id",
            "id_number": number,
            "sex": sex,
            "birth_date": born.isoformat(),
            "ethnicity": "汉族",
            "residence_type": "registered",
            "status": "active",
            "_kind": kind,
        }

    def born(self, first: int, last: int) -> date:
        start = date(max(first, 1930), 1, 1)
        end = date(min(last, 2010), 12, 31)
        return start + timedelta(days=self.rng.randrange((end - start).days + 1))

    def household(self, n: int) -> dict[str, Any]:
        rng = self.rng
        surname = rng.choice(SURNAMES)
        head_born = self.born(1930, 1988)
        head_sex = rng.choice(["male", "female"])
        members = [self.person("head", head_born, head_sex, surname)]
        if rng.random() < 0.75:
            year = min(max(head_born.year + rng.randint(-4, 4), 1930), 1992)
            other = "female" if head_sex == "male" else "male"
            members.append(
                self.person("spouse", self.born(year, year), other, rng.choice(SURNAMES))
            )
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            first = head_born.year + 22
            if first <= 2010:
                sex = rng.choice(["male", "female"])
                members.append(self.person("child", self.born(first, first + 14), sex, surname))
        if head_born.year >= 1960 and rng.random() < 0.15:
            year = head_born.year - rng.randint(24, 32)
            if year >= 1930:
                sex = rng.choice(["male", "female"])
                members.append(self.person("parent", self.born(year, year), sex, surname))
        return {
            "building": f"{1 + n // 60}栋",
            "unit": str(1 + n % 3),
            "room": f"{1 + n % 20:02d}01",
            "housing": "owned",
            "members": members,
        }

    def make(self, people: int) -> list[dict[str, Any]]:
        households: list[dict[str, Any]] = []
        count = 0
        while count < people:
            households.append(self.household(len(households)))
            count += len(households[-1]["members"])
        return households


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--old-districts", type=float, default=0.60)
    parser.add_argument("--unknown", type=float, default=0.02)
    args = parser.parse_args()

    form = load_surveys()["household"]
    community = Community(args.seed, args.old_districts, args.unknown)
    households = community.make(args.people)
    kinds: dict[str, int] = {}
    rows = {"previous": [0, 0], "now": [0, 0]}
    old_before = old_after = old_total = 0
    born_before_first_table = 0
    members = 0
    for household in households:
        raw = {**household, "members": [dict(m) for m in household["members"]]}
        for m in raw["members"]:
            m.pop("_kind")
        record, problems = clean(form, raw, today=TODAY)
        problems += checks.check_household(record, TODAY)
        for n, member in enumerate(household["members"]):
            members += 1
            kinds[member["_kind"]] = kinds.get(member["_kind"], 0) + 1
            mine = [p for p in problems if p.path.startswith(f"members[{n}].") and not p.is_error]
            if any(p.is_error and p.path.startswith(f"members[{n}].") for p in problems):
                raise SystemExit(f"a generated member is refused: {problems}")
            others = [p for p in mine if p.code not in REGION_CODES]
            region_now = any(p.code in REGION_CODES for p in mine)
            region_then = previous_rule(member["id_number"][:6], int(member["birth_date"][:4]))
            rows["now"][0] += bool(mine)
            rows["now"][1] += region_now
            rows["previous"][0] += bool(others) or region_then
            rows["previous"][1] += region_then
            born_before_first_table += int(member["birth_date"][:4]) < 1983
            if member["_kind"] == "old district":
                old_total += 1
                old_before += region_then
                old_after += bool(mine)

    def pct(count: int, total: int = members) -> str:
        return f"{100 * count / total:5.1f} %" if total else "    -"

    print(
        f"{members:,} members in {len(households):,} households, born 1930-2010 "
        f"({pct(born_before_first_table).strip()} before 1983); seed {args.seed}"
    )
    print(
        "region codes: "
        + ", ".join(f"{kind} {pct(count).strip()}" for kind, count in sorted(kinds.items()))
    )
    print()
    print(f"{'rule':<48} {'any warning':>12} {'region warning':>15}")
    labels = {
        "previous": "previous: any code not in use in the birth year",
        "now": "now: unknown code, or given up before the birth",
    }
    for name, (any_warning, region) in rows.items():
        print(f"{labels[name]:<48} {pct(any_warning):>12} {pct(region):>15}")
    print()
    print(
        f"old city districts alone ({old_total:,} members): any warning "
        f"{pct(old_before, old_total).strip()} before, {pct(old_after, old_total).strip()} now"
    )


if __name__ == "__main__":
    main()
