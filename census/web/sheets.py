"""Import and export pages: upload → column mapping → report → apply; the export buttons.

Staff may upload, map, check and download reports; only an admin applies an import.
The uploaded file waits in the data folder under an import id (``census.sheets.uploads``);
every export, report download and applied or abandoned import is in the audit log.

With PostgreSQL the upload, its mapping, the check and apply jobs and the saved mappings
are kept in the database (``census.sheets.uploads``, ``census.sheets.jobs``), so each
step may be asked of another server. A check runs on the server asked, which keeps the
plan in its memory and in the database (``census.sheets.checked``); a server asked for
the report, the report workbook or the import of a file it has not planned reads that
plan back (``_kept_plan``) while the store's stamp and the date it was checked with still
hold, and plans the file itself only when they do not (or the plan is no longer kept).
An apply holds the upload (``Upload.claim``) for one server at a time.
"""

from __future__ import annotations

import json
import os
import socket
import time
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from census.domain.address import PATTERN_WORDS
from census.domain.gate import Gate
from census.queries import lookup
from census.services import audit
from census.sheets import profiles, uploads
from census.sheets.apply import apply_plan
from census.sheets.checked import Checked
from census.sheets.export import HOUSEHOLDS, PERSONS, STOREFRONTS, UNITS, dataset_sheets
from census.sheets.issues import Issue
from census.sheets.jobs import (
    APPLY,
    CHECK,
    FAILED,
    STALLED_SECONDS,
    ImportJob,
    ImportJobs,
    KeptCheck,
    SharedImportJobs,
)
from census.sheets.layout import ADDRESS_PATTERN, HEADER_ROW, SKIP_ROWS
from census.sheets.limits import MAX_CELL_CHARS, MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS, size_text
from census.sheets.plan import NEW, REJECTED, UNCHANGED, UPDATE, Plan
from census.sheets.reader import SheetError, check_file
from census.sheets.report import action_text, change_lines, line, report_sheets
from census.sheets.template import write_template
from census.sheets.vocabulary import vocabulary
from census.sheets.wizard import (
    PLAN_COLLECTIONS,
    PlanCache,
    chosen_overrides,
    mappings,
    row_overrides,
    target_choices,
)
from census.sheets.writer import csv_bytes, xlsx_bytes
from census.surveys.conform import id_numbers
from census.util.jobs import new_job_id
from census.web.access import ADMIN, STAFF, roles_required
from census.web.current import get_store
from census.web.helpers import client_ip, community_name, lang, surveys

bp = Blueprint("sheets", __name__, url_prefix="/sheets")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ISSUES = 500
WAIT_SECONDS = 3.0  # a job done within this answers the page directly
STALE = "stale"  # an apply job whose check no longer held
SHOWN_CHANGES = 200
LIMITS = {
    "size": size_text(MAX_FILE_BYTES),
    "rows": f"{MAX_ROWS:,}",
    "columns": MAX_COLUMNS,
    "chars": f"{MAX_CELL_CHARS:,}",
}
EXPORT_COUNTS = {
    "households": HOUSEHOLDS,
    "members": PERSONS,
    "storefronts": STOREFRONTS,
    "units": UNITS,
}


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def _data_dir() -> Path:
    return Path(current_app.config["DATA_DIR"])


def _shared() -> Any:
    """What the servers of one PostgreSQL database share (``store.shared``), or None."""
    return getattr(get_store(), "shared", None)


def _load(upload_id: str) -> uploads.Upload | None:
    return uploads.load(_data_dir(), upload_id, _shared())


def _upload(upload_id: str) -> uploads.Upload:
    """The upload, if it exists and belongs to this user (admins may open any)."""
    upload = _load(upload_id)
    if upload is None:
        abort(404)
    if upload.user != current_user.username and current_user.role != ADMIN:
        abort(403)
    return upload


def _plans() -> PlanCache:
    """The app's cache of the file read and the import planned last."""
    return current_app.extensions.setdefault("census_import_plans", PlanCache())


