"""The steps of the import wizard that are not HTTP: what the mapping page shows, what it saves.

Shared by the web pages and the command line, so both read a file, map its columns and
plan the import the same way.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from census.domain.address import PATTERNS
from census.sheets.layout import (
    ADDRESS_PATTERN,
    DATA,
    HEADER_ROW,
    ROW_OPTIONS,
    SKIP_ROWS,
    Layout,
    cell_text,
    classify,
    detect,
    example_row,
    instructions_row,
    row_numbers,
)
from census.sheets.plan import Plan, plan_import
from census.sheets.reader import Progress, Sheet, read_file
from census.sheets.vocabulary import Vocabulary, vocabulary
from census.surveys.definition import FormDef
from census.util.i18n import NC_, gettext

PREVIEW_ROWS = 5
# What planning an import reads from the store: matching, duplicate IDs, buildings and grids.
PLAN_COLLECTIONS = ("households", "storefronts", "units", "buildings", "grids")


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
    sheets: list[Sheet] | None = None,
    progress: Progress | None = None,
) -> tuple[Plan, list[Sheet]]:
    """Read a file (unless its ``sheets`` are given) and plan its import.

    Raises ``SheetError`` for an unreadable file. ``progress`` is told of the reading and
    the checking (``reader.Progress``).
    """
    sheets = sheets if sheets is not None else read_file(path, filename, progress)
    plan = plan_import(
        store,
        form,
        sheets,
        overrides=overrides,
        filename=filename or path.name,
        today=today,
        progress=progress,
    )
    return plan, sheets


@dataclass
class _Kept:
    key: tuple[Any, ...]
    form: FormDef
    sheets: list[Sheet] | None  # None: a plan read back (``adopt``), the file not read yet
    plan: Plan | None
    used: float


class PlanCache:
    """The last file read and the last import planned, while nothing they came from changed.

    The wizard's pages (mapping, report, report download, import) each need the file read and
    most need the plan; at 13,000 households planning takes many seconds. A plan is kept
    under the file (path, size, modification time), the form, the column mapping, the date
    and the store's stamp of every collection planning reads, taken before reading: any
    write there, by this process or another, makes the next page plan again. One entry is
    kept (a plan of 13,000 households holds a few hundred MB), for ``max_age`` seconds.
    A plan made by another server (``census.sheets.checked``) is kept here with ``adopt``
    under the stamp and date it was checked with; the file is read only when a page needs
    its sheets.
    """

    def __init__(self, max_age: float = 900.0) -> None:
        self.max_age = max_age
        self._kept: _Kept | None = None
        self._lock = threading.Lock()

    @staticmethod
    def _file_key(path: Path, filename: str | None) -> tuple[Any, ...]:
        st = path.stat()
        return (str(path), st.st_size, st.st_mtime_ns, filename)

    def _current(self, form: FormDef, file_key: tuple[Any, ...]) -> _Kept | None:
        kept = self._kept
        if kept is None or kept.form is not form or kept.key[: len(file_key)] != file_key:
            return None
        if time.monotonic() - kept.used > self.max_age:
            self._kept = None
            return None
        kept.used = time.monotonic()
        return kept

    def sheets(self, form: FormDef, path: Path, filename: str | None = None) -> list[Sheet]:
        """The file's sheets (raises ``SheetError`` for an unreadable file)."""
        file_key = self._file_key(path, filename)
        with self._lock:
            kept = self._current(form, file_key)
            if kept is None:
                kept = _Kept(file_key, form, read_file(path, filename), None, time.monotonic())
                self._kept = kept
            elif kept.sheets is None:
                kept.sheets = read_file(path, filename)
            return kept.sheets

    def plan(
        self,
        store: Any,
        form: FormDef,
        path: Path,
        *,
        filename: str | None = None,
        overrides: dict[str, dict[str, str]] | None = None,
        today: date | None = None,
        progress: Progress | None = None,
        with_sheets: bool = True,
    ) -> tuple[Plan, list[Sheet]]:
        """What ``plan_file`` gives, planned again only when something it read has changed.

        ``with_sheets=False``: a plan read back from another server comes without the
        file's sheets ([]), for whoever needs the plan only (the import itself)."""
        file_key = self._file_key(path, filename)
        key = self._plan_key(store, file_key, overrides, today)  # before reading anything
        with self._lock:
            kept = self._current(form, file_key)
            if kept is not None and kept.plan is not None and kept.key == key:
                if kept.sheets is None and with_sheets:
                    kept.sheets = read_file(path, filename)
                return kept.plan, kept.sheets or []
            plan, sheets = plan_file(
                store, form, path, filename=filename, overrides=overrides, today=today,
                sheets=kept.sheets if kept is not None else None, progress=progress,
            )  # fmt: skip
            self._kept = _Kept(key, form, sheets, plan, time.monotonic())
            return plan, sheets

    def adopt(
        self,
        form: FormDef,
        path: Path,
        plan: Plan,
        stamp: Any,
        today: date,
        *,
        filename: str | None = None,
        overrides: dict[str, dict[str, str]] | None = None,
    ) -> None:
        """Keep a plan made elsewhere, checked when the store's stamp was ``stamp`` on
        ``today``: the pages use it while those still hold, as if it was planned here."""
        file_key = self._file_key(path, filename)
        key = (*file_key, json.dumps(overrides or {}, sort_keys=True), today, stamp)
        with self._lock:
            kept = self._current(form, file_key)
            sheets = kept.sheets if kept is not None else None
            self._kept = _Kept(key, form, sheets, plan, time.monotonic())

    @staticmethod
    def _plan_key(
        store: Any,
        file_key: tuple[Any, ...],
        overrides: dict[str, dict[str, str]] | None,
        today: date | None,
    ) -> tuple[Any, ...]:
        stamp = store.stamp(*PLAN_COLLECTIONS)
        return (
            *file_key,
            json.dumps(overrides or {}, sort_keys=True),
            today or date.today(),
            stamp,
        )

    def peek(
        self,
        store: Any,
        form: FormDef,
        path: Path,
        *,
        filename: str | None = None,
        overrides: dict[str, dict[str, str]] | None = None,
        today: date | None = None,
    ) -> tuple[Plan, list[Sheet]] | None:
        """The plan ``plan`` would give, if it is kept and still holds; never plans."""
        try:
            file_key = self._file_key(path, filename)
        except OSError:
            return None
        key = self._plan_key(store, file_key, overrides, today)
        kept = self._kept  # without the lock: a job may be planning meanwhile, holding it
        if kept is not None and kept.form is form and kept.plan is not None and kept.key == key:
            if time.monotonic() - kept.used <= self.max_age:
                return kept.plan, kept.sheets or []
        return None

    def forget(self, path: Path) -> None:
        """Drop what was kept for this file (it was imported or discarded)."""
        with self._lock:
            if self._kept is not None and self._kept.key[0] == str(path):
                self._kept = None


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
        for n, row in enumerate(sheet.rows[layout.header_row :], layout.header_row + 1):
            if n in layout.skip or classify(row, layout, vocab) != DATA:
                continue
            if instructions_row(row) or example_row(row, layout, vocab):
                continue  # skipped by the import too (census.sheets.rows)
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
        "member": gettext(NC_("import column group", "成员"), lang),
        "extra": gettext(NC_("import column group", "其他"), lang),
    }
    out = []
    for key, target in vocab.targets.items():
        member = target.member or target.member_extra
        group = "member" if member else "extra" if target.extra else "record"
        out.append((groups[group], key, target.text(lang)))
    return out


