"""Import messages that say how to fix the cell: the accepted formats, the allowed values.

A form says "日期格式应为 YYYY-MM-DD" or "“租”不是可选的值" beside a field whose widget
shows the choices. A sheet has no widget: whoever fixes row 212 needs the value the cell
holds, the five ways a date may be written, and the words the column takes (all of them
for a short list, the closest ones for a long one such as 民族). The plan gives those
validation problems the import's own message here (the code stays: ``date_invalid``,
``choice_invalid``, ``required``); every other problem keeps the form's message.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from census.domain.codes import choice_lists
from census.domain.display import list_separator
from census.domain.problems import Problem
from census.sheets.vocabulary import Target, Vocabulary, fold

ADVICE = "advice"  # the param naming the import message that replaces the form's
SHORT_LIST = 12  # a list this long is given whole; a longer one by its closest words
CLOSEST = 5
_DATE_SHAPED = re.compile(r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|\d{8}")
# Blank fields a resident ID fills (census.surveys.validate): say so beside "required".
FROM_ID = {"birth_date", "sex"}


def entries(target: Target) -> dict[str, dict[str, str]]:
    """The codes of a choice column with their words."""
    if target.items is not None:
        return target.items
    return choice_lists().get(target.choices or "", {})


def words(target: Target, codes: list[str], lang: str) -> str:
    """The codes' words joined as the language lists them."""
    return list_separator(lang).join(target.word(code, lang) for code in codes)


def closest(target: Target, value: str, vocab: Vocabulary) -> list[str]:
    """The codes whose words are nearest a value: containing it or contained in it first,
    then by likeness (difflib); at most ``CLOSEST``."""
    table = vocab.words(target.choices or "") if target.items is None else {}
    for code, names in entries(target).items():
        for name in names.values():
            table.setdefault(fold(name), code)
    typed = fold(value)
    found: list[str] = []
    if typed:
        for word, code in table.items():
            if (typed in word or word in typed) and code not in found:
                found.append(code)
        for word in difflib.get_close_matches(typed, list(table), n=CLOSEST * 2, cutoff=0.5):
            if table[word] not in found:
                found.append(table[word])
    return found[:CLOSEST]


def advise(problem: Problem, target: Target | None, value: Any, vocab: Vocabulary) -> Problem:
    """The import's message for a validation problem of a cell, or the problem unchanged."""
    if target is None:
        return problem
    field = {"field": target.text("zh"), "field_en": target.text("en")}
    if problem.code == "date_invalid" and value not in (None, ""):
        shown = str(value)[:40]
        advice = "date_not_real" if _DATE_SHAPED.fullmatch(shown.strip()) else "date_unreadable"
        return _advised(problem, advice, {"value": shown} | field)
    if problem.code == "choice_invalid" and (target.choices or target.items is not None):
        typed = str(problem.params.get("value", value))
        codes = list(entries(target))
        if len(codes) <= SHORT_LIST:
            params = {"value": typed, "allowed": words(target, codes, "zh")}
            params["allowed_en"] = words(target, codes, "en")
            return _advised(problem, "choice_not_allowed", params | field)
        near = closest(target, typed, vocab)
        if near:
            params = {"value": typed, "count": len(codes), "allowed": words(target, near, "zh")}
            params["allowed_en"] = words(target, near, "en")
            return _advised(problem, "choice_not_close", params | field)
        params = {"value": typed, "count": len(codes)}
        return _advised(problem, "choice_unknown", params | field)
    if problem.code == "required":
        return _advised(problem, "required_blank", field | _allowed(target))
    return problem


def _advised(problem: Problem, advice: str, params: dict[str, Any]) -> Problem:
    """The problem with its code kept (reports and tests count codes) and the import's
    message to say (``Issue.message`` reads ``advice``)."""
    return Problem(
        problem.code, problem.path, problem.params | params | {ADVICE: advice}, problem.level
    )


def _allowed(target: Target) -> dict[str, str]:
    """What a blank required cell may be filled with, as the end of the message."""
    if target.field in FROM_ID and target.member:
        return {
            "allowed": "；或填写居民身份证号码，由号码取得",
            "allowed_en": "; or give the resident ID number, which holds it",
        }
    codes = list(entries(target)) if (target.choices or target.items is not None) else []
    if codes and len(codes) <= SHORT_LIST:
        return {
            "allowed": f"；可填：{words(target, codes, 'zh')}",
            "allowed_en": f"; choose from: {words(target, codes, 'en')}",
        }
    if target.type == "date":
        return {
            "allowed": "；日期可写 1990-01-02、1990/1/2、1990.1.2、1990年1月2日 或 19900102",
            "allowed_en": "; dates may be written 1990-01-02, 1990/1/2, 1990.1.2, 1990年1月2日 "
            "or 19900102",
        }
    return {"allowed": "", "allowed_en": ""}