def _jobs() -> ImportJobs:
    """The app's import jobs (checks and applies in the background); with PostgreSQL their
    state is kept in the database for every server."""
    found = current_app.extensions.get("census_import_jobs")
    if found is None:
        shared = _shared()
        if shared is None:
            found = ImportJobs()
        else:
            data_dir = _data_dir()

            def let_go(job: ImportJob) -> None:  # an apply cut short: check the file again
                upload = uploads.load(data_dir, job.upload_id, shared)
                if job.kind == APPLY and upload is not None:
                    upload.release(job.id)

            server = f"{socket.gethostname()}:{os.getpid()}:{data_dir.resolve()}"
            found = SharedImportJobs(
                shared, server, stalled=_stalled_seconds(), on_interrupted=let_go
            )
        found = current_app.extensions.setdefault("census_import_jobs", found)
    return found


def _waited(job: ImportJob) -> ImportJob | None:
    """The job, if it finished within ``IMPORT_WAIT_SECONDS`` (default ``WAIT_SECONDS``);
    None when the page should show its progress bar instead (always, with 0)."""
    seconds = float(current_app.config.get("IMPORT_WAIT_SECONDS", WAIT_SECONDS))
    if seconds <= 0:
        return None
    job = _jobs().wait(job, seconds)
    return job if job.finished else None


def _plan(upload: uploads.Upload, form: Any):
    store, plans = get_store(), _plans()
    if _peek(plans, store, upload, form) is None:
        _kept_plan(_jobs(), plans, store, upload, form)
    return plans.plan(
        store, form, upload.path, filename=upload.filename, overrides=upload.overrides
    )


def _peek(plans: PlanCache, store: Any, upload: uploads.Upload, form: Any) -> Plan | None:
    found = plans.peek(
        store, form, upload.path, filename=upload.filename, overrides=upload.overrides
    )
    return found[0] if found is not None else None


def _kept_plan(
    jobs: ImportJobs,
    plans: PlanCache,
    store: Any,
    upload: uploads.Upload,
    form: Any,
    kept: KeptCheck | None = None,
) -> Plan | None:
    """The plan of a check made on another server, read back from the database and kept
    in ``plans`` under what it was checked with (``PlanCache.adopt``): that of ``kept``
    (the check a progress page came back with), else of the newest check of this mapping
    if the store's stamp and the date are still those it was checked with. None when
    there is none (TinyDB: every check is this process's)."""
    if not isinstance(jobs, SharedImportJobs):
        return None
    if kept is None:
        newest = next(iter(jobs.checks(upload.id, _check_key(upload))), None)
        if newest is None or not isinstance(newest.result, KeptCheck):
            return None  # none, or this server's own (its plan is in ``plans`` if it holds)
        kept = newest.result
        if kept.stamp != store.stamp(*PLAN_COLLECTIONS) or kept.today != date.today():
            return None  # the store changed since: planned again
    found = jobs.plan_of(kept, form)
    if found is None:
        return None
    plans.adopt(
        form, upload.path, found.plan, found.stamp, found.today,
        filename=upload.filename, overrides=upload.overrides,
    )  # fmt: skip
    return found.plan


def _discard(upload: uploads.Upload) -> None:
    _plans().forget(upload.path)
    upload.discard()


def _form(name: str):
    form = surveys().get(name)
    if form is None:
        abort(404)
    return form


def _file_problem(error: SheetError) -> str:
    return Issue(error.code, params=error.params).message(lang())


@bp.errorhandler(413)
def too_large(_error: Exception):
    """An upload larger than the app accepts: the same message as for a file too large."""
    size = request.content_length
    shown = size_text(size) if size else f"> {size_text(MAX_FILE_BYTES)}"
    params = {"size": shown, "limit": size_text(MAX_FILE_BYTES)}
    flash(Issue("file_too_large", params=params).message(lang()), "error")
    return redirect(url_for("sheets.index"))


@bp.route("/")
@roles_required(*STAFF)
def index():
    """Upload a file to import; download the templates and the whole dataset."""
    return render_template("sheets/index.html", forms=surveys(), limits=LIMITS)


