"""A made-up community for demonstrations and tests: plain data, the same for the same seed.

Every ID number, phone and credit code is valid; a few ID numbers carry a region code that
was created after the holder's birth (a warning, as with real residents), never an error.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from stdnum.cn import uscc

from census.domain.ids import (
    REGION_IN_USE,
    REGION_NEWER,
    make_resident_id,
    region_name,
    region_status,
)

DEMO_DATE = date(2025, 9, 1)
COMMUNITY = {
    "name": "佐斯腾社区",
    "street": "长青街道",
    "district": "沙依巴克区",
    "city": "乌鲁木齐市",
    "region_code": "650103",
    "area_km2": 1.6,
}
GRIDS = ["第一网格", "第二网格", "第三网格"]
# name, grid, type, units, floors (two doors per floor and unit); compounds list their doors.
BUILDINGS = [
    ("1栋", 0, "residential", 2, 6),
    ("2栋", 0, "residential", 2, 6),
    ("3栋", 1, "residential", 2, 5),
    ("5栋", 1, "residential", 3, 5),
    ("民族大院", 2, "compound", 0, 12),
    ("东平房", 2, "bungalow", 0, 8),
]
ROAD = "佐斯腾路"

# Region codes by where people come from; ones not yet (or no longer) in use in a birth year
# are skipped, except now and then, as real IDs issued from 1985 on show (a code newer than
# the birth year is normal and no warning: census.domain.ids.check_region).
URUMQI = ["650102", "650103", "650104", "650105", "650106", "650121"]
OLD_CODES = ["650121", "652323", "652324", "652325", "652327"]
ORIGINS = {
    "汉族": ["412723", "410105", "510104", "620102", "320102", "370102", "652325", "659001"],
    "维吾尔族": ["653101", "653121", "653222", "652922", "652801", "650402", "652101"],
    "回族": ["652301", "652826", "622901", "640104", "640102", "652327"],
    "哈萨克族": ["654021", "652421", "654301", "652328", "654221", "652723"],
    "蒙古族": ["652701", "652722", "652723", "652827", "652828"],
    "锡伯族": ["654022", "652422"],
    "满族": ["210102", "230102", "652301"],
    "柯尔克孜族": ["653023", "653024"],
    "乌孜别克族": ["653101", "654002", "652401"],
    "东乡族": ["622926", "622927"],
    "土家族": ["422801", "433101"],
}
ETHNIC_WEIGHTS = dict(
    汉族=50, 维吾尔族=16, 回族=12, 哈萨克族=9, 蒙古族=4, 锡伯族=2, 满族=2,
    柯尔克孜族=1, 乌孜别克族=1, 东乡族=1, 土家族=1,
)  # fmt: skip
# Naming customs: "han" surname + given name; "turkic" given name · father's name; "mongol".
STYLE = dict(
    维吾尔族="turkic", 哈萨克族="turkic", 柯尔克孜族="turkic", 乌孜别克族="turkic", 蒙古族="mongol"
)
SURNAMES = {
    "han": "王李张刘陈杨赵黄周吴徐孙朱胡郭何高林罗郑梁谢宋唐韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程",
    "回族": "马马马杨李海丁白穆沙纳韩",
    "锡伯族": "关佟吴何安赵",
    "满族": "关那佟金赵",
    "东乡族": "马汪妥",
}
HAN_GIVEN = {
    "male": (
        "建国 志强 伟 军 海涛 晓东 国庆 磊 浩然 子轩 宇航 文博 建华 明 勇 俊杰 永福 天宇"
    ).split(),
    "female": (
        "秀英 丽娟 海燕 桂兰 雨萱 子涵 婷 静 玉兰 淑芬 欣怡 梦瑶 红梅 晓丽 佳怡 慧 春花 思琪"
    ).split(),
}
UYGHUR_GIVEN = {
    "male": (
        "买买提 艾力 吐尔逊 阿不都拉 热合曼 艾合买提 库尔班 亚森 肉孜 吾斯曼 阿迪力 艾尔肯 依明"
    ).split(),
    "female": (
        "阿依古丽 古丽娜尔 热依拉 帕提古丽 迪丽努尔 努尔古丽 阿依努尔 再娜甫 米热古丽 古丽米拉"
    ).split(),
}
KAZAKH_GIVEN = {
    "male": "努尔兰 叶尔兰 别克 哈那提 阿斯哈尔 达吾列提 叶尔江 巴合提 加那提 马合沙提".split(),
    "female": "阿依娜 古丽巴合提 阿克布丽 加娜尔 阿依达娜 玛依拉 哈丽娜 沙吾列".split(),
}
TURKIC_GIVEN = {"维吾尔族": UYGHUR_GIVEN, "乌孜别克族": UYGHUR_GIVEN, "哈萨克族": KAZAKH_GIVEN,
                "柯尔克孜族": KAZAKH_GIVEN}  # fmt: skip
MONGOL_NAMES = {
    "male": "巴特尔 苏和 额尔敦 朝鲁 孟和 达来 宝音 吉日格勒".split(),
    "female": "其其格 斯琴 乌云 娜仁花 格日勒 乌兰 萨仁 高娃".split(),
}
MOBILE_PREFIXES = "130 133 135 136 138 139 150 152 158 159 176 180 181 186 189 199".split()
ROADS = ["人民路", "解放路", "团结路", "新华路", "建设路", "文化路", "友好路"]
# household kind -> weight; _kin makes the members of each kind.
KINDS = dict(
    alone_elderly=7, elderly_couple=10, family=36, three_generations=12, with_parent=8,
    young_couple=8, single=6, left_behind=5, tenants=8,
)  # fmt: skip
STOREFRONTS = [  # name pattern, category, operator ethnicity, licence, premises
    ("{given}烤肉店", "catering", "维吾尔族", "individual", "rented"),
    ("{surname}家牛肉面馆", "catering", "回族", "individual", "rented"),
    ("佳佳乐便利店", "retail", "汉族", "enterprise", "rented"),
    ("{given}民族服饰店", "retail", "哈萨克族", "individual", "owned"),
    ("鑫达家电维修部", "repair", "汉族", "individual", "rented"),
    ("丽人美发店", "services", "汉族", "individual", "rented"),
    ("天山粮油批发部", "wholesale", "回族", "enterprise", "owned"),
    ("快捷洗衣店", "services", "锡伯族", "individual", "rented"),
]
UNITS = [  # name, kind, staff, key unit, safe unit
    ("佐斯腾社区卫生服务站", "hospital", 14, True, True),
    ("佐斯腾小学", "school", 86, True, True),
    ("佐斯腾幼儿园", "school", 32, True, True),
    ("长青街道佐斯腾警务室", "government", 5, False, True),
    ("恒顺物业服务有限公司", "enterprise", 26, False, False),
]


class _Maker:
    """Draws people, numbers and names from one seeded generator, keeping IDs unique."""

    def __init__(self, seed: int, as_of: date) -> None:
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.ids: set[str] = set()

    def pick(self, weights: dict[str, int]) -> str:
        return self.rng.choices(list(weights), list(weights.values()))[0]

    def birth(self, age: int) -> date:
        """A birth date that makes someone ``age`` years old on the reference date."""
        latest = _years_before(self.as_of, age)
        return latest - timedelta(days=self.rng.randrange(1, 365))

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def landline(self) -> str:
        return f"0991-{self.rng.randrange(2, 10)}{self.rng.randrange(10**6):06d}"

    def resident_id(self, region: str, born: date, sex: str) -> str:
        while True:
            number = make_resident_id(region, born, self.rng.randint(1, 499), sex)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def region(self, ethnicity: str, born: date, local: bool) -> str:
        """Where an ID was first issued: here for most residents, else the home region."""
        pool = URUMQI if local else ORIGINS.get(ethnicity, ORIGINS["汉族"])
        status = {code: region_status(code, born.year) for code in pool}
        newer = [code for code, found in status.items() if found == REGION_NEWER]
        usable = [code for code, found in status.items() if found == REGION_IN_USE]
        if newer and self.rng.random() < 0.15:
            return self.rng.choice(newer)
        return self.rng.choice(usable or OLD_CODES)

    def name(self, ethnicity: str, sex: str, surname: str = "", father: str = "") -> str:
        style = STYLE.get(ethnicity, "han")
        if style == "turkic":
            names = TURKIC_GIVEN[ethnicity]
            father = father or self.rng.choice(names["male"])
            own = self.rng.choice([n for n in names[sex] if n != father])
            return f"{own}·{father}"
        if style == "mongol":
            return self.rng.choice(MONGOL_NAMES[sex])
        return (surname or self.surname(ethnicity)) + self.rng.choice(HAN_GIVEN[sex])

    def surname(self, ethnicity: str) -> str:
        return self.rng.choice(SURNAMES.get(ethnicity, SURNAMES["han"]))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _given(name: str) -> str:
    """The person's own name in a "given·father" name, for their children."""
    return name.split("·")[0]


