"""What spreadsheet headers and words mean: form labels plus forms/import_aliases.yaml.

A ``Vocabulary`` is built once per form. It answers two questions: which field does a
column title stand for, and which code does a word in a cell stand for. Both lookups
ignore case, spaces and full-width forms; nothing else is fuzzy.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from census.domain.codes import choice_lists, label
from census.surveys.definition import NUMBER_FIELD, FieldDef, FormDef
from census.util.resources import FORMS_DIR

ALIASES_FILE = "import_aliases.yaml"
IGNORE = ""  # the key of a column that is recognised and deliberately not imported
MEMBERS = "members"
_SPACES = re.compile(r"\s+")
SEEN_MAX = 100_000


@dataclass(frozen=True)
class Target:
    """A place a column can go: a form field (``building``, ``members.name``) or an extra."""

    key: str
    label: dict[str, str]
    type: str
    choices: str | None = None
    member: bool = False
    extra: bool = False
    # an extra column of the person (是否已迁出, 实际居住地): read into the member's values,
    # where the plan turns it into the member's fields; not a member field of the form, so
    # the export and the template leave it out
    member_extra: bool = False
    # the entries of a list of the form's own (``choices:`` in its file), else None
    items: dict[str, dict[str, str]] | None = None

    @property
    def field(self) -> str:
        """The key inside its record (``name`` for ``members.name``)."""
        return self.key.rpartition(".")[2]

    def text(self, lang: str = "zh") -> str:
        """The column title in a language."""
        return self.label.get(lang) or self.label["zh"]

    def word(self, code: str, lang: str = "zh") -> str:
        """The word of a code of its list (the form's own or forms/choices.yaml)."""
        if self.items is None:
            return label(self.choices or "", code, lang)
        names = self.items.get(code)
        return (names.get(lang) or names["zh"]) if names else code


def fold(text: Any) -> str:
    """A header or word as compared: NFKC, no spaces, lower case, no trailing ``:`` or ``*``."""
    folded = _SPACES.sub("", unicodedata.normalize("NFKC", str(text))).lower()
    return folded.strip("*:").rstrip("：")


@cache
def _aliases(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


class Vocabulary:
    """Headers and code words understood when importing one form."""

    def __init__(self, form: FormDef, forms_dir: Path = FORMS_DIR) -> None:
        aliases = _aliases(forms_dir / ALIASES_FILE)
        spec = aliases.get(form.name, {})
        self.form = form
        self.targets: dict[str, Target] = {}
        for f in form.fields:
            if f.type == "repeat":
                for sub in f.fields:
                    self._add(sub, f"{f.key}.{sub.key}", member=True)
            else:
                self._add(f, f.key)
        for key, extra in (spec.get("extra") or {}).items():
            label = {k: v for k, v in extra.items() if k in ("zh", "en")}
            choices = extra.get("choices")
            kind = extra.get("type") or ("select_one" if choices else "text")
            person = key.startswith(f"{MEMBERS}.")
            self.targets[key] = Target(key, label, kind, choices, extra=True, member_extra=person)
        # members.name -> name: the keys of member fields (and the person's extra columns)
        # inside a member's record.
        self.member_fields = {
            k: t.field for k, t in self.targets.items() if t.member or t.member_extra
        }
        self._headers: dict[str, str] = {}
        for word in spec.get("ignore") or []:
            self._headers[fold(word)] = IGNORE
        for key, target in self.targets.items():
            for label in target.label.values():
                self._headers.setdefault(fold(label), key)
        for key, words in (spec.get("headers") or {}).items():
            if key not in self.targets:
                raise ValueError(f"{ALIASES_FILE}: {form.name}: unknown field {key}")
            for word in words:
                self._headers.setdefault(fold(word), key)
        for key, extra in (spec.get("extra") or {}).items():
            for word in extra.get("aliases") or []:
                self._headers.setdefault(fold(word), key)
        self._values = _value_words(aliases.get("values") or {})
        for list_name, entries in form.choice_lists.items():  # the form's own lists
            table = self._values.setdefault(list_name, {})
            for code, names in entries.items():
                table.setdefault(fold(code), code)
                for name in names.values():
                    table.setdefault(fold(name), code)
        self.blank_words = {fold(w) for w in aliases.get("blank") or []}
        self._seen: dict[tuple[str, Any], str | None] = {}
        self._seen_headers: dict[str, str | None] = {}
        # A numbered form's sheet (the household sheet) has a row per person of its roster
        # (DOMAIN.md §7), found by these headers; every other form's has a row per record.
        roster = form.roster if form.numbered else None
        self.anchors = (NUMBER_FIELD, f"{roster.key}.name") if roster is not None else ("name",)

    @property
    def per_person(self) -> bool:
        """Is a row of the sheet one person of a roster, its rows grouped into records (the
        household sheet), rather than one record? The import plan and template follow it."""
        return any(self.targets[key].member for key in self.anchors if key in self.targets)

    def _add(self, f: FieldDef, key: str, *, member: bool = False) -> None:
        self.targets[key] = Target(
            key, f.label, f.type, f.choices, member=member, items=f.choice_items
        )

    def header(self, text: Any) -> str | None:
        """The target key of a column title, ``IGNORE`` for a known ignored one, else None."""
        if text is None or str(text).strip() == "":
            return None
        if isinstance(text, str) and text in self._seen_headers:
            return self._seen_headers[text]
        found = self._headers.get(fold(text))
        if isinstance(text, str) and len(self._seen_headers) < SEEN_MAX:
            self._seen_headers[text] = found
        return found

    def code(self, list_name: str, word: Any) -> str | None:
        """The code a word stands for in a code list, or None when it is not one."""
        # The same few words fill whole columns (男, 汉, 户主): remember each answer.
        key = (list_name, word)
        try:
            return self._seen[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable cell value
            return self._values.get(list_name, {}).get(fold(word))
        found = self._values.get(list_name, {}).get(fold(word))
        if len(self._seen) < SEEN_MAX:
            self._seen[key] = found
        return found

    def words(self, list_name: str) -> dict[str, str]:
        """Every word understood for a code list (folded word -> code), a copy."""
        return dict(self._values.get(list_name, {}))

    def is_blank_word(self, word: Any) -> bool:
        """Words such as 无 that mean "nothing" in a multiple-choice or phone cell."""
        return fold(word) in self.blank_words


def _value_words(extra: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Per code list: folded word -> code, from the code lists and the alias file."""
    words: dict[str, dict[str, str]] = {}
    for list_name, entries in choice_lists().items():
        table = words.setdefault(list_name, {})
        for code, names in entries.items():
            table.setdefault(fold(code), code)
            for name in names.values():
                table.setdefault(fold(name), code)
    for name in choice_lists()["ethnicity"]:
        if name.endswith("族") and len(name) > 1:
            words["ethnicity"].setdefault(fold(name[:-1]), name)
    lists = choice_lists()
    for list_name, entries in extra.items():
        table = words.setdefault(list_name, {})
        for word, code in entries.items():
            if list_name in lists and code not in lists[list_name]:
                raise ValueError(f"{ALIASES_FILE}: values: {list_name}: {word}: no code {code}")
            # Alias entries win over automatic ones: they are what staff decided.
            table[fold(word)] = code
    return words


@cache
def vocabulary(form: FormDef) -> Vocabulary:
    """The vocabulary of a form (built once per loaded definition)."""
    return Vocabulary(form)