@bp.route("/upload", methods=["POST"])
@roles_required(*STAFF)
def upload():
    """Keep the uploaded file under a new import id and go on to the column mapping."""
    file = request.files.get("file")
    form_name = request.form.get("form", "household")
    _form(form_name)
    if file is None or not file.filename:
        flash(_("请选择要导入的文件。"), "error")
        return redirect(url_for("sheets.index"))
    if not uploads.accepted(file.filename):
        ext = Path(file.filename).suffix or "?"
        flash(Issue("file_type", params={"ext": ext}).message(lang()), "error")
        return redirect(url_for("sheets.index"))
    try:
        kept = uploads.create(
            _data_dir(), file.filename, file.stream, form_name, current_user.username, _shared()
        )
    except SheetError as error:
        flash(_file_problem(error), "error")
        return redirect(url_for("sheets.index"))
    try:  # the quick checks now (size, kind); the file is read on the next page
        check_file(kept.path, kept.filename)
    except SheetError as error:
        kept.discard()
        flash(_file_problem(error), "error")
        return redirect(url_for("sheets.index"))
    audit.record(
        get_store(),
        current_user.username,
        "import",
        f"upload/{kept.id}",
        ip=client_ip(),
        stage="uploaded",
        file=kept.filename,
        form=form_name,
    )
    return redirect(url_for("sheets.mapping", upload_id=kept.id))


