"""The import report: as lines for the terminal and the page, and as a workbook to download.

The workbook is the uploaded file again, every row as it was, with two columns added:
what happened to the row, and every problem found in it with its column. Staff correct
the rows in that workbook and upload it again.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from census.sheets.export import shown
from census.sheets.issues import ERROR, Issue, level_text
from census.sheets.plan import NEW, REJECTED, UNCHANGED, UPDATE, Plan, Planned
from census.sheets.reader import Sheet
from census.sheets.vocabulary import vocabulary
from census.sheets.writer import SheetData, write_xlsx
from census.util.i18n import N_, NC_, gettext

# What happened to a row, as the report's result column says it (msgids of the one catalogue,
# census.util.i18n; the English in messages.po).
ACTION_WORDS = {
    NEW: NC_("import report", "新增"),
    UPDATE: NC_("import report", "更新"),
    UNCHANGED: NC_("import report", "无变化"),
    REJECTED: NC_("import report", "未导入"),
}
SKIPPED_WORDS = N_("已跳过")
SKIPPED_CODES = ("note_row", "repeated_header", "instructions_row", "example_row", "skipped_row")
SUMMARY_SHEET = N_("导入报告")
COUNTS_LINE = N_(
    "{form}：数据行 {rows} 行，新增 {new}，更新 {updated}，无变化 {unchanged}，"
    "未导入 {rejected}（{rejected_rows} 行），跳过 {skipped} 行"
)
# A problem in the report's problem cell, after the column it is in (and that column's title).
CELL_NOTE = N_("{column}列：{message}")
CELL_NOTE_HEADED = N_("{column}列“{header}”：{message}")


def action_text(action: str, lang: str = "zh") -> str:
    """新增 / 更新 / 无变化 / 未导入."""
    return gettext(ACTION_WORDS[action], lang) if action in ACTION_WORDS else action


def line(issue: Issue, lang: str = "zh") -> str:
    """One issue as one line: 成员 第5行 E列“证件号码” 错误：…"""
    sheet = f"{issue.sheet} " if issue.sheet else ""
    where = issue.where(lang)
    where = f"{where} " if where else ""
    level = level_text(issue.level, lang)
    return (
        sheet
        + where
        + gettext("{level}：{message}", lang, level=level, message=issue.message(lang))
    )


def text_report(plan: Plan, lang: str = "zh", *, changes: bool = True) -> list[str]:
    """The whole report as lines: counts, every issue, and what would change."""
    counts = plan.counts
    lines = [
        gettext(
            COUNTS_LINE,
            lang,
            form=plan.form.text(lang),
            rows=counts["rows"],
            new=counts[NEW],
            updated=counts[UPDATE],
            unchanged=counts[UNCHANGED],
            rejected=counts[REJECTED],
            rejected_rows=counts["rejected_rows"],
            skipped=counts["skipped_rows"],
        )
    ]
    lines += [line(issue, lang) for issue in plan.all_issues()]
    if changes:
        for planned in plan.records:
            if planned.action == UPDATE:
                lines.append(f"{action_text(UPDATE, lang)} {planned.title}:")
                lines += [f"  {text}" for text in change_lines(plan, planned, lang)]
    return lines


def change_lines(plan: Plan, planned: Planned, lang: str = "zh") -> list[str]:
    """What an update changes, one field per line: 张伟 联系电话：139… → 138…"""
    vocab = vocabulary(plan.form)
    out = []
    for change in planned.changes:
        who = f"{change.subject} " if change.subject else ""
        if change.key == "members":
            added = gettext(NC_("import report", "新增成员"), lang)
            out.append(f"{who}{added}")
            continue
        target = vocab.targets[change.key]
        old, new = (_text(shown(target, v)) for v in (change.old, change.new))
        blank = gettext("（空）", lang)
        field = target.text(lang)
        out.append(
            who
            + gettext(
                "{field}：{old} → {new}", lang, field=field, old=old or blank, new=new or blank
            )
        )
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def row_notes(plan: Plan, lang: str = "zh") -> dict[tuple[str, int], tuple[str, str]]:
    """(sheet, row) -> (what happened to it, its problems in one text)."""
    status: dict[tuple[str, int], str] = {}
    for planned in plan.records:
        for row in planned.rows:
            status[(row.sheet, row.row)] = action_text(planned.action, lang)
    texts: dict[tuple[str, int], list[str]] = defaultdict(list)
    for issue in plan.all_issues():
        if issue.row is None:
            continue
        texts[(issue.sheet, issue.row)].append(cell_note(issue, lang))
        if issue.code in SKIPPED_CODES:
            status[(issue.sheet, issue.row)] = gettext(SKIPPED_WORDS, lang)
    keys = set(status) | set(texts)
    return {k: (status.get(k, ""), "\n".join(texts.get(k, []))) for k in keys}


def cell_note(issue: Issue, lang: str = "zh") -> str:
    """A problem as its row's problem cell says it: G列“身份证号”：… (no row: the cell is in it)."""
    message = issue.message(lang)
    if not issue.column:
        return message
    if issue.header:
        return gettext(
            CELL_NOTE_HEADED, lang, column=issue.column, header=issue.header, message=message
        )
    return gettext(CELL_NOTE, lang, column=issue.column, message=message)


def report_sheets(plan: Plan, sheets: list[Sheet], lang: str = "zh") -> dict[str, SheetData]:
    """The report workbook's sheets: a summary, then each uploaded sheet with two columns more."""
    summary_rows: list[list[Any]] = [[text] for text in text_report(plan, lang, changes=False)]
    summary_head = [gettext(NC_("import report", "说明"), lang)]
    out: dict[str, SheetData] = {gettext(SUMMARY_SHEET, lang): (summary_head, summary_rows)}
    notes = row_notes(plan, lang)
    added = [gettext("导入结果", lang), gettext("问题", lang)]
    header_rows = {layout.sheet: layout.header_row or 1 for layout in plan.layouts}
    for sheet in sheets:
        width = max((len(r) for r in sheet.rows), default=0)
        header_row = header_rows.get(sheet.name, 1)
        rows: list[list[Any]] = []
        for n, row in enumerate(sheet.rows, 1):
            cells = list(row) + [None] * (width - len(row))
            if n == header_row:
                cells += added
            else:
                cells += list(notes.get((sheet.name, n), ("", "")))
            rows.append(cells)
        # The first row becomes the frozen header of the sheet; keep rows in their places.
        head = [str(v) if v is not None else "" for v in rows[0]] if rows else added
        name = sheet.name if sheet.name not in out else f"{sheet.name}_"
        out[name] = (head, rows[1:])
    return out


def write_report(target: Any, plan: Plan, sheets: list[Sheet], lang: str = "zh") -> None:
    """Write the report workbook to a path or binary stream."""
    write_xlsx(target, report_sheets(plan, sheets, lang))


def has_rejections(plan: Plan) -> bool:
    """True when some rows were not imported because of errors."""
    return plan.count(REJECTED) > 0 or any(i.level == ERROR for i in plan.issues)
