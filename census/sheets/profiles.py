"""Saved import mappings (导入方案): how a kind of file is read, kept by name for next time.

A community imports the same system's export again and again: the same header row, the
same notes rows, the same columns mapped by hand. A profile keeps that once, by column
*title* (not letter, so that a column added next month does not shift it): the form, the
header titles and the keys they go to, the header row, the rows to skip, the combined
address column and how its "3-101" reads (unit-room or building-room). ``census import
--save-profile NAME`` and the wizard's mapping page save one; ``--profile NAME`` and the
page's select use it. Profiles live in the data folder (``import_profiles.json``) with
TinyDB; with PostgreSQL in the store's collection ``import_profiles`` (through the store's
``shared``), so every server offers the same and a backup holds them with the records. A
data folder's file is read into the database the first time a server finds none there.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from census.domain.address import PATTERNS
from census.sheets.layout import ADDRESS_PATTERN, HEADER_ROW, SKIP_ROWS, detect
from census.sheets.reader import Sheet
from census.sheets.vocabulary import Vocabulary, fold

FILE = "import_profiles.json"
ADDRESS = "address"  # the target of a combined address column (forms/import_aliases.yaml)
_NAME = re.compile(r"[^\s/\\]{1,40}")


class ProfileError(ValueError):
    """A profile name that cannot be one, or a profile that does not exist."""


@dataclass
class Profile:
    """How to read one kind of file."""

    form: str
    maps: dict[str, str] = field(default_factory=dict)  # header title -> key ("" ignore)
    header_row: int | None = None
    skip_rows: str = ""  # "4,5" or "4-6"
    address_column: str = ""  # a column holding building, unit and room in one
    address_pattern: str = ""  # how "3-101" reads: unit-room ("" too) or building-room
    saved_by: str = ""
    saved_at: str = ""

    def with_options(
        self,
        *,
        maps: dict[str, str] | None = None,
        header_row: int | None = None,
        skip_rows: str | None = None,
        address_column: str | None = None,
        address_pattern: str | None = None,
    ) -> Profile:
        """This profile with the options given on top (they win over what it says)."""
        return Profile(
            self.form,
            self.maps | (maps or {}),
            header_row if header_row is not None else self.header_row,
            skip_rows if skip_rows is not None else self.skip_rows,
            address_column if address_column is not None else self.address_column,
            address_pattern if address_pattern is not None else self.address_pattern,
        )

    def header_maps(self) -> dict[str, str]:
        """Every header title and its key, the address column's among them."""
        maps = dict(self.maps)
        if self.address_column:
            maps[self.address_column] = ADDRESS
        return maps

    def overrides(self, sheets: list[Sheet], vocab: Vocabulary) -> dict[str, dict[str, str]]:
        """The planner's overrides for these sheets: ``{sheet: {letter: key, header_row,
        skip_rows}}``, titles compared as the vocabulary compares them."""
        rows: dict[str, str] = {}
        if self.header_row:
            rows[HEADER_ROW] = str(self.header_row)
        if self.skip_rows:
            rows[SKIP_ROWS] = self.skip_rows
        if self.address_pattern in PATTERNS:
            rows[ADDRESS_PATTERN] = self.address_pattern
        by_title = {fold(title): key for title, key in self.header_maps().items()}
        out: dict[str, dict[str, str]] = {}
        for sheet in sheets:
            layout = detect(sheet, vocab, rows)
            chosen = dict(rows) if layout.header_row else {}
            for column in layout.columns:
                title = fold(column.header)
                if column.header and title in by_title and by_title[title] != (column.key or ""):
                    chosen[column.letter] = by_title[title]
            if chosen:
                out[sheet.name] = chosen
        return out


def check_name(name: str) -> str:
    """A profile's name: 1–40 characters, no spaces or slashes."""
    name = (name or "").strip()
    if not _NAME.fullmatch(name):
        raise ProfileError(name)
    return name


def _path(data_dir: Path) -> Path:
    return Path(data_dir) / FILE


def _read(data_dir: Path, shared: Any = None) -> dict[str, Any]:
    if shared is not None:
        kept = shared.profiles()
        if not kept and _path(data_dir).exists():  # kept in the folder before the database
            for name, raw in _read(data_dir).items():
                if isinstance(raw, dict):
                    shared.put_profile(name, raw)
            kept = shared.profiles()
        return kept
    try:
        found = json.loads(_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def load_all(data_dir: Path, form: str | None = None, shared: Any = None) -> dict[str, Profile]:
    """The saved profiles by name (of one form, when named), in name order; ``shared`` is
    the store's (PostgreSQL), None for the data folder's file."""
    out = {}
    for name, raw in sorted(_read(data_dir, shared).items()):
        try:
            profile = Profile(**{k: v for k, v in raw.items() if k in Profile.__dataclass_fields__})
        except TypeError:
            continue  # a hand-edited entry that is not one
        if form is None or profile.form == form:
            out[name] = profile
    return out


def load(data_dir: Path, name: str, shared: Any = None) -> Profile:
    """One saved profile; ``ProfileError`` when there is none of that name."""
    found = load_all(data_dir, shared=shared).get(check_name(name))
    if found is None:
        raise ProfileError(name)
    return found


def save(data_dir: Path, name: str, profile: Profile, *, user: str, shared: Any = None) -> Profile:
    """Keep a profile under a name (replacing one of the same name), written atomically."""
    name = check_name(name)
    profile.saved_by = user
    profile.saved_at = datetime.now().isoformat(timespec="seconds")
    if shared is not None:
        _read(data_dir, shared)  # the folder's profiles first, if the database has none
        shared.put_profile(name, asdict(profile))
        return profile
    kept = _read(data_dir)
    kept[name] = asdict(profile)
    target = _path(data_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".profiles-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(kept, fh, ensure_ascii=False, indent=1)
    os.replace(tmp, target)
    return profile


def from_overrides(
    form: str, sheets: list[Sheet], vocab: Vocabulary, overrides: dict[str, dict[str, str]]
) -> Profile:
    """The profile of a mapping chosen on the wizard's page (by letter): by title instead."""
    profile = Profile(form)
    for sheet in sheets:
        chosen = overrides.get(sheet.name) or {}
        if not chosen:
            continue
        if chosen.get(HEADER_ROW):
            profile.header_row = int(chosen[HEADER_ROW])
        if chosen.get(SKIP_ROWS):
            profile.skip_rows = chosen[SKIP_ROWS]
        if chosen.get(ADDRESS_PATTERN) in PATTERNS:
            profile.address_pattern = chosen[ADDRESS_PATTERN]
        layout = detect(sheet, vocab, chosen)
        for column in layout.columns:
            if column.letter in chosen and column.header:
                key = chosen[column.letter]
                if key == ADDRESS:
                    profile.address_column = column.header
                else:
                    profile.maps[column.header] = key
    return profile