@bp.route("/import/<upload_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def mapping(upload_id: str):
    """The detected columns and the first rows; unknown columns can be mapped by hand."""
    upload = _upload(upload_id)
    form = _form(upload.form)
    try:
        sheets = _plans().sheets(form, upload.path, upload.filename)
    except SheetError as error:
        _discard(upload)
        flash(_file_problem(error), "error")
        return redirect(url_for("sheets.index"))
    if request.method == "POST":
        chosen = request.form.to_dict()
        if "use_profile" in chosen:  # a saved mapping (导入方案), shown again to check
            try:
                found = profiles.load(_data_dir(), chosen.get("profile", ""), _shared())
            except profiles.ProfileError:
                abort(400)
            if found.form != form.name:
                abort(400)
            upload.overrides = found.overrides(sheets, vocabulary(form))
            upload.save()
            return redirect(url_for("sheets.mapping", upload_id=upload.id))
        if "set_rows" in chosen:  # another header row, rows to skip: shown again
            if chosen.get("address_pattern", "") not in ("", *PATTERN_WORDS):
                flash(_("两段门牌（如 3-101）只可读作“单元-室”或“楼栋-室”。"), "error")
                return redirect(url_for("sheets.mapping", upload_id=upload.id))
            try:
                upload.overrides = row_overrides(
                    sheets, upload.overrides, chosen.get("header_row", ""),
                    chosen.get("skip_rows", ""), chosen.get("address_pattern", ""),
                )  # fmt: skip
            except ValueError:
                flash(_("行号应为数字，如 4,5 或 4-6。"), "error")
                return redirect(url_for("sheets.mapping", upload_id=upload.id))
            upload.save()
            return redirect(url_for("sheets.mapping", upload_id=upload.id))
        upload.overrides = chosen_overrides(sheets, form, chosen, upload.overrides)
        upload.save()
        name = chosen.get("save_profile", "").strip()
        if name:
            try:
                saved = profiles.from_overrides(
                    form.name, sheets, vocabulary(form), upload.overrides
                )
                profiles.save(
                    _data_dir(), name, saved, user=current_user.username, shared=_shared()
                )
            except profiles.ProfileError:
                flash(_("方案名称应为 1–40 个字符，不含空格和斜杠。"), "error")
                return redirect(url_for("sheets.mapping", upload_id=upload.id))
            flash(_("已保存导入方案“%(name)s”。", name=name), "success")
        return redirect(url_for("sheets.report", upload_id=upload.id))
    first = next(iter(upload.overrides.values()), {})
    return render_template(
        "sheets/mapping.html",
        upload=upload,
        form=form,
        sheets=mappings(sheets, form, upload.overrides),
        choices=target_choices(form, lang()),
        profiles=profiles.load_all(_data_dir(), form.name, _shared()),
        header_row=first.get(HEADER_ROW, ""),
        skip_rows=first.get(SKIP_ROWS, ""),
        address_pattern=first.get(ADDRESS_PATTERN, ""),
        patterns={key: words.get(lang(), words["zh"]) for key, words in PATTERN_WORDS.items()},
    )


@bp.route("/import/<upload_id>/report")
@roles_required(*STAFF)
def report(upload_id: str):
    """Every row checked: counts, problems per row and column, and what would change.

    The check runs as a background job (``census.sheets.jobs``): a plan still current is
    shown at once (this server's, or one another server checked, read back), a short check
    is waited for, a long one shows its progress bar, whose page comes back here with
    ``?job=`` when it is done.
    """
    upload = _upload(upload_id)
    form = _form(upload.form)
    store, plans, job_id = get_store(), _plans(), request.args.get("job", "")
    plan = _peek(plans, store, upload, form)
    if plan is None:  # checked elsewhere, and nothing changed since?
        plan = _kept_plan(_jobs(), plans, store, upload, form)
    if plan is None:
        job = _finished_check(upload, job_id)
        if job is not None and job.state != FAILED:
            plan = _plan_of(job, upload, form)
        if job is None or (plan is None and job.state != FAILED):
            started = _start_check(upload, form)
            job = _waited(started)
            if job is None:
                return redirect(url_for("sheets.job", job_id=started.id))
            plan = _plan_of(job, upload, form)
        if job.state == FAILED or plan is None:
            return _check_failed(upload, job)
    issues = plan.all_issues()
    updates = [p for p in plan.records if p.action == UPDATE]
    return render_template(
        "sheets/report.html",
        upload=upload,
        form=form,
        plan=plan,
        counts=plan.counts,
        actions=(NEW, UPDATE, UNCHANGED, REJECTED),
        action_text=action_text,
        issues=[(i, line(i, lang())) for i in issues[:SHOWN_ISSUES]],
        issue_total=len(issues),
        updates=[(p, change_lines(plan, p, lang())) for p in updates[:SHOWN_CHANGES]],
        update_total=len(updates),
        fingerprint=plan.fingerprint(),
    )


def _check_key(upload: uploads.Upload) -> tuple[str, str]:
    return (upload.filename, json.dumps(upload.overrides, sort_keys=True))


def _plan_of(job: ImportJob, upload: uploads.Upload, form: Any) -> Plan | None:
    """The plan of a finished check: this server's, or another's read back (None when it
    is no longer kept)."""
    if isinstance(job.result, Checked):
        return job.result.plan
    if isinstance(job.result, KeptCheck):
        return _kept_plan(_jobs(), _plans(), get_store(), upload, form, job.result)
    return None


def _start_check(upload: uploads.Upload, form: Any) -> ImportJob:
    """Check (read and plan) an upload in the background; the plan lands in the cache
    (and, shared, in the database), with the store's stamp taken before reading."""
    store, plans = get_store(), _plans()
    path, filename, overrides = upload.path, upload.filename, dict(upload.overrides)

    def work(progress):
        stamp, today = store.stamp(*PLAN_COLLECTIONS), date.today()
        plan, sheets = plans.plan(
            store, form, path, filename=filename, overrides=overrides, today=today,
            progress=progress,
        )  # fmt: skip
        return Checked(plan, sheets, stamp, today)

    return _jobs().submit(upload.id, CHECK, current_user.username, work, key=_check_key(upload))


def _finished_check(upload: uploads.Upload, job_id: str) -> ImportJob | None:
    """The check job a progress page came back with, if it is this upload's, for the same
    mapping, and finished within a minute (a reload after that checks again)."""
    job = _jobs().get(job_id) if job_id else None
    if job is None or job.kind != CHECK or job.upload_id != upload.id or not job.finished:
        return None
    if job.state != FAILED and job.result is None:
        return None  # checked by another server, whose plan this one lacks: check here
    if job.key != _check_key(upload) or time.time() - (job.finished_at or 0) > 60:
        return None
    return job


def _check_failed(upload: uploads.Upload | None, job: ImportJob):
    """A check or apply that failed: the file's problem (the upload is dropped) or the error."""
    if job.error is not None:
        if upload is not None:
            _discard(upload)
        flash(_file_problem(job.error), "error")
        return redirect(url_for("sheets.index"))
    flash(_("检查或导入时出错：%(error)s", error=job.failure or "?"), "error")
    if upload is not None and _load(upload.id) is not None:
        return redirect(url_for("sheets.mapping", upload_id=upload.id))
    return redirect(url_for("sheets.index"))


@bp.route("/import/<upload_id>/report.xlsx")
@roles_required(*STAFF)
def report_download(upload_id: str):
    """The uploaded rows again, with what happened to each and its problems (logged)."""
    upload = _upload(upload_id)
    form = _form(upload.form)
    try:
        plan, sheets = _plan(upload, form)
    except SheetError:
        abort(404)
    data = xlsx_bytes(report_sheets(plan, sheets, lang()))
    audit.record(
        get_store(),
        current_user.username,
        "export",
        f"import-report/{upload.id}",
        ip=client_ip(),
        file=upload.filename,
    )
    return _download(data, f"{Path(upload.filename).stem}-导入报告.xlsx", XLSX)


@bp.route("/import/<upload_id>/apply", methods=["POST"])
@roles_required(ADMIN)
def apply(upload_id: str):
    """Import the valid records, if the check the user saw still holds (a background job)."""
    upload = _upload(upload_id)
    form = _form(upload.form)
    store, plans = get_store(), _plans()
    seen = request.form.get("fingerprint", "")
    user, ip = current_user.username, client_ip()
    path, filename, overrides = upload.path, upload.filename, dict(upload.overrides)
    jobs, job_id = _jobs(), new_job_id()
    if not _claim(upload, job_id):
        busy = jobs.busy(upload.id)
        if busy is not None:
            return redirect(url_for("sheets.job", job_id=busy.id))
        flash([_("正在导入这个文件，请等它完成。"), ""], "warning")
        return redirect(url_for("sheets.report", upload_id=upload.id))

    def work(progress):
        try:
            if _peek(plans, store, upload, form) is None:
                _kept_plan(jobs, plans, store, upload, form)  # a check elsewhere that holds
            plan, _sheets = plans.plan(
                store, form, path, filename=filename, overrides=overrides, progress=progress,
                with_sheets=False,
            )  # fmt: skip
            if seen != plan.fingerprint() or not upload.held_by(job_id):
                upload.release(job_id)  # changed meanwhile, or let go: checked again first
                return STALE
        except BaseException:
            upload.release(job_id)  # nothing written yet: the file may be imported again
            raise
        done = apply_plan(store, plan, user=user, ip=ip, progress=progress)
        plans.forget(path)
        upload.discard()
        return {"done": done, "form": form.name, "filename": filename}

    job = jobs.submit(upload.id, APPLY, user, work, key=seen, job_id=job_id)
    finished = _waited(job)
    if finished is None:
        return redirect(url_for("sheets.job", job_id=job.id))
    return _applied(finished)


def _stalled_seconds() -> float:
    """How long a job's heartbeat may be silent before its server is taken for dead
    (``IMPORT_STALLED_SECONDS``, default ``STALLED_SECONDS``)."""
    return float(current_app.config.get("IMPORT_STALLED_SECONDS", STALLED_SECONDS))


def _claim(upload: uploads.Upload, job_id: str) -> bool:
    """Hold the upload for this apply: on PostgreSQL one server at a time. An upload whose
    apply was cut short is let go by ``busy`` (the job's heartbeat stopped); one held by an
    apply that left no job at all (its server died in between) after as long."""
    if upload.claim(job_id):
        return True
    shared = upload.shared
    if shared is None or _jobs().busy(upload.id) is not None:
        return False  # another apply is under way
    if shared.job(upload.job) is None and (shared.job_age(upload.id) or 0) > _stalled_seconds():
        upload.release(upload.job)
    return upload.claim(job_id)


def _applied(job: ImportJob):
    """The page of a finished apply job."""
    upload = _load(job.upload_id)
    if job.state == FAILED:
        return _check_failed(upload, job)
    if job.result == STALE:
        flash([_("校验之后数据有变化，请查看新的校验结果后再导入。"), ""], "warning")
        if upload is None:
            return redirect(url_for("sheets.index"))
        return redirect(url_for("sheets.report", upload_id=job.upload_id))
    done = job.result["done"]
    return render_template(
        "sheets/done.html",
        form=_form(job.result["form"]),
        filename=job.result["filename"],
        done=done,
        failures=[line(i, lang()) for i in done.failed],
    )


@bp.route("/job/<job_id>")
@roles_required(*STAFF)
def job(job_id: str):
    """A check's or an import's progress bar; once finished, its report or its result."""
    found = _job_or_404(job_id)
    if not found.finished:
        return render_template("sheets/job.html", job=found, steps=_steps())
    if found.kind == APPLY:
        return _applied(found)
    if found.state == FAILED:
        return _check_failed(_load(found.upload_id), found)
    return redirect(url_for("sheets.report", upload_id=found.upload_id, job=found.id))


@bp.route("/job/<job_id>.json")
@roles_required(*STAFF)
def job_status(job_id: str):
    """How far a job is: state, step, done/total, percent; where to go once finished."""
    found = _job_or_404(job_id)
    data = found.as_dict()
    data["step_text"] = _steps().get(found.step, "")
    data["next"] = url_for("sheets.job", job_id=found.id)
    return jsonify(data)


def _job_or_404(job_id: str) -> ImportJob:
    found = _jobs().get(job_id)
    if found is None:
        abort(404)
    if found.owner != current_user.username and current_user.role != ADMIN:
        abort(403)
    return found


def _steps() -> dict[str, str]:
    return {"read": _("读取文件"), "check": _("检查记录"), "save": _("保存记录")}


@bp.route("/import/<upload_id>/discard", methods=["POST"])
@roles_required(*STAFF)
def discard(upload_id: str):
    """Import nothing and forget the file (not while it is being imported)."""
    upload = _upload(upload_id)
    busy = _jobs().busy(upload.id)
    if busy is not None and busy.kind == APPLY:
        flash([_("正在导入这个文件，请等它完成。"), ""], "warning")
        return redirect(url_for("sheets.job", job_id=busy.id))
    _discard(upload)
    audit.record(
        get_store(),
        current_user.username,
        "import",
        f"upload/{upload.id}",
        ip=client_ip(),
        stage="discarded",
        file=upload.filename,
    )
    flash(_("未导入任何数据，上传的文件已删除。"), "success")
    return redirect(url_for("sheets.index"))


@bp.route("/template/<form_name>.xlsx")
@roles_required(*STAFF)
def template(form_name: str):
    """A blank workbook with the Chinese headers, an example and the notes sheet."""
    form = _form(form_name)
    buffer = BytesIO()
    write_template(buffer, form)
    return _download(buffer.getvalue(), f"{form.text('zh')}-导入模板.xlsx", XLSX)


@bp.route("/export.<fmt>")
@roles_required(*STAFF)
def export(fmt: str):
    """The whole dataset as XLSX (four sheets) or the members as CSV (logged): every record,
    or with ``?approved=1`` the approved ones only (census.domain.gate)."""
    if fmt not in ("xlsx", "csv"):
        abort(404)
    store = get_store()
    full = request.args.get("full") == "1"
    if full and not current_user.may_see_full_ids:
        abort(403)
    gate = Gate(approved=request.args.get("approved") == "1")
    sheets = dataset_sheets(store, surveys(), full_ids=full, approved=gate.approved)
    if full:
        forms = surveys()  # the CSV is the members sheet; the workbook has storefronts too
        kinds = ("household",) if fmt == "csv" else ("household", "storefront", "unit")
        count = sum(
            len(id_numbers(forms[kind], doc))
            for kind in kinds
            for doc in gate.keep(lookup.records_of(store, forms[kind].collection))
        )
        audit.full_ids_shown(store, current_user.username, f"dataset.{fmt}", count, ip=client_ip())
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    community = community_name()
    which = "-已审核" if gate.approved else ""
    if fmt == "xlsx":
        data, mimetype = xlsx_bytes(sheets), XLSX
        filename = f"{community}-全部数据{which}-{stamp}.xlsx"
    else:
        data, mimetype = csv_bytes(*sheets[PERSONS]), "text/csv"
        filename = f"{community}-成员{which}-{stamp}.csv"
    audit.record(
        store,
        current_user.username,
        "export",
        f"dataset.{fmt}",
        ip=client_ip(),
        approved=gate.approved,
        **{key: len(sheets[title][1]) for key, title in EXPORT_COUNTS.items()},
    )
    return _download(data, filename, mimetype)
