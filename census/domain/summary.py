"""The community summary (基本情况): the figures of docs/domain.md §6 and the opening words.

``summary`` returns exactly the keys of docs/domain.md §6, counted over the records active on the
register date; ``report_paragraph`` writes them as the communities' own reports do:
“共有居民1057户3753人，其中少数民族1007人，占26.83%，有汉、回、哈萨克等13个民族……”.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from functools import cache
from typing import Any

from census.domain.codes import ethnic_groups
from census.domain.residents import Community, build_community, door
from census.util.gcpause import paused_gc
from census.util.i18n import LIST_SEPARATOR, N_, NC_, gettext, number, paragraph

HAN = "汉族"
PARTY = ("cpc_member", "cpc_probationary")
AGE_BANDS = ("0-17", "18-59", "60-79", "80+")
# The order of docs/domain.md §6; the JSON keeps it.
FIGURES = (
    "households", "residents", "registered_residents", "floating_residents", "away_persons",
    "ethnic_groups", "minority_residents", "minority_share", "minority_ethnic_groups",
    "floating_minority_residents", "rental_dwellings", "hardship_households", "hardship_persons",
    "elderly_60_plus", "elderly_80_plus", "minors", "disabled_persons", "party_members",
    "buildings", "dwellings", "units", "key_units", "safe_units", "storefronts",
    "by_ethnicity", "age_bands",
)  # fmt: skip
# The figures as staff read them (the summary page, its PDF and the CLI table): msgids of the
# one catalogue (census.util.i18n), their English in messages.po.
FIGURE_LABELS: dict[str, str] = {
    "households": N_("户数"),
    "residents": N_("居民人数"),
    "registered_residents": N_("户籍人口"),
    "floating_residents": N_("流动人口"),
    "away_persons": N_("外出人员"),
    "ethnic_groups": N_("民族数"),
    "minority_residents": N_("少数民族人口"),
    "minority_share": N_("少数民族占比"),
    "minority_ethnic_groups": N_("少数民族数"),
    "floating_minority_residents": N_("流动少数民族人口"),
    "rental_dwellings": N_("出租房屋"),
    "hardship_households": N_("困难户"),
    "hardship_persons": N_("困难户人数"),
    "elderly_60_plus": N_("60岁以上老人"),
    "elderly_80_plus": N_("80岁以上老人"),
    "minors": N_("未成年人"),
    "disabled_persons": N_("残疾人"),
    "party_members": N_("党员"),
    "buildings": N_("居民楼（院落）"),
    "dwellings": N_("住户房屋"),
    "units": N_("驻辖区单位"),
    "key_units": N_("重点单位"),
    "safe_units": N_("平安单位"),
    "storefronts": N_("个体工商户及门面"),
    "by_ethnicity": N_("各民族人口"),
    "age_bands": NC_("summary", "年龄段"),
}
# How reports shorten a group's name in a list (“蒙、汉、哈萨克、维、回”); others drop 族.
SHORT_NAMES = {"维吾尔族": "维", "蒙古族": "蒙", "其他未识别民族": "其他"}


def age_band(age: int | None) -> str | None:
    """The band of docs/domain.md §6 an age falls in."""
    if age is None:
        return None
    if age < 18:
        return "0-17"
    if age < 60:
        return "18-59"
    return "60-79" if age < 80 else "80+"


def is_minority(ethnicity: object) -> bool:
    return bool(ethnicity) and ethnicity != HAN


def summary(
    households: list[dict[str, Any]],
    storefronts: list[dict[str, Any]],
    units: list[dict[str, Any]],
    as_of: date,
) -> dict[str, Any]:
    """Every figure of docs/domain.md §6 on ``as_of``, with exactly its keys."""
    with paused_gc():
        return figures_of(build_community(households, as_of), storefronts, units)


def figures_of(
    community: Community, storefronts: list[dict[str, Any]], units: list[dict[str, Any]]
) -> dict[str, Any]:
    """The summary from an already built Community (a page that also draws its charts).

    Read from the Community's columns: no person or household row is made for it.
    """
    return figures_from(tally_of(community), storefronts, units)


@dataclass(frozen=True)
class Tally:
    """What the figures count, kept so that households add up: tally(A + B) = tally(A) + tally(B).

    The summary of a community is ``figures_from`` its tally. A read model that keeps the
    tally of the whole community takes away a changed household's old tally and adds its
    new one instead of counting everyone again. Distinct things (ethnic groups, doors,
    buildings) are counted with how many residents or households hold each, so that they
    disappear with the last one.
    """

    kinds: Counter[str] = field(default_factory=Counter)  # residents per residence type
    ethnicities: Counter[str] = field(default_factory=Counter)  # residents per group (named)
    ages: Counter[int | None] = field(default_factory=Counter)  # residents per age
    floating_minority: int = 0
    disabled: int = 0
    party: int = 0
    away: int = 0
    households: int = 0  # present households
    hardship_households: int = 0
    hardship_persons: int = 0
    doors: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # households per door
    rented: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # rented ones

    # Counters keep positive counts only: a group, door or age nobody holds any more is gone,
    # as if the tally had been made afresh.
    def __add__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, k) + getattr(other, k) for k in _TALLY_FIELDS))

    def __sub__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, k) - getattr(other, k) for k in _TALLY_FIELDS))


def tally_of(community: Community) -> Tally:
    """The tally of a community (or of one household's share of it)."""
    people = community.columns("person")
    kinds, ethnicities = people["residence_type"], people["ethnicity"]
    present = community.present_households()
    hardship = [n for h, n in present if h.get("hardship")]
    return Tally(
        kinds=Counter(kinds),
        ethnicities=Counter(e for e in ethnicities if e),
        ages=Counter(people["age"]),
        floating_minority=sum(
            1
            for kind, ethnicity in zip(kinds, ethnicities, strict=True)
            if kind == "floating" and is_minority(ethnicity)
        ),
        disabled=sum(1 for c in people["conditions"] if "disability" in c),
        party=sum(1 for p in people["political"] if p in PARTY),
        away=community.away_count(),
        households=len(present),
        hardship_households=len(hardship),
        hardship_persons=sum(hardship),
        doors=Counter(door(h) for h, _n in present),
        rented=Counter(door(h) for h, _n in present if h.get("housing") == "rented"),
    )


def figures_from(
    tally: Tally, storefronts: list[dict[str, Any]], units: list[dict[str, Any]]
) -> dict[str, Any]:
    """Every figure of docs/domain.md §6 from a community's tally, its storefronts and units."""
    by_type, by_ethnicity = tally.kinds, tally.ethnicities
    bands: Counter[str | None] = Counter()
    for age, n in tally.ages.items():
        bands[age_band(age)] += n
    minority = sum(n for name, n in by_ethnicity.items() if is_minority(name))
    residents = sum(by_type.values())
    doors = set(tally.doors)
    figures: dict[str, Any] = {
        "households": tally.households,
        "residents": residents,
        "registered_residents": by_type["registered"],
        "floating_residents": by_type["floating"],
        "away_persons": tally.away,
        "ethnic_groups": len(by_ethnicity),
        "minority_residents": minority,
        "minority_share": round(minority / residents, 4) if residents else 0.0,
        "minority_ethnic_groups": sum(1 for name in by_ethnicity if is_minority(name)),
        "floating_minority_residents": tally.floating_minority,
        "rental_dwellings": len(tally.rented),
        "hardship_households": tally.hardship_households,
        "hardship_persons": tally.hardship_persons,
        "elderly_60_plus": bands["60-79"] + bands["80+"],
        "elderly_80_plus": bands["80+"],
        "minors": bands["0-17"],
        "disabled_persons": tally.disabled,
        "party_members": tally.party,
        "buildings": len({building for building, _unit, _room in doors}),
        "dwellings": len(doors),
        "units": len(units),
        "key_units": sum(1 for u in units if u.get("key_unit") is True),
        "safe_units": sum(1 for u in units if u.get("safe_unit") is True),
        "storefronts": sum(1 for s in storefronts if s.get("status") == "open"),
        "by_ethnicity": ethnicity_table(by_ethnicity),
        "age_bands": {band: bands[band] for band in AGE_BANDS},
    }
    return {key: figures[key] for key in FIGURES}


_TALLY_FIELDS = tuple(f.name for f in fields(Tally))


def ethnicity_table(counts: Mapping[str, int]) -> dict[str, int]:
    """Residents per group, largest first; equal counts in the order of GB/T 3304, then by
    name: the same order however the counts were reached (a name outside the code table
    sorts after the table)."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], _code(kv[0]), kv[0])))


@cache
def _positions() -> dict[str, int]:
    return {zh: n for n, (zh, _en) in enumerate(ethnic_groups())}


def _code(name: str) -> int:
    """GB/T 3304 position of a group, for a stable order among equal counts."""
    return _positions().get(name, len(_positions()))


def short_ethnic_name(name: str) -> str:
    """维吾尔族 → 维, 蒙古族 → 蒙, 哈萨克族 → 哈萨克: the way reports list the groups."""
    if name in SHORT_NAMES:
        return SHORT_NAMES[name]
    return name[:-1] if name.endswith("族") and len(name) >= 2 else name


def figure_label(key: str, lang: str = "zh") -> str:
    """The name of a summary figure in a language."""
    return gettext(FIGURE_LABELS[key], lang) if key in FIGURE_LABELS else key


def percent(share: float) -> str:
    """A share as reports print it: 0.2683 → 26.83%."""
    return _percent(share) + "%"


def _percent(share: float) -> str:
    """0.2683 → 26.83, 0.293 → 29.3 (reports drop the trailing zero)."""
    return f"{share * 100:.2f}".rstrip("0").rstrip(".")


def _english_group(name: str) -> str:
    return dict(ethnic_groups()).get(name, name)


# The opening paragraph, a message per sentence, filled with the figures by their keys
# (numbers written as the language writes them); the Chinese are the reports' own words.
OPENING = N_("{community}共有居民{households}户{residents}人")
OPENING_WITH_GROUPS = N_(
    "{community}共有居民{households}户{residents}人，其中少数民族{minority_residents}人，"
    "占{minority_share}%，有{groups}{more}{ethnic_groups}个民族"
)
MORE_GROUPS = NC_("more ethnic groups", "等")  # " and others"
RESIDENCE = N_(
    "户籍人口{registered_residents}人，流动人口{floating_residents}人，外出人员{away_persons}人"
)
RESIDENCE_WITH_MINORITY = N_(
    "户籍人口{registered_residents}人，流动人口{floating_residents}人"
    "（其中少数民族{floating_minority_residents}人），外出人员{away_persons}人"
)
HOUSING = N_(
    "辖区内有居民楼（院落）{buildings}栋，住户房屋{dwellings}套，其中出租房屋{rental_dwellings}个"
)
PEOPLE = N_(
    "60岁以上老人{elderly_60_plus}人（80岁以上{elderly_80_plus}人），未成年人{minors}人，"
    "残疾人{disabled_persons}人，困难户{hardship_households}户{hardship_persons}人，"
    "党员{party_members}名"
)
UNITS = N_(
    "驻辖区单位{units}个，其中重点单位{key_units}个、平安单位{safe_units}个，"
    "个体工商户及门面{storefronts}家"
)


def report_paragraph(
    figures: dict[str, Any], community: str, lang: str = "zh", listed: int = 3
) -> str:
    """The opening paragraph of a work report, written from the summary figures.

    The groups are named as each language lists them: the reports' short names in
    Chinese (汉、回、哈萨克), {groups_en} the English names of the code table.
    """
    names = list(figures["by_ethnicity"])
    shown = names[:listed]
    separator = gettext(LIST_SEPARATOR, lang)
    values: dict[str, object] = {
        key: number(value, lang)
        for key, value in figures.items()
        if isinstance(value, int) and not isinstance(value, bool)
    }
    values.update(
        community=community,
        minority_share=_percent(figures["minority_share"]),
        groups=separator.join(short_ethnic_name(n) for n in shown),
        groups_en=separator.join(_english_group(n) for n in shown),
        more=gettext(MORE_GROUPS, lang) if len(names) > len(shown) else "",
    )
    sentences = [
        OPENING_WITH_GROUPS if figures["residents"] else OPENING,
        RESIDENCE_WITH_MINORITY if figures["floating_minority_residents"] else RESIDENCE,
        HOUSING,
        PEOPLE,
        UNITS,
    ]
    return paragraph([gettext(s, lang, **values) for s in sentences], lang)
