"""A person's flag columns, as other systems' person sheets write them, into the member's fields.

Grid-management and household-registration systems do not keep a 状态 column: they ask
是否已迁出 with 迁出日期 beside it, 是否已死亡 with 死亡日期, 是否人户分离 with 实际居住地,
the flags as 1/0 or 是/否. The form keeps a person's leaving as ``status`` (moved_out,
deceased) with ``status_date``, and someone whose hukou is here but who lives elsewhere as
``residence_type`` ``away``; the actual address has no field, so it goes into the
household's notes. A date without its flag says enough (a 死亡日期 is a death); a flag
without its date is an error at the date's column, as the form requires the date.
"""

from __future__ import annotations

from typing import Any

from census.sheets.issues import ERROR, INFO, Issue
from census.sheets.model import SourceRow
from census.sheets.vocabulary import Vocabulary, fold

# flag field -> (its date field, the status it gives), in the order they win: a person
# marked both moved out and dead is dead.
STATUS_FLAGS = {
    "deceased": ("death_date", "deceased"),
    "moved_out": ("moved_out_date", "moved_out"),
}
APART, ACTUAL = "living_elsewhere", "actual_address"
FLAG_FIELDS = (*STATUS_FLAGS, *(d for d, _s in STATUS_FLAGS.values()), APART, ACTUAL)
_YES = {"是", "1", "yes", "y", "true", "√", "✓", "on", "已迁出", "迁出", "已死亡", "死亡", "已故"}
_YES |= {"去世", "人户分离", "户在人不在"}
_NO = {"否", "0", "no", "n", "false", "×", "✗", "off", "未迁出", "未死亡", "健在", "人户一致"}


def flag(value: Any) -> bool | None:
    """True, False, or None for a value that is neither (and for a blank)."""
    if isinstance(value, bool):
        return value
    word = fold(value)
    if word in _YES:
        return True
    if word in _NO:
        return False
    return None


def person_columns(
    member: dict[str, Any], row: SourceRow, vocab: Vocabulary, issues: list[Issue]
) -> list[str]:
    """Turn a member's flag columns into its fields (in place); the notes for the household."""
    if not any(key in member for key in FLAG_FIELDS):
        return []
    values = {key: member.pop(key) for key in FLAG_FIELDS if key in member}
    name = str(member.get("name") or "")
    for key, (date_key, status) in STATUS_FLAGS.items():
        said, day = values.get(key), values.get(date_key)
        answer = flag(said) if said is not None else None
        if said is not None and answer is None:
            params = {"value": str(said)[:40], "field": _title(row, key, vocab)}
            issues.append(Issue("flag_invalid", ERROR, params=params, **_where(row, key, vocab)))
            continue
        if answer is False:
            if day is not None:
                params = {
                    "field": _title(row, key, vocab),
                    "date": _title(row, date_key, vocab),
                    "value": str(day),
                }
                where = _where(row, date_key, vocab)
                issues.append(Issue("flag_date_ignored", INFO, params=params, **where))
            continue
        if answer is None and day is None:
            continue
        if member.get("status") not in (None, "", "active"):
            continue  # a 状态 column (or a flag before) has said it
        member["status"] = status
        if day is not None:
            member.setdefault("status_date", day)
        elif not member.get("status_date"):
            params = {"field": _title(row, key, vocab), "date": _title(row, date_key, vocab)}
            where = _where(row, date_key, vocab)
            issues.append(Issue("flag_date_missing", ERROR, params=params, **where))
    apart = values.get(APART)
    actual = values.get(ACTUAL)
    answer = flag(apart) if apart is not None else None
    if apart is not None and answer is None:
        params = {"value": str(apart)[:40], "field": _title(row, APART, vocab)}
        issues.append(Issue("flag_invalid", ERROR, params=params, **_where(row, APART, vocab)))
        return []
    notes = []
    if answer:
        # hukou here, living elsewhere: 外出人员; someone floating lives here already
        if member.get("residence_type") in (None, "", "registered"):
            member["residence_type"] = "away"
            where_zh = f"，实际居住地“{actual}”写入备注" if actual else ""
            where_en = f"; actual residence “{actual}” put in the notes" if actual else ""
            params = {"name": name, "where": where_zh, "where_en": where_en}
            issues.append(
                Issue("living_elsewhere", INFO, params=params, **_where(row, APART, vocab))
            )
        if actual:
            notes.append(f"{name}实际居住地：{actual}")
    elif actual and answer is None:
        notes.append(f"{name}实际居住地：{actual}")
    return notes


def _title(row: SourceRow, key: str, vocab: Vocabulary) -> str:
    return str(row.where(f"members.{key}", vocab)["header"])


def _where(row: SourceRow, key: str, vocab: Vocabulary) -> dict[str, Any]:
    return row.where(f"members.{key}", vocab)


__all__ = ["FLAG_FIELDS", "STATUS_FLAGS", "flag", "person_columns"]
