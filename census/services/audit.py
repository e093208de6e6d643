"""Every audited action goes through ``record`` — one place, append-only.

An entry says who (``actor``), when (``at``), what (``action`` on ``target``, with
``detail``) and from where (``ip``). The store refuses to change or remove an entry
(``census.store.APPEND_ONLY``); nothing here offers to. Audited actions include logins
and failed logins, views of full ID numbers, prints and exports, changes of roles and
assignments, every save of a record (create, edit, restore, life events, merges) and
every review action.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from census.store import Store

COLLECTION = "audit"
FIELDS = ("at", "actor", "action", "target", "ip", "detail")


def _request_ip() -> str:
    """The address of the web request being answered, if any (the CLI has none)."""
    try:
        from flask import has_request_context, request
    except ImportError:  # pragma: no cover - flask is a dependency; keep the module pure anyway
        return ""
    return (request.remote_addr or "") if has_request_context() else ""


def record(
    store: Store,
    actor: str | None,
    action: str,
    target: str = "",
    *,
    ip: str | None = None,
    **detail: Any,
) -> None:
    """Append who did what to which record, when and from where. Nothing edits an entry.

    Inside a web request the address defaults to the request's, so every save and review
    made through a page is traced to where it came from without each caller passing it.
    """
    store.collection(COLLECTION).insert(
        {
            "at": datetime.now().isoformat(timespec="seconds"),
            "actor": actor or "",
            "action": action,
            "target": target,
            "ip": ip if ip is not None else _request_ip(),
            "detail": detail,
        }
    )


VIEW_FULL_IDS = "view_full_ids"


def full_ids_shown(
    store: Store, actor: str, target: str, count: int, *, ip: str | None = None, **detail: Any
) -> None:
    """Log one answer that showed ID numbers whole: who, what, how many and from where.

    Full numbers are masked everywhere by default; every page, API read, export or print
    that shows them unmasked (admins only) calls this once, with ``count`` the numbers it
    disclosed (for work records: the records, whose person links and phones are shown whole).
    """
    record(store, actor, VIEW_FULL_IDS, target, ip=ip, count=count, **detail)


def entries(
    store: Store, *, action: str | None = None, actor: str | None = None
) -> list[dict[str, Any]]:
    """Audit entries, newest first, optionally filtered."""
    query = {k: v for k, v in (("action", action), ("actor", actor)) if v}
    rows = (
        store.collection(COLLECTION).find(**query) if query else store.collection(COLLECTION).scan()
    )
    return list(reversed(rows))


@dataclass(frozen=True)
class Filters:
    """What the audit page asks for: each empty filter lets everything through.

    ``since`` and ``until`` are ISO dates (inclusive); ``target`` matches a part of the
    target (``households/12``, ``household-list/1栋``).
    """

    actor: str = ""
    action: str = ""
    target: str = ""
    since: str = ""
    until: str = ""

    def accepts(self, entry: dict[str, Any]) -> bool:
        """Does the entry pass every filter?"""
        day = str(entry.get("at") or "")[:10]
        return (
            (not self.actor or entry.get("actor") == self.actor)
            and (not self.action or entry.get("action") == self.action)
            and (not self.target or self.target in str(entry.get("target") or ""))
            and (not self.since or day >= self.since)
            and (not self.until or day <= self.until)
        )


def search(store: Store, filters: Filters) -> list[dict[str, Any]]:
    """Entries passing the filters, newest first (an indexed lookup on actor or action)."""
    query = {k: v for k, v in (("action", filters.action), ("actor", filters.actor)) if v}
    collection = store.collection(COLLECTION)
    rows = collection.find(**query) if query else collection.scan()
    return [e for e in reversed(rows) if filters.accepts(e)]


def actions(store: Store) -> list[str]:
    """Every action that occurs in the log, for the page's filter."""
    return sorted({e["action"] for e in store.collection(COLLECTION).scan()})


def detail_text(detail: Any) -> str:
    """An entry's detail as one line: ``rev=2 destination=北京``."""
    if not isinstance(detail, dict):
        return str(detail or "")
    return " ".join(f"{k}={v}" for k, v in detail.items() if v not in (None, "", [], {}))


def table(entries_: list[dict[str, Any]]) -> Iterator[list[str]]:
    """The entries as rows of text (the columns of ``FIELDS``): what the exports hold."""
    for e in entries_:
        yield [
            str(e.get("at") or ""),
            str(e.get("actor") or ""),
            str(e.get("action") or ""),
            str(e.get("target") or ""),
            str(e.get("ip") or ""),
            detail_text(e.get("detail")),
        ]
