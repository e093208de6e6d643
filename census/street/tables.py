"""The street's tables on a day a community cannot be read: its row (or its column) says
暂不可用, the 合计 says whom it leaves out, and a line under the title says why.

The tables are made from the communities that were read (``census.domain.rollup``,
``census.worklog.street``), so their 合计 adds up those alone; these functions put the
others back in their place in the street's order, for the pages, the workbooks, the prints
and the command line alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from census.domain.rollup import StreetTable
from census.queries.street import Unavailable
from census.util.i18n import N_, NC_, gettext

UNAVAILABLE = N_("暂不可用")
TOTAL_WITHOUT = N_("合计（不含：{names}）")
NOTE = N_("{name}暂不可用：{reason}。")
AND = NC_("list separator", "、")  # between the names a 合计 leaves out
EMPTY = "—"

# Every community of the street in its order: its name, and why it was not read (None: read).
Order = Sequence[tuple[str, Unavailable | None]]


def left_out(order: Order) -> list[tuple[str, Unavailable]]:
    """The communities not read, in the street's order."""
    return [(name, missing) for name, missing in order if missing is not None]


def total_label(order: Order, total: str, lang: str = "zh") -> str:
    """``total`` (合计) as it is, or 合计（不含：西区社区） when some community was not read."""
    names = [name for name, _missing in left_out(order)]
    if not names:
        return total
    return gettext(TOTAL_WITHOUT, lang, names=gettext(AND, lang).join(names))


def notes(order: Order, lang: str = "zh") -> str:
    """西区社区暂不可用：数据文件已损坏，无法读取。 for each community not read."""
    return "".join(
        gettext(NOTE, lang, name=name, reason=missing.reason(lang))
        for name, missing in left_out(order)
    )


def _gate(table: StreetTable, order: Order, lang: str) -> str:
    said = notes(order, lang)
    return f"{table.gate} {said}".strip() if said else table.gate


def _blank(width: int, lang: str) -> list[Any]:
    return [gettext(UNAVAILABLE, lang), *[EMPTY] * (width - 1)] if width else []


def with_rows(table: StreetTable, order: Order, lang: str = "zh") -> StreetTable:
    """``table`` of a row per community read and the 合计 row last, with a row for each
    community of ``order`` (暂不可用 for those not read) and the 合计 named for what it
    leaves out."""
    if not left_out(order):
        return table
    present = iter(table.rows[:-1])
    total_name, total_cells = table.rows[-1]
    width = len(total_cells)
    rows = [
        (name, _blank(width, lang)) if missing is not None else next(present)
        for name, missing in order
    ]
    rows.append((total_label(order, total_name, lang), total_cells))
    return replace(table, rows=rows, gate=_gate(table, order, lang))


def with_columns(table: StreetTable, order: Order, lang: str = "zh") -> StreetTable:
    """``table`` of a column per community read and the 合计 column last (the street's
    台账), with a column for each community of ``order`` (暂不可用 for those not read)."""
    if not left_out(order):
        return table
    rows = []
    for n, (title, cells) in enumerate(table.rows):
        present = iter(cells[:-1])
        blank = gettext(UNAVAILABLE, lang) if n == 0 else EMPTY
        body = [blank if missing is not None else next(present) for _name, missing in order]
        rows.append((title, [*body, cells[-1]]))
    heads = [*(name for name, _missing in order), total_label(order, table.heads[-1], lang)]
    return replace(table, heads=heads, rows=rows, gate=_gate(table, order, lang))