def _family_name(name: str, ethnicity: str) -> str:
    return name[0] if STYLE.get(ethnicity, "han") == "han" else ""


def _person(
    mk: _Maker, relation: str, sex: str, age: int, ethnicity: str, residence: str, **given: Any
) -> dict[str, Any]:
    """One roster entry whose ID number agrees with its birth date and sex."""
    rng = mk.rng
    born = mk.birth(age)
    region = mk.region(ethnicity, born, residence != "floating" and rng.random() < 0.75)
    marital = given.get("marital") or ("single" if age < 22 else "married")
    person: dict[str, Any] = {
        "name": given.get("name") or mk.name(ethnicity, sex),
        "relation": relation,
        "id_type": "resident_id",
        "id_number": mk.resident_id(region, born, sex),
        "sex": sex,
        "birth_date": born.isoformat(),
        "ethnicity": ethnicity,
        "residence_type": residence,
        "hukou_address": None,
        "move_in_date": None,
        "phone": mk.mobile() if age >= 18 else None,
        "political": _political(rng, age),
        "education": _education(rng, age),
        "marital": marital,
        "employment": _employment(rng, age, sex),
        "conditions": list(given.get("conditions", [])),
        "status": "active",
    }
    if person["employment"] == "student" and age >= 18:
        person["education"] = rng.choice(["college", "bachelor"])
    if residence == "floating":
        person["hukou_address"] = f"{region_name(region)}{rng.choice(ROADS)}{rng.randint(1, 200)}号"
        moved = mk.as_of - timedelta(days=rng.randrange(30, 8 * 365))
        person["move_in_date"] = max(moved, born).isoformat()
    if age >= 5 and rng.random() < 0.03:
        person["conditions"].append("disability")
    if sex == "male" and 35 <= age <= 80 and rng.random() < 0.05:
        person["conditions"].append("veteran")
    return person


