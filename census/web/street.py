"""The street pages (/street/): every community's figures side by side, and the street's total.

Mounted on the first community's app by ``census.street.deployment``; the other
communities' apps are reached through the deployment, never by URL. Street staff (role
``street``) see these pages and nothing else; the first community's admin may also add a
community here. Figures follow the review gate as a community's pages do (已审核 by
default, 全部 with ``?all=1``); each community's are its own read model's, and the 合计
row is their sum (``census.domain.rollup``).

The pages: 基本情况 (/street/), 台账 (/street/registers) and the work report of a period
(/street/report: 受理, 办结, 办结率 per channel, ``census.worklog.street``); each also as
``.pdf`` (A4 landscape, signed off: ``census.printing.street_print``, rendered while the
user waits) and ``.xlsx``, logged in the first community's audit log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from census.domain.gate import Gate, Pending, gate_from
from census.domain.roles import STREET
from census.domain.rollup import PLAIN, StreetTable, registers_table, street_total, summary_table
from census.domain.summary import figure_label, percent
from census.printing.street_print import street_pdf
from census.queries.communities import Community
from census.queries.derived import Derived, View
from census.queries.street import Unavailable, logged, side_by_side
from census.services import audit
from census.services.communities import CommunityError, add_community
from census.sheets.writer import xlsx_bytes
from census.store import StoreError, StoreLocked
from census.street.tables import Order, left_out, notes, total_label, with_columns, with_rows
from census.util.i18n import N_, gettext
from census.web.access import ADMIN, roles_required
from census.web.current import context, get_store
from census.web.helpers import lang
from census.web.registers import as_of_date
from census.worklog.periods import Period, parse_period
from census.worklog.report import word
from census.worklog.street import StreetReport, report_table, street_report

bp = Blueprint("street", __name__, url_prefix="/street")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a street account may open beyond these pages: logging in and out, its password,
# the language switch, and the files every page loads.
OPEN_TO_STREET = ("auth.", "street.", "static", "offline.", "security.")


def init_app(app: Flask, *, home: bool) -> None:
    """Every community's login page lists the street's communities; the first one's app
    also has the street pages, and keeps street accounts to them."""

    @app.context_processor
    def _communities() -> dict[str, Any]:
        return {"street_communities": _deployment().communities, "street_pages": home}

    @app.errorhandler(StoreError)
    def _store_unavailable(exc: StoreError) -> Any:
        """This community's store fails (its database schema dropped, the server gone): 503
        and why, in words, never a traceback; a refused write keeps its own answer."""
        if type(exc) not in DOWN:
            raise exc
        found = logged(current_app.config.get("COMMUNITY_CODE") or "(first)", exc)
        name = str(current_app.config["COMMUNITY_NAME"])
        api = request.path.startswith("/api/")
        status, headers, body = unavailable_answer(current_app, name, found, api=api)
        return current_app.response_class(body, status=status, headers=headers)

    if not home:
        return
    app.register_blueprint(bp)

    @app.before_request
    def _street_staff_see_the_street() -> Any:
        endpoint = request.endpoint or ""
        if (
            current_user.is_authenticated
            and current_user.role == STREET
            and not endpoint.startswith(OPEN_TO_STREET)
        ):
            return redirect(url_for("street.summary"))
        return None


# The store errors of a store that is down (a database failing, a data file that does not
# load, a folder in use); its other errors (a conflict, a duplicate) answer one request.
DOWN = (StoreError, StoreLocked)
PAGE_TITLE = N_("{name}暂不可用")
PAGE_HINT = N_(
    "该社区的数据现在无法读取，街道的其他社区不受影响。请稍后再试，或请管理员查看服务器日志。"
)
PAGE_HOME = N_("回到首页")


def unavailable_answer(
    app: Flask, name: str, found: Unavailable, *, api: bool
) -> tuple[str, list[tuple[str, str]], bytes]:
    """The 503 of a community whose store cannot be opened or read: status, headers, body.

    Made without the community's own store (no account, no session is read), in both
    languages, as a page or for the API as JSON."""
    words = {
        lang: {
            "title": gettext(PAGE_TITLE, lang, name=name),
            "reason": found.reason(lang),
            "hint": gettext(PAGE_HINT, lang),
            "home": gettext(PAGE_HOME, lang),
        }
        for lang in ("zh", "en")
    }
    if api:
        zh, en = words["zh"], words["en"]
        message = f"{zh['title']}：{zh['reason']} / {en['title']}: {en['reason']}"
        body = json.dumps(
            {"error": "community_unavailable", "message": message}, ensure_ascii=False
        ).encode()
        kind = "application/json"
    else:
        page = app.jinja_env.get_template("street/unavailable.html")
        body = page.render(words=words).encode()
        kind = "text/html; charset=utf-8"
    headers = [("Content-Type", kind), ("Content-Length", str(len(body))), ("Retry-After", "60")]
    return "503 SERVICE UNAVAILABLE", headers, body


def _deployment() -> Any:
    return current_app.extensions["street"]


def _each(
    communities: list[Community] | None = None,
) -> Iterator[tuple[Community, Derived | Unavailable]]:
    """Each community of the street (or of ``communities``) with its read model, or why it
    cannot be opened now."""
    deployment = _deployment()
    for community in communities or deployment.communities():
        census = deployment.opened(community)
        if not isinstance(census, Unavailable) and census.derived is None:
            census = Unavailable("other", "no read model")
        yield community, census if isinstance(census, Unavailable) else census.derived


Rows = list[tuple[Community, Any]]


def street_rows(as_of: date, gate: Gate) -> tuple[Rows, Pending]:
    """Each community's figures (or ``Unavailable``); and what waits for review in the
    communities read."""
    return side_by_side(_each(), as_of, gate.approved, View.figures)


def _read(rows: Rows) -> list[tuple[Community, dict[str, Any]]]:
    """The rows of the communities read."""
    return [(c, f) for c, f in rows if not isinstance(f, Unavailable)]


def _order(rows: Rows) -> Order:
    """Every community's name in the street's order, and why it was not read."""
    return [(c.name, f if isinstance(f, Unavailable) else None) for c, f in rows]


def _cell(key: str, value: Any) -> Any:
    return percent(value) if key == "minority_share" else value


@bp.route("/")
@roles_required(STREET, ADMIN)
def summary():
    """基本情况 of the street: a row per community and the 合计 row, on any date."""
    as_of, gate = as_of_date(), gate_from(request.args)
    rows, waiting = street_rows(as_of, gate)
    total = street_total(figures for _c, figures in _read(rows))
    language = lang()
    return render_template(
        "street/summary.html",
        heads=[figure_label(k, language) for k in PLAIN],
        rows=[
            (c, f if isinstance(f, Unavailable) else [_cell(k, f[k]) for k in PLAIN])
            for c, f in rows
        ],
        total=[_cell(k, total[k]) for k in PLAIN],
        total_name=total_label(_order(rows), _("合计"), language),
        as_of=as_of,
        today=date.today(),
        gate=gate,
        gate_line=gate.line(waiting, language),
    )


@bp.route("/summary.xlsx")
@roles_required(STREET, ADMIN)
def summary_xlsx():
    """The same table as a workbook: a row per community, then 合计; logged."""
    as_of, gate = as_of_date(), gate_from(request.args)
    rows, waiting = street_rows(as_of, gate)
    total = street_total(figures for _c, figures in _read(rows))
    language = lang()
    heads = [_("社区"), *(figure_label(k, language) for k in PLAIN)]
    body = [
        [c.name, _("暂不可用"), *["—"] * (len(PLAIN) - 1)]
        if isinstance(f, Unavailable)
        else [c.name, *(f[k] for k in PLAIN)]
        for c, f in rows
    ]
    order = _order(rows)
    body.append([total_label(order, _("合计"), language), *(total[k] for k in PLAIN)])
    body.append([gate.line(waiting, language)])
    if notes(order, language):
        body.append([notes(order, language)])
    data = xlsx_bytes({_("街道基本情况"): (heads, body)})
    audit.record(get_store(), current_user.username, "export", f"street/summary/{as_of}")
    name = f"{_('街道基本情况')}-{as_of.isoformat()}.xlsx"
    return current_app.response_class(
        data,
        mimetype=XLSX,
        headers={"Content-Disposition": _attachment(name)},
    )


def _attachment(filename: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(filename)}"


def _inline(filename: str) -> str:
    return f"inline; filename*=UTF-8''{quote(filename)}"


def _pdf(table: StreetTable, stem: str, target: str) -> Any:
    """A street table printed now, signed off by the printing user; logged."""
    data = street_pdf(table, datetime.now(), lang(), current_user.display_name)
    audit.record(get_store(), current_user.username, "print", target)
    return current_app.response_class(
        data, mimetype="application/pdf", headers={"Content-Disposition": _inline(f"{stem}.pdf")}
    )


@bp.route("/summary.pdf")
@roles_required(STREET, ADMIN)
def summary_pdf():
    """基本情况 of the street printed: a row per community and 合计, A4 landscape."""
    as_of, gate = as_of_date(), gate_from(request.args)
    rows, waiting = street_rows(as_of, gate)
    language = lang()
    table = summary_table(
        [(c.name, f) for c, f in _read(rows)], as_of, gate.line(waiting, language), language
    )
    table = with_rows(table, _order(rows), language)
    return _pdf(table, f"{table.title}-{as_of.isoformat()}", f"street/summary/{as_of}")


def _registers(as_of: date, gate: Gate) -> tuple[Rows, StreetTable]:
    """Each community's rows of each register on a date, the 合计 column, the gate's line
    (a community not read: 暂不可用 in its column, the 合计 says it leaves it out)."""
    counts, waiting = side_by_side(_each(), as_of, gate.approved, View.counts)
    language = lang()
    read = _read(counts)
    table = registers_table(
        [c.name for c, _n in read],
        [n for _c, n in read],
        [(reg.key, reg.title(language)) for reg in context().registers],
        as_of,
        gate.line(waiting, language),
        language,
    )
    return counts, with_columns(table, _order(counts), language)


@bp.route("/registers")
@roles_required(STREET, ADMIN)
def registers():
    """台账 of the street: the rows of each register in each community, and the total."""
    as_of, gate = as_of_date(), gate_from(request.args)
    counts, table = _registers(as_of, gate)
    language = lang()
    order = _order(counts)
    return render_template(
        "street/registers.html",
        communities=[c for c, _n in counts],
        lines=[(title, cells[:-1], cells[-1]) for title, cells in table.rows],
        total_name=table.heads[-1],
        as_of=as_of,
        today=date.today(),
        gate=gate,
        gate_line=table.gate.removesuffix(notes(order, language)).strip(),
        notes=[(name, missing.reason(language)) for name, missing in left_out(order)],
    )


@bp.route("/registers.pdf")
@roles_required(STREET, ADMIN)
def registers_pdf():
    """台账 of the street printed: a row per register, a column per community and 合计."""
    as_of, gate = as_of_date(), gate_from(request.args)
    _communities, table = _registers(as_of, gate)
    return _pdf(table, f"{table.title}-{as_of.isoformat()}", f"street/registers/{as_of}")


@bp.route("/registers.xlsx")
@roles_required(STREET, ADMIN)
def registers_xlsx():
    """台账 of the street as a workbook: a row per register, a column per community, 合计;
    the gate's line under the table; logged."""
    as_of, gate = as_of_date(), gate_from(request.args)
    _communities, table = _registers(as_of, gate)
    data = xlsx_bytes({table.title: (table.flat_heads(lang()), [*table.lines(), [table.gate]])})
    audit.record(get_store(), current_user.username, "export", f"street/registers/{as_of}")
    name = f"{table.title}-{as_of.isoformat()}.xlsx"
    return current_app.response_class(
        data, mimetype=XLSX, headers={"Content-Disposition": _attachment(name)}
    )


