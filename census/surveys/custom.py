"""Surveys that staff add: definitions kept with the store, loaded at start-up and on upload.

An admin uploads a definition in our own YAML format or an XLSForm (.xlsx or .xls,
``census.surveys.xlsform``). It is checked exactly as the forms of forms/ are
(``parse_definition``) and kept as ``<data>/surveys/<name>.yaml`` beside the file it came
from, so staff can read it and a restart finds it. From then on it is just another
definition: its form (/survey/<name>/new), list, register, export and print, and the
offline app, all work from it. Its records live in the collection ``survey_<name>``; its
code lists live with it (named ``<name>.<list>``), never in forms/choices.yaml.

With PostgreSQL (``CENSUS_DATABASE_URL``) several servers share one database, so the
definitions and their files live there instead (``census_surveys``, through the store's
``shared``): a survey added on one server is served by every other at its next request
(``refresh``, called before each request and each background job). A data folder's
surveys from before move into the database on the first start that finds none there.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from weakref import WeakKeyDictionary

import yaml

from census.domain.codes import choice_lists
from census.surveys.definition import (
    SURVEYS,
    WORK_RECORDS,
    DefinitionError,
    FormDef,
    parse_definition,
)
from census.surveys.xlsform import RESERVED_KEYS, XLSFormError, XLSFormProblem, translate
from census.util.i18n import N_, in_each_language


class Census(Protocol):
    """What this module needs of the application context (``census.context.Census``).

    The context holds the surveys; this module only reads and writes their files, so it
    asks for these attributes and does not import the context.
    """

    data_dir: Path
    store: Any  # its ``shared`` (PostgreSQL only) keeps the definitions for every server
    surveys: dict[str, FormDef]
    custom: set[str]


FOLDER = "surveys"
NAME = re.compile(r"[a-z][a-z0-9_]{1,39}")
# Names a survey may not take: the built-in forms, and words that are addresses of pages.
RESERVED_NAMES = {*SURVEYS, *WORK_RECORDS, "new", "report", "rates", "api", "admin", "outbox"}
YAML_SUFFIXES = (".yaml", ".yml")
XLSX_SUFFIXES = (".xlsx", ".xlsm", ".xls")  # .xls: the older Excel files, read as pyxform does


@dataclass
class Upload:
    """The outcome of an upload: the survey when accepted, else the problems (with places)."""

    form: FormDef | None = None
    problems: list[XLSFormProblem] = field(default_factory=list)
    notes: list[XLSFormProblem] = field(default_factory=list)
    replaced: bool = False


def folder(data_dir: str | Path) -> Path:
    """Where the staff's surveys are kept."""
    return Path(data_dir) / FOLDER


def collection_of(name: str) -> str:
    """The store collection of a staff-added survey."""
    return f"survey_{name}"


def publish(form: FormDef) -> None:
    """Make the survey's own code lists known by name (<form>.<list>) to lists and exports."""
    choice_lists().update(form.choice_lists)


def _checked(raw: dict[str, Any], source: str) -> FormDef:
    """A custom definition dict as a FormDef: its name, keys and register settings checked."""
    name = str(raw.get("form") or "")
    if not NAME.fullmatch(name):
        raise DefinitionError(
            source, "form", f"the name “{name}” must be 2–40 lower-case letters, digits or _"
        )
    if name in RESERVED_NAMES:
        raise DefinitionError(source, "form", f"the name “{name}” is taken by the system")
    raw = dict(raw, collection=collection_of(name))
    form = parse_definition(raw, source)
    for f in form.fields:
        for key in [f.key, *(s.key for s in f.fields)]:
            if key in RESERVED_KEYS:
                raise DefinitionError(source, f"field {key}", "the key is reserved by the system")
    from census.worklog.registers import register_for  # the register must work too

    register_for(form)
    return form


