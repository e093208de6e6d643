"""The street's figures (街道汇总): each community's 基本情况 side by side, and their total.

A street office (街道) adds up the summaries of its residents' committees. Each community's
figures are computed on their own (``census.domain.summary``); the street total is made
from those figures, never by counting the street's records a second way, so the 合计 row is
the sum of the rows above it:

- counts add (households, residents, buildings, dwellings, units …): communities never
  share a building or a door, each has its own address tree;
- tables add entry by entry (residents per ethnic group, per age band);
- what is distinct is counted over the added table: an ethnic group living in three
  communities is one group of the street;
- the minority share is worked out again from the added counts, as a community's is
  (never an average of shares).

Pure: figures in, figures out, in the keys and order of ``census.domain.summary.FIGURES``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from census.domain.summary import (
    AGE_BANDS,
    FIGURES,
    ethnicity_table,
    figure_label,
    is_minority,
    percent,
)
from census.util.i18n import N_, NC_, gettext

# Worked out from the added figures rather than added themselves.
DERIVED = ("ethnic_groups", "minority_share", "minority_ethnic_groups", "by_ethnicity", "age_bands")
ADDED = tuple(key for key in FIGURES if key not in DERIVED)

Figures = Mapping[str, Any]
# The figures a street table shows, one column each (the two tables are the summary's own).
PLAIN = tuple(key for key in FIGURES if key not in ("by_ethnicity", "age_bands"))
TOTAL = N_("合计")
WORDS = {
    "community": N_("社区"),
    "register": N_("台账"),
    "summary": N_("街道基本情况"),
    "registers": N_("街道台账"),
    "as_of": N_("统计日期："),
}
# A column head under its group, on one line: 窗口受理 / Window accepted.
GROUPED_HEAD = NC_("column head", "{group}{head}")


def street_total(communities: Iterable[Figures]) -> dict[str, Any]:
    """The total of several communities' summaries, as one community's summary reads."""
    counts: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    bands: Counter[str] = Counter()
    for figures in communities:
        for key in ADDED:
            counts[key] += int(figures.get(key) or 0)
        groups.update({name: int(n) for name, n in (figures.get("by_ethnicity") or {}).items()})
        bands.update({band: int(n) for band, n in (figures.get("age_bands") or {}).items()})
    residents = counts["residents"]
    minority = counts["minority_residents"]
    total: dict[str, Any] = {key: counts[key] for key in ADDED}
    total |= {
        "ethnic_groups": sum(1 for n in groups.values() if n),
        "minority_share": round(minority / residents, 4) if residents else 0.0,
        "minority_ethnic_groups": sum(1 for name, n in groups.items() if n and is_minority(name)),
        "by_ethnicity": ethnicity_table({name: n for name, n in groups.items() if n}),
        "age_bands": {band: bands[band] for band in AGE_BANDS},
    }
    return {key: total[key] for key in FIGURES}


def street_table(
    by_community: Mapping[str, Figures],
) -> list[tuple[str | None, dict[str, Any]]]:
    """One row per community in the order given, then the total (its name ``None``)."""
    rows: list[tuple[str | None, dict[str, Any]]] = [
        (name, {key: figures[key] for key in FIGURES}) for name, figures in by_community.items()
    ]
    rows.append((None, street_total(by_community.values())))
    return rows


@dataclass
class StreetTable:
    """A street table as its print, spreadsheet and command line show it: a title and its
    date, the column heads (with groups over them), a row per community or register, and
    the 合计 (the last row, or with ``total_column`` the last column)."""

    title: str
    when: str  # 统计日期：2025-06-30, or the report's period
    corner: str  # the head of the first column: 社区 or 台账
    heads: list[str]
    rows: list[tuple[str, list[Any]]]
    gate: str = ""  # the review gate's line: which records, how many of all communities wait
    groups: list[tuple[str, int]] = field(default_factory=list)  # (name, columns) over heads
    total_column: bool = False  # the 合计 is the last column, not the last row

    def flat_heads(self, lang: str = "zh") -> list[str]:
        """One head per column, group names joined in (a spreadsheet, the command line):
        窗口受理 / Window accepted."""
        if not self.groups:
            return [self.corner, *self.heads]
        spans = [name for name, span in self.groups for _ in range(span)]
        joined = [
            gettext(GROUPED_HEAD, lang, group=group, head=head)
            for group, head in zip(spans, self.heads, strict=True)
        ]
        return [self.corner, *joined]

    def lines(self) -> list[list[Any]]:
        """Every row with its name first."""
        return [[name, *cells] for name, cells in self.rows]


def _cell(key: str, value: Any) -> Any:
    return percent(value) if key == "minority_share" else value


def summary_table(
    rows: Sequence[tuple[str, Figures]], as_of: date, gate: str = "", lang: str = "zh"
) -> StreetTable:
    """基本情况 of the street: a row per community (in the order given), then 合计."""
    total = street_total(figures for _name, figures in rows)
    body = [(name, [_cell(k, figures[k]) for k in PLAIN]) for name, figures in rows]
    body.append((gettext(TOTAL, lang), [_cell(k, total[k]) for k in PLAIN]))
    return StreetTable(
        title=gettext(WORDS["summary"], lang),
        when=gettext(WORDS["as_of"], lang) + as_of.isoformat(),
        corner=gettext(WORDS["community"], lang),
        heads=[figure_label(k, lang) for k in PLAIN],
        rows=body,
        gate=gate,
    )


def register_total(counts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """The street's rows of each register: the communities' rows added, key by key."""
    total: Counter[str] = Counter()
    for community in counts:
        total.update({key: int(n) for key, n in community.items()})
    return dict(total)


def registers_table(
    names: Sequence[str],
    counts: Sequence[Mapping[str, int]],
    registers: Sequence[tuple[str, str]],
    as_of: date,
    gate: str = "",
    lang: str = "zh",
) -> StreetTable:
    """台账 of the street: a row per register ``(key, title)``, a column per community
    (``counts`` in the order of ``names``), the 合计 column last."""
    total = register_total(counts)
    body = [
        (title, [*(n.get(key, 0) for n in counts), total.get(key, 0)]) for key, title in registers
    ]
    return StreetTable(
        title=gettext(WORDS["registers"], lang),
        when=gettext(WORDS["as_of"], lang) + as_of.isoformat(),
        corner=gettext(WORDS["register"], lang),
        heads=[*names, gettext(TOTAL, lang)],
        rows=body,
        gate=gate,
        total_column=True,
    )