def _period() -> Period:
    """The report's period (``from``/``to`` as a community's report takes them)."""
    period, bad = parse_period(request.args.get("from", ""), request.args.get("to", ""))
    if bad:
        flash(_("日期格式应为 YYYY-MM-DD，已按默认日期统计"), "error")
    return period


def _report(communities: list[Community] | None = None) -> StreetReport:
    """The street's work report of the period asked, each community's own cases counted."""
    deployment = _deployment()
    found = ((c.name, deployment.opened(c)) for c in communities or deployment.communities())
    return street_report(found, _period(), lang(), approved=gate_from(request.args).approved)


def _report_table(found: StreetReport) -> StreetTable:
    """The report's table, a row for each community (暂不可用 for one not read)."""
    return with_rows(report_table(found, lang()), found.order, lang())


@bp.route("/report")
@roles_required(STREET, ADMIN)
def report():
    """街道工作报告: 受理, 办结 and 办结率 per channel of each community and the 合计 row."""
    communities = _deployment().communities()
    found = _report(communities)
    language = lang()
    return render_template(
        "street/report.html",
        communities=communities,
        report=found,
        table=report_table(found, language),
        rows=_report_rows(communities, found, language),
        total_name=total_label(found.order, word("all", language), language),
        period=found.period,
        gate=gate_from(request.args),
    )


