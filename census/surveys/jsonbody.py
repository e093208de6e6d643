"""The first gate of every JSON write: what no form field may ever hold, found with its path.

Before a body reaches a form's rules (``clean``) it is parsed here and walked once. What
this refuses, every field of every form refuses alike, so nothing past it can be broken
by a value no person types:

- nesting deeper than any form (a record, its repeats, a repeat in a repeat, a list of
  choices);
- numbers a JSON document cannot carry exactly between systems (beyond ±2^53) and
  non-finite ones;
- text with a lone surrogate, NUL or another control character (tab and newlines are
  text), or longer than any field may be.

Problems carry the field's path as the forms use it: ``members[1].id_number``.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from census.domain.problems import Problem

MAX_BODY_BYTES = 1024 * 1024  # a household of 60 members is about 30 KB
MAX_DEPTH = 8  # body → repeat → row → repeat → row → choices → …
MAX_TEXT = 10_000  # longer than any field's own limit; those come after
PHOTO_TEXT = 7 * 1024 * 1024 + 64  # a 5 MB photo as base64 (4 characters for 3 bytes)
MAX_KEYS = 500
SAFE_INTEGER = 2**53 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class BodyError(ValueError):
    """A body that is not JSON at all (answered 400, with a message)."""


def parse(data: bytes) -> Any:
    """The JSON value of ``data``; ``BodyError`` if it is not JSON (or nests absurdly)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(f"请求体不是 UTF-8 / the body is not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise BodyError("请求体嵌套过深 / the body nests too deeply") from None
    except ValueError as exc:
        raise BodyError(f"请求体不是有效的 JSON / the body is not valid JSON: {exc}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def inspect(value: Any, path: str = "", depth: int = 0) -> list[Problem]:
    """Every value in ``value`` that no field may hold, each with its path."""
    if depth > MAX_DEPTH:
        return [Problem("nesting_too_deep", path, {"max": MAX_DEPTH})]
    if isinstance(value, dict):
        if len(value) > MAX_KEYS:
            return [Problem("too_many_fields", path, {"max": MAX_KEYS})]
        found: list[Problem] = []
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            problem = text_problem(key, where, limit=100)
            if problem is not None or not key.strip():
                found.append(Problem("field_name_invalid", path, {"field": key[:40]}))
                continue
            found += inspect(item, where, depth + 1)
        return found
    if isinstance(value, list):
        if len(value) > MAX_KEYS:
            return [Problem("too_many_items", path, {"max": MAX_KEYS})]
        found = []
        for n, item in enumerate(value):
            found += inspect(item, f"{path}[{n}]", depth + 1)
        return found
    if isinstance(value, str):
        # a photo comes as a data URL (census.surveys.photos checks its size and content)
        photo = value.startswith("data:image/")
        problem = text_problem(value, path, PHOTO_TEXT if photo else MAX_TEXT)
        return [problem] if problem else []
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int):
        if abs(value) > SAFE_INTEGER:
            return [Problem("number_out_of_range", path, {"max": SAFE_INTEGER})]
        return []
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > SAFE_INTEGER:
            return [Problem("number_out_of_range", path, {"max": SAFE_INTEGER})]
    return []


def text_problem(text: str, path: str, limit: int = MAX_TEXT) -> Problem | None:
    """Why ``text`` may not be stored in any field (None when it may)."""
    if len(text) > limit:
        return Problem("text_too_long", path, {"max": limit})
    if _SURROGATE.search(text):
        return Problem("text_surrogate", path)
    found = _CONTROL.search(text)
    if found:
        return Problem("text_control_char", path, {"code": f"U+{ord(found.group()):04X}"})
    return None


def clean_text(text: str) -> str:
    """``text`` with what ``text_problem`` refuses replaced, for values read back for display."""
    if text.isprintable():  # no control character and no surrogate: nearly every value
        return text
    return _CONTROL.sub("\ufffd", _SURROGATE.sub("\ufffd", text))
