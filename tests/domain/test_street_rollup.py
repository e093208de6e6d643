"""The street total is the sum of its communities' figures, each computed on its own.

Generated communities (the demo generator, different seeds and sizes) are summed with
``street_total``; the same records put together as one community whose buildings carry their
community's name (communities never share a door) give the same figures, key by key.
"""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from census.demo.generate import generate_demo
from census.domain.rollup import street_table, street_total
from census.domain.summary import FIGURES, summary

AS_OF = date(2025, 6, 30)


def _community(seed: int, size: int, name: str) -> dict:
    demo = generate_demo(seed=seed, households=size, as_of=AS_OF)
    for kind in ("households", "storefronts", "units"):
        for record in demo[kind]:
            if record.get("building"):
                record["building"] = f"{name}·{record['building']}"
    return demo


def _figures(*communities: dict) -> dict:
    return summary(
        [h for c in communities for h in c["households"]],
        [s for c in communities for s in c["storefronts"]],
        [u for c in communities for u in c["units"]],
        AS_OF,
    )


def test_three_generated_communities_add_up_to_the_street_counted_as_one():
    parts = [_community(3, 40, "东"), _community(8, 25, "西"), _community(15, 60, "南")]
    total = street_total(_figures(c) for c in parts)
    assert total == _figures(*parts)
    assert list(total) == list(FIGURES)
    assert total["households"] == sum(_figures(c)["households"] for c in parts) > 0
    # a group living in several communities is one group of the street
    assert total["ethnic_groups"] < sum(_figures(c)["ethnic_groups"] for c in parts)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 500), st.integers(0, 30)), min_size=1, max_size=4))
def test_any_street_adds_up(specs):
    parts = [_community(seed, size, f"c{n}") for n, (seed, size) in enumerate(specs)]
    assert street_total(_figures(c) for c in parts) == _figures(*parts)


def test_the_table_has_a_row_per_community_then_the_total():
    a, b = _figures(_community(1, 10, "A")), _figures(_community(2, 12, "B"))
    rows = street_table({"甲社区": a, "乙社区": b})
    assert [name for name, _ in rows] == ["甲社区", "乙社区", None]
    assert rows[-1][1]["residents"] == a["residents"] + b["residents"]
    assert street_total([]) == _figures()  # no community: every figure zero, as an empty one