def _report_rows(
    communities: list[Community], found: StreetReport, language: str
) -> list[tuple[Community, Any]]:
    """Each community and its cells on the report's page, or why it was not read."""
    table = report_table(found, language)
    present = iter(table.rows[:-1])
    return [
        (c, missing.reason(language) if missing is not None else next(present)[1])
        for c, (_name, missing) in zip(communities, found.order, strict=True)
    ]


@bp.route("/report.pdf")
@roles_required(STREET, ADMIN)
def report_pdf():
    """The street's work report printed, A4 landscape; logged."""
    found = _report()
    table = _report_table(found)
    return _pdf(table, table.title, f"street/report/{found.period.label('en')}")


@bp.route("/report.xlsx")
@roles_required(STREET, ADMIN)
def report_xlsx():
    """The street's work report as a workbook: a row per community, then 合计; logged."""
    found = _report()
    table = _report_table(found)
    body = [*table.lines(), [table.gate]]
    data = xlsx_bytes({_("街道工作报告"): (table.flat_heads(lang()), body)})
    audit.record(
        get_store(), current_user.username, "export", f"street/report/{found.period.label('en')}"
    )
    return current_app.response_class(
        data, mimetype=XLSX, headers={"Content-Disposition": _attachment(f"{table.title}.xlsx")}
    )


@bp.route("/communities", methods=["GET", "POST"])
@roles_required(STREET, ADMIN)
def communities():
    """The communities of the street; the first community's admin adds one here."""
    if request.method == "POST":
        if current_user.role != ADMIN:
            abort(403)
        name = request.form.get("name", "")
        code = request.form.get("code", "")
        try:
            added = add_community(
                get_store(),
                name,
                code,
                home_name=context().community_name(),
                actor=current_user.username,
            )
        except CommunityError as exc:
            flash(str(exc), "error")
        else:
            # its store made and named now, not at first visit (if that fails, it is made
            # the next time the community is opened, or when it is added again)
            made = _deployment().opened(added, create=True)
            if isinstance(made, Unavailable):
                flash(
                    _(
                        "%(name)s已列入街道，但其数据未能建立（%(reason)s），将在下次打开时建立",
                        name=added.name,
                        reason=made.reason(lang()),
                    ),
                    "error",
                )
            else:
                flash(_("已添加社区 %(name)s", name=added.name), "success")
            return redirect(url_for("street.communities"))
    return render_template(
        "street/communities.html",
        communities=_deployment().communities(),
        may_add=current_user.role == ADMIN,
    )
