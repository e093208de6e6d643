"""The figures of several communities read side by side, as the street's tables need them.

Each community answers from its own read model (``Derived.view``) on the same date and the
same review gate; what waits for review is added up over all of them, for the gate's line
of the street's table. The web (one deployment, every community open) and the command line
(one community open at a time) both read through here.

A community whose store cannot be opened or read (a corrupt data file, a folder it may not
read, a PostgreSQL schema dropped or unreachable, its folder or schema gone: never made
again empty) is ``Unavailable``: its row says so and why, the others are read as on any
day, and the cause goes to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from census.domain.gate import Pending
from census.queries.derived import Derived, View
from census.store import StoreError, StoreLocked, StoreMissing
from census.util.i18n import N_, gettext

K = TypeVar("K")
T = TypeVar("T")

log = logging.getLogger("census.street")

# Why a community cannot be read, in words (the store's own message goes to the log).
REASONS = {
    "corrupt": N_("数据文件已损坏，无法读取"),
    "missing": N_("该社区的数据已不存在（数据目录或数据表缺失），请从备份恢复"),
    "database": N_("数据库连接失败，或该社区的数据表已不存在"),
    "busy": N_("服务器与数据库的连接都在使用中，请稍后再试"),
    "locked": N_("数据目录正被另一个进程占用"),
    "unreadable": N_("数据目录无法读取（权限或磁盘问题）"),
    "other": N_("数据无法打开（详见服务器日志）"),
}
# What the errors of the store say, to tell the causes apart (census/store/snapshot.py and
# pgstore.py).
BUSY_WORDS = "connections of this process to the database stayed busy"
CORRUPT_WORDS = ("not valid JSON", "not a TinyDB file")


@dataclass(frozen=True)
class Unavailable:
    """A community whose store could not be opened or read: why (``REASONS``), and the
    error as the store said it (for the log, never shown to street staff)."""

    kind: str
    error: str

    def reason(self, lang: str = "zh") -> str:
        """Why, in words: 数据文件已损坏，无法读取."""
        return gettext(REASONS[self.kind], lang)


def unavailable(exc: BaseException) -> Unavailable:
    """What ``exc`` (raised opening or reading a community's store) means for its row."""
    text = str(exc)
    if isinstance(exc, StoreLocked):
        kind = "locked"
    elif isinstance(exc, StoreError) and BUSY_WORDS in text:  # the pool stayed exhausted
        kind = "busy"
    elif isinstance(exc, StoreMissing):  # never made again empty: zeros said as figures
        kind = "missing"
    elif isinstance(exc, StoreError) and "PostgreSQL" in text:  # unreachable, or failing
        kind = "database"
    elif isinstance(exc, StoreError) and any(word in text for word in CORRUPT_WORDS):
        kind = "corrupt"
    elif isinstance(exc, OSError):
        kind = "unreadable"
    else:
        kind = "other"
    return Unavailable(kind, f"{type(exc).__name__}: {text}")


def logged(community: object, exc: BaseException) -> Unavailable:
    """``unavailable(exc)``, logged with the community and the traceback."""
    found = unavailable(exc)
    trace = exc if found.kind == "other" else None  # a cause not foreseen: where it came from
    log.warning("community %s left out of the street: %s", community, found.error, exc_info=trace)
    return found


def side_by_side(
    communities: Iterable[tuple[K, Derived | Unavailable]],
    as_of: date,
    approved: bool,
    read: Callable[[View], T],
) -> tuple[list[tuple[K, T | Unavailable]], Pending]:
    """``read`` of each community's view on ``as_of`` (in the order given), and what waits
    for review in all of them. Each view is read before the next community is asked, so a
    caller may close a community's store as soon as it has moved on. A community that
    could not be opened, or whose store fails while it is read, is ``Unavailable`` in its
    place; what waits for review is that of the others."""
    rows: list[tuple[K, T | Unavailable]] = []
    waiting = Pending()
    for key, derived in communities:
        if isinstance(derived, Unavailable):
            rows.append((key, derived))
            continue
        try:
            view = derived.view(as_of, approved=approved)
            found, pending = read(view), view.pending()
        except (StoreError, OSError) as exc:
            rows.append((key, logged(key, exc)))
            continue
        rows.append((key, found))
        waiting = waiting + pending
    return rows, waiting
