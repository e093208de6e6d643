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
from census.util.i18n import N_, SEMICOLON, clauses, gettext, number, paragraph
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


# The service paragraph, a message per clause, filled with the figures by their names
# (numbers written as the language writes them). The channels of the service cases are data
# (forms/choices.yaml, service_channel), but the catalogue reads Python and the pages only, so
# each known channel's set phrase is here, by its code; any other channel is named by its
# label in the generic clause.
VISITS = N_("{period}，社区共走访慰问{visits}次，走访住户{households_visited}户")
VISITS_WITH_AID = N_(
    "{period}，社区共走访慰问{visits}次，走访住户{households_visited}户，"
    "发放慰问物资及慰问金折合{aid_amount}元"
)
MEDIATIONS = N_("调解各类纠纷{mediations}起，调解成功{mediations_resolved}起")
MEDIATIONS_WITH_RATE = N_(
    "调解各类纠纷{mediations}起，调解成功{mediations_resolved}起，"
    "调解成功率{mediation_success_rate}"
)
ACTIVITIES_AND_VOLUNTEERS = N_(
    "开展文体活动{activities}场次，参与群众{participants}人次；"
    "现有注册志愿者{volunteers}名（本期新增{volunteers_new}名），累计服务时长{volunteer_hours}小时"
)
CASE_CLAUSES: dict[str, str] = {
    "window": N_("窗口接待咨询{consulted}件，受理{accepted}件，办结{handled}件"),
    "petition": N_("受理信访{accepted}件，办结{handled}件"),
    "hotline": N_("接听热线{consulted}个，受理{accepted}件，办结{handled}件"),
}
OTHER_CHANNEL = N_("{label}受理{accepted}件，办结{handled}件")
CASE_RATE = N_("办结率{rate}")


def _case_sentence(channel: str, label: str, c: CaseCounts, lang: str) -> str:
    counts = {k: number(getattr(c, k), lang) for k in ("consulted", "accepted", "handled")}
    said = [gettext(CASE_CLAUSES.get(channel, OTHER_CHANNEL), lang, label=label, **counts)]
    if c.rate is not None:
        said.append(gettext(CASE_RATE, lang, rate=rate_text(c.rate)))
    return clauses(said, lang)


def service_paragraph(f: WorkFigures, channels: dict[str, str], lang: str = "zh") -> str:
    """The service figures of a period, as one paragraph in the reports' style.

    The period is {period} in Chinese (2025年1月1日至12月31日), {period_en} in English
    (2025-01-01 to 2025-12-31).
    """
    values: dict[str, object] = {key: number(getattr(f, key), lang) for key in _COUNTS}
    values.update(
        period=_period_zh(f.period),
        period_en=f.period.label("en"),
        mediation_success_rate=rate_text(f.mediation_success_rate),
    )
    said = [
        VISITS_WITH_AID if f.aid_amount else VISITS,
        MEDIATIONS_WITH_RATE if f.mediations else MEDIATIONS,
        ACTIVITIES_AND_VOLUNTEERS,
    ]
    sentences = [clauses([gettext(m, lang, **values) for m in said], lang, SEMICOLON)]
    cases = [
        _case_sentence(code, label, f.cases[code], lang)
        for code, label in channels.items()
        if code in f.cases and f.cases[code].consulted
    ]
    if cases:
        sentences.append(clauses(cases, lang, SEMICOLON))
    return paragraph(sentences, lang)


_COUNTS = (
    "visits", "households_visited", "aid_amount", "mediations", "mediations_resolved",
    "activities", "participants", "volunteers", "volunteers_new", "volunteer_hours",
)  # fmt: skip


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
