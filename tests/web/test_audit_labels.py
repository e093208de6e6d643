"""The audit log page names every action the code records, in Chinese and in English.

The actions are found in the source, not listed by hand: every ``audit.record(...)`` call
and every save that names its ``action=`` (records.save, set_meta, the life events), so a
new audited act without a label fails here. The page itself is then asked, with one entry
of each action, in both languages.
"""

from __future__ import annotations

import ast
import re

import pytest

from census.services import audit, review
from census.util.resources import CHECKOUT
from tests.conftest import Auth

SOURCE = CHECKOUT / "census"
CJK = re.compile(r"[\u3400-\u9fff]")


def _strings(node: ast.AST) -> set[str]:
    """The strings an expression can evaluate to: ``'a' if x == '.pdf' else 'b'`` gives a, b.

    A name (a parameter passed on, as in ``action or ('create' if … else 'edit')``) adds
    nothing here: its callers name the action and are walked too.
    """
    if isinstance(node, ast.Constant):
        return {node.value} if isinstance(node.value, str) else set()
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    if isinstance(node, ast.BoolOp):
        return set().union(*(_strings(v) for v in node.values))
    return set()


def _f_string(node: ast.JoinedStr, where: str) -> set[str]:
    """The actions an f-string makes: only ``f"review_{action}"`` does, one per review act."""
    if ast.unparse(node) == "f'review_{action}'":
        return {f"review_{act}" for act, rule in review.RULES.items() if rule[2] is not None}
    raise AssertionError(f"{where}: an action made as {ast.unparse(node)}; teach this test it")


def _assigned(tree: ast.AST, name: str) -> set[str]:
    """The strings assigned to a variable anywhere in a module (``action = 'a' if … else 'b'``)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            found |= _strings(node.value)
    return found


def _from_constructor(tree: ast.AST, node: ast.Call, attr: str) -> set[str]:
    """``action=self.action`` in a method: the strings the class is built with, at that field.

    The class is the one whose body holds the call (a dataclass: its fields in order).
    """
    for cls in ast.walk(tree):
        if not isinstance(cls, ast.ClassDef):
            continue
        if not (cls.lineno <= node.lineno <= (cls.end_lineno or cls.lineno)):
            continue
        fields = [
            item.target.id
            for item in cls.body
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
        ]
        position = fields.index(attr)
        found: set[str] = set()
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == cls.name:
                given = next((k.value for k in call.keywords if k.arg == attr), None)
                if given is None and position < len(call.args):
                    given = call.args[position]
                if given is not None:
                    found |= _strings(given)
        return found
    return set()


def recorded_actions() -> set[str]:
    """Every action name the application can write to the audit log."""
    actions: set[str] = set()
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(CHECKOUT)}:{node.lineno}"
            func = node.func
            is_record = (
                isinstance(func, ast.Attribute)
                and func.attr == "record"
                and isinstance(func.value, ast.Name)
                and func.value.id == "audit"
            ) or (  # the audit module's own helpers (full_ids_shown) call it by its name
                isinstance(func, ast.Name) and func.id == "record" and path.name == "audit.py"
            )
            keyword = next((k.value for k in node.keywords if k.arg == "action"), None)
            value = node.args[2] if is_record and len(node.args) > 2 else keyword
            if value is None:
                continue
            if isinstance(value, ast.JoinedStr):
                actions |= _f_string(value, where)
            elif isinstance(value, ast.Name):
                # a parameter passed on (its callers name it, and are walked too) or a local
                actions |= _assigned(tree, value.id)
            elif (
                isinstance(value, ast.Attribute)
                and isinstance(value.value, ast.Name)
                and value.value.id == "self"
            ):
                strings = _from_constructor(tree, node, value.attr)
                assert strings, f"{where}: an action made as {ast.unparse(value)}"
                actions |= strings
            else:
                strings = _strings(value)
                assert strings, f"{where}: an action made as {ast.unparse(value)}"
                actions |= strings
    return actions


def test_the_source_walk_finds_the_actions_it_should():
    """The walk itself is checked: saves, life events, reviews, accounts, the CLI's unlock."""
    found = recorded_actions()
    expected = {
        "create", "edit", "restore", "move_in", "merge_duplicate", "review_approve",
        "review_return", "review_resubmit", "review_comment", "login_failed", "view_full_ids",
        "token_revoke", "user_deactivate", "password_reset", "survey_replace", "login_unlock",
        "resolve_conflict", "visit", "print_download", "print", "export",
    }  # fmt: skip
    assert expected <= found, expected - found
    assert "" not in found and ".pdf" not in found  # a compared suffix is no action


@pytest.fixture
def every_action(store):
    """One audit entry of each recorded action, each with a target naming its code."""
    actions = sorted(recorded_actions())
    for action in actions:
        audit.record(store, "admin", action, f"probe/{action}", ip="127.0.0.1")
    return actions


CELL = re.compile(
    r"<tr>\s*<td>[^<]*</td>\s*<td>admin</td>\s*<td>([^<]*)</td>\s*<td>probe/([a-z_]+)</td>"
)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_audit_page_shows_a_label_for_every_recorded_action(app, every_action, lang):
    client = app.test_client()
    Auth(client).login("admin")
    shown: dict[str, str] = {}
    page = 1
    while True:
        html = client.get(f"/audit/?target=probe/&page={page}&lang={lang}").get_data(as_text=True)
        cells = CELL.findall(html)
        if not cells:
            break
        shown |= {code: label.strip() for label, code in cells}
        page += 1
    assert set(shown) == set(every_action)
    bare = sorted(code for code, label in shown.items() if label == code or not label)
    assert not bare, f"shown as a bare code ({lang}): {bare}"
    if lang == "zh":
        untranslated = sorted(c for c, label in shown.items() if not CJK.search(label))
        assert not untranslated, f"no Chinese label: {untranslated}"
    else:
        chinese = sorted(f"{c}={label}" for c, label in shown.items() if CJK.search(label))
        assert not chinese, f"no English label (add it to messages.po): {chinese}"
    # The action filter offers the same words.
    html = client.get(f"/audit/?lang={lang}").get_data(as_text=True)
    for code in every_action:
        assert f'<option value="{code}">{shown[code]}</option>' in html, code


def test_the_labels_are_different_words_for_different_acts(app):
    """Two actions with one label would read as the same act in the log."""
    from flask import g

    from census.web.audit_log import action_labels

    for lang in ("zh", "en"):
        with app.test_request_context(f"/?lang={lang}"):
            g.lang = lang
            labels = action_labels()
        words: dict[str, str] = {}
        for code, word in labels.items():
            assert word not in words, f"{lang}: {code} and {words.get(word)} both read {word!r}"
            words[word] = code


def test_a_label_missing_for_a_new_action_would_fail(app, store):
    """Control: an action nobody labelled is shown as its code, and the check sees that."""
    audit.record(store, "admin", "made_up_action", "probe/made_up_action")
    client = app.test_client()
    Auth(client).login("admin")
    html = client.get("/audit/?target=probe/made_up_action").get_data(as_text=True)
    ((label, code),) = CELL.findall(html)
    assert label == code == "made_up_action"
