"""Staff pages of the work records (工作台账): registers, a record, completion rates, the report.

Every register is a page, a PDF and an XLSX with the same rows (a period, a search word);
the service cases also give their completion rates (办结率) by month, quarter or year, and
the work report of a period (工作报告) is a page, a PDF and an XLSX. Full ID numbers are
for admins and are logged; every print and export is in the audit log. The JSON API
is census/web/worklog_api.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Flask,
    Response,
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

from census.domain.gate import gate_from
from census.printing.plans import Plan, PrintRequest
from census.printing.signoff import signoff_line
from census.queries import lookup
from census.services import audit
from census.sheets.writer import xlsx_bytes
from census.web.access import STAFF, roles_required
from census.web.current import context, get_store
from census.web.helpers import client_ip, community_name, lang, surveys
from census.web.prints import runner
from census.worklog import printing
from census.worklog.figures import SERVICE, rate_table
from census.worklog.links import Links, households_of, link_problems
from census.worklog.periods import GRAINS, Period, parse_period, year_period
from census.worklog.registers import (
    WorkRegister,
    group_counts,
    matches,
    register_rows,
    sheet,
    value_text,
)
from census.worklog.report import rate_text, report_sheets
from census.worklog.store import (
    channel_labels,
    household_records,
    period_report,
    registers,
)
from census.worklog.store import (
    records as stored_records,
)

bp = Blueprint("worklog", __name__, url_prefix="/worklog")
PAGE_SIZE = 50
JOB_FROM_PARTS = 1  # a register longer than one print part (25 sheets) prints as a job
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def install(app: Flask) -> None:
    """Let the household page list the household's work records."""
    census = context(app)

    def work_records_for(household: dict[str, Any]) -> list[tuple[WorkRegister, dict]]:
        return household_records(census.store, census.surveys, household)

    app.jinja_env.globals["work_records_for"] = work_records_for
    app.jinja_env.globals["work_value"] = lambda f, v: value_text(f, v, None, lang())


def _register_or_404(name: str) -> WorkRegister:
    found = registers(surveys()).get(name)
    if found is None:
        abort(404)
    return found


def _period() -> Period | None:
    """The period asked for (``from``/``to``); None when neither is given (every record)."""
    start, end = request.args.get("from", "").strip(), request.args.get("to", "").strip()
    if not start and not end:
        return None
    period, bad = parse_period(start, end)
    if bad:
        flash(_("日期格式应为 YYYY-MM-DD，已按默认日期统计"), "error")
    return period


def _report_period() -> Period:
    period, bad = parse_period(request.args.get("from", ""), request.args.get("to", ""))
    if bad:
        flash(_("日期格式应为 YYYY-MM-DD，已按默认日期统计"), "error")
    return period


def _full() -> bool:
    """Full ID numbers and phones: admins only, and every such view is logged."""
    full = request.args.get("full") == "1"
    if full and not current_user.may_see_full_ids:
        abort(403)
    return full


def _full_shown(target: str, records: int, **detail: Any) -> None:
    """Log a page, print or export that showed ``records`` work records unmasked."""
    audit.full_ids_shown(
        get_store(), current_user.username, target, records, ip=client_ip(), **detail
    )


def _rows(reg: WorkRegister, full: bool) -> tuple[list, list, Period | None, str]:
    store = get_store()
    period = _period()
    every = register_rows(
        reg,
        stored_records(store, reg.form),
        Links.from_store(store),
        period=period,
        lang=lang(),
        full=full,
    )
    q = request.args.get("q", "").strip()
    shown = [row for row in every if matches(row, q)] if q else every
    return every, shown, period, q


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def _inline_pdf(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(filename)}"},
    )


def _stem(reg_or_title: Any, period: Period | None) -> str:
    title = reg_or_title.title(lang()) if hasattr(reg_or_title, "title") else str(reg_or_title)
    return f"{title}-{period.label('en').replace(' to ', '_')}" if period else title


@bp.route("/")
@roles_required(*STAFF)
def index():
    """Every work register with its records in the period (this year by default)."""
    period = _report_period()
    store = get_store()
    tiles = []
    for reg in registers(surveys()).values():
        rows = register_rows(reg, stored_records(store, reg.form), None, period=period)
        tiles.append((reg, len(rows)))
    return render_template(
        "worklog/index.html", tiles=tiles, period=period, today=date.today(), custom=_custom()
    )


def _custom() -> set[str]:
    from census.surveys.custom import names

    return names(context())


@bp.route("/<name>")
@roles_required(*STAFF)
def register(name: str):
    """One register: its records in a period, searched and paginated."""
    reg = _register_or_404(name)
    full = _full()
    every, shown, period, q = _rows(reg, full)
    page = max(1, request.args.get("page", 1, type=int))
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    if full:
        on_page = shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        _full_shown(f"worklog/{name}", len(on_page), page=page)
    language = lang()
    cases = None
    if name == SERVICE:
        channels = channel_labels(surveys(), language)
        whole = period or Period(date.min, date.max)
        cases = _case_totals([r.record for r in shown], channels, whole)
    return render_template(
        "worklog/register.html",
        reg=reg,
        rows=shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        headings=[reg.column_label(c, language) for c in reg.columns],
        total=len(every),
        matched=len(shown),
        groups=group_counts(reg, shown, language),
        page=page,
        pages=pages,
        period=period,
        q=q,
        full=full,
        cases=cases,
        args={k: v for k, v in request.args.items() if k in ("from", "to", "q", "full") and v},
        custom=_custom(),
    )


