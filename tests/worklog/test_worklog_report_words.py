"""The work report's words: the reports' own style (docs/domain.md §2), in Chinese and English."""

from __future__ import annotations

from datetime import date

from census.worklog.figures import CaseCounts, WorkFigures
from census.worklog.periods import Period
from census.worklog.report import build_report, case_rows, rate_text, service_paragraph

CHANNELS = {"window": "窗口", "petition": "信访", "hotline": "热线"}


def figures() -> WorkFigures:
    f = WorkFigures(Period(date(2025, 1, 1), date(2025, 12, 31)))
    f.visits, f.households_visited, f.aid_amount = 120, 86, 24000
    f.mediations, f.mediations_resolved = 40, 38
    f.activities, f.participants = 24, 1860
    f.volunteers, f.volunteers_new, f.volunteer_hours = 210, 35, 5400
    f.cases = {
        "window": CaseCounts(32895, 25462, 25452),
        "petition": CaseCounts(356, 356, 346),
        "hotline": CaseCounts(2409, 2409, 2409),
    }
    return f


def test_the_service_figures_read_like_the_communities_reports():
    text = service_paragraph(figures(), CHANNELS)
    assert text.startswith("2025年1月1日至12月31日，社区共走访慰问120次，走访住户86户")
    assert "调解各类纠纷40起，调解成功38起，调解成功率95%" in text
    assert "开展文体活动24场次，参与群众1860人次" in text
    assert "现有注册志愿者210名（本期新增35名），累计服务时长5400小时" in text
    assert "窗口接待咨询32895件，受理25462件，办结25452件，办结率99.96%" in text
    assert "受理信访356件，办结346件，办结率97.19%" in text
    assert text.endswith("接听热线2409个，受理2409件，办结2409件，办结率100%。")


def test_the_report_in_english_and_a_channel_without_cases():
    f = figures()
    f.cases["petition"] = CaseCounts()
    text = service_paragraph(f, {"window": "Service window", "petition": "Petition"}, "en")
    assert "120 home visits to 86 households" in text
    assert "Service window: 32,895 received, 25,462 accepted, 25,452 handled" in text
    assert "Petition" not in text  # nothing received: not mentioned
    assert case_rows(f, CHANNELS)[1] == ("信访", 0, 0, 0, "—")
    assert rate_text(None) == "—" and rate_text(0.9996) == "99.96%"


def test_a_report_opens_with_the_summary_paragraph():
    summary = {
        "households": 1057, "residents": 3753, "minority_residents": 1007,
        "minority_share": 0.2683, "ethnic_groups": 13, "by_ethnicity": {"汉族": 2746, "回族": 500},
        "registered_residents": 3000, "floating_residents": 753,
        "floating_minority_residents": 0, "away_persons": 12, "buildings": 36,
        "dwellings": 1000, "rental_dwellings": 165, "elderly_60_plus": 500,
        "elderly_80_plus": 60, "minors": 700, "disabled_persons": 40,
        "hardship_households": 20, "hardship_persons": 50, "party_members": 121,
        "units": 22, "key_units": 18, "safe_units": 19, "storefronts": 300,
    }  # fmt: skip
    report = build_report("佐斯腾社区", summary, figures(), CHANNELS)
    assert report.opening.startswith("佐斯腾社区共有居民1057户3753人，其中少数民族1007人")
    assert report.title() == "佐斯腾社区工作报告（2025-01-01至2025-12-31）"
    assert ("调解成功率", "95%") in report.rows
    assert report.cases[-1] == ("合计", 0, 0, 0, "—")  # the total is case_counts' "all"


def test_a_channel_without_a_set_phrase_is_named_by_its_label():
    f = figures()
    f.cases["mail"] = CaseCounts(12, 10, 8)
    zh = service_paragraph(f, {**CHANNELS, "mail": "来信"})
    assert zh.endswith("；来信受理10件，办结8件，办结率80%。")
    en = service_paragraph(f, {"petition": "Petition", "mail": "Letters"}, "en")
    assert en.endswith(
        " Petition: 356 accepted, 346 handled, completion rate 97.19%;"
        " Letters: 10 accepted, 8 handled, completion rate 80%."
    )


def test_the_english_paragraph_leaves_out_what_the_chinese_leaves_out():
    f = figures()
    f.aid_amount, f.mediations, f.mediations_resolved = 0, 0, 0
    f.cases = {}
    zh, en = service_paragraph(f, CHANNELS), service_paragraph(f, CHANNELS, "en")
    assert "慰问金" not in zh and "调解成功率" not in zh and zh.endswith("累计服务时长5400小时。")
    assert en == (
        "From 2025-01-01 to 2025-12-31 the community made 120 home visits to 86 households;"
        " mediated 0 disputes, 0 of them resolved; held 24 activities with 1,860 participants."
        " It has 210 registered volunteers (35 new in the period) with 5,400 hours of service"
        " in all."
    )