def _political(rng: random.Random, age: int) -> str:
    if age < 14:
        return "masses"
    if age < 28:
        weights = [45, 5 if age >= 18 else 0, 50]
        return rng.choices(["cyl_member", "cpc_member", "masses"], weights)[0]
    codes = ["masses", "cpc_member", "cpc_probationary", "other_party"]
    return rng.choices(codes, [87, 10, 1, 2])[0]


def _education(rng: random.Random, age: int) -> str | None:
    if age < 6:
        return None if age < 3 else "none"
    for limit, level in ((12, "primary"), (15, "junior"), (18, "senior")):
        if age < limit:
            return level
    levels = ["none", "primary", "junior", "senior", "college", "bachelor", "postgraduate"]
    if age >= 60:
        return rng.choices(levels, [8, 25, 32, 25, 7, 3, 0])[0]
    if age >= 35:
        return rng.choices(levels, [1, 5, 30, 30, 17, 15, 2])[0]
    return rng.choices(levels, [0, 1, 10, 25, 30, 29, 5])[0]


def _employment(rng: random.Random, age: int, sex: str) -> str:
    if age < 6:
        return "preschool"
    if age < 18 or (age < 23 and rng.random() < 0.5):
        return "student"
    if age >= (60 if sex == "male" else 55):
        return rng.choices(["retired", "other"], [90, 10])[0]
    return rng.choices(["employed", "unemployed", "other"], [84, 7, 9])[0]


def _anyone(
    mk: _Maker, relation: str, ages: tuple[int, int], residence: str, **given: Any
) -> dict[str, Any]:
    """Someone of either sex and any ethnicity, aged within ``ages``."""
    sex, ethnicity = mk.rng.choice(["male", "female"]), mk.pick(ETHNIC_WEIGHTS)
    return _person(mk, relation, sex, mk.rng.randint(*ages), ethnicity, residence, **given)


def _spouse_ethnicity(mk: _Maker, ethnicity: str) -> str:
    if mk.rng.random() < 0.85:
        return ethnicity
    turkic = [e for e, s in STYLE.items() if s == "turkic"]
    return mk.rng.choice(turkic if ethnicity in turkic else ["汉族", "回族", "满族", "锡伯族"])


