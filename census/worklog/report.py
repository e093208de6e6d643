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
from census.util.i18n import N_, gettext
from census.worklog.figures import CaseCounts, WorkFigures
from census.worklog.periods import Period

TEMPLATE = "print/worklog_report.html"

# The figures in the order of the report, with their names; these and the fixed words are
# msgids of the one catalogue (census.util.i18n), their English in messages.po.
LABELS: dict[str, str] = {
    "visits": N_("走访慰问（次）"),
    "households_visited": N_("走访住户（户）"),
    "aid_amount": N_("慰问物资及慰问金（元）"),
    "mediations": N_("调解纠纷（起）"),
    "mediations_resolved": N_("调解成功（起）"),
    "mediation_success_rate": N_("调解成功率"),
    "mediations_referred": N_("移交（起）"),
    "mediations_ongoing": N_("跟进中（起）"),
    "activities": N_("文体活动（场次）"),
    "participants": N_("参与群众（人次）"),
    "activity_volunteers": N_("活动志愿者（人次）"),
    "volunteers": N_("注册志愿者（名）"),
    "volunteers_new": N_("本期新增志愿者（名）"),
    "volunteer_hours": N_("志愿服务累计时长（小时）"),
}
WORDS: dict[str, str] = {
    "report": N_("工作报告"),
    "period": N_("报告期："),
    "printed_at": N_("打印时间："),
    "basics": N_("一、基本情况"),
    "services": N_("二、服务工作"),
    "figures": N_("主要数据"),
    "figure": N_("指标"),
    "value": N_("数值"),
    "cases": N_("便民服务、信访、热线办理情况"),
    "channel": N_("渠道"),
    "consulted": N_("咨询"),
    "accepted": N_("受理"),
    "handled": N_("办结"),
    "rate": N_("办结率"),
    "all": N_("合计"),
    "confidential": N_("内部资料 注意保密"),
    "group_counts": N_("分类条数："),
    "no_rows": N_("报告期内没有记录。"),
}


def word(key: str, lang: str = "zh") -> str:
    """A fixed word of the report in a language."""
    return gettext(WORDS.get(key) or LABELS[key], lang)


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
        return gettext(
            "{community}{report}（{period}）",
            lang,
            community=self.community,
            report=word("report", lang),
            period=self.period.label(lang),
        )


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
