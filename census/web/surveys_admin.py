"""问卷管理: admins add surveys (our YAML or an XLSForm), see every survey, take one out.

An upload is checked in full before anything is kept (``census.surveys.custom``); a
refused file comes back with each problem's sheet, row and column. An accepted survey is
live at once: its form, list, register, export and print, and the offline app.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from census.queries import lookup
from census.services import audit
from census.surveys import custom
from census.surveys.definition import SURVEYS
from census.web.access import ADMIN, roles_required
from census.web.current import context, get_store
from census.web.helpers import lang, surveys

bp = Blueprint("surveys_admin", __name__, url_prefix="/admin/surveys")
MAX_UPLOAD = 5 * 1024 * 1024


def _rows() -> list[dict[str, Any]]:
    store = get_store()
    mine = custom.names(context())
    rows = []
    for name, form in surveys().items():
        kind = "census" if name in SURVEYS else "custom" if name in mine else "worklog"
        rows.append(
            {
                "name": name,
                "form": form,
                "kind": kind,
                "count": lookup.record_count(store, form.collection),
                "source": custom.source_file(context(), name) is not None,
            }
        )
    return rows


@bp.route("/", methods=["GET", "POST"])
@roles_required(ADMIN)
def index():
    """Every survey with its records; the upload form, and what a refused upload got wrong."""
    upload = None
    status = 200
    if request.method == "POST":
        file = request.files.get("file")
        data = file.read(MAX_UPLOAD + 1) if file else b""
        if not file or not file.filename or not data:
            flash(_("请选择要上传的文件"), "error")
        elif len(data) > MAX_UPLOAD:
            flash(_("文件太大（最大 5 MB）"), "error")
        else:
            upload = custom.add(
                context(),
                file.filename,
                data,
                name=request.form.get("name", ""),
                replace=request.form.get("replace") == "1",
            )
            if upload.form is not None:
                form = upload.form
                audit.record(
                    get_store(),
                    current_user.username,
                    "survey_replace" if upload.replaced else "survey_add",
                    f"surveys/{form.name}",
                    file=file.filename,
                    fields=len(form.fields),
                )
                flash(_("已添加问卷“%(t)s”，现在即可填写", t=form.text(lang())), "success")
                if not upload.notes:
                    return redirect(url_for("surveys_admin.index", added=form.name))
            else:
                status = 422
    added = request.args.get("added") or (upload.form.name if upload and upload.form else "")
    return render_template(
        "surveys_admin/index.html",
        rows=_rows(),
        upload=upload,
        added=added,
    ), status


def _custom_or_404(name: str):
    if name not in custom.names(context()):
        abort(404)
    return surveys()[name]


@bp.route("/<name>/definition.yaml")
@roles_required(ADMIN)
def definition(name: str):
    """The survey as stored (our YAML format): what staff may read, edit and upload again."""
    _custom_or_404(name)
    path = custom.folder(current_app.config["DATA_DIR"]) / f"{name}.yaml"
    return Response(
        path.read_bytes(),
        mimetype="text/yaml; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(path.name)}"},
    )


@bp.route("/<name>/source")
@roles_required(ADMIN)
def source(name: str):
    """The file the survey was uploaded as (an XLSForm or a YAML file)."""
    _custom_or_404(name)
    path = custom.source_file(context(), name)
    if path is None:
        abort(404)
    return send_file(path, as_attachment=True, download_name=f"{name}{path.suffix}")


@bp.route("/<name>/remove", methods=["POST"])
@roles_required(ADMIN)
def remove(name: str):
    """Take out a survey that has no records (one with records stays: they need it)."""
    form = _custom_or_404(name)
    store = get_store()
    if lookup.record_count(store, form.collection):
        flash(_("“%(t)s”已有记录，不能删除", t=form.text(lang())), "error")
        return redirect(url_for("surveys_admin.index"))
    custom.remove(context(), name)
    audit.record(store, current_user.username, "survey_remove", f"surveys/{name}")
    flash(_("已删除问卷“%(t)s”", t=form.text(lang())), "success")
    return redirect(url_for("surveys_admin.index"))