def _case_totals(cases: list[dict], channels: dict[str, str], period: Period) -> list[tuple]:
    """(channel, consulted, accepted, handled, rate) for the cases shown, then the total."""
    from census.worklog.figures import case_counts
    from census.worklog.report import word

    counts = case_counts(cases, period, channels)
    return [
        (label, c.consulted, c.accepted, c.handled, rate_text(c.rate))
        for label, c in [(channels[k], counts[k]) for k in channels]
        + [(word("all", lang()), counts["all"])]
    ]


@bp.route("/<name>.xlsx")
@roles_required(*STAFF)
def register_xlsx(name: str):
    """A register as a spreadsheet (the same rows as the page); logged."""
    reg = _register_or_404(name)
    full = _full()
    _every, shown, period, _q = _rows(reg, full)
    data = xlsx_bytes({reg.title(lang()): sheet(reg, shown, lang())})
    if full:
        _full_shown(f"worklog/{name}.xlsx", len(shown))
    audit.record(
        get_store(), current_user.username, "export", f"worklog/{name}.xlsx", full_ids=full
    )
    return _download(data, f"{_stem(reg, period)}.xlsx", XLSX)


def _survey_or_404(name: str) -> Any:
    """A survey staff added (its records export with their repeats and photos)."""
    if name not in _custom():
        abort(404)
    return surveys()[name]


def _survey_export(name: str, kind: str) -> tuple[Any, Any, bool]:
    """The survey, its export (ID numbers whole only to a permitted user who asked, and
    logged) and whether they are whole."""
    from census.sheets.survey_export import survey_sheets

    form = _survey_or_404(name)
    full = request.args.get("full") == "1"
    if full and not current_user.may_see_full_ids:
        abort(403)
    export = survey_sheets(get_store(), form, full_ids=full)
    if full:
        _full_shown(f"worklog/{name}/records.{kind}", export.ids_shown)
    return form, export, full


@bp.route("/<name>/records.xlsx")
@roles_required(*STAFF)
def survey_xlsx(name: str):
    """A staff survey's records as a workbook: the records, then a sheet per repeat."""
    from census.sheets.survey_export import workbook_bytes

    form, export, full = _survey_export(name, "xlsx")
    audit.record(
        get_store(), current_user.username, "export", f"worklog/{name}/records.xlsx",
        ip=client_ip(), records=export.records, full_ids=full,
    )  # fmt: skip
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return _download(workbook_bytes(export), f"{form.text(lang())}-{stamp}.xlsx", XLSX)


@bp.route("/<name>/records.zip")
@roles_required(*STAFF)
def survey_zip(name: str):
    """The same workbook with the photos its records name (photos/<file name>)."""
    from census.sheets.survey_export import zip_bytes

    form, export, full = _survey_export(name, "zip")
    store = get_store()
    data, photos = zip_bytes(store, form, export)
    audit.record(
        store, current_user.username, "export", f"worklog/{name}/records.zip",
        ip=client_ip(), records=export.records, photos=photos, full_ids=full,
    )  # fmt: skip
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return _download(data, f"{form.text(lang())}-{stamp}.zip", "application/zip")


@bp.route("/<name>.pdf")
@roles_required(*STAFF)
def register_pdf(name: str):
    """A register printed (A4, columns fitted, pages numbered); logged."""
    reg = _register_or_404(name)
    full = _full()
    _every, shown, period, _q = _rows(reg, full)
    intro = ""
    if name == SERVICE:
        rows = _case_totals([r.record for r in shown], channel_labels(surveys(), lang()),
                            period or Period(date.min, date.max))  # fmt: skip
        intro = "；".join(f"{n}：{c}/{a}/{h} {r}" for n, c, a, h, r in rows)
        intro = _("咨询/受理/办结 办结率 — ") + intro
    parts, title = printing.register_parts(
        reg,
        shown,
        community=community_name(),
        period=period,
        printed_at=datetime.now(),
        lang=lang(),
        full=full,
        intro_text=intro,
        signoff=signoff_line(current_user.display_name, date.today(), lang()),
    )
    filename = f"{_stem(reg, period)}.pdf"
    if full:
        _full_shown(f"worklog/{name}.pdf", len(shown))
    if len(parts) > JOB_FROM_PARTS:  # hundreds of pages: a print job, with its progress page
        request_ = PrintRequest(f"worklog:{name}", full_ids=full, lang=lang())
        the_plan = Plan(parts, title, filename)
        job = runner().submit(current_user.username, request_, lambda _req: the_plan)
        audit.record(
            get_store(),
            current_user.username,
            "print",
            f"worklog/{name}",
            full_ids=full,
            job=job.id,
        )
        return redirect(url_for("prints.job", job_id=job.id))
    pdf = printing.parts_pdf(parts, title, current_app.config["DATA_DIR"])
    audit.record(get_store(), current_user.username, "print", f"worklog/{name}", full_ids=full)
    return _inline_pdf(pdf, filename)


