"""${} fills in the labels of a repeat's rows, on the pages the server draws.

The tablet fills a label inside a repeat from its own row first, then the rows around it,
then the form (static/forms.js). The record page and the form drawn without the script
must say the same: a child's label names the child and the member it belongs to.
"""

from __future__ import annotations

import re

import pytest

from census.surveys import custom
from census.web.current import context
from tests.surveys.test_nested_and_photos import HEAD
from tests.surveys.xlsform_files import xlsform

ROWS = [
    ("text", "village", "村名", "Village"),
    ("begin_repeat", "members", "成员", "Members"),
    ("text", "m_name", "姓名", "Name"),
    ("integer", "m_age", "${m_name}的年龄", "Age of ${m_name}"),
    ("note", "m_note", "${m_name}住在${village}", "${m_name} lives in ${village}"),
    ("begin_repeat", "kids", "子女", "Children"),
    ("text", "k_name", "子女姓名", "Child"),
    ("integer", "k_age", "${m_name}的子女${k_name}的年龄", "Age of ${k_name}, child of ${m_name}"),
    ("note", "k_note", "${k_name}（${village}）", "${k_name} (${village})"),
    ("end_repeat",),
    ("end_repeat",),
]  # fmt: skip
SETTINGS = {"form_title": "子女登记", "form_id": "kin"}
RECORD = {
    "village": "东湾",
    "members": [
        {"m_name": "阿依古丽", "m_age": 40, "kids": [{"k_name": "小明", "k_age": 3}]},
        {"m_name": "买买提", "m_age": 45, "kids": [{"k_name": "阿力", "k_age": 7},
                                                  {"k_name": "古丽", "k_age": 9}]},
    ],
}  # fmt: skip


@pytest.fixture
def kin(app, store):
    added = custom.add(context(app), "kin.xlsx", xlsform(ROWS, [], SETTINGS, HEAD))
    assert added.form is not None, added.problems
    return added.form


def _saved(store, kin) -> int:
    from census.services import records

    result = records.save(store, kin, RECORD, user="admin")
    assert result.saved, result.problems
    return result.id


def test_the_record_page_fills_each_inner_row_from_its_own_row_then_the_member(
    client, store, kin, auth
):
    record_id = _saved(store, kin)
    auth.login("admin")
    page = client.get(f"/worklog/kin/{record_id}").get_data(as_text=True)
    member = re.search(r'data-item="members-1">\s*<p>(.*?)</p>', page, re.S).group(1)
    assert "买买提的年龄：45" in member
    child = re.search(r'data-item="members-1-kids-1">\s*<p>(.*?)</p>', page, re.S).group(1)
    assert "买买提的子女古丽的年龄：9" in child
    first = re.search(r'data-item="members-0-kids-0">\s*<p>(.*?)</p>', page, re.S).group(1)
    assert "阿依古丽的子女小明的年龄：3" in first
    english = client.get(f"/worklog/kin/{record_id}?lang=en").get_data(as_text=True)
    assert "Age of 阿力, child of 买买提：7" in english


def test_the_form_without_the_script_fills_inner_labels_and_notes_from_their_rows(
    client, store, kin, auth
):
    record_id = _saved(store, kin)
    auth.login("admin")
    page = client.get(f"/survey/kin/{record_id}/edit").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", "", page)
    assert "买买提的年龄" in text and "阿依古丽的年龄" in text
    assert "买买提住在东湾" in text  # a note inside the member
    assert "阿依古丽的子女小明的年龄" in text
    assert "买买提的子女阿力的年龄" in text and "买买提的子女古丽的年龄" in text
    assert "古丽（东湾）" in text  # a note inside the child reads the form's village
    assert "的子女的年龄" not in text  # no inner label left half filled
