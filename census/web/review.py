"""Review and checks: the review queue, review actions and comments, history restore,
the consistency report (page, CSV, PDF) and merging duplicates.

Households, storefronts and units are reviewed alike: the queue shows one kind at a time
(``?kind=storefronts``); a household's thread and actions are on its own page, a storefront's
or unit's on ``/review/records/<form>/<id>``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from census.domain import checks
from census.domain.address import natural_sorted
from census.domain.codes import choice_lists
from census.domain.diff import version_diffs
from census.domain.display import blank, list_separator, value_text
from census.printing import render_pdf
from census.printing.words import css_string, page_counter_css, word
from census.queries import lookup, places
from census.queries.accounts import display_names, surveyors
from census.services import audit, lifeevents, records, review
from census.sheets.writer import csv_bytes
from census.store import Conflict
from census.web.access import ROLES, STAFF, roles_required
from census.web.current import context, get_store
from census.web.helpers import community_name, lang, surveys, when
from census.web.layout import facts

bp = Blueprint("review", __name__, url_prefix="/review")
PAGE_SIZE = 100


def _record_form(form_name: str) -> Any:
    """The survey of a reviewed kind other than the households (storefront, unit), or 404."""
    defn = surveys().get(form_name)
    if defn is None or defn.collection not in review.COLLECTIONS:
        abort(404)
    if defn.collection == review.COLLECTION:
        abort(404)  # a household's review is on its own page
    return defn


def _record_or_404(collection: str, record_id: int) -> dict[str, Any]:
    """A storefront or unit this user may open: staff any, a surveyor the ones they made."""
    record = lookup.record(get_store(), collection, record_id)
    if record is None:
        abort(404)
    if not (current_user.is_staff or review.is_owner(record, current_user.username)):
        abort(403)
    return record


def kind_labels() -> dict[str, str]:
    """The kinds of record the queue shows, by collection."""
    return {"households": _("住户"), "storefronts": _("门面"), "units": _("单位")}


def action_url(collection: str, record_id: int, action: str) -> str:
    """Where a review action on a record is posted."""
    if collection == review.COLLECTION:
        return url_for("review.act", record_id=record_id, action=action)
    form_name = review.REVIEWED[collection]
    return url_for("review.record_act", form_name=form_name, record_id=record_id, action=action)


def record_url(collection: str, record_id: int) -> str:
    """The page with a record's review thread and actions."""
    if collection == review.COLLECTION:
        return url_for("households.view", record_id=record_id)
    return url_for("review.record", form_name=review.REVIEWED[collection], record_id=record_id)


def _household_or_404(record_id: int) -> dict[str, Any]:
    household = lookup.household(get_store(), record_id)
    if household is None:
        abort(404)
    if not current_user.may_open(household):
        abort(403)
    return household


def _grids(store: Any) -> dict[str, str]:
    """Building name -> grid."""
    return {name: grid or "" for name, grid in places.grid_of_building(store).items()}


def check_titles() -> dict[str, str]:
    """A short name for each consistency check, as the report's table shows it."""
    return {
        "head_count": _("户主人数"),
        "child_age_gap": _("子女与户主年龄差"),
        "parent_age_gap": _("父母与户主年龄差"),
        "grandchild_age_gap": _("孙子女与户主年龄差"),
        "birth_date_in_future": _("出生日期晚于今天"),
        "age_over_120": _("年龄超过120岁"),
        "birth_date_mismatch": _("出生日期与证件号码不符"),
        "sex_mismatch": _("性别与证件号码不符"),
        "spouse_under_18": _("配偶未满18岁"),
        "id_in_other_household": _("证件号码重复登记"),
        "probable_duplicate": _("姓名、出生日期相同（疑似重复）"),
        "landlord_missing": _("租住未登记房东"),
    }


def state_labels() -> dict[str, str]:
    """The review states as staff read them: the words of the export (forms/choices.yaml),
    待审核 / 已退回 / 已审核, in the page's language."""
    words = choice_lists()["review_state"]
    return {state: words[state].get(lang()) or words[state]["zh"] for state in review.STATES}


