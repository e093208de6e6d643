"""The period work report (工作报告): the summary's opening paragraph, then the service figures.

Written as the communities write theirs (docs/domain.md §2): “2025年1月1日至12月31日，社区共走访
慰问困难群众…户…；窗口接待咨询32895件，受理25462件，办结25452件，办结率99.96%；…”.
The same ``WorkReport`` fills the page, the PDF and the spreadsheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from census.domain.summary import percent, report_paragraph
from census.printing.words import css_string, page_counter_css
from census.worklog.figures import CaseCounts, WorkFigures
from census.worklog.periods import Period

TEMPLATE = "print/worklog_report.html"

# The figures in the order of the report, with their names.
LABELS: dict[str, dict[str, str]] = {
    "visits": {"zh": "走访慰问（次）", "en": "Home visits"},
    "households_visited": {"zh": "走访住户（户）", "en": "Households visited"},
    "aid_amount": {"zh": "慰问物资及慰问金（元）", "en": "Aid given (yuan)"},
    "mediations": {"zh": "调解纠纷（起）", "en": "Disputes mediated"},
    "mediations_resolved": {"zh": "调解成功（起）", "en": "Resolved"},
    "mediation_success_rate": {"zh": "调解成功率", "en": "Mediation success rate"},
    "mediations_referred": {"zh": "移交（起）", "en": "Referred"},
    "mediations_ongoing": {"zh": "跟进中（起）", "en": "Ongoing"},
    "activities": {"zh": "文体活动（场次）", "en": "Activities"},
    "participants": {"zh": "参与群众（人次）", "en": "Participants"},
    "activity_volunteers": {"zh": "活动志愿者（人次）", "en": "Volunteers at activities"},
    "volunteers": {"zh": "注册志愿者（名）", "en": "Registered volunteers"},
    "volunteers_new": {"zh": "本期新增志愿者（名）", "en": "New volunteers"},
    "volunteer_hours": {"zh": "志愿服务累计时长（小时）", "en": "Volunteer hours (total)"},
}
WORDS: dict[str, dict[str, str]] = {
    "report": {"zh": "工作报告", "en": "Work report"},
    "period": {"zh": "报告期：", "en": "Period: "},
    "printed_at": {"zh": "打印时间：", "en": "Printed at: "},
    "basics": {"zh": "一、基本情况", "en": "1. The community"},
    "services": {"zh": "二、服务工作", "en": "2. Services"},
    "figures": {"zh": "主要数据", "en": "Figures"},
    "figure": {"zh": "指标", "en": "Figure"},
    "value": {"zh": "数值", "en": "Value"},
    "cases": {"zh": "便民服务、信访、热线办理情况", "en": "Service cases by channel"},
    "channel": {"zh": "渠道", "en": "Channel"},
    "consulted": {"zh": "咨询", "en": "Consulted"},
    "accepted": {"zh": "受理", "en": "Accepted"},
    "handled": {"zh": "办结", "en": "Handled"},
    "rate": {"zh": "办结率", "en": "Completion rate"},
    "all": {"zh": "合计", "en": "Total"},
    "confidential": {"zh": "内部资料 注意保密", "en": "Internal — confidential"},
    "group_counts": {"zh": "分类条数：", "en": "By group: "},
    "no_rows": {"zh": "报告期内没有记录。", "en": "No records in this period."},
}


def word(key: str, lang: str = "zh") -> str:
    """A fixed word of the report in a language."""
    entry = WORDS.get(key) or LABELS[key]
    return entry.get(lang) or entry["zh"]


def rate_text(rate: float | None) -> str:
    """A rate as the reports print it (99.96%), or — when there is nothing to divide."""
    return "—" if rate is None else percent(rate)


def _period_zh(period: Period) -> str:
    start, end = period.start, period.end
    head = f"{start.year}年{start.month}月{start.day}日"
    if end.year == start.year:
        return f"{head}至{end.month}月{end.day}日"
    return f"{head}至{end.year}年{end.month}月{end.day}日"


def _case_sentence(channel: str, label: str, c: CaseCounts, lang: str) -> str:
    rate = rate_text(c.rate)
    if lang != "zh":
        return (
            f"{label}: {c.consulted:,} received, {c.accepted:,} accepted, {c.handled:,} handled"
            + (f", completion rate {rate}" if c.rate is not None else "")
        )
    tail = f"，办结率{rate}" if c.rate is not None else ""
    if channel == "window":
        return f"窗口接待咨询{c.consulted}件，受理{c.accepted}件，办结{c.handled}件{tail}"
    if channel == "petition":
        return f"受理信访{c.accepted}件，办结{c.handled}件{tail}"
    if channel == "hotline":
        return f"接听热线{c.consulted}个，受理{c.accepted}件，办结{c.handled}件{tail}"
    return f"{label}受理{c.accepted}件，办结{c.handled}件{tail}"


def service_paragraph(f: WorkFigures, channels: dict[str, str], lang: str = "zh") -> str:
    """The service figures of a period, as one paragraph in the reports' style."""
    cases = [
        _case_sentence(code, label, f.cases[code], lang)
        for code, label in channels.items()
        if code in f.cases and f.cases[code].consulted
    ]
    success = rate_text(f.mediation_success_rate)
    if lang != "zh":
        text = (
            f"From {f.period.start.isoformat()} to {f.period.end.isoformat()} the community made"
            f" {f.visits:,} home visits to {f.households_visited:,} households"
            + (f" (aid worth {f.aid_amount:,} yuan)" if f.aid_amount else "")
            + f"; mediated {f.mediations:,} disputes, {f.mediations_resolved:,} of them"
            f" resolved (success rate {success}); held {f.activities:,} activities with"
            f" {f.participants:,} participants. It has {f.volunteers:,} registered volunteers"
            f" ({f.volunteers_new:,} new in the period) with {f.volunteer_hours:,} hours of"
            " service in all."
        )
        return text + (" " + "; ".join(cases) + "." if cases else "")
    text = (
        f"{_period_zh(f.period)}，社区共走访慰问{f.visits}次，走访住户{f.households_visited}户"
        + (f"，发放慰问物资及慰问金折合{f.aid_amount}元" if f.aid_amount else "")
        + f"；调解各类纠纷{f.mediations}起，调解成功{f.mediations_resolved}起"
        + (f"，调解成功率{success}" if f.mediations else "")
        + f"；开展文体活动{f.activities}场次，参与群众{f.participants}人次"
        + f"；现有注册志愿者{f.volunteers}名（本期新增{f.volunteers_new}名），"
        f"累计服务时长{f.volunteer_hours}小时。"
    )
    return text + ("；".join(cases) + "。" if cases else "")