def _definition(text: str, name: str, source: str) -> FormDef:
    """A kept definition's YAML text as a FormDef named ``name``; a broken one, named."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DefinitionError(source, "YAML", str(exc)) from None
    if not isinstance(raw, dict):
        raise DefinitionError(source, "top level", "a definition must be a mapping")
    form = _checked(raw, source)
    if form.name != name:
        raise DefinitionError(source, "form", f"“{form.name}” should be “{name}”")
    return form


def _folder_definitions(data_dir: str | Path) -> list[Path]:
    # <name>.source.yaml is the file as uploaded, not the definition
    return [p for p in sorted(folder(data_dir).glob("*.yaml")) if "." not in p.stem]


def load(data_dir: str | Path) -> dict[str, FormDef]:
    """Every staff-added survey of a data folder; a broken one stops start-up, named."""
    found: dict[str, FormDef] = {}
    for path in _folder_definitions(data_dir):
        form = _definition(path.read_text(encoding="utf-8"), path.stem, path.name)
        found[form.name] = form
    return found


def _shared(census: Census) -> Any | None:
    """Where the surveys of every server live (PostgreSQL), or None (the data folder)."""
    return getattr(census.store, "shared", None)


# The stamp of the shared surveys each context last loaded (``refresh`` compares it).
_loaded: WeakKeyDictionary[Any, str] = WeakKeyDictionary()


def _mirror(data_dir: Path, kept: list[Any]) -> None:
    """Keep the data folder's copy of the database's surveys the same (what a backup of
    the folder holds): each definition and source file, none that the database lost."""
    target = folder(data_dir)
    names = {s.name for s in kept}
    for survey in kept:
        path = target / f"{survey.name}.yaml"
        text = survey.definition.encode("utf-8")
        if path.exists() and path.read_bytes() == text:
            continue
        target.mkdir(parents=True, exist_ok=True)
        _write(path, text)
        if survey.source is not None:
            _write(target / f"{survey.name}.source{survey.source_suffix}", survey.source)
    for path in _folder_definitions(data_dir):
        if path.stem not in names:
            stamp = datetime.now().strftime("%Y%m%d%H%M%S")
            os.replace(path, path.with_name(f"{path.stem}.{stamp}.yaml.removed"))


def _move_into(shared: Any, data_dir: Path) -> None:
    """A data folder's surveys, from before the database kept them (or restored from a
    backup), go into it once: on the first start of a server on this database."""
    token = os.urandom(8).hex()
    if shared.secret("surveys_moved_in", token) != token or shared.surveys():
        return
    for path in _folder_definitions(data_dir):
        source = next(folder(data_dir).glob(f"{path.stem}.source.*"), None)
        shared.put_survey(
            path.stem,
            path.read_text(encoding="utf-8"),
            source.suffix if source else "",
            source.read_bytes() if source else None,
        )


def install(census: Census) -> None:
    """Add the staff's surveys to the loaded definitions (after the built-in ones)."""
    shared = _shared(census)
    if shared is None:
        custom = load(census.data_dir)
    else:
        _move_into(shared, census.data_dir)
        stamp = shared.surveys_stamp()  # before reading: a change meanwhile reloads again
        kept = shared.surveys()
        custom = {s.name: _definition(s.definition, s.name, f"{s.name}.yaml") for s in kept}
        _mirror(census.data_dir, kept)
        _loaded[census] = stamp
    for name, form in custom.items():
        publish(form)
        census.surveys[name] = form
    census.custom = set(custom)


def refresh(census: Census) -> bool:
    """Load the surveys again if another server added, replaced or removed one (PostgreSQL);
    True when they changed. One small query; nothing to do on a data folder."""
    shared = _shared(census)
    if shared is None or _loaded.get(census) == shared.surveys_stamp():
        return False
    for name in names(census):
        census.surveys.pop(name, None)
    install(census)
    return True


def names(census: Census) -> set[str]:
    """The names of the surveys staff added."""
    return set(census.custom)


def _code(text: str) -> str:
    """A text as a survey code: lower case, other characters as _, starting with a letter."""
    code = re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "_", text.strip().lower())).strip("_")
    return code if NAME.fullmatch(code) else ""