def action_labels() -> dict[str, str]:
    """What each saved version or review action was, for history pages."""
    return {
        "create": _("新建"),
        "edit": _("修改"),
        "restore": _("恢复旧版本"),
        "review_approve": _("审核通过"),
        "review_return": _("退回"),
        "review_resubmit": _("重新提交"),
        "move_in": _("迁入"),
        "move_out": _("迁出"),
        "death": _("死亡"),
        "birth": _("出生"),
        "change_head": _("变更户主"),
        "split": _("分户"),
        "merge": _("合户"),
        "change_tenant": _("租户变更"),
        "merge_duplicate": _("合并重复记录"),
        "import": _("导入"),
        "resolve_conflict": _("解决修改冲突"),
        "repair": _("修正存储格式"),
    }


def meta_labels() -> dict[str, str]:
    """Bookkeeping fields that history pages may show changing."""
    return {
        "review_state": _("审核状态"),
        "reviewed_by": _("审核人"),
        "reviewed_at": _("审核时间"),
        "merged_into": _("已并入"),
        "merged_from": _("合并自"),
        "merged_at": _("合并日期"),
        "pending_fields": _("待核实"),
        "surveyor": _("调查员"),
        "visited_at": _("走访时间"),
        "visit_outcome": _("走访结果"),
        "uuid": "uuid",
    }


def _fields(member: bool) -> dict[str, Any]:
    defn = surveys()["household"]
    if not member:
        return {f.key: f for f in defn.fields}
    roster = next(f for f in defn.fields if f.type == "repeat")
    return {f.key: f for f in roster.fields}


def field_label(key: str, member: bool = False) -> str:
    """A field's label in the page's language (a bookkeeping field's name otherwise)."""
    found = _fields(member).get(key)
    return found.text(lang()) if found is not None else meta_labels().get(key, key)


def field_value(key: str, value: Any, member: bool = False) -> str:
    """A stored value as staff read it ("—" for nothing): review states and timestamps of
    the bookkeeping in words, any answer as every output writes it (ID numbers masked)."""
    if blank(value):
        return "—"
    if key == "review_state":
        return state_labels().get(value, value)
    if key.endswith("_at"):
        return when(str(value))
    if key == records.PENDING and isinstance(value, list):  # 待核实: the fields, by label
        return list_separator(lang()).join(_pending_label(str(k), member) for k in value)
    return value_text(_fields(member).get(key), value, lang())


def _pending_label(key: str, member: bool) -> str:
    """A field an import left to verify, as its label (住房性质, 与户主关系)."""
    try:
        return surveys()["household"].field(f"members.{key}" if member else key).text(lang())
    except KeyError:
        return key


def review_field_choices(record: dict[str, Any], collection: str) -> list[review.ChoiceGroup]:
    """The fields a reviewer may tick when returning the record, from its form."""
    form = surveys().get(review.REVIEWED.get(collection, ""))
    return review.field_choices(form, record, lang()) if form is not None else []


def review_field_labels(
    record: dict[str, Any], collection: str, comment: dict[str, Any]
) -> list[str]:
    """The labels of the fields a review comment names (张伟 · 证件号码), each beside its
    person as the roster now is; a person since removed marked 已删除."""
    form = surveys().get(review.REVIEWED.get(collection, ""))
    if form is None:
        return list(comment.get("fields") or [])
    named = review.fields_now(form, record, comment, lang())
    gone = [_("%(field)s（已删除的成员）", field=label) for label in named.gone]
    return review.field_labels(form, record, named.paths, lang()) + gone


