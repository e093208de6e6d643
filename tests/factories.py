"""Record factories for tests: valid households and members with docs/domain.md keys and codes."""

from __future__ import annotations

from datetime import date
from typing import Any

from census.domain.ids import make_resident_id


def make_member(n: int = 0, **overrides: Any) -> dict[str, Any]:
    """A valid roster entry; n varies the person."""
    sex = "male" if n % 2 == 0 else "female"
    born = date([1960, 1962, 1986, 1988, 2012, 1991, 1993][n % 7], 1 + n % 12, 1 + (3 * n) % 28)
    member = {
        "name": ["张建国", "李秀兰", "张伟", "王芳", "张小明", "马丽", "阿依古丽"][n % 7],
        "relation": "head"
        if n == 0
        else ["spouse", "child", "child", "grandchild", "non_relative"][(n - 1) % 5],
        "sex": sex,
        "ethnicity": "汉族" if n % 3 else "回族",
        "id_type": "resident_id",
        "id_number": make_resident_id("110105", born, 10 + n, sex),
        "birth_date": born.isoformat(),
        "residence_type": "registered",
        "phone": f"1391234{5670 + n:04d}",
        "political": "masses",
        "education": "senior",
        "marital": "married" if n < 2 else "single",
        "employment": "employed",
        "conditions": [],
        "status": "active",
    }
    member.update(overrides)
    return member


def make_household(members: int = 3, **overrides: Any) -> dict[str, Any]:
    """A valid household document with docs/domain.md keys and codes."""
    household = {
        "building": "1栋",
        "unit": "1",
        "room": "101",
        "housing": "owned",
        "hardship": [],
        "members": [make_member(n) for n in range(members)],
        "notes": "",
    }
    household.update(overrides)
    return household


def make_storefront(**overrides: Any) -> dict[str, Any]:
    """A valid storefront (门面) in 1栋 with the form's keys and codes."""
    return {
        "name": "红柳烤肉店",
        "building": "1栋",
        "address": "1栋101底商",
        "category": "catering",
        "operator_name": "马明",
        "status": "open",
    } | overrides


def form_fields(household: dict[str, Any]) -> dict[str, Any]:
    """A household as the browser posts its form: members-0-name, lists as repeated keys."""
    data: dict[str, Any] = {}
    for key, value in household.items():
        if key == "members":
            for n, member in enumerate(value):
                for mkey, mvalue in member.items():
                    data[f"members-{n}-{mkey}"] = mvalue if mvalue is not None else ""
        else:
            data[key] = value if value is not None else ""
    return data
