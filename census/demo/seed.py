"""Loading the demo community into a store, through the same save path as every form."""

from __future__ import annotations

from typing import Any

from census.domain.roles import ADMIN, REVIEWER, SURVEYOR
from census.services import accounts, records
from census.surveys.definition import FormDef

DEMO_ACCOUNTS = (
    # username, role, password, display name, grids
    ("admin", ADMIN, "admin1234", "社区管理员", []),
    ("reviewer", REVIEWER, "review1234", "审核员", []),
    ("surveyor1", SURVEYOR, "survey1234", "调查员一", ["第一网格"]),
    ("surveyor2", SURVEYOR, "survey1234", "调查员二", ["第二网格", "第三网格"]),
)


def set_community(store: Any, name: str) -> None:
    """Record the community's name (shown in titles and printouts)."""
    settings = store.collection("settings")
    row = settings.find_one(key="community")
    if row:
        settings.update(row["id"], {"key": "community", "name": name})
    else:
        settings.insert({"key": "community", "name": name}, unique=("key",))


def load_demo(store: Any, data: dict[str, Any], surveys: dict[str, FormDef]) -> dict[str, int]:
    """Insert the demo community; refuses to run twice on a store that has households."""
    if len(store.collection("households")):
        return {}
    set_community(store, data["community"]["name"])
    for grid in data["grids"]:
        store.collection("grids").insert(dict(grid))
    for building in data["buildings"]:
        store.collection("buildings").insert(dict(building), unique=("name",))
    counts: dict[str, int] = {}
    for form_name, key in (
        ("household", "households"),
        ("storefront", "storefronts"),
        ("unit", "units"),
    ):
        saved = 0
        for doc in data[key]:
            meta = {k: doc[k] for k in records.META_KEYS if doc.get(k)}
            raw = {k: v for k, v in doc.items() if k not in records.META_KEYS}
            result = records.save(store, surveys[form_name], raw, user="demo", meta=meta)
            if not result.saved:
                errors = "; ".join(f"{p.path}: {p.code}" for p in result.problems if p.is_error)
                raise ValueError(f"demo {form_name} does not validate: {errors}")
            saved += 1
        counts[key] = saved
    for username, role, password, name, grids in DEMO_ACCOUNTS:
        if not store.collection("users").find_one(username=username):
            accounts.add_user(store, username, role, password, display_name=name, grids=grids)
    return counts