@bp.app_template_filter("person")
def person_name(username: Any) -> str:
    """A username as pages show people: the account's display name (read once a request);
    a name that is no account's (a sheet's 调查员, a system) as it is."""
    if blank(username):
        return ""
    if "people" not in g:
        g.people = display_names(get_store())
    return g.people.get(str(username), str(username))


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    """What the household pages and the surveyor's home use from review and checks."""

    def review_actions(household: dict[str, Any]) -> list[str]:
        if not current_user.is_authenticated:
            return []
        return review.actions_for(household, username=current_user.username, role=current_user.role)

    def returned_to_me() -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        if not current_user.is_authenticated or current_user.is_staff:
            return []
        return review.returned_to(get_store(), current_user.username)

    def others_returned_to_me() -> list[tuple[str, dict[str, Any], dict[str, Any] | None]]:
        """The surveyor's returned storefronts and units: (form name, record, comment)."""
        if not current_user.is_authenticated or current_user.is_staff:
            return []
        return [
            (review.REVIEWED[collection], record, comment)
            for collection in review.COLLECTIONS
            if collection != review.COLLECTION
            for record, comment in review.returned_to(
                get_store(), current_user.username, collection
            )
        ]

    def household_warnings(household: dict[str, Any]) -> dict[str, Any]:
        """The checks' warnings of a household: by record field, and by roster index."""
        fields: dict[str, list[str]] = {}
        members: dict[int, list[str]] = {}
        for problem in records.consistency(get_store(), household, household.get("id")):
            text = problem.message(lang())
            if problem.path.startswith("members["):
                index = int(problem.path[len("members[") : problem.path.index("]")])
                members.setdefault(index, []).append(text)
            else:
                fields.setdefault(problem.path or "members", []).append(text)
        return {
            "fields": fields,
            "members": members,
            "count": sum(map(len, fields.values())) + sum(map(len, members.values())),
        }

    return {
        "household_warnings": household_warnings,
        "field_label": field_label,
        "field_value": field_value,
        "household_by_id": lambda record_id: lookup.household(get_store(), record_id),
        "review_actions": review_actions,
        "review_thread": lambda record_id, collection=review.COLLECTION: review.thread(
            get_store(), record_id, collection
        ),
        "review_action_url": action_url,
        "review_field_choices": review_field_choices,
        "review_field_labels": review_field_labels,
        "review_record_url": record_url,
        "others_returned_to_me": others_returned_to_me,
        "review_state": review.state_of,
        "review_state_labels": state_labels,
        "version_diffs": version_diffs,
        "version_action_labels": action_labels,
        "returned_to_me": returned_to_me,
    }


# -- the queue -----------------------------------------------------------------------------


def _kind() -> str:
    """The kind of record the queue shows (``?kind=``): households unless another is named."""
    kind = request.values.get("kind", "").strip()
    return kind if kind in review.COLLECTIONS else review.COLLECTION


@bp.route("/")
@roles_required(*STAFF)
def queue():
    """Records waiting for review (or in another state), one kind at a time, filtered; bulk
    approve."""
    store = get_store()
    grids = _grids(store)
    wanted = {key: request.args.get(key, "").strip() for key in ("grid", "building", "surveyor")}
    state = request.args.get("state", review.SUBMITTED)
    kind = _kind()
    # from the read model that keeps the records by state (shared: read only)
    index = context().derived.review()
    rows = index.queue(collection=kind, grids=grids, state=state, **wanted)
    page = max(1, request.args.get("page", 1, type=int))
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    today = date.today()
    warnings = (
        {h["id"]: len(checks.check_household(h, today)) for h in shown}
        if kind == review.COLLECTION
        else {}
    )
    names = sorted(u["username"] for u in surveyors(store))
    return render_template(
        "review/queue.html",
        rows=shown,
        total=len(rows),
        page=page,
        pages=pages,
        state=state,
        grids=grids,
        grid_names=natural_sorted(set(grids.values()) - {""}),
        buildings=natural_sorted(grids),
        surveyors=names,
        warnings=warnings,
        kind=kind,
        kinds=kind_labels(),
        waiting=index.counts(review.SUBMITTED),
        form_name=review.REVIEWED[kind],
        **wanted,
    )


@bp.route("/approve", methods=["POST"])
@roles_required(*STAFF)
def bulk_approve():
    """Approve the ticked records (of the queue's kind) at once."""
    ids = [int(v) for v in request.form.getlist("ids") if v.isdigit()]
    kind = _kind()
    done, skipped = review.bulk_approve(
        get_store(), ids, username=current_user.username, role=current_user.role, collection=kind
    )
    if kind == review.COLLECTION:
        flash(_("已审核通过 %(n)s 户", n=len(done)), "success")
        if skipped:
            flash(_("%(n)s 户不是待审核状态，未处理", n=len(skipped)), "error")
    else:
        flash(_("已审核通过 %(n)s 条", n=len(done)), "success")
        if skipped:
            flash(_("%(n)s 条不是待审核状态，未处理", n=len(skipped)), "error")
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/review") else url_for("review.queue"))


@bp.route("/return", methods=["POST"])
@roles_required(*STAFF)
def bulk_return():
    """Return the ticked records (of the queue's kind) with one comment and the record
    fields it names."""
    ids = [int(v) for v in request.form.getlist("ids") if v.isdigit()]
    kind = _kind()
    try:
        done, skipped = review.bulk_return(
            get_store(),
            ids,
            username=current_user.username,
            role=current_user.role,
            comment=request.form.get("comment", ""),
            fields=request.form.getlist("fields"),
            form=surveys().get(review.REVIEWED[kind]),
            collection=kind,
        )
    except review.ReviewError as refused:
        flash(refused.problem.message(lang()), "error")
    else:
        flash(_("已退回给调查员 %(n)s 条", n=len(done)), "success")
        if skipped:
            flash(_("%(n)s 条已是退回状态，未处理", n=len(skipped)), "error")
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/review") else url_for("review.queue"))


