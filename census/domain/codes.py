"""The code lists of forms/choices.yaml and the GB/T 3304 ethnic groups, loaded once."""

from __future__ import annotations

import csv
from functools import cache

import yaml

from census.util.resources import CODE_TABLES_DIR, FORMS_DIR


@cache
def choice_lists() -> dict[str, dict[str, dict[str, str]]]:
    """All named code lists: ``{list: {code: {"zh": ..., "en": ...}}}``."""
    with open(FORMS_DIR / "choices.yaml", encoding="utf-8") as fh:
        lists: dict[str, dict[str, dict[str, str]]] = yaml.safe_load(fh)
    lists["ethnicity"] = {name: {"zh": name, "en": en} for name, en in ethnic_groups()}
    return lists


@cache
def ethnic_groups() -> tuple[tuple[str, str], ...]:
    """(Chinese name, English name) of the 56 groups plus codes 97/98, in code order."""
    with open(CODE_TABLES_DIR / "ethnicity_gb3304.csv", encoding="utf-8") as fh:
        return tuple((row["name_zh"], row["name_en"]) for row in csv.DictReader(fh))


def label(list_name: str, code: str | None, lang: str = "zh") -> str:
    """The display word of a code, or the code itself when the list does not know it."""
    if not code:
        return ""
    entry = choice_lists().get(list_name, {}).get(code)
    if entry is None:
        return code
    return entry.get(lang) or entry["zh"]
