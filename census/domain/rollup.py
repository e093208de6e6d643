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
from collections.abc import Iterable, Mapping
from typing import Any

from census.domain.summary import AGE_BANDS, FIGURES, ethnicity_table, is_minority

# Worked out from the added figures rather than added themselves.
DERIVED = ("ethnic_groups", "minority_share", "minority_ethnic_groups", "by_ethnicity", "age_bands")
ADDED = tuple(key for key in FIGURES if key not in DERIVED)

Figures = Mapping[str, Any]


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