# -- one record: review actions, comments, restore ---------------------------------------


@bp.route("/households/<int:record_id>/<action>", methods=["POST"])
@roles_required(*ROLES)
def act(record_id: int, action: str):
    """Approve, return, resubmit or comment on one household."""
    _household_or_404(record_id)
    if action not in review.RULES:
        abort(404)
    _take(review.COLLECTION, record_id, action)
    if request.form.get("next") == "queue" and current_user.is_staff:
        return redirect(url_for("review.queue"))
    if not current_user.is_staff:
        return redirect(url_for("survey.home"))
    return redirect(url_for("households.view", record_id=record_id))


@bp.route("/records/<form_name>/<int:record_id>")
@roles_required(*ROLES)
def record(form_name: str, record_id: int):
    """A storefront or unit: its answers, its review state, comment thread and actions."""
    defn = _record_form(form_name)
    found = _record_or_404(defn.collection, record_id)
    return render_template(
        "review/record.html",
        defn=defn,
        record=found,
        collection=defn.collection,
        facts=facts(defn, found, lang()),
    )


@bp.route("/records/<form_name>/<int:record_id>/<action>", methods=["POST"])
@roles_required(*ROLES)
def record_act(form_name: str, record_id: int, action: str):
    """Approve, return, resubmit or comment on one storefront or unit."""
    defn = _record_form(form_name)
    _record_or_404(defn.collection, record_id)
    if action not in review.RULES:
        abort(404)
    _take(defn.collection, record_id, action)
    if request.form.get("next") == "queue" and current_user.is_staff:
        return redirect(url_for("review.queue", kind=defn.collection))
    if not current_user.is_staff:
        return redirect(url_for("survey.home"))
    return redirect(url_for("review.record", form_name=form_name, record_id=record_id))


def _take(collection: str, record_id: int, action: str) -> None:
    """One review action from a posted form, said in a flash message."""
    try:
        review.act(
            get_store(),
            record_id,
            action,
            username=current_user.username,
            role=current_user.role,
            comment=request.form.get("comment", ""),
            fields=request.form.getlist("fields") if action == "return" else (),
            form=surveys().get(review.REVIEWED[collection]),
            expected_rev=request.form.get("_rev", type=int),
            collection=collection,
        )
    except review.ReviewError as refused:
        flash(refused.problem.message(lang()), "error")
    except Conflict:
        flash(_("此记录已被他人修改，请重新打开后再保存"), "error")
    else:
        flash(
            {
                "approve": _("已审核通过"),
                "return": _("已退回给调查员"),
                "resubmit": _("已重新提交审核"),
                "comment": _("意见已添加"),
            }[action],
            "success",
        )


@bp.route("/households/<int:record_id>/restore/<int:rev>", methods=["POST"])
@roles_required(*STAFF)
def restore(record_id: int, rev: int):
    """Save an old version again as the newest one."""
    store = get_store()
    _household_or_404(record_id)
    try:
        result = records.restore(
            store,
            surveys()["household"],
            record_id,
            rev,
            user=current_user.username,
            expected_rev=request.form.get("_rev", type=int),
        )
    except Conflict:
        flash(_("此记录已被他人修改，请重新打开后再保存"), "error")
        return redirect(url_for("households.history", record_id=record_id))
    if not result.saved:
        for problem in result.problems:
            if problem.is_error:
                flash(f"{problem.path} {problem.message(lang())}".strip(), "error")
        return redirect(url_for("households.history", record_id=record_id))
    flash(_("已将第 %(rev)s 版恢复为新版本", rev=rev), "success")
    return redirect(url_for("households.history", record_id=record_id))


# -- the consistency report ----------------------------------------------------------------


def _findings(store: Any) -> list[checks.Finding]:
    return list(context().derived.checks(date.today()).findings())


