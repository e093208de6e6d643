"""Print jobs on the web: choose what to print, watch its progress, download the PDF.

Long prints (a whole community's household list is hundreds of pages) run as background
jobs (``census.printing.jobs``); the job page shows a progress bar that polls a small JSON
endpoint every second, and refreshes itself where scripts do not run. Only the job's owner
and admins may download the result; full ID numbers are for admins and every print is in
the audit log.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from census.domain.address import natural_sorted
from census.domain.registers import ID_COLUMNS
from census.printing.jobs import DONE, Job, JobRunner, SharedJobRunner, runner_for
from census.printing.plans import (
    FIXED_TARGETS,
    HOUSEHOLD_CARDS,
    HOUSEHOLD_LIST,
    Plan,
    PrintRequest,
    PrintRequestError,
    Records,
    check,
    plan,
    records_seen,
    registers_by_key,
    target_title,
)
from census.queries import places
from census.services import audit
from census.surveys.conform import id_numbers
from census.web.access import ADMIN, STAFF, roles_required
from census.web.current import context, get_store
from census.web.helpers import client_ip, community_name, lang

bp = Blueprint("prints", __name__, url_prefix="/prints")


def runner(app: Flask | None = None) -> JobRunner | SharedJobRunner:
    """The app's print job runner, started on first use (on PostgreSQL: the shared jobs)."""
    app = app or current_app
    found = app.extensions.get("census_print_jobs")
    if found is None:
        workers = app.config.get("PRINT_WORKERS")
        found = runner_for(app.config["DATA_DIR"], get_store(app), workers=workers)
        app.extensions["census_print_jobs"] = found
    return found


def _registers() -> dict[str, Any]:
    return registers_by_key(context().registers)


def _targets() -> list[tuple[str, str]]:
    """(key, name) of everything that can be printed: lists, cards, summary, each register."""
    regs = _registers()
    return [(t, target_title(t, lang(), regs)) for t in FIXED_TARGETS] + [
        (key, reg.title(lang())) for key, reg in regs.items()
    ]


def _job_or_404(job_id: str) -> Job:
    job = runner().get(job_id)
    if job is None:
        abort(404)
    if job.owner != current_user.username and current_user.role != ADMIN:
        abort(403)
    return job


@bp.route("/", methods=["GET"])
@roles_required(*STAFF)
def index():
    """The print form and the user's print jobs (an admin sees everyone's)."""
    buildings = places.buildings(get_store())
    owner = None if current_user.role == ADMIN else current_user.username
    return render_template(
        "prints/index.html",
        targets=_targets(),
        buildings=natural_sorted(b["name"] for b in buildings),
        grids=natural_sorted(b.get("grid") for b in buildings if b.get("grid")),
        jobs=runner().jobs(owner),
        selected=request.args.get("target", ""),
        today=date.today().isoformat(),
    )


def _request_from_form() -> PrintRequest:
    form = request.form
    try:
        as_of = date.fromisoformat(form.get("as_of", "").strip() or date.today().isoformat())
    except ValueError:
        raise PrintRequestError(_("日期格式应为 YYYY-MM-DD")) from None
    return PrintRequest(
        form.get("target", ""),
        building=form.get("building") or None,
        grid=form.get("grid") or None,
        as_of=as_of,
        full_ids=form.get("full_ids") == "1",
        lang=lang(),
        approved=form.get("records", "approved") != "all",  # 已审核 unless 全部 is chosen
        prepared_by=current_user.display_name,  # 制表人 of the sign-off block
    )


@bp.route("/", methods=["POST"])
@roles_required(*STAFF)
def create():
    """Start a print job (logged) and open its progress page."""
    store = get_store()
    try:
        print_request = _request_from_form()
        community = community_name()  # as the header has it, read once per request
        check(
            print_request,
            Records(community, places.buildings(store), []),
            _registers(),
        )
    except PrintRequestError as exc:
        flash(str(exc), "error")
        return redirect(url_for("prints.index"))
    if print_request.full_ids and not current_user.may_see_full_ids:
        abort(403)
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def make_plan(req: PrintRequest) -> Plan:
        census = context(app)  # the records of the read model the registers and summary see
        assert census.derived is not None
        records = records_seen(census.derived, req, community)
        return plan(req, records, census.registers, census.surveys)

    job = runner().submit(current_user.username, print_request, make_plan)
    if print_request.full_ids:
        audit.full_ids_shown(
            store,
            current_user.username,
            print_request.audit_target(),
            _full_id_count(print_request),
            ip=client_ip(),
            job=job.id,
        )
    audit.record(
        store,
        current_user.username,
        "print",
        print_request.audit_target(),
        ip=client_ip(),
        full_ids=print_request.full_ids,
        job=job.id,
        as_of=print_request.as_of.isoformat(),
        approved=print_request.approved,
    )
    return redirect(url_for("prints.job", job_id=job.id))


def _full_id_count(req: PrintRequest) -> int:
    """How many ID numbers a print with full numbers shows: those of the households in its
    building, grid or community (lists and cards) or of the register's rows there.

    Counted on the read model's view of the print's date and gate (the records the print
    takes, each with its building's grid), not on a read of every household."""
    derived = context().derived
    assert derived is not None  # made when the app opened its store
    view = derived.view(req.as_of, req.approved)
    grids = {b.get("name"): b.get("grid") for b in view.records.buildings}

    def in_scope(row: dict[str, Any]) -> bool:
        building = row.get("building")
        grid = row.get("grid") or grids.get(building)
        return (not req.building or building == req.building) and (not req.grid or grid == req.grid)

    if req.target in (HOUSEHOLD_LIST, HOUSEHOLD_CARDS):
        form = context().surveys["household"]
        return sum(len(id_numbers(form, h)) for h in view.households() if in_scope(h))
    reg = _registers().get(req.target)
    if reg is None:
        return 0
    ids = [c for c in reg.columns if c in ID_COLUMNS]
    rows = [r for r in view.rows(reg) if in_scope(r)]
    return sum(1 for row in rows for c in ids if row.get(c))


@bp.route("/<job_id>")
@roles_required(*STAFF)
def job(job_id: str):
    """A job's progress bar, and its download link once ready."""
    found = _job_or_404(job_id)
    return render_template("prints/job.html", job=found, target_name=dict(_targets()))


@bp.route("/<job_id>.json")
@roles_required(*STAFF)
def status(job_id: str):
    """How far a job is: state, done/total, percent, and the download URL when ready."""
    found = _job_or_404(job_id)
    data = found.as_dict()
    if found.state == DONE:
        data["download"] = url_for("prints.download", job_id=found.id)
    return jsonify(data)


@bp.route("/<job_id>/download")
@roles_required(*STAFF)
def download(job_id: str):
    """The finished PDF, for its owner or an admin (logged)."""
    found = _job_or_404(job_id)
    if found.state != DONE or not found.result:
        abort(404)
    audit.record(
        get_store(),
        current_user.username,
        "print_download",
        f"print-job/{found.id}",
        ip=client_ip(),
        full_ids=found.request.full_ids,
    )
    return send_file(
        found.result,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=found.filename,
    )
