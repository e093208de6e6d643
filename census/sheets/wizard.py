"""The steps of the import wizard that are not HTTP: what the mapping page shows, what it saves.

Shared by the web pages and the command line, so both read a file, map its columns and
plan the import the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from census.sheets.layout import DATA, Layout, cell_text, classify, detect
from census.sheets.plan import Plan, plan_import
from census.sheets.reader import Sheet, read_file
from census.sheets.vocabulary import Vocabulary, vocabulary
from census.surveys.definition import FormDef

PREVIEW_ROWS = 5


@dataclass
class SheetMapping:
    """One sheet on the mapping page: its layout and its first data rows."""

    index: int
    layout: Layout
    preview: list[list[str]]


def plan_file(
    store: Any,
    form: FormDef,
    path: Path,
    *,
    filename: str | None = None,
    overrides: dict[str, dict[str, str]] | None = None,
    today: date | None = None,
) -> tuple[Plan, list[Sheet]]:
    """Read a file and plan its import (raises ``SheetError`` for an unreadable file)."""
    sheets = read_file(path, filename)
    plan = plan_import(
        store, form, sheets, overrides=overrides, filename=filename or path.name, today=today
    )
    return plan, sheets


def mappings(
    sheets: list[Sheet], form: FormDef, overrides: dict[str, dict[str, str]] | None = None
) -> list[SheetMapping]:
    """The detected (and overridden) columns of every sheet with a table, and a preview."""
    vocab = vocabulary(form)
    found = []
    for index, sheet in enumerate(sheets):
        layout = detect(sheet, vocab, (overrides or {}).get(sheet.name))
        if layout.header_row is None:
            continue
        preview = []
        for row in sheet.rows[layout.header_row :]:
            if classify(row, layout, vocab) != DATA:
                continue
            preview.append(
                [cell_text(row[c.index]) if c.index < len(row) else "" for c in layout.columns]
            )
            if len(preview) == PREVIEW_ROWS:
                break
        found.append(SheetMapping(index, layout, preview))
    return found


def target_choices(form: FormDef, lang: str = "zh") -> list[tuple[str, str, str]]:
    """(group, key, label) of every target a column can be mapped to."""
    vocab = vocabulary(form)
    groups = {
        "record": form.text(lang),
        "member": "成员" if lang == "zh" else "Member",
        "extra": "其他" if lang == "zh" else "Other",
    }
    out = []
    for key, target in vocab.targets.items():
        group = "member" if target.member else "extra" if target.extra else "record"
        out.append((groups[group], key, target.text(lang)))
    return out


def chosen_overrides(
    sheets: list[Sheet],
    form: FormDef,
    chosen: dict[str, str],
    previous: dict[str, dict[str, str]] | None = None,
) -> dict[str, dict[str, str]]:
    """The columns whose choice differs from what was detected: ``{sheet: {letter: key}}``.

    ``chosen`` holds the submitted selects, named ``map-<sheet index>-<letter>``; a value
    of "" means "do not import".
    """
    vocab: Vocabulary = vocabulary(form)
    result: dict[str, dict[str, str]] = {}
    for index, sheet in enumerate(sheets):
        detected = detect(sheet, vocab)
        if detected.header_row is None:
            continue
        kept = dict((previous or {}).get(sheet.name, {}))
        for column in detected.columns:
            name = f"map-{index}-{column.letter}"
            if name not in chosen:
                continue
            wanted = chosen[name]
            if wanted and wanted not in vocab.targets:
                continue
            if wanted == (column.key or ""):
                kept.pop(column.letter, None)
            else:
                kept[column.letter] = wanted
        if kept:
            result[sheet.name] = kept
    return result
