"""Every audited action goes through ``record`` — one place, append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

COLLECTION = "audit"


def record(
    store: Any,
    actor: str | None,
    action: str,
    target: str = "",
    *,
    ip: str | None = None,
    **detail: Any,
) -> None:
    """Append who did what to which record, when and from where. Nothing edits an entry."""
    store.collection(COLLECTION).insert(
        {
            "at": datetime.now().isoformat(timespec="seconds"),
            "actor": actor or "",
            "action": action,
            "target": target,
            "ip": ip or "",
            "detail": detail,
        }
    )


def entries(
    store: Any, *, action: str | None = None, actor: str | None = None
) -> list[dict[str, Any]]:
    """Audit entries, newest first, optionally filtered."""
    query = {k: v for k, v in (("action", action), ("actor", actor)) if v}
    rows = (
        store.collection(COLLECTION).find(**query) if query else store.collection(COLLECTION).scan()
    )
    return list(reversed(rows))
