"""``census import`` and ``census export`` without the click wiring (kept in census/cli.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from census.services import audit
from census.sheets.apply import apply_plan
from census.sheets.export import PERSONS, dataset_sheets
from census.sheets.issues import Issue
from census.sheets.plan import NEW, UPDATE
from census.sheets.profiles import Profile
from census.sheets.reader import SheetError
from census.sheets.report import has_rejections, line, text_report
from census.sheets.wizard import plan_file
from census.sheets.writer import csv_bytes, write_xlsx
from census.surveys.definition import FormDef
from census.util.outputs import write_output

Echo = Callable[[str], None]


def parse_maps(maps: tuple[str, ...], form: FormDef) -> dict[str, str]:
    """``--map 手机号码=members.phone`` -> {header: key}; raises ValueError on a bad one."""
    from census.sheets.vocabulary import vocabulary

    vocab = vocabulary(form)
    out = {}
    for item in maps:
        header, sep, key = item.partition("=")
        key = key.strip()
        if key and key not in vocab.targets:
            key = vocab.header(key) or key  # a field's title will do: 手机号码=联系电话
        if not sep or not header.strip() or (key and key not in vocab.targets):
            raise ValueError(item)
        out[header.strip()] = key
    return out


def run_import(
    store: Any,
    form: FormDef,
    path: Path,
    *,
    user: str,
    dry_run: bool,
    strict: bool,
    profile: Profile,
    echo: Echo,
    lang: str = "zh",
) -> int:
    """Plan, print the report, apply unless told not to; the exit code (1: rows rejected).

    ``profile`` says how to read the file, as the wizard's mapping page does: columns
    mapped by title, the header row, rows to skip, a combined address column.
    """
    from census.sheets.reader import read_file
    from census.sheets.vocabulary import vocabulary

    try:
        sheets = read_file(path)
        overrides = profile.overrides(sheets, vocabulary(form))
        plan = plan_file(store, form, path, overrides=overrides, sheets=sheets)[0]
    except SheetError as error:  # nothing was read into the store
        issue = Issue(error.code, params=error.params)
        for said_in in dict.fromkeys((lang, "en")):  # in English too, as its fixed lines are
            echo(issue.message(said_in))
        return 1
    for text in text_report(plan, lang):
        echo(text)
    rejected = has_rejections(plan) or not plan.importable
    if dry_run or (strict and rejected):
        echo(
            "试运行，未导入 / dry run, nothing imported"
            if dry_run
            else "有错误，未导入任何数据 / errors found, nothing imported (--strict)"
        )
        return 1 if rejected else 0
    if plan.count(NEW) + plan.count(UPDATE):
        done = apply_plan(store, plan, user=user)
        echo(
            f"已导入 / imported: 新增 new {done.created}，更新 updated {done.updated}，"
            f"无变化 unchanged {done.unchanged}，未导入 rejected {done.rejected}，"
            f"新增楼栋 new buildings {done.buildings}"
        )
        if done.pending:
            echo(
                f"待核实 / to be verified: {done.pending} 户，缺少的内容请入户补填"
                f"（census pending 列出） / households lacking a field (listed by census pending)"
            )
        for issue in done.failed:
            echo(line(issue, lang))
        rejected = rejected or bool(done.failed)
    else:
        echo("没有需要导入的新增或更新记录 / nothing new or changed to import")
    return 1 if rejected else 0


def run_export(
    store: Any, surveys: dict[str, FormDef], path: Path, *, user: str, approved: bool = False
) -> str:
    """Write the dataset (XLSX: four sheets; CSV: the members) and audit it; every record,
    or the approved ones only (``approved``)."""
    sheets = dataset_sheets(store, surveys, approved=approved)
    # Aside and renamed over a regular file; written in place into a device or a FIFO.
    if path.suffix.lower() == ".csv":
        write_output(path, csv_bytes(*sheets[PERSONS]))
    else:
        write_output(path, lambda fh: write_xlsx(fh, sheets))
    counts = {title: len(rows) for title, (_headers, rows) in sheets.items()}
    audit.record(
        store, user, "export", f"dataset{path.suffix.lower()}", file=path.name, approved=approved
    )
    return "，".join(f"{title} {n}" for title, n in counts.items())
