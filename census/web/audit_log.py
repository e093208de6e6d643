"""The audit log for admins: filter by actor, action, date range and target; page; export."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from census.domain.address import address_text
from census.queries.accounts import display_names
from census.queries.lookup import record
from census.services import audit
from census.sheets.writer import csv_bytes, xlsx_bytes
from census.web.access import ADMIN, roles_required
from census.web.current import get_store
from census.web.review import action_labels as version_action_labels

bp = Blueprint("audit_log", __name__, url_prefix="/audit")
PAGE_SIZE = 50
FORMATS = ("csv", "xlsx")


def _filters() -> audit.Filters:
    args = request.args
    return audit.Filters(
        **{k: args.get(k, "").strip() for k in ("actor", "action", "target", "since", "until")}
    )


def action_labels() -> dict[str, str]:
    """The audited actions as admins read them, in the page's language.

    Saves and review actions use the same words as the history pages. Every action the
    code records has a label here (tests/web/test_audit_labels.py finds them all), so the
    page never shows a bare code such as ``token_revoke``.
    """
    return version_action_labels() | {
        "login": _("登录"),
        "login_failed": _("登录失败"),
        "logout": _("退出"),
        "view_full_ids": _("查看完整证件号码"),
        "print": _("打印"),
        "export": _("导出"),
        "review_comment": _("审核意见"),
        "user_add": _("新建账号"),
        "role_change": _("变更角色"),
        "assign": _("分配网格/楼栋"),
        "add_building": _("添加楼栋"),
        "add_community": _("添加社区"),
        "grant_full_ids": _("设置完整证件号码查看权限"),
        "password_change": _("修改密码"),
        "password_reset": _("重置密码"),
        "user_activate": _("启用账号"),
        "user_deactivate": _("停用账号"),
        "token_create": _("创建访问令牌"),
        "token_revoke": _("撤销访问令牌"),
        "login_unlock": _("解除登录锁定"),
        "survey_add": _("添加问卷"),
        "survey_replace": _("替换问卷"),
        "survey_remove": _("删除问卷"),
        "print_download": _("下载打印文件"),
        "visit": _("入户走访"),
        "visit_withdraw": _("撤销走访"),
        "conflict": _("发生修改冲突"),
    }


# Audited targets that name a record by its id, and the record's name field.
RECORD_TARGETS = {"households": None, "storefronts": "name", "units": "name"}


def target_text(store: Any, target: str, people: dict[str, str]) -> str:
    """An audited target as admins read it: a record by its address (and name), an account
    by its holder's name; anything else, or a record no longer there, as stored."""
    kind, _sep, key = (target or "").partition("/")
    if kind == "users" and key:
        return people.get(key, key)
    if kind in RECORD_TARGETS and key.isdigit():
        found = record(store, kind, int(key))
        if found is None:
            return target
        name = found.get(RECORD_TARGETS[kind]) if RECORD_TARGETS[kind] else None
        place = address_text(found) or found.get("address") or ""
        return " · ".join(str(part) for part in (name, place) if part) or target
    return target


def _header() -> list[str]:
    """The stored columns (codes and usernames, as filters and scripts read them), then the
    same in words: the actor's name, the action, the record by its address."""
    stored = [_("时间"), _("操作人"), _("操作"), _("对象"), _("来源地址"), _("详情")]
    return stored + [_("操作人姓名"), _("操作名称"), _("对象说明")]


@bp.route("/")
@roles_required(ADMIN)
def index():
    """Entries newest first, filtered and paged."""
    store = get_store()
    filters = _filters()
    rows = audit.search(store, filters)
    page = max(1, request.args.get("page", 1, type=int))
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    entries = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    people = display_names(store)
    return render_template(
        "audit/index.html",
        entries=entries,
        people=people,
        targets={e["target"]: target_text(store, e["target"], people) for e in entries},
        total=len(rows),
        page=page,
        pages=pages,
        filters=filters,
        actions=audit.actions(store),
        labels=action_labels(),
        detail_text=audit.detail_text,
    )


@bp.route("/export.<fmt>")
@roles_required(ADMIN)
def export(fmt: str):
    """The filtered entries as CSV or XLSX; the export itself is logged."""
    if fmt not in FORMATS:
        return Response(status=404)
    store = get_store()
    filters = _filters()
    rows = audit.search(store, filters)
    people, labels = display_names(store), action_labels()
    targets: dict[str, str] = {}
    table = []
    for entry, row in zip(rows, audit.table(rows), strict=True):
        target = str(entry.get("target") or "")
        if target not in targets:
            targets[target] = target_text(store, target, people)
        actor, action = row[1], row[2]
        table.append(row + [people.get(actor, actor), labels.get(action, action), targets[target]])
    audit.record(
        store,
        current_user.username,
        "export",
        f"audit.{fmt}",
        rows=len(rows),
        filters={k: v for k, v in vars(filters).items() if v},
    )
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    name = f"{_('审计日志')}-{stamp}.{fmt}"
    # Through the sheet writer: a username like =HYPERLINK(…) stays text, NUL is dropped.
    if fmt == "csv":
        body = csv_bytes(_header(), table)
        mimetype = "text/csv"
    else:
        body = xlsx_bytes({_("审计日志"): (_header(), table)})
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
