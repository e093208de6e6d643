"""One submission made up for any survey: a value in every question that its type, its
constraint, its choice_filter and its repeat_count accept, found by asking the server's own
validation (``clean``) and trying the next candidate where it objects.

Each question starts from the first candidate of its type; each refusal at a question's
path moves that question to its next candidate (a question that is not required may end up
blank), and a repeat_count that wants another number of rows gets that many. The corpus
test stores what comes out and reads it back through the export.
"""

from __future__ import annotations

import functools
import re
from datetime import date, timedelta
from typing import Any

from census.domain.problems import WARNING
from census.surveys.definition import SILENT_TYPES, FieldDef, FormDef
from census.surveys.validate import clean
from tests.surveys.test_nested_and_photos import data_url, jpeg_with_gps

ROUNDS = 60
TODAY = date.today()
TEXTS = ["测试", "1", "10", "2", "abc", "1.5", "yes", "A", "0", "100", "13800138000"]
INTEGERS = ["1", "2", "0", "5", "10", "3", "18", "30", "60", "100", "1000", "-1"]


def candidates(f: FieldDef) -> list[Any]:
    """The answers tried for a question, in order; a blank last (when it is not required).
    Several choices are tried first where several may be ticked (two boxes on the tablet)."""
    if f.type in ("select_one", "select_many"):
        codes = [code for code, _label in f.options("zh")]
        if f.type == "select_one":
            return codes
        return ([codes[:2]] if len(codes) > 1 else []) + [[c] for c in codes]
    return {
        "text": TEXTS,
        "textarea": TEXTS,
        "integer": INTEGERS,
        "date": [(TODAY - timedelta(days=d)).isoformat() for d in (30, 0, 400, 9000)]
        + ["2030-01-01"],
        "yes_no": ["yes", "no"],
        "phone": ["13800138000", "0991-4567890"],
        "id_number": ["11010519491231002X"],
        "uscc": ["91350100M000100Y43"],
        "geopoint": ["43.825592 87.616848 850 12"],
        "image": [photo()],
    }.get(f.type, TEXTS)


@functools.cache
def photo_file() -> bytes:
    """A small real JPEG that says where it was taken (made once): the tablet test chooses it
    as the camera's file."""
    return jpeg_with_gps((32, 24))


@functools.cache
def photo() -> str:
    """The same photo as a data URL, as the tablet sends it."""
    return data_url(photo_file())


class Maker:
    """The state of one search: which candidate each question path holds, rows per repeat."""

    def __init__(self, form: FormDef, rows: int = 1) -> None:
        self.form = form
        self.first_rows = rows
        self.choice: dict[str, int] = {}
        self.rows: dict[str, int] = {}
        # Photos are left out while searching (each one is decoded by every check) unless
        # required; no skip logic or constraint of the corpus reads a photo.
        self.photos = False

    def body(self) -> dict[str, Any]:
        return self._fill(self.form.fields, "")

    def _fill(self, fields: tuple[FieldDef, ...], prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields:
            path = f"{prefix}.{f.key}" if prefix else f.key
            if f.type == "repeat":
                n = self.rows.setdefault(path, self.first_rows)
                out[f.key] = [self._fill(f.fields, f"{path}[{i}]") for i in range(n)]
            elif f.type in SILENT_TYPES or f.type == "note" or f.read_only:
                continue
            elif f.type == "image" and not (self.photos or f.required):
                out[f.key] = None
            else:
                options = candidates(f)
                index = self.choice.setdefault(path, 0)
                out[f.key] = options[index] if index < len(options) else None
        return out

    def refused(self, path: str, code: str, params: dict[str, Any]) -> bool:
        """Move on where the server refused; False when nothing is left to try there."""
        if code == "repeat_count_mismatch":
            self.rows[path] = int(params["expected"])
            return True
        if path in self.rows:  # a repeat refused as a whole: one row more, up to five
            self.rows[path] += 1
            return self.rows[path] <= 5
        if path not in self.choice:
            return False
        self.choice[path] += 1
        return True


def _repaired(form: FormDef, maker: Maker) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Move on where the server refuses until it takes the body: (body, record, refusals)."""
    left: list[str] = []
    for _round in range(ROUNDS):
        body = maker.body()
        record, problems = clean(form, body, today=TODAY)
        errors = [p for p in problems if p.level != WARNING]
        if not errors:
            return body, record, []
        left = [f"{p.path}: {p.code}" for p in errors]
        moved = False
        for problem in errors:
            moved |= maker.refused(problem.path, problem.code, dict(problem.params or {}))
        if not moved:
            break
    return maker.body(), {}, left


def answers_in(record: Any) -> int:
    """How many answers a cleaned record keeps, at every depth of its repeats."""
    if isinstance(record, dict):
        return sum(answers_in(v) for v in record.values())
    if isinstance(record, list) and record and isinstance(record[0], dict):
        return sum(answers_in(v) for v in record)
    return 0 if record in (None, "", []) else 1


def submission(form: FormDef, rows: int = 1) -> tuple[dict[str, Any], list[str]]:
    """A body the survey accepts, and the refusals left if no such body was found.

    Each repeat starts with ``rows`` entries (the tablet test asks for two, so that rows
    are added with the roster's own button, at every depth); one with a count gets as many
    as its count says.

    Once one is found, each choice question tries its other answers and keeps one that
    asks more (a "yes" that opens a roster, a "no" to "skip to the end"), so that the
    body reaches the form's repeats and photos rather than the shortest way through.
    """
    maker = Maker(form, rows)
    body, record, left = _repaired(form, maker)
    if left:
        return body, left
    best = answers_in(record)
    deciders = _deciders(form)
    for path in list(maker.choice):
        if path.split("[")[0].split(".")[-1] not in deciders or not _is_choice(form, path):
            continue
        kept = (dict(maker.choice), dict(maker.rows))
        for index in range(1, 4):
            maker.choice, maker.rows = dict(kept[0]), dict(kept[1])
            maker.choice[path] = index
            tried, found, refused = _repaired(form, maker)
            if not refused and answers_in(found) > best:
                body, best, kept = tried, answers_in(found), (maker.choice, maker.rows)
                break
        maker.choice, maker.rows = dict(kept[0]), dict(kept[1])
    maker.photos = True
    with_photos, _record, refused = _repaired(form, maker)
    return (body, []) if refused else (with_photos, [])


def _deciders(form: FormDef) -> set[str]:
    """The keys that some question's skip logic or repeat count names."""
    sources: list[str] = []

    def walk(fields: tuple[FieldDef, ...]) -> None:
        for f in fields:
            sources.extend(str(x) for x in (f.relevant, f.count, f.required_if) if x)
            walk(f.fields)

    walk(form.fields)
    text = " ".join(sources)
    return {key for key in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)}


def _is_choice(form: FormDef, path: str) -> bool:
    fields, f = form.fields, None
    for part in path.split("."):
        key = part.split("[")[0]
        f = next((x for x in fields if x.key == key), None)
        if f is None:
            return False
        fields = f.fields
    return f is not None and f.type in ("select_one", "yes_no")
