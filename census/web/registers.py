"""Staff pages: the registers (台账) with their counts, one register's rows, the summary (基本情况).

Every page can be seen as of a date (``?as_of=YYYY-MM-DD``): the lists and figures that
the records gave on that day, ages on that day. What they show comes from the app's
``Derived`` cache, made again only when the records change; it is shared, so read only.

The review gate (``census.domain.gate``): the pages count approved records (已审核) unless
asked for every record (全部, ``?all=1``), say which in a line at the top, and show beside
each count and figure how many records waiting for review it leaves out (or holds): the
difference between the 全部 and the 已审核 views of the same date.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    render_template,
    request,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from census.domain.address import natural_sorted
from census.domain.gate import Gate, gate_from, pending_beside
from census.domain.registers import ID_COLUMNS, RegisterDef, format_cell, group_counts
from census.domain.summary import (
    AGE_BANDS,
    FIGURES,
    age_band,
    figure_label,
    percent,
    report_paragraph,
)
from census.queries.derived import View
from census.services import audit
from census.web.access import STAFF, roles_required
from census.web.current import context, get_store
from census.web.helpers import client_ip, community_name, lang

bp = Blueprint("registers", __name__)
PAGE_SIZE = 50


def N_(text: str) -> str:  # noqa: N802 - the marker pybabel extracts; translated in the page
    return text


SECTIONS = (
    ("person", N_("人员")),
    ("household", N_("住户与房屋")),
    ("dwelling", N_("住户与房屋")),
    ("storefront", N_("门面与单位")),
    ("unit", N_("门面与单位")),
)


def registers() -> list[RegisterDef]:
    """The register definitions loaded at start-up (forms/registers.yaml)."""
    return context().registers


def gate() -> Gate:
    """The records the request counts: approved ones, or every one with ``?all=1``."""
    return gate_from(request.args)


def view(as_of: date, approved: bool | None = None) -> View:
    """The registers and summary of the request's date, from the cache: approved records
    only unless ``?all=1`` (or ``approved`` says otherwise)."""
    derived = context().derived
    assert derived is not None
    return derived.view(as_of, approved=gate().approved if approved is None else approved)


def pending_counts(as_of: date) -> dict[str, int]:
    """``{register key: rows of records waiting for review}`` on the date."""
    every, approved = view(as_of, False).counts(), view(as_of, True).counts()
    return {key: every[key] - approved.get(key, 0) for key in every}


def gate_context(as_of: date) -> dict[str, Any]:
    """What every page of the registers shows of the gate: the choice and its line."""
    chosen = gate()
    return {"gate": chosen, "gate_line": chosen.line(view(as_of).pending(), lang())}


def as_of_date() -> date:
    """The register date of the request (``?as_of=``), today when absent or unreadable."""
    raw = request.args.get("as_of", "").strip()
    if not raw:
        return date.today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        flash(_("日期格式应为 YYYY-MM-DD，已按今天统计"), "error")
        return date.today()


@bp.route("/registers/")
@roles_required(*STAFF)
def index():
    """Every register with its number of rows, grouped by what it lists."""
    as_of = as_of_date()
    counts = view(as_of).counts()
    sections: dict[str, list[RegisterDef]] = {}
    for record, title in SECTIONS:
        sections.setdefault(title, []).extend(r for r in registers() if r.record == record)
    return render_template(
        "registers/index.html",
        sections=sections,
        counts=counts,
        pending=pending_counts(as_of),
        as_of=as_of,
        today=date.today(),
        **gate_context(as_of),
    )


def _matches(row: dict[str, Any], q: str) -> bool:
    """Search by name, ID number, household no., address or phone (case and spaces ignored)."""
    fields = ("name", "id_number", "household_no", "address", "phone", "head_name",
              "operator_name", "tenants", "member_names")  # fmt: skip
    return any(q in str(row.get(f) or "").replace(" ", "").upper() for f in fields)


def _filtered(reg: RegisterDef, rows: list[dict[str, Any]], args: dict[str, str]) -> list[dict]:
    if args["grid"]:
        rows = [r for r in rows if r.get("grid") == args["grid"]]
    if args["building"]:
        rows = [r for r in rows if r.get("building") == args["building"]]
    if reg.record == "person":
        if args["ethnicity"]:
            rows = [r for r in rows if r.get("ethnicity") == args["ethnicity"]]
        if args["age"]:
            rows = [r for r in rows if age_band(r.get("age")) == args["age"]]
    if args["q"]:
        q = args["q"].replace(" ", "").upper()
        rows = [r for r in rows if _matches(r, q)]
    return rows


@bp.route("/registers/<key>")
@roles_required(*STAFF)
def register(key: str):
    """One register: its rows in address order, filtered, searched and paginated."""
    reg = next((r for r in registers() if r.key == key), None)
    if reg is None:
        abort(404)
    store = get_store()
    full = request.args.get("full") == "1"
    if full and not current_user.may_see_full_ids:
        abort(403)
    as_of = as_of_date()
    shared = view(as_of)
    rows = shared.rows(reg)  # shared: filtered into new lists, never changed
    args = {
        k: request.args.get(k, "").strip() for k in ("grid", "building", "ethnicity", "age", "q")
    }
    shown = _filtered(reg, rows, args)
    page = max(1, request.args.get("page", 1, type=int))
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page_rows = shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    language = lang()
    cells = [
        [format_cell(reg, row, c, language, full_ids=full) for c in reg.columns]
        for row in page_rows
    ]
    if full:  # the numbers this page shows whole
        ids = [c for c in reg.columns if c in ID_COLUMNS]
        count = sum(1 for row in page_rows for c in ids if row.get(c))
        audit.full_ids_shown(
            store, current_user.username, f"registers/{key}", count, ip=client_ip(), page=page
        )
    buildings = shared.records.buildings
    return render_template(
        "registers/register.html",
        reg=reg,
        rows=page_rows,
        cells=cells,
        headings=[reg.column_label(c, language) for c in reg.columns],
        total=len(rows),
        matched=len(shown),
        groups=[
            (format_cell(reg, {reg.group_by: v}, reg.group_by, language), n)
            for v, n in group_counts(reg, shown)
        ]
        if reg.group_by
        else [],
        page=page,
        pages=pages,
        args=args,
        as_of=as_of,
        as_of_arg=request.args.get("as_of", ""),
        full=full,
        pending=len(view(as_of, False).rows(reg)) - len(view(as_of, True).rows(reg)),
        **gate_context(as_of),
        grids=natural_sorted(b.get("grid") for b in buildings if b.get("grid")),
        buildings=natural_sorted(b["name"] for b in buildings),
        ethnicities=shared.memo(
            ("ethnicities", reg.key), lambda: [e for e, _n in _distinct(rows, "ethnicity")]
        ),
        age_bands=AGE_BANDS,
    )


def _distinct(rows: list[dict[str, Any]], key: str) -> list[tuple[str, int]]:
    """Distinct values of a field among rows, the most frequent first."""
    counts: dict[str, int] = {}
    for row in rows:
        if row.get(key):
            counts[row[key]] = counts.get(row[key], 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])


@bp.route("/summary")
@roles_required(*STAFF)
def summary_page():
    """基本情况: every figure of the summary, the report's opening paragraph and the charts."""
    as_of = as_of_date()
    shared = view(as_of)
    figures = shared.figures()
    every, approved = view(as_of, False).figures(), view(as_of, True).figures()
    waiting = {k: pending_beside(every[k], approved[k]) for k in FIGURES}
    language = lang()
    # our own SVG; pygal escapes text
    charts = {k: Markup(v) for k, v in shared.charts(language).items()}
    plain = [k for k in FIGURES if k not in ("by_ethnicity", "age_bands")]
    return render_template(
        "registers/summary.html",
        figures=figures,
        waiting=waiting,
        rows=[
            (
                figure_label(k, language),
                percent(figures[k]) if k == "minority_share" else figures[k],
                waiting[k],
            )
            for k in plain
        ],
        paragraph=report_paragraph(figures, community_name(), language),
        charts=charts,
        figure_label=figure_label,
        as_of=as_of,
        today=date.today(),
        **gate_context(as_of),
    )