def _child(
    mk: _Maker, parents: list[dict[str, Any]], relation: str, age: int, residence: str, **given: Any
) -> dict[str, Any]:
    """A child of the listed parents, named after the father when he is listed."""
    father = next((p for p in parents if p["sex"] == "male"), None)
    ethnicity = (father or parents[0])["ethnicity"]
    sex = mk.rng.choice(["male", "female"])
    surname = _family_name(father["name"], ethnicity) if father else ""
    dad = _given(father["name"]) if father else ""
    name = mk.name(ethnicity, sex, surname=surname, father=dad)
    return _person(mk, relation, sex, age, ethnicity, residence, name=name, **given)


def _couple(mk: _Maker, age: int, residence: str, **given: Any) -> list[dict[str, Any]]:
    """A head and spouse; the head is usually the husband."""
    rng = mk.rng
    ethnicity = mk.pick(ETHNIC_WEIGHTS)
    head_sex = "male" if rng.random() < 0.8 else "female"
    other = "female" if head_sex == "male" else "male"
    spouse_age = max(20, age + rng.randint(-5, 3))
    head = _person(mk, "head", head_sex, age, ethnicity, residence, **given)
    spouse = _person(
        mk, "spouse", other, spouse_age, _spouse_ethnicity(mk, ethnicity), residence, **given
    )
    return [head, spouse]


def _age(person: dict[str, Any], as_of: date) -> int:
    born = date.fromisoformat(person["birth_date"])
    return as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))


def _roster(mk: _Maker, kind: str, residence: str) -> list[dict[str, Any]]:
    """The members of one household of the given kind, the head first, no two named alike."""
    people = _kin(mk, kind, residence)
    seen: set[str] = set()
    for person in people:
        while person["name"] in seen:
            name, ethnicity, sex = person["name"], person["ethnicity"], person["sex"]
            if "·" in name:
                person["name"] = mk.name(ethnicity, sex, father=name.split("·")[1])
            else:
                person["name"] = mk.name(ethnicity, sex, surname=_family_name(name, ethnicity))
        seen.add(person["name"])
    return people


def _kin(mk: _Maker, kind: str, residence: str) -> list[dict[str, Any]]:
    """Relatives (or flatmates) whose ages leave at least 19 years between generations."""
    rng, as_of = mk.rng, mk.as_of
    if kind == "alone_elderly":
        marital = "widowed" if rng.random() < 0.85 else "divorced"
        alone = ["living_alone_elderly"]
        return [_anyone(mk, "head", (68, 90), residence, marital=marital, conditions=alone)]
    if kind == "single":
        marital = "single" if rng.random() < 0.7 else "divorced"
        return [_anyone(mk, "head", (22, 50), residence, marital=marital)]
    if kind == "tenants":
        people = [_anyone(mk, "head", (20, 35), "floating", marital="single")]
        for _ in range(rng.randint(1, 3)):
            people.append(_anyone(mk, "non_relative", (19, 35), "floating", marital="single"))
        return people
    if kind == "elderly_couple":
        people = _couple(mk, rng.randint(62, 82), residence, conditions=["empty_nest_elderly"])
        if _age(people[1], as_of) < 60:
            people[1]["conditions"].remove("empty_nest_elderly")
        return people
    head_age = {
        "family": (28, 52),
        "three_generations": (56, 72),
        "with_parent": (35, 55),
        "young_couple": (23, 35),
        "left_behind": (58, 70),
    }[kind]
    people = _couple(mk, rng.randint(*head_age), residence)
    younger = min(_age(p, as_of) for p in people)
    if kind == "young_couple":
        if rng.random() < 0.4:
            age = rng.randint(0, min(3, younger - 20))
            people.append(_child(mk, people, "child", age, residence))
        return people
    if kind == "family":
        for _ in range(rng.randint(1, 3)):
            age = younger - rng.randint(20, 36)
            if age >= 0:
                away = age >= 18 and rng.random() < 0.3
                people.append(_child(mk, people, "child", age, "away" if away else residence))
        return people
    if kind == "with_parent":
        age = younger - rng.randint(20, 34)
        if age >= 0:
            people.append(_child(mk, people, "child", age, residence))
        head = people[0]
        parent_sex = "female" if rng.random() < 0.65 else "male"
        parent_age = min(95, _age(head, as_of) + rng.randint(22, 32))
        ethnicity, style, name = head["ethnicity"], STYLE.get(head["ethnicity"], "han"), None
        if parent_sex == "male" and style == "turkic":  # the head's name ends with his name
            name = f"{head['name'].split('·')[-1]}·{mk.name(ethnicity, 'male').split('·')[-1]}"
        elif parent_sex == "male" and style == "han":
            name = mk.name(ethnicity, "male", surname=head["name"][0])
        marital = "widowed" if rng.random() < 0.7 else "married"
        people.append(
            _person(
                mk,
                "parent",
                parent_sex,
                parent_age,
                ethnicity,
                residence,
                name=name,
                marital=marital,
            )
        )
        return people
    # three generations, or grandparents raising a grandchild whose parent works elsewhere
    child_age = younger - rng.randint(22, 28)
    child = _child(
        mk,
        people,
        "child",
        child_age,
        "away" if kind == "left_behind" else residence,
        marital="married",
    )
    people.append(child)
    if kind == "left_behind":
        age = rng.randint(3, min(14, child_age - 20))
        people.append(
            _child(mk, [child], "grandchild", age, residence, conditions=["left_behind_child"])
        )
        return people
    in_law_sex = "female" if child["sex"] == "male" else "male"
    in_law_age = max(20, child_age + rng.randint(-3, 3))
    in_law_ethnicity = _spouse_ethnicity(mk, child["ethnicity"])
    in_law = _person(mk, "child_in_law", in_law_sex, in_law_age, in_law_ethnicity, residence)
    people.append(in_law)
    for _ in range(rng.randint(1, 2)):
        age = min(child_age, in_law_age) - rng.randint(22, 30)
        if age >= 0:
            people.append(_child(mk, [child, in_law], "grandchild", age, residence))
    return people


