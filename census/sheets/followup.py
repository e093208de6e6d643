"""The follow-up list (待核实): records an import stored without a field its file lacked.

An import from another system (a grid system's person sheet has no 住房性质) stores its
households all the same, each naming what it lacks in ``pending_fields`` and waiting for
review. This list is what a surveyor works through: the record, where it is, whom to ask,
what to fill in. A record leaves it once those fields are filled (``records.mark_pending``).
"""

from __future__ import annotations

from typing import Any

from census.domain.address import address_key, address_text
from census.domain.display import head_name_text, list_separator, relation_pending
from census.domain.gate import REVIEWED, review_state
from census.queries import lookup
from census.services.records import PENDING
from census.surveys.definition import FormDef
from census.util.i18n import gettext


def pending_records(
    store: Any, surveys: dict[str, FormDef], lang: str = "zh"
) -> list[dict[str, Any]]:
    """Every record with ``pending_fields``: households first (in address order), then
    storefronts and units; each with the labels of what it lacks (``missing``) and the
    same said member by member (``lacking``)."""
    rows: list[dict[str, Any]] = []
    for collection, form_name in REVIEWED.items():
        form = surveys.get(form_name)
        if form is None:
            continue
        found = lookup.awaiting_follow_up(store, collection)
        if collection == "households":
            found.sort(key=address_key)
        for doc in found:
            if doc.get("merged_into"):
                continue
            keys = [str(k) for k in doc[PENDING]]
            head = form.head(doc)
            rows.append(
                {
                    "collection": collection,
                    "form": form_name,
                    "id": doc["id"],
                    "title": doc.get("household_no") or doc.get("name") or str(doc["id"]),
                    "address": address_text(doc)
                    if collection == "households"
                    else doc.get("address", ""),
                    "head": head_name_text(head.get("name"), relation_pending(head), lang),
                    "fields": keys,
                    "missing": [_label(form, key, lang) for key in keys],
                    "lacking": lacking(form, doc, keys, lang),
                    "review_state": review_state(doc),
                }
            )
    return rows


def lacking(form: FormDef, doc: dict[str, Any], keys: list[str], lang: str = "zh") -> list[str]:
    """What the surveyor is to fill in, as they look for it at the door: the record's own
    fields by label (住房性质), then each member who lacks one, by name (张伟：与户主关系),
    so that a household of five is not "与户主关系" for someone to guess whose."""
    roster = form.roster
    inside = f"{roster.key}." if roster is not None else "\0"  # no roster: no member keys
    sep = list_separator(lang)
    own = [_label(form, key, lang) for key in keys if not key.startswith(inside)]
    said = [sep.join(own)] if own else []
    named: set[str] = set()
    for n, person in enumerate(form.people(doc), start=1):
        theirs = [str(k) for k in person.get(PENDING) or ()]
        if not theirs:
            continue
        named.update(inside + k for k in theirs)
        who = str(person.get("name") or "").strip() or gettext("成员{n}", lang, n=n)
        labels = sep.join(_label(form, inside + k, lang) for k in theirs)
        said.append(gettext("{member}：{text}", lang, member=who, text=labels))
    # a member field the record lists that no member names (an older import): by label
    said += [_label(form, k, lang) for k in keys if k.startswith(inside) and k not in named]
    return said


def _label(form: FormDef, key: str, lang: str) -> str:
    try:
        return form.field(key).text(lang)
    except KeyError:
        return key