def figure_rows(f: WorkFigures, lang: str = "zh") -> list[tuple[str, str]]:
    """(name, value) of every figure, in the report's order."""
    rows = []
    for key in LABELS:
        value = getattr(f, key)
        text = rate_text(value) if key.endswith("_rate") else str(value)
        rows.append((word(key, lang), text))
    return rows


def case_rows(
    f: WorkFigures, channels: dict[str, str], lang: str = "zh"
) -> list[tuple[str, int, int, int, str]]:
    """(channel, consulted, accepted, handled, rate) per channel, then the total."""
    rows = []
    for code, label in [*channels.items(), ("all", word("all", lang))]:
        c = f.cases.get(code, CaseCounts())
        rows.append((label, c.consulted, c.accepted, c.handled, rate_text(c.rate)))
    return rows


@dataclass
class WorkReport:
    """A work report ready to show: its paragraphs, figures and case table."""

    community: str
    period: Period
    opening: str
    services: str
    figures: WorkFigures
    rows: list[tuple[str, str]]
    cases: list[tuple[str, int, int, int, str]]
    gate: str = ""  # which records the opening counts (census.domain.gate), how many wait

    def title(self, lang: str = "zh") -> str:
        """佐斯腾社区工作报告（2025-01-01至2025-12-31）."""
        if lang == "zh":
            return f"{self.community}{word('report', lang)}（{self.period.label(lang)}）"
        return f"{self.community} {word('report', lang)} ({self.period.label(lang)})"


def build_report(
    community: str,
    summary_figures: dict[str, Any],
    figures: WorkFigures,
    channels: dict[str, str],
    lang: str = "zh",
    gate: str = "",
) -> WorkReport:
    """The report of a period from the summary figures (on its last day) and the work figures;
    ``gate`` says which records those summary figures count."""
    return WorkReport(
        community=community,
        period=figures.period,
        opening=report_paragraph(summary_figures, community, lang),
        services=service_paragraph(figures, channels, lang),
        figures=figures,
        rows=figure_rows(figures, lang),
        cases=case_rows(figures, channels, lang),
        gate=gate,
    )


def report_context(
    report: WorkReport, printed_at: datetime | date, lang: str = "zh", prepared_by: str = ""
) -> dict[str, Any]:
    """Everything the report's print template shows; ``prepared_by`` names the 制表人 of
    the sign-off block at its end (blank: signed by hand)."""
    from census.printing.signoff import signoff_line

    keys = "basics services figures figure value cases channel consulted accepted handled rate"
    return {
        "heading": report.title(lang),
        "period": word("period", lang) + report.period.label(lang),
        "printed_at": word("printed_at", lang) + printed_at.strftime("%Y-%m-%d %H:%M"),
        "gate": report.gate,
        "opening": report.opening,
        "services": report.services,
        "rows": report.rows,
        "cases": report.cases,
        "signoff": signoff_line(prepared_by, printed_at, lang),
        "words": {k: word(k, lang) for k in keys.split()},
        # fixed words only, written as CSS strings; no record text reaches the stylesheet
        "css_page_counter": page_counter_css(lang),
        "css_confidential": css_string(word("confidential", lang)),
    }


def report_sheets(report: WorkReport, lang: str = "zh") -> dict[str, Any]:
    """The report as spreadsheet sheets: the text and figures, and the cases per channel."""
    text: list[list[Any]] = [
        [report.title(lang), report.gate],
        [word("basics", lang), report.opening],
        [word("services", lang), report.services],
        ["", ""],
    ] + [[name, value] for name, value in report.rows]
    cases = [list(row) for row in report.cases]
    heads = [word(k, lang) for k in ("channel", "consulted", "accepted", "handled", "rate")]
    return {
        word("report", lang): ([word("figure", lang), word("value", lang)], text),
        word("cases", lang)[:31]: (heads, cases),
    }