@bp.route("/<name>/<int:record_id>")
@roles_required(*STAFF)
def record(name: str, record_id: int):
    """One work record with its links resolved (the households and persons it names)."""
    reg = _register_or_404(name)
    store = get_store()
    found = lookup.record(store, reg.form.collection, record_id)
    if found is None:
        abort(404)
    links = Links.from_store(store)
    linked = sorted(households_of(links, reg.form, found))
    households = lookup.households_by_id(store, linked)
    return render_template(
        "worklog/record.html",
        reg=reg,
        record=found,
        links=links,
        households=households,
        value_text=value_text,
        problems=link_problems(links, reg.form, found, lang()),
    )


def _rates_args() -> tuple[str, Period]:
    grain = request.args.get("by", "month")
    if grain not in GRAINS:
        grain = "month"
    year = request.args.get("year", type=int)
    if year and not request.args.get("from") and not request.args.get("to"):
        return grain, year_period(year)
    return grain, _report_period()


def _rates() -> tuple[str, Period, dict[str, str], list]:
    form = surveys().get(SERVICE)
    if form is None:
        abort(404)
    grain, period = _rates_args()
    channels = channel_labels(surveys(), lang())
    table = rate_table(stored_records(get_store(), form), period, grain, channels)
    return grain, period, channels, table


@bp.route("/rates")
@roles_required(*STAFF)
def rates():
    """Service cases per channel and month, quarter or year, with the completion rate (办结率)."""
    grain, period, channels, table = _rates()
    return render_template(
        "worklog/rates.html",
        grain=grain,
        period=period,
        channels=channels,
        table=table,
        grains=GRAINS,
        today=date.today(),
        rate_text=rate_text,
    )


def _rates_title(grain: str) -> str:
    return {"month": _("按月"), "quarter": _("按季度"), "year": _("按年")}[grain]


@bp.route("/rates.pdf")
@roles_required(*STAFF)
def rates_pdf():
    """The completion-rate table printed; logged."""
    grain, period, channels, table = _rates()
    heading = f"{community_name()} {_('办结率统计')}（{_rates_title(grain)}）"
    context = printing.rates_context(
        table, channels, heading=heading, period=period, printed_at=datetime.now(), lang=lang()
    )
    audit.record(get_store(), current_user.username, "print", f"worklog/rates/{grain}")
    return _inline_pdf(printing.rates_pdf(context, lang()), f"{_('办结率统计')}-{grain}.pdf")


@bp.route("/rates.xlsx")
@roles_required(*STAFF)
def rates_xlsx():
    """The completion-rate table as a spreadsheet; logged."""
    from census.worklog.report import word

    grain, period, channels, table = _rates()
    language = lang()
    heads = [_("期间")]
    for label in [*channels.values(), word("all", language)]:
        heads += [f"{label}{word(k, language)}" for k in ("consulted", "accepted", "handled")]
        heads.append(f"{label}{word('rate', language)}")
    body = []
    for bucket, counts in table:
        line: list[Any] = [bucket.label(language)]
        for code in [*channels, "all"]:
            c = counts[code]
            line += [c.consulted, c.accepted, c.handled, rate_text(c.rate)]
        body.append(line)
    data = xlsx_bytes({_("办结率统计"): (heads, body)})
    audit.record(get_store(), current_user.username, "export", f"worklog/rates/{grain}.xlsx")
    return _download(data, f"{_('办结率统计')}-{grain}.xlsx", XLSX)


def _report():
    """The period's report: approved records only unless ``?all=1`` (census.domain.gate)."""
    return period_report(
        get_store(),
        surveys(),
        community_name(),
        _report_period(),
        lang(),
        approved=gate_from(request.args).approved,
    )


@bp.route("/report")
@roles_required(*STAFF)
def report():
    """工作报告: the period's opening paragraph, service figures and cases by channel."""
    return render_template(
        "worklog/report.html", report=_report(), today=date.today(), gate=gate_from(request.args)
    )


@bp.route("/report.pdf")
@roles_required(*STAFF)
def report_pdf():
    """The work report printed; logged."""
    found = _report()
    pdf = printing.report_pdf(found, datetime.now(), lang(), current_user.display_name)
    audit.record(
        get_store(), current_user.username, "print", f"worklog/report/{found.period.label('en')}"
    )
    return _inline_pdf(pdf, f"{found.title(lang())}.pdf")


@bp.route("/report.xlsx")
@roles_required(*STAFF)
def report_xlsx():
    """The work report as a spreadsheet; logged."""
    found = _report()
    data = xlsx_bytes(report_sheets(found, lang()))
    audit.record(
        get_store(), current_user.username, "export", f"worklog/report/{found.period.label('en')}"
    )
    return _download(data, f"{found.title(lang())}.xlsx", XLSX)