def _buildings(households: int) -> tuple[list[dict[str, Any]], list[tuple[str, str, str]]]:
    """The buildings (more 24-door blocks when the demo asks for many households) and doors."""
    plan = list(BUILDINGS)
    capacity = sum(units * floors * 2 if units else floors for _, _, _, units, floors in plan)
    number = 6
    while capacity < households:
        plan.append((f"{number}栋", number % len(GRIDS), "residential", 2, 6))
        capacity, number = capacity + 24, number + 1
    buildings, doors = [], []
    for name, grid, kind, units, floors in plan:
        if units:
            rooms = [
                (str(u), f"{f}{d:02d}")
                for u in range(1, units + 1)
                for f in range(1, floors + 1)
                for d in (1, 2)
            ]
        else:
            rooms = [("", f"{k}号") for k in range(1, floors + 1)]
        doors.extend((name, unit, room) for unit, room in rooms)
        buildings.append(
            {"name": name, "grid": GRIDS[grid], "type": kind, "expected_dwellings": len(rooms)}
        )
    return buildings, doors


def _kinds(mk: _Maker, households: int) -> list[str]:
    """Household kinds in door order, with each notable kind present at least once."""
    kinds = mk.rng.choices(list(KINDS), list(KINDS.values()), k=households)
    needed = ["alone_elderly", "left_behind", "tenants", "three_generations", "family"]
    missing = [kind for kind in needed if kind not in kinds]
    spare = [i for i, kind in enumerate(kinds) if kind not in needed or kinds.count(kind) > 1]
    for kind, index in zip(
        missing, mk.rng.sample(spare, min(len(spare), len(missing))), strict=False
    ):
        kinds[index] = kind
    return kinds


def _household(mk: _Maker, number: int, door: tuple[str, str, str], kind: str) -> dict[str, Any]:
    rng = mk.rng
    housing = (
        "rented"
        if kind == "tenants"
        else mk.pick({"owned": 74, "rented": 11, "public": 11, "other": 4})
    )
    floating = housing == "rented" and rng.random() < 0.6 or rng.random() < 0.03
    members = _roster(mk, kind, "floating" if floating else "registered")
    hardship: list[str] = []
    if kind == "alone_elderly" and rng.random() < 0.4:
        hardship.append("extreme_poverty" if rng.random() < 0.25 else "low_income")
    elif rng.random() < 0.06:
        hardship.append(rng.choice(["low_income", "other_hardship"]))
    notes = {
        "alone_elderly": "独居，每月走访一次",
        "left_behind": "子女在外地工作，孙辈由祖父母照看",
        "tenants": "合租",
    }.get(kind, "")
    visited = datetime.combine(mk.as_of - timedelta(days=rng.randint(1, 40)), time(9))
    visited += timedelta(minutes=rng.randrange(10 * 60))
    building, unit, room = door
    return {
        "household_no": f"H{number:04d}",
        "building": building,
        "unit": unit,
        "room": room,
        "housing": housing,
        "landlord_name": mk.name("汉族", rng.choice(["male", "female"]))
        if housing == "rented"
        else None,
        "landlord_phone": mk.mobile() if housing == "rented" else None,
        "hardship": hardship,
        "members": members,
        "notes": notes,
        "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "visited_at": visited.isoformat(timespec="minutes"),
        "visit_outcome": "completed",
    }


