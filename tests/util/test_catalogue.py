"""The one message catalogue: every marked msgid has its English, and no English is left over.

The msgids are found as ``make translations`` finds them, with Babel's extraction over
``census/`` (``N_``, ``NC_``, ``Np_``, ``_``, ``gettext``, ``ngettext``, ``pgettext``) and
``templates/`` (``{{ _(...) }}``), so a message marked anywhere and missing from
``messages.po`` fails here, as does an English text no code or page asks for any more.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from census.util import i18n

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "census/translations/en/LC_MESSAGES/messages.po"
# The markers beyond Babel's defaults, as the Makefile's `translations` target passes them.
EXTRA_KEYWORDS = {"NC_": ((1, "c"), 2), "Np_": (1, 2)}
MAKE_FLAGS = ("-k NC_:1c,2", "-k Np_:1,2")


def _extracted() -> dict[tuple[str | None, str], list[str]]:
    """(context, msgid) -> where it is marked, for census/ and templates/."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {**DEFAULT_KEYWORDS, **EXTRA_KEYWORDS}
    found: dict[tuple[str | None, str], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault((context, msgid), []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def marked():
    return _extracted()


@pytest.fixture(scope="module")
def catalogue():
    with open(PO, "rb") as fh:
        return {
            (m.context, m.id[0] if isinstance(m.id, tuple) else m.id): m
            for m in read_po(fh)
            if m.id
        }


def _placeholders(text: str) -> set[str]:
    """The names a message fills: {name} (str.format) and %(name)s (the pages' gettext).

    A value given per language may be named with its language: {field_en} in the English
    for {field} (or {kind_zh}) in the Chinese counts as the same placeholder.
    """
    names = {f"%({n})" for n in re.findall(r"%\((\w+)\)", text)}
    try:
        names |= {f"{{{f}}}" for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError:  # a lone brace: not a format string
        pass
    return {re.sub(r"_(zh|en)(?=[})])", "", name) for name in names}


def test_the_extraction_finds_the_markers_of_every_layer(marked):
    places = {
        where.split("/")[1] if where.startswith("census/") else "templates"
        for wheres in marked.values()
        for where in wheres
    }
    assert {"domain", "printing", "web", "templates"} <= places
    assert (None, "审核人：%(name)s") in marked  # census/printing/signoff.py, through gettext
    assert (None, "必填项") in marked  # census/domain/problems.py, through N_
    assert ("problem", "日期格式应为 YYYY-MM-DD") in marked  # through NC_


def test_every_marked_message_has_its_english(marked, catalogue):
    missing = [
        f"{msgid!r} (context {context!r}) at {marked[(context, msgid)][0]}"
        for context, msgid in marked
        if not (entry := catalogue.get((context, msgid)))
        or not all(entry.string if isinstance(entry.string, tuple) else [entry.string])
    ]
    assert not missing, "no English in messages.po for:\n" + "\n".join(missing)


def test_no_english_is_left_unused(marked, catalogue):
    unused = [
        f"{msgid!r} (context {context!r})"
        for context, msgid in catalogue
        if (context, msgid) not in marked
    ]
    assert not unused, "messages.po holds texts nothing marks:\n" + "\n".join(unused)


def test_placeholders_match_between_chinese_and_english(catalogue):
    wrong = []
    for entry in catalogue.values():
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = set().union(*(_placeholders(i) for i in ids))
        for english in strings:
            if english and _placeholders(english) != wanted:
                wrong.append(f"{entry.id!r} -> {english!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_makefile_extracts_with_the_same_markers():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = next(x for x in makefile.splitlines() if "pybabel" in x and " extract " in x)
    assert all(flag in line for flag in MAKE_FLAGS), line


def test_a_message_reads_the_same_catalogue_in_each_language():
    assert i18n.gettext("审核人：%(name)s", "zh") == "审核人：%(name)s"
    assert i18n.gettext("审核人：%(name)s", "en") == "Reviewed by: %(name)s"
    assert i18n.gettext("审核人：%(name)s", "xx") == "审核人：%(name)s"  # no catalogue: the source
    assert i18n.gettext("没有这条消息", "en") == "没有这条消息"


def test_a_problem_is_said_from_the_catalogue_in_the_language_asked():
    from census.domain.problems import Problem

    problem = Problem("integer_min", "members[0].age", {"min": 3, "member": "张三"})
    assert problem.message("zh") == "张三：不能小于 3"
    assert problem.message("en") == "张三: Must be at least 3"
    assert Problem("date_invalid").message("en") == "Enter a date as YYYY-MM-DD"  # its context
    own = Problem("constraint_failed", params={"zh": "应大于 0", "en": "More than 0"})
    assert (own.message("zh"), own.message("en"), own.message("xx")) == (
        "应大于 0",
        "More than 0",
        "应大于 0",
    )


def test_an_import_finding_is_said_with_its_place_in_each_language():
    from census.sheets.issues import Issue

    issue = Issue("note_row", row=5, column="E", header="证件号码", params={"text": "说明"})
    assert (issue.where("zh"), issue.message("zh")) == (
        "第5行 E列 “证件号码”",
        "说明行，已跳过：说明",
    )
    assert (issue.where("en"), issue.message("en")) == (
        "row 5 column E “证件号码”",
        "Note row, skipped: 说明",
    )
    away = Issue(
        "living_elsewhere",
        params={"name": "张三", "where": "（乌鲁木齐）", "where_en": " (Urumqi)"},
    )
    assert away.message("zh") == "人户分离：张三 记为外出人员（乌鲁木齐）"
    assert away.message("en") == "Lives elsewhere: 张三 is recorded as away (Urumqi)"