@bp.route("/checks")
@roles_required(*STAFF)
def checks_report():
    """Counts per check over the whole community; the findings of one check; duplicates."""
    store = get_store()
    findings = _findings(store)
    code = request.args.get("code", "")
    shown = [f for f in findings if f.code == code] if code else []
    pairs = list(checks.duplicate_pairs(findings)) if code in checks.DUPLICATE_CHECKS else []
    return render_template(
        "review/checks.html",
        counts=checks.counts(findings),
        titles=check_titles(),
        code=code,
        findings=shown,
        pairs=pairs,
        total=len(findings),
    )


def _report_rows(findings: list[checks.Finding]) -> list[list[str]]:
    titles = check_titles()
    return [
        [
            titles.get(f.code, f.code),
            f.code,
            f.household_no,
            f.address,
            f.problem.path,
            f.problem.message(lang()),
            url_for("households.view", record_id=f.household_id, _external=True),
        ]
        for f in findings
    ]


def _report_header() -> list[str]:
    return [_("核查项"), _("代码"), _("户编号"), _("地址"), _("字段"), _("说明"), _("链接")]


@bp.route("/checks.csv")
@roles_required(*STAFF)
def checks_csv():
    """The consistency report as CSV (UTF-8 with BOM, so that Excel reads the Chinese)."""
    store = get_store()
    findings = _findings(store)
    body = csv_bytes(_report_header(), _report_rows(findings))  # neutralised: no formulas
    audit.record(store, current_user.username, "export", "checks.csv", rows=len(findings))
    return _download(body, "text/csv", _("核查报告") + ".csv")


@bp.route("/checks.pdf")
@roles_required(*STAFF)
def checks_pdf():
    """The consistency report, printed: counts per check and every finding."""
    store = get_store()
    findings = _findings(store)
    titles = check_titles()
    pdf = render_pdf(
        "print/checks.html",
        {
            "community": community_name(),
            "title": _("数据核查报告"),
            "printed_on": _("打印时间：%(t)s", t=datetime.now().strftime("%Y-%m-%d %H:%M")),
            "counts": [(titles[c], n) for c, n in checks.counts(findings).items()],
            "rows": [
                {
                    "check": titles.get(f.code, f.code),
                    "household_no": f.household_no,
                    "address": f.address,
                    "message": f.problem.message(lang()),
                }
                for f in findings
            ],
            "words": {
                "check": _("核查项"),
                "count": _("数量"),
                "household_no": _("户编号"),
                "address": _("地址"),
                "message": _("说明"),
                "none": _("未发现问题。"),
            },
            "css_page_counter": Markup(page_counter_css(lang())),
            "css_confidential": Markup(css_string(word("confidential", lang()))),
        },
        lang=lang(),
    )
    audit.record(store, current_user.username, "print", "checks.pdf", rows=len(findings))
    return _download(pdf, "application/pdf", _("核查报告") + ".pdf", inline=True)


def _download(body: bytes, mimetype: str, filename: str, *, inline: bool = False) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}"},
    )


# -- merging duplicates --------------------------------------------------------------------


@bp.route("/merge", methods=["GET", "POST"])
@roles_required(*STAFF)
def merge():
    """Compare two records of one household and merge the duplicate into the kept one."""
    store = get_store()
    keep_id = request.values.get("keep", type=int)
    duplicate_id = request.values.get("duplicate", type=int)
    if keep_id is None or duplicate_id is None:
        abort(404)
    keep, duplicate = _household_or_404(keep_id), _household_or_404(duplicate_id)
    if request.method == "POST":
        try:
            lifeevents.merge_duplicate(
                store,
                surveys()["household"],
                keep_id,
                duplicate_id,
                user=current_user.username,
            )
        except lifeevents.LifeEventError as refused:
            for problem in refused.problems:
                flash(problem.message(lang()), "error")
        except Conflict:
            flash(_("此记录已被他人修改，请重新打开后再保存"), "error")
        else:
            flash(_("已合并，两条记录的修改历史都已保留"), "success")
            return redirect(url_for("households.view", record_id=keep_id))
    return render_template("review/merge.html", keep=keep, duplicate=duplicate)


@bp.route("/pending")
@roles_required(*STAFF)
def pending():
    """待核实: the records an import stored without a field its file lacked (住房性质 …),
    with what each lacks, for a visit; each also waits in the queue until reviewed."""
    from census.sheets.followup import pending_records

    rows = pending_records(get_store(), surveys(), lang())
    return render_template("review/pending.html", rows=rows, labels=state_labels())


@bp.route("/returned")
@login_required
def returned():
    """A surveyor's returned records with the comments (also shown on the survey home)."""
    return render_template("review/returned.html")