def _ensure_cases(mk: _Maker, households: list[dict[str, Any]]) -> None:
    """Make sure the registers the demo shows are not empty, whatever the seed."""
    people = [p for h in households for p in h["members"]]
    adults = [p for p in people if _age(p, mk.as_of) >= 18 and p["residence_type"] != "away"]
    if adults and not any("disability" in p["conditions"] for p in people):
        mk.rng.choice(adults)["conditions"].append("disability")
    men = [p for p in adults if p["sex"] == "male" and _age(p, mk.as_of) >= 35]
    if men and not any("veteran" in p["conditions"] for p in people):
        mk.rng.choice(men)["conditions"].append("veteran")
    if len(households) >= 10 and not any(h["hardship"] for h in households):
        mk.rng.choice(households)["hardship"].append("low_income")


def _uscc(mk: _Maker, licence: str) -> str:
    """A valid code: 92 for a sole trader or 91 for a company, the district, MA + 7 characters."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = ("92" if licence == "individual" else "91") + COMMUNITY["region_code"] + "MA"
    body += "".join(mk.rng.choice(alphabet) for _ in range(7))
    return body + uscc.calc_check_digit(body)


def _storefronts(mk: _Maker, buildings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rng = mk.rng
    residential = [b["name"] for b in buildings if b["type"] == "residential"]
    shops = []
    for index, (pattern, category, ethnicity, licence, premises) in enumerate(STOREFRONTS):
        operator = _person(
            mk, "head", rng.choice(["male", "female"]), rng.randint(25, 58), ethnicity, "registered"
        )
        name = pattern.format(given=_given(operator["name"]), surname=operator["name"][0])
        shops.append(
            {
                "name": name,
                "building": residential[index % len(residential)],
                "address": f"{ROAD}{10 + 2 * index}号",
                "category": category,
                "operator_name": operator["name"],
                "operator_id_number": operator["id_number"],
                "operator_ethnicity": ethnicity,
                "operator_phone": operator["phone"],
                "licence_type": licence,
                "uscc": _uscc(mk, licence),
                "employees": rng.randint(1, 5) if licence == "individual" else rng.randint(6, 20),
                "premises": premises,
                "landlord_name": mk.name("汉族", "male") if premises == "rented" else None,
                "fire_safety_checked": index != 4,
                "status": "closed" if index == 5 else "open",
            }
        )
    return shops


def _units(mk: _Maker) -> list[dict[str, Any]]:
    units = []
    for index, (name, kind, staff, key_unit, safe_unit) in enumerate(UNITS):
        units.append(
            {
                "name": name,
                "kind": kind,
                "address": f"{ROAD}{41 + 2 * index}号",
                "contact": mk.name(mk.pick(ETHNIC_WEIGHTS), mk.rng.choice(["male", "female"])),
                "phone": mk.landline() if index % 4 else mk.mobile(),
                "staff_count": staff,
                "key_unit": key_unit,
                "safe_unit": safe_unit,
            }
        )
    return units


def generate_demo(
    seed: int = 7, households: int = 50, *, as_of: date | None = None
) -> dict[str, Any]:
    """A whole demo community: grids, buildings, households with members, shops and units."""
    mk = _Maker(seed, as_of or DEMO_DATE)
    buildings, doors = _buildings(households)
    chosen = sorted(mk.rng.sample(range(len(doors)), households))
    kinds = _kinds(mk, households)
    rows = [
        _household(mk, n, doors[d], kind)
        for n, (d, kind) in enumerate(zip(chosen, kinds, strict=True), 1)
    ]
    _ensure_cases(mk, rows)
    return {
        "community": dict(COMMUNITY, as_of=mk.as_of.isoformat()),
        "grids": [{"name": name} for name in GRIDS],
        "buildings": buildings,
        "households": rows,
        "storefronts": _storefronts(mk, buildings),
        "units": _units(mk),
    }
