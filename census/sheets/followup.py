"""The follow-up list (待核实): records an import stored without a field its file lacked.

An import from another system (a grid system's person sheet has no 住房性质) stores its
households all the same, each naming what it lacks in ``pending_fields`` and waiting for
review. This list is what a surveyor works through: the record, where it is, whom to ask,
what to fill in. A record leaves it once those fields are filled (``records.mark_pending``).
"""

from __future__ import annotations

from typing import Any

from census.domain.address import address_key, address_text
from census.domain.gate import REVIEWED, review_state
from census.services.records import PENDING
from census.surveys.definition import FormDef


def pending_records(
    store: Any, surveys: dict[str, FormDef], lang: str = "zh"
) -> list[dict[str, Any]]:
    """Every record with ``pending_fields``: households first (in address order), then
    storefronts and units; each with the labels of what it lacks."""
    rows: list[dict[str, Any]] = []
    for collection, form_name in REVIEWED.items():
        form = surveys.get(form_name)
        if form is None:
            continue
        found = [doc for doc in store.collection(collection).scan() if doc.get(PENDING)]
        if collection == "households":
            found.sort(key=address_key)
        for doc in found:
            if doc.get("merged_into"):
                continue
            keys = [str(k) for k in doc[PENDING]]
            head = next((m for m in doc.get("members") or [] if m.get("relation") == "head"), None)
            rows.append(
                {
                    "collection": collection,
                    "form": form_name,
                    "id": doc["id"],
                    "title": doc.get("household_no") or doc.get("name") or str(doc["id"]),
                    "address": address_text(doc)
                    if collection == "households"
                    else doc.get("address", ""),
                    "head": (head or {}).get("name", ""),
                    "fields": keys,
                    "missing": [_label(form, key, lang) for key in keys],
                    "review_state": review_state(doc),
                }
            )
    return rows


def _label(form: FormDef, key: str, lang: str) -> str:
    try:
        return form.field(key).text(lang)
    except KeyError:
        return key
