"""Field work: who surveys where (assignments), what happened at each door (outcomes),
how far the survey has come (coverage) and edits that crossed (conflicts).

The modules keep their rules in plain functions over plain data; the few functions that
take a ``store`` only load and save, so that the rules are tested without Flask.
"""

from __future__ import annotations

from typing import Any

VISITS = "visits"
EDITS = "edits"
CONFLICTS = "conflicts"


def prepare_store(store: Any) -> None:
    """Declare the indexes field work looks records up by."""
    visits = store.collection(VISITS)
    for path in ("uuid", "building"):
        visits.ensure_index(path)
    store.collection(EDITS).ensure_index("uuid")
    conflicts = store.collection(CONFLICTS)
    for path in ("uuid", "state", "household_id"):
        conflicts.ensure_index(path)
