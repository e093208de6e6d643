"""The figures of several communities read side by side, as the street's tables need them.

Each community answers from its own read model (``Derived.view``) on the same date and the
same review gate; what waits for review is added up over all of them, for the gate's line
of the street's table. The web (one deployment, every community open) and the command line
(one community open at a time) both read through here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TypeVar

from census.domain.gate import Pending
from census.queries.derived import Derived, View

K = TypeVar("K")
T = TypeVar("T")


def side_by_side(
    communities: Iterable[tuple[K, Derived]],
    as_of: date,
    approved: bool,
    read: Callable[[View], T],
) -> tuple[list[tuple[K, T]], Pending]:
    """``read`` of each community's view on ``as_of`` (in the order given), and what waits
    for review in all of them. Each view is read before the next community is asked, so a
    caller may close a community's store as soon as it has moved on."""
    rows: list[tuple[K, T]] = []
    waiting = Pending()
    for key, derived in communities:
        view = derived.view(as_of, approved=approved)
        rows.append((key, read(view)))
        waiting = waiting + view.pending()
    return rows, waiting
