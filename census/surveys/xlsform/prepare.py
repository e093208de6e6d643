"""Step 3a: pyxform's JSON survey made ready to translate, as pyxform itself reads it.

- a type pyxform knows by another name (``gps``, ``phone number``, ``q int``, ``percentage``,
  ``datetime`` …) reads as the type its entry in pyxform's type dictionary stands for, with
  the constraint that entry brings (``phone number``: digits only);
- ``begin loop over <list>`` becomes what pyxform builds from it: a group per choice of
  the list, its questions once per choice, ``%(name)s`` and ``%(label)s`` filled in;
- a name that is a valid XML name but no identifier (``label-test``, ``tel.office``) gets a
  stored key of letters, digits and _ (``label_test``); ``${label-test}`` and
  ``../label-test`` read the key, and the field keeps its original name for exports.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

# pyxform's bind types -> ours (a type of its dictionary that is none of these is left as
# it is, and refused or left out by the translation as before).
_BIND_TYPES = {
    "string": "text", "int": "integer", "decimal": "decimal", "date": "date",
    "dateTime": "dateTime", "time": "time", "geopoint": "geopoint", "barcode": "barcode",
}  # fmt: skip
_MEDIA = {"image/*": "photo", "audio/*": "audio", "video/*": "video"}
_FILL = re.compile(r"\$\{\s*([^}]*?)\s*\}")
_PATH_REF = re.compile(r"(\.\./|/)([A-Za-z_][\w.-]*)")


def canonical_type(kind: str, known: set[str]) -> tuple[str, str]:
    """(the type we translate, a constraint the alias brings) for a pyxform type name."""
    if kind in known:
        return kind, ""
    entry = QUESTION_TYPE_DICT.get(kind)
    if not entry:
        return kind, ""
    bind = entry.get("bind") or {}
    control = entry.get("control") or {}
    if bind.get("jr:preload"):
        return kind, ""  # metadata: the translation notes it
    if control.get("tag") == "trigger":
        return "trigger", ""
    if control.get("tag") == "upload":
        return _MEDIA.get(str(control.get("mediatype")), "file"), ""
    ours = _BIND_TYPES.get(str(bind.get("type")))
    if ours is None or not control:
        return kind, ""
    return ours, str(bind.get("constraint") or "")


def safe_key(name: str, taken: set[str]) -> str:
    """A name as a stored key: letters, digits and _ (``label-test`` -> ``label_test``)."""
    key = re.sub(r"\W", "_", name) or "q"
    if not key.isidentifier():
        key = f"q_{key}"
    elif key.startswith("_"):  # a form's fields never start with _ (those are its own)
        key = f"q{key}"
    base, n = key, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def _names(children: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for child in children:
        found.add(str(child.get("name") or ""))
        found |= _names(child.get("children") or [])
    return found


def _filled(value: Any, column: dict[str, Any]) -> Any:
    """%(name)s and %(label)s of a loop's question, for one choice (as pyxform fills them)."""
    label = column.get("label")
    if isinstance(value, str):
        if isinstance(label, dict):
            label = next(iter(label.values()), "")
        return value.replace("%(name)s", str(column.get("name"))).replace(
            "%(label)s", str(label or column.get("name"))
        )
    if isinstance(value, dict):
        # a label per language: that language's label of the choice
        if isinstance(label, dict) and all(isinstance(v, str) for v in value.values()):
            return {
                lang: text.replace("%(name)s", str(column.get("name"))).replace(
                    "%(label)s", str(label.get(lang) or next(iter(label.values()), ""))
                )
                for lang, text in value.items()
            }
        return {k: _filled(v, column) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, column) for v in value]
    return value


def _expand_loops(children: list[dict[str, Any]], taken: set[str]) -> list[dict[str, Any]]:
    out = []
    for child in children:
        child = dict(child)
        if child.get("children"):
            child["children"] = _expand_loops(child["children"], taken)
        if child.get("type") != "loop":
            out.append(child)
            continue
        groups = []
        for column in child.get("columns") or []:
            inner = []
            for question in child.get("children") or []:
                copied = _filled(copy.deepcopy(question), column)
                own = str(question.get("name"))
                key = f"{column['name']}_{own}"
                if not key.isidentifier() or key in taken:
                    key = safe_key(f"{child['name']}_{key}", taken)
                taken.add(key)
                copied.update(
                    name=key, xml_name=f"{child['name']}/{column['name']}/{own}", row_name=own
                )
                inner.append(copied)
            groups.append(
                {
                    "type": "group",
                    "name": str(column["name"]),
                    "label": column.get("label"),
                    "children": inner,
                    "row_name": child["name"],
                }  # fmt: skip
            )
        out.append({**child, "type": "group", "children": groups})
    return out


def _rename(children: list[dict[str, Any]], taken: set[str], renamed: dict[str, str]) -> None:
    for child in children:
        name = str(child.get("name") or "")
        if (
            name
            and (not name.isidentifier() or name.startswith("_"))
            and child.get("type") != "group"
        ):
            key = safe_key(name, taken)
            taken.add(key)
            renamed[name] = key
            child.update(name=key, xml_name=child.get("xml_name") or name, row_name=name)
        _rename(child.get("children") or [], taken, renamed)


def _rewritten(value: Any, renamed: dict[str, str]) -> Any:
    """``${old}`` and ``../old`` as ``${key}`` and ``../key`` in every text of a question."""
    if isinstance(value, str):

        def fill(m: re.Match) -> str:
            return "${" + renamed.get(m.group(1), m.group(1)) + "}"

        def path(m: re.Match) -> str:
            return m.group(1) + renamed.get(m.group(2), m.group(2))

        return _PATH_REF.sub(path, _FILL.sub(fill, value))
    if isinstance(value, dict):
        return {k: v if k in ("name", "xml_name", "row_name") else _rewritten(v, renamed)
                for k, v in value.items()}  # fmt: skip
    if isinstance(value, list):
        return [_rewritten(v, renamed) for v in value]
    return value


def prepare(children: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The survey's children with loops expanded and names made keys; {old name: key}."""
    taken = _names(children)
    children = _expand_loops(children, taken)
    renamed: dict[str, str] = {}
    _rename(children, taken, renamed)
    if renamed:
        children = [_rewritten(c, renamed) for c in children]
    return children, renamed