def read_upload(filename: str, data: bytes, name: str = "") -> Upload | dict[str, Any]:
    """An uploaded file as a definition dict, or an Upload carrying its problems."""
    suffix = Path(filename).suffix.lower()
    stem = _code(Path(filename).stem)
    if suffix in XLSX_SUFFIXES:
        try:
            translation = translate(data, name=name or stem or "survey", suffix=suffix)
        except XLSFormError as exc:
            return Upload(problems=exc.problems)
        raw = translation.definition
        # A form_id such as "Household-Roster_2024" becomes household_roster_2024; one
        # that gives no usable code (汉字 only) leaves the file's name, else asks for one.
        raw["form"] = name or _code(str(raw["form"])) or stem
        if not raw["form"]:
            detail = in_each_language(N_("请填写问卷代号（英文小写字母、数字、下划线）"))
            return Upload(problems=[XLSFormProblem("definition", "settings", None, "form_id",
                                                   params={"detail": detail})])  # fmt: skip
        return {"raw": raw, "notes": translation.notes}
    if suffix in YAML_SUFFIXES:
        try:
            raw = yaml.safe_load(data.decode("utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            problem = XLSFormProblem("read", filename, params={"detail": str(exc)})
            return Upload(problems=[problem])
        if not isinstance(raw, dict):
            detail = in_each_language(N_("定义应为映射（form、title、fields）"))
            return Upload(problems=[XLSFormProblem("read", filename, params={"detail": detail})])
        if name:
            raw["form"] = name
        return {"raw": raw, "notes": []}
    detail = in_each_language(N_("请上传 .xlsx 或 .xls（XLSForm）或 .yaml 文件"))
    return Upload(problems=[XLSFormProblem("read", filename, params={"detail": detail})])


def _definition_problem(exc: DefinitionError, filename: str, data: bytes) -> XLSFormProblem:
    """A definition error placed at its survey-sheet row when the file is an XLSForm."""
    row = None
    key = exc.where.removeprefix("field ").split(".")[-1] if "field" in exc.where else ""
    if key and Path(filename).suffix.lower() in XLSX_SUFFIXES:
        from census.surveys.xlsform import row_of

        row = row_of(data, key, Path(filename).suffix.lower())
    sheet = "survey" if Path(filename).suffix.lower() in XLSX_SUFFIXES else filename
    return XLSFormProblem(
        "definition", sheet, row, params={"detail": f"{exc.where}: {exc.problem}"}
    )


def _write(path: Path, data: bytes) -> None:
    """Write a file aside and rename it over the old one (never half a definition)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def add(
    census: Census, filename: str, data: bytes, *, name: str = "", replace: bool = False
) -> Upload:
    """Check an uploaded definition and, when it is sound, keep it and make it live at once.

    A survey of the same name is replaced only when ``replace`` is set (its records stay;
    the old definition is kept beside it as ``<name>.<time>.yaml.old``).
    """
    read = read_upload(filename, data, name.strip())
    if isinstance(read, Upload):
        return read
    raw, notes = read["raw"], read["notes"]
    try:
        form = _checked(raw, filename)
    except DefinitionError as exc:
        return Upload(problems=[_definition_problem(exc, filename, data)], notes=notes)
    surveys = census.surveys
    mine = names(census)
    if form.name in surveys and form.name not in mine:
        detail = in_each_language(N_("“{name}”是内置问卷"), name=form.name)
        problem = XLSFormProblem("definition", filename, params={"detail": detail})
        return Upload(problems=[problem], notes=notes)
    if form.name in mine and not replace:
        detail = in_each_language(
            N_("已有名为“{name}”的问卷；如要替换，请勾选“替换同名问卷”"), name=form.name
        )
        return Upload(problems=[XLSFormProblem("definition", filename, params={"detail": detail})])
    header = f"# {form.text('zh')} — uploaded as {Path(filename).name}\n"
    text = header + yaml.safe_dump(
        {k: v for k, v in raw.items() if k != "collection"}, allow_unicode=True, sort_keys=False
    )
    suffix = Path(filename).suffix.lower()
    shared = _shared(census)
    if shared is not None:
        replaced = form.name in mine
        shared.put_survey(form.name, text, suffix, data)
        _keep_in_folder(census.data_dir, form.name, text, suffix, data)  # the folder's copy
    else:
        replaced = _keep_in_folder(census.data_dir, form.name, text, suffix, data)
    publish(form)
    surveys[form.name] = form
    census.custom = mine | {form.name}
    return Upload(form=form, notes=notes, replaced=replaced)


def _keep_in_folder(data_dir: Path, name: str, text: str, suffix: str, data: bytes) -> bool:
    """Write a definition and its source into the data folder; True if it replaced one
    (the old definition is kept beside it as ``<name>.<time>.yaml.old``)."""
    target = folder(data_dir)
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{name}.yaml"
    replaced = path.exists()
    if replaced:
        stamp = datetime.now().strftime("%Y%m%d%H%M%S")
        os.replace(path, target / f"{name}.{stamp}.yaml.old")
    _write(path, text.encode("utf-8"))
    _write(target / f"{name}.source{suffix}", data)
    return replaced


def remove(census: Census, name: str) -> None:
    """Take a survey out (the caller checks that it has no records); its file is kept aside."""
    shared = _shared(census)
    if shared is not None:
        shared.remove_survey(name)
    path = folder(census.data_dir) / f"{name}.yaml"
    if path.exists():
        stamp = datetime.now().strftime("%Y%m%d%H%M%S")
        os.replace(path, path.with_name(f"{name}.{stamp}.yaml.removed"))
    census.surveys.pop(name, None)
    census.custom = names(census) - {name}


def source_file(census: Census, name: str) -> Path | None:
    """The file a survey was uploaded as (XLSForm or YAML), if kept."""
    for suffix in (*XLSX_SUFFIXES, *YAML_SUFFIXES):
        path = folder(census.data_dir) / f"{name}.source{suffix}"
        if path.exists():
            return path
    return None
