"""A generated community whose true figures are known by construction.

The design (the literal numbers in TRUE_FIGURES) comes first; people are then made to fit
it: 1,057 households and 3,753 residents, 1,007 of them of 12 minority groups, plus persons
who must NOT count — living elsewhere (away), moved out, died, moving in after the date —
and a second date (PAST) three months earlier, with people who moved in, were born, moved
out or died in between and people whose age crossed 18, 60 or 80 in between.

Each person carries what it was designed to be on each date (its role and its age);
``expected`` tallies those designs. Nothing here calls the code under test.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from census.domain.ids import make_resident_id

AS_OF = date(2025, 9, 1)
PAST = date(2025, 6, 1)  # the window (PAST, AS_OF] is 2 June to 1 September
DATES = (AS_OF, PAST)
HAN = "汉族"

# Residents on AS_OF by ethnic group: 13 groups, 1,007 minority residents.
ETHNICITY = {
    HAN: 2746, "回族": 300, "哈萨克族": 250, "维吾尔族": 200, "蒙古族": 80, "锡伯族": 50,
    "满族": 40, "柯尔克孜族": 25, "乌孜别克族": 20, "东乡族": 15, "土家族": 12, "藏族": 10,
    "壮族": 5,
}  # fmt: skip
AGE_BANDS = {"0-17": 700, "18-59": 2300, "60-79": 620, "80+": 133}
TRUE_FIGURES: dict[str, Any] = {
    "households": 1057,
    "residents": 3753,
    "registered_residents": 3236,
    "floating_residents": 517,
    "away_persons": 85,
    "ethnic_groups": 13,
    "minority_residents": 1007,
    "minority_share": 0.2683,
    "minority_ethnic_groups": 12,
    "floating_minority_residents": 119,
    "rental_dwellings": 165,
    "hardship_households": 48,
    "hardship_persons": 88,
    "elderly_60_plus": 753,
    "elderly_80_plus": 133,
    "minors": 700,
    "disabled_persons": 97,
    "party_members": 121,
    "buildings": 36,
    "dwellings": 1037,
    "units": 22,
    "key_units": 18,
    "safe_units": 19,
    "storefronts": 300,
    "by_ethnicity": ETHNICITY,
    "age_bands": AGE_BANDS,
}
# What the registers hold on AS_OF, by design.
TRUE_REGISTERS = {
    "registered": 3236, "floating": 517, "away": 85, "minority": 1007, "rental": 165,
    "elderly_60": 753, "elderly_80": 133, "living_alone_elderly": 40, "empty_nest_elderly": 70,
    "low_income": 32, "extreme_poverty": 8, "hardship": 48, "disabled": 97, "party_members": 121,
    "veterans": 30, "left_behind_children": 25, "unemployed": 64, "minors": 700,
    "storefronts": 300, "units": 22, "key_units": 18, "safe_units": 19,
}  # fmt: skip
PAST_HEADLINE = {"residents": 3740, "households": 1057, "away_persons": 86}

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = "建国 志强 伟 军 海涛 秀英 丽娟 海燕 桂兰 婷 静 玉兰 明 勇 古丽 努尔兰".split()


@dataclass(eq=False)
class Spec:
    """One person as designed: the roster entry, and its role and age on each date."""

    person: dict[str, Any]
    role: dict[date, str | None]  # "resident", "away" or None (not counted)
    age: dict[date, int]

    @property
    def key(self) -> str:
        return self.person["id_number"]


@dataclass
class Community:
    """The records, and the design they were made from."""

    households: list[dict[str, Any]]
    storefronts: list[dict[str, Any]]
    units: list[dict[str, Any]]
    specs: list[Spec] = field(default_factory=list)
    members: dict[int, list[Spec]] = field(default_factory=dict)  # household index -> specs

    def residents(self, day: date) -> list[Spec]:
        return [s for s in self.specs if s.role[day] == "resident"]

    def present(self, day: date) -> list[dict[str, Any]]:
        """Households with at least one person designed to live here on ``day``."""
        return [
            h
            for i, h in enumerate(self.households)
            if any(s.role[day] == "resident" for s in self.members.get(i, []))
        ]

    def household_residents(self, household: dict[str, Any], day: date) -> int:
        i = self.households.index(household)
        return sum(1 for s in self.members.get(i, []) if s.role[day] == "resident")

    def expected(self, day: date) -> dict[str, Any]:
        """The summary figures tallied from the design."""
        res = self.residents(day)
        present = self.present(day)
        doors = {(h["building"], h["unit"], h["room"]) for h in present}
        rented = {
            (h["building"], h["unit"], h["room"]) for h in present if h["housing"] == "rented"
        }
        hardship = [h for h in present if h["hardship"]]
        eth = Counter(s.person["ethnicity"] for s in res)
        minority = sum(n for g, n in eth.items() if g != HAN)
        ages = [s.age[day] for s in res]
        bands = {
            "0-17": sum(a < 18 for a in ages),
            "18-59": sum(18 <= a < 60 for a in ages),
            "60-79": sum(60 <= a < 80 for a in ages),
            "80+": sum(a >= 80 for a in ages),
        }
        return {
            "households": len(present),
            "residents": len(res),
            "registered_residents": sum(s.person["residence_type"] == "registered" for s in res),
            "floating_residents": sum(s.person["residence_type"] == "floating" for s in res),
            "away_persons": sum(s.role[day] == "away" for s in self.specs),
            "ethnic_groups": len(eth),
            "minority_residents": minority,
            "minority_share": round(minority / len(res), 4),
            "minority_ethnic_groups": len([g for g in eth if g != HAN]),
            "floating_minority_residents": sum(
                s.person["residence_type"] == "floating" and s.person["ethnicity"] != HAN
                for s in res
            ),
            "rental_dwellings": len(rented),
            "hardship_households": len(hardship),
            "hardship_persons": sum(self.household_residents(h, day) for h in hardship),
            "elderly_60_plus": bands["60-79"] + bands["80+"],
            "elderly_80_plus": bands["80+"],
            "minors": bands["0-17"],
            "disabled_persons": sum("disability" in s.person["conditions"] for s in res),
            "party_members": sum(
                s.person["political"] in ("cpc_member", "cpc_probationary") for s in res
            ),
            "buildings": len({h["building"] for h in present}),
            "dwellings": len(doors),
            "units": len(self.units),
            "key_units": sum(u["key_unit"] for u in self.units),
            "safe_units": sum(u["safe_unit"] for u in self.units),
            "storefronts": sum(s["status"] == "open" for s in self.storefronts),
            "by_ethnicity": dict(eth),
            "age_bands": bands,
        }

    def expected_register(self, key: str, day: date) -> set[Any]:
        """Who is on a register by design: ID numbers, household nos., doors or names."""
        res = self.residents(day)
        person_rules = {
            "registered": lambda s: s.person["residence_type"] == "registered",
            "floating": lambda s: s.person["residence_type"] == "floating",
            "minority": lambda s: s.person["ethnicity"] != HAN,
            "elderly_60": lambda s: s.age[day] >= 60,
            "elderly_80": lambda s: s.age[day] >= 80,
            "minors": lambda s: s.age[day] < 18,
            "living_alone_elderly": lambda s: "living_alone_elderly" in s.person["conditions"],
            "empty_nest_elderly": lambda s: "empty_nest_elderly" in s.person["conditions"],
            "disabled": lambda s: "disability" in s.person["conditions"],
            "veterans": lambda s: "veteran" in s.person["conditions"],
            "left_behind_children": lambda s: "left_behind_child" in s.person["conditions"],
            "party_members": lambda s: s.person["political"] in ("cpc_member", "cpc_probationary"),
            "unemployed": lambda s: s.person["employment"] == "unemployed",
        }
        if key == "away":
            return {s.key for s in self.specs if s.role[day] == "away"}
        if key in person_rules:
            return {s.key for s in res if person_rules[key](s)}
        present = self.present(day)
        household_rules = {
            "low_income": lambda h: "low_income" in h["hardship"],
            "extreme_poverty": lambda h: "extreme_poverty" in h["hardship"],
            "hardship": lambda h: bool(h["hardship"]),
        }
        if key in household_rules:
            return {h["household_no"] for h in present if household_rules[key](h)}
        if key == "rental":
            return {
                (h["building"], h["unit"], h["room"]) for h in present if h["housing"] == "rented"
            }
        if key == "storefronts":
            return {s["name"] for s in self.storefronts if s["status"] == "open"}
        flag = {"units": None, "key_units": "key_unit", "safe_units": "safe_unit"}[key]
        return {u["name"] for u in self.units if flag is None or u[flag]}


# ---------------------------------------------------------------- making the people


class _Maker:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seq: Counter[tuple[date, str]] = Counter()
        self.n = 0

    def birth(self, age_now: int, crosses: bool = False, newborn: bool = False) -> date:
        """A birth date giving ``age_now`` on AS_OF; the same age on PAST unless it crosses."""
        rng = self.rng
        if newborn:  # born in the window, so not yet born on PAST
            return date(2025, rng.choice([7, 8]), rng.randint(1, 28))
        if crosses:  # birthday in July: one year younger on PAST
            return date(AS_OF.year - age_now, 7, rng.randint(1, 28))
        if rng.random() < 0.5:  # birthday January to May: already had it on both dates
            return date(AS_OF.year - age_now, rng.randint(1, 5), rng.randint(1, 28))
        # birthday October to December: not yet had it on either date
        return date(AS_OF.year - age_now - 1, rng.randint(10, 12), rng.randint(1, 28))

    def person(self, age_now: int, ethnicity: str, residence: str, born: date) -> dict[str, Any]:
        self.n += 1
        sex = self.rng.choice(["male", "female"])
        self.seq[(born, sex)] += 1
        return {
            "name": self.rng.choice(SURNAMES) + self.rng.choice(GIVEN) + f"{self.n:04d}",
            "relation": "child",
            "sex": sex,
            "id_type": "resident_id",
            "id_number": make_resident_id("650103", born, self.seq[(born, sex)], sex),
            "birth_date": born.isoformat(),
            "ethnicity": ethnicity,
            "residence_type": residence,
            "hukou_address": "甘肃省兰州市城关区" if residence == "floating" else None,
            "move_in_date": None,
            "phone": f"139{self.n:08d}",
            "political": "masses" if age_now >= 18 else None,
            "education": "senior",
            "marital": "married" if age_now >= 25 else "single",
            "employment": "employed"
            if 18 <= age_now < 60
            else "retired"
            if age_now >= 60
            else "student",
            "conditions": [],
            "status": "active",
        }


def _ages(rng: random.Random) -> list[tuple[int, str]]:
    """3,753 ages on AS_OF by band, with the band-crossers and newborns of the window marked."""
    ages: list[tuple[int, str]] = []
    ages += [(0, "newborn")] * 6 + [(18, "crosses")] * 7
    ages += [(rng.randint(0, 17), "") for _ in range(AGE_BANDS["0-17"] - 6)]
    ages += [(rng.randint(18, 59), "") for _ in range(AGE_BANDS["18-59"] - 7)]
    ages += [(60, "crosses")] * 10
    ages += [(rng.randint(60, 79), "") for _ in range(AGE_BANDS["60-79"] - 10)]
    ages += [(80, "crosses")] * 4
    ages += [(rng.randint(80, 99), "") for _ in range(AGE_BANDS["80+"] - 4)]
    rng.shuffle(ages)
    return ages


def _residents(mk: _Maker) -> list[Spec]:
    """The 3,753 residents of AS_OF, attributes dealt out by quota."""
    rng = mk.rng
    ethnicities = [g for g, n in ETHNICITY.items() for _ in range(n)]
    rng.shuffle(ethnicities)
    specs = []
    for (age, tag), ethnicity in zip(_ages(rng), ethnicities, strict=True):
        born = mk.birth(age, crosses=tag == "crosses", newborn=tag == "newborn")
        person = mk.person(age, ethnicity, "registered", born)
        past_age = age - 1 if tag == "crosses" else age
        role = {AS_OF: "resident", PAST: None if tag == "newborn" else "resident"}
        specs.append(Spec(person, role, {AS_OF: age, PAST: past_age}))
    # floating residents: 119 minority, 398 Han
    minority = [s for s in specs if s.person["ethnicity"] != HAN]
    han = [s for s in specs if s.person["ethnicity"] == HAN]
    for s in rng.sample(minority, 119) + rng.sample(han, 398):
        s.person["residence_type"] = "floating"
        s.person["hukou_address"] = "甘肃省兰州市城关区"

    def deal(pool: list[Spec], n: int, **change: Any) -> list[Spec]:
        chosen = rng.sample(pool, n)
        for s in chosen:
            for k, v in change.items():
                if k == "conditions":
                    s.person["conditions"].append(v)
                else:
                    s.person[k] = v
        return chosen

    adults = [s for s in specs if s.age[AS_OF] >= 18]
    working = [s for s in specs if 18 <= s.age[AS_OF] < 60]
    elderly = [s for s in specs if s.age[AS_OF] >= 60]
    children = [s for s in specs if s.age[AS_OF] < 15]
    deal(specs, 97, conditions="disability")
    party = deal(adults, 121, political="cpc_member")
    for s in party[:11]:
        s.person["political"] = "cpc_probationary"
    deal([s for s in working if s.person["political"] == "masses"], 64, employment="unemployed")
    deal(adults, 30, conditions="veteran")
    alone = deal(elderly, 40, conditions="living_alone_elderly")
    deal([s for s in elderly if s not in alone], 70, conditions="empty_nest_elderly")
    deal(children, 25, conditions="left_behind_child")
    return specs


def _not_counted(mk: _Maker) -> list[Spec]:
    """People in the roster who must not count on AS_OF (some did on PAST)."""
    rng = mk.rng
    extras: list[Spec] = []

    def make(n: int, role_now: str | None, role_past: str | None, **change: Any) -> list[Spec]:
        made = []
        for _ in range(n):
            age = rng.choice([8, 35, 66, 85])
            ethnicity = rng.choice([HAN, "回族", "塔吉克族", "维吾尔族"])
            person = mk.person(age, ethnicity, "registered", mk.birth(age))
            # everything a register could pick up, so that a wrong count shows
            person["conditions"] = ["disability", "veteran", "empty_nest_elderly"]
            person["political"] = "cpc_member" if age >= 18 else None
            person.update(change)
            spec = Spec(person, {AS_OF: role_now, PAST: role_past}, {AS_OF: age, PAST: age})
            made.append(spec)
        extras.extend(made)
        return made

    def day_in_window() -> str:
        return (PAST + timedelta(days=rng.randint(1, 91))).isoformat()

    def day_before_past() -> str:
        return (PAST - timedelta(days=rng.randint(0, 900))).isoformat()

    make(85, "away", "away", residence_type="away")
    for _ in range(25):
        make(1, None, None, status="moved_out", status_date=day_before_past())
    for _ in range(13):
        make(1, None, "resident", status="moved_out", status_date=day_in_window())
    make(2, None, "resident", status="moved_out", status_date=AS_OF.isoformat())  # on the day
    for _ in range(12):
        make(1, None, None, status="deceased", status_date=day_before_past())
    for _ in range(8):
        make(1, None, "resident", status="deceased", status_date=day_in_window())
    for days in range(1, 16):  # moving in after AS_OF
        make(1, None, None, move_in_date=(AS_OF + timedelta(days=days)).isoformat())
    for _ in range(2):
        make(
            1, None, None, residence_type="away", status="moved_out", status_date=day_before_past()
        )
    make(1, None, "away", residence_type="away", status="moved_out", status_date=day_in_window())
    make(1, None, None, status="moved_out")  # no date: not counted on any date
    return extras


# ---------------------------------------------------------------- households and places


def _doors(n: int) -> list[tuple[str, str, str]]:
    """n doors spread over 36 buildings (two compounds without units), in dealing order."""
    names = [f"{i}栋" for i in range(1, 35)] + ["民族大院", "东平房"]
    per: Counter[str] = Counter()
    doors = []
    for k in range(n):
        building = names[k % len(names)]
        s = per[building]
        per[building] += 1
        if building in ("民族大院", "东平房"):
            doors.append((building, "", f"{s + 1}号"))
        else:
            doors.append((building, str(s % 2 + 1), f"{s // 4 + 1}{s // 2 % 2 + 1:02d}"))
    return doors


def _sizes(rng: random.Random, count: int, total: int) -> list[int]:
    """count household sizes from 1 to 7 adding up to total."""
    base, extra = divmod(total, count)
    sizes = [base + (i < extra) for i in range(count)]
    for _ in range(count * 3):
        a, b = rng.randrange(count), rng.randrange(count)
        if a != b and sizes[a] > 1 and sizes[b] < 7:
            sizes[a] -= 1
            sizes[b] += 1
    return sizes


GRIDS = ("第一网格", "第二网格", "第三网格")


def _grid(building: str) -> str:
    """Buildings 1, 4, 7 … in the first grid, 2, 5, 8 … in the second; compounds in the third."""
    digits = "".join(ch for ch in building if ch.isdigit())
    return GRIDS[(int(digits) - 1) % 3] if digits else GRIDS[2]


def _household(number: int, door: tuple[str, str, str], housing: str) -> dict[str, Any]:
    building, unit, room = door
    return {
        "id": number,
        "household_no": f"H{number:04d}",
        "building": building,
        "unit": unit,
        "room": room,
        "grid": _grid(building),
        "housing": housing,
        "landlord_name": "房东" + str(number) if housing == "rented" else None,
        "landlord_phone": f"138{number:08d}" if housing == "rented" else None,
        "hardship": [],
        "members": [],
        "notes": "",
        "visit_outcome": "completed",
    }


def build(seed: int = 3753) -> Community:
    """The whole community (deterministic for a seed)."""
    mk = _Maker(seed)
    rng = mk.rng
    residents = _residents(mk)
    extras = _not_counted(mk)

    # Who forms which household: one household moved in wholly in the window; every other
    # household has a head who lived here on both dates.
    movers = [s for s in residents if s.role[PAST] == "resident" and s.age[AS_OF] >= 18]
    newcomers = rng.sample(movers, 30)
    for s in newcomers:
        s.role[PAST] = None
        s.person["move_in_date"] = (PAST + timedelta(days=rng.randint(1, 92))).isoformat()
    newcomers[0].person["move_in_date"] = AS_OF.isoformat()  # moved in on the day: counts
    stable = [s for s in residents if s.role[PAST] == "resident"]
    heads = rng.sample([s for s in stable if s.age[AS_OF] >= 18], 1056)
    head_set = set(map(id, heads))
    new_household = newcomers[:3]
    placed = set(map(id, new_household)) | head_set
    others = [s for s in residents if id(s) not in placed]
    rng.shuffle(others)

    # 48 hardship households of sizes 1x20, 2x16, 3x12 (88 persons); the rest share 3,662.
    hardship_sizes = [1] * 20 + [2] * 16 + [3] * 12
    sizes = hardship_sizes + _sizes(rng, 1056 - 48, 3750 - 88)
    groups: list[list[Spec]] = []
    cursor = 0
    for head, size in zip(heads, sizes, strict=True):
        groups.append([head] + others[cursor : cursor + size - 1])
        cursor += size - 1
    assert cursor == len(others)
    groups.append(new_household)  # the household that moved in during the window

    # Doors: 15 doors shared by two rented households, 5 by a rented and an owned one.
    present_n = len(groups)  # 1057
    door_count = present_n - 20
    doors = _doors(door_count + 2)
    order = list(range(present_n - 1))
    rng.shuffle(order)
    plain = [i for i in order if i >= 48]  # hardship households keep a door of their own
    pairs_rented, pairs_mixed = plain[:30], plain[30:40]
    single_rented = plain[40:184] + [present_n - 1]  # 144 + the newcomers' household
    housing = ["owned"] * present_n
    for i in pairs_rented + single_rented:
        housing[i] = "rented"
    for i in pairs_mixed[::2]:
        housing[i] = "rented"
    for i in range(present_n):
        if housing[i] == "owned":
            housing[i] = rng.choice(["owned", "owned", "public", "other"])
    door_of: dict[int, tuple[str, str, str]] = {}
    free = iter(doors)
    for pair_list in (pairs_rented, pairs_mixed):
        for a, b in zip(pair_list[::2], pair_list[1::2], strict=True):
            door_of[a] = door_of[b] = next(free)
    for i in range(present_n):
        if i not in door_of:
            door_of[i] = next(free)

    community = Community([], [], [])
    number = 0
    for i, group in enumerate(groups):
        number += 1
        h = _household(number, door_of[i], housing[i])
        if i < 30:
            h["hardship"] = ["low_income"]
        elif i < 38:
            h["hardship"] = ["extreme_poverty"]
        elif i < 46:
            h["hardship"] = ["other_hardship"]
        elif i < 48:
            h["hardship"] = ["low_income", "other_hardship"]
        group[0].person["relation"] = "head"
        for s in group[1:]:
            s.person["relation"] = rng.choice(["spouse", "child", "parent", "grandchild"])
        h["members"] = [s.person for s in group]
        community.members[len(community.households)] = list(group)
        community.households.append(h)

    # A household that left in the window (present on PAST only, in hardship then), and one
    # of two persons living elsewhere, alone in building 37栋 (no household there).
    gone_specs = [s for s in extras if s.role[PAST] == "resident"][:2]
    away_pair = [s for s in extras if s.role[AS_OF] == "away"][:2]
    for household, specs in (
        (_household(number + 1, doors[door_count], "owned"), gone_specs),
        (_household(number + 2, ("37栋", "1", "101"), "rented"), away_pair),
    ):
        household["hardship"] = ["low_income"] if specs is gone_specs else ["extreme_poverty"]
        specs[0].person["relation"] = "head"
        specs[1].person["relation"] = "spouse"
        household["members"] = [s.person for s in specs]
        community.members[len(community.households)] = specs
        community.households.append(household)
    number += 2
    # Everyone else who does not count goes into a household that does (not the newcomers').
    for spec in extras:
        if spec in gone_specs or spec in away_pair:
            continue
        i = rng.randrange(present_n - 1)
        spec.person["relation"] = "other_relative"
        community.households[i]["members"].append(spec.person)
        community.members[i].append(spec)
    # A vacant dwelling, surveyed: no members.
    number += 1
    vacant = _household(number, ("37栋", "1", "102"), "owned")
    vacant["visit_outcome"] = "vacant"
    community.households.append(vacant)

    community.specs = residents + extras
    community.storefronts = [
        {
            "name": f"门面{k:03d}",
            "building": f"{k % 34 + 1}栋",
            "address": f"佐斯腾路{k + 1}号",
            "category": ["catering", "retail", "services", "repair"][k % 4],
            "operator_name": f"经营者{k}",
            "status": "closed" if k >= 300 else "open",
        }
        for k in range(312)
    ]
    community.units = [
        {
            "name": f"驻区单位{k:02d}",
            "kind": ["government", "school", "hospital", "enterprise", "other"][k % 5],
            "address": f"佐斯腾路{101 + k}号",
            "key_unit": k < 18,
            "safe_unit": k >= 3,
        }
        for k in range(22)
    ]
    return community