def row_overrides(
    sheets: list[Sheet],
    previous: dict[str, dict[str, str]],
    header_row: str,
    skip_rows: str,
    address_pattern: str = "",
) -> dict[str, dict[str, str]]:
    """The overrides with the header row, the rows to skip and how "3-101" reads set for
    every sheet ("" for none); a new header row drops the columns mapped under the old one.
    Raises ValueError for a row number that is not one, or a pattern that is none."""
    header = str(int(header_row)) if header_row.strip() else ""
    skip = skip_rows.strip()
    if skip:
        row_numbers(skip)
    if header and int(header) < 1:
        raise ValueError(header_row)
    pattern = address_pattern.strip()
    if pattern and pattern not in PATTERNS:
        raise ValueError(address_pattern)
    result: dict[str, dict[str, str]] = {}
    for sheet in sheets:
        kept = dict(previous.get(sheet.name, {}))
        if kept.get(HEADER_ROW, "") != header:
            kept = {k: v for k, v in kept.items() if k in ROW_OPTIONS}
        for key, value in ((HEADER_ROW, header), (SKIP_ROWS, skip), (ADDRESS_PATTERN, pattern)):
            if value:
                kept[key] = value
            else:
                kept.pop(key, None)
        if kept:
            result[sheet.name] = kept
    return result


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
        kept = dict((previous or {}).get(sheet.name, {}))
        rows = {key: kept[key] for key in ROW_OPTIONS if kept.get(key)}
        detected = detect(sheet, vocab, rows)  # the header row chosen, if one was
        if detected.header_row is None:
            continue
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
