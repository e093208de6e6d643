"""The community summary equals the figures the generated community was designed with."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from census.domain.charts import summary_charts
from census.domain.registers import person_rows
from census.domain.summary import FIGURES, report_paragraph, short_ethnic_name, summary
from tests.community import AS_OF, PAST, PAST_HEADLINE, TRUE_FIGURES, build
from tests.factories import make_household, make_member


@pytest.fixture(scope="module")
def community():
    return build()


@pytest.fixture(scope="module")
def figures(community):
    return summary(community.households, community.storefronts, community.units, AS_OF)


def test_the_design_adds_up(community):
    """The fixture's own tally of its design equals the literal numbers it was built to."""
    assert community.expected(AS_OF) == TRUE_FIGURES
    assert {k: community.expected(PAST)[k] for k in PAST_HEADLINE} == PAST_HEADLINE


def test_summary_equals_the_known_figures_exactly(figures):
    assert figures == TRUE_FIGURES
    assert list(figures) == list(FIGURES)  # exactly the keys of docs/domain.md §6, in its order
    assert json.loads(json.dumps(figures, ensure_ascii=False)) == TRUE_FIGURES


def test_a_past_date_gives_the_figures_of_that_date(community):
    past = summary(community.households, community.storefronts, community.units, PAST)
    assert past == community.expected(PAST)
    assert {k: past[k] for k in PAST_HEADLINE} == PAST_HEADLINE
    # the newcomers' rented flat was not let yet; the household that left was in hardship
    assert past["rental_dwellings"] == TRUE_FIGURES["rental_dwellings"] - 1
    assert past["hardship_households"] == TRUE_FIGURES["hardship_households"] + 1


def test_ages_and_dates_on_the_day_itself():
    """A birthday, a move-out and a move-in that fall on the register date."""
    household = make_household(housing="rented", landlord_name="王房东")
    household["members"] = [
        make_member(0, birth_date="1965-09-01"),  # turns 60 on 1 September
        make_member(1, birth_date="1990-03-02", status="moved_out", status_date="2025-09-01"),
        make_member(2, birth_date="1990-03-03", move_in_date="2025-09-01"),
        make_member(3, birth_date="1990-03-04", residence_type="away"),
    ]
    on_the_day = summary([household], [], [], date(2025, 9, 1))
    day_before = summary([household], [], [], date(2025, 8, 31))
    assert on_the_day["elderly_60_plus"] == 1 and day_before["elderly_60_plus"] == 0
    # moved out on 1 September: a resident on 31 August only; moved in that day: the reverse
    rows = {
        d: [p["name"] for p in person_rows([household], d)]
        for d in (date(2025, 9, 1), date(2025, 8, 31))
    }
    assert rows[date(2025, 9, 1)] == ["张建国", "张伟"]
    assert rows[date(2025, 8, 31)] == ["张建国", "李秀兰"]
    assert on_the_day["away_persons"] == day_before["away_persons"] == 1
    assert on_the_day["rental_dwellings"] == 1


def test_an_empty_community_has_zero_figures():
    figures = summary([], [], [], AS_OF)
    assert figures["residents"] == 0 and figures["minority_share"] == 0.0
    assert figures["age_bands"] == {"0-17": 0, "18-59": 0, "60-79": 0, "80+": 0}
    assert "共有居民0户0人" in report_paragraph(figures, "新社区")


def test_the_report_opens_in_the_communities_own_words(figures):
    text = report_paragraph(figures, "佐斯腾社区")
    assert text.startswith(
        "佐斯腾社区共有居民1057户3753人，其中少数民族1007人，占26.83%，有汉、回、哈萨克等13个民族。"
    )
    assert "流动人口517人（其中少数民族119人）" in text
    assert "外出人员85人" in text
    assert "居民楼（院落）36栋" in text and "出租房屋165个" in text
    assert "困难户48户88人" in text and "党员121名" in text
    assert "重点单位18个、平安单位19个" in text and "个体工商户及门面300家" in text
    five = report_paragraph(figures, "佐斯腾社区", listed=5)
    assert "有汉、回、哈萨克、维、蒙等13个民族" in five


def test_the_report_in_english(figures):
    text = report_paragraph(figures, "Zuositeng", lang="en")
    assert text.startswith("Zuositeng has 1,057 households with 3,753 residents, of whom 1,007")
    assert "(26.83%)" in text and "Han, Hui, Kazakh and others" in text


@pytest.mark.parametrize(
    "name,short",
    [("汉族", "汉"), ("维吾尔族", "维"), ("蒙古族", "蒙"), ("哈萨克族", "哈萨克"), ("回族", "回"),
     ("外国血统中国籍人士", "外国血统中国籍人士")],
)  # fmt: skip
def test_short_ethnic_names(name, short):
    assert short_ethnic_name(name) == short


def test_share_drops_trailing_zeros():
    figures = summary([], [], [], AS_OF)
    figures.update(residents=1000, minority_residents=293, minority_share=0.293)
    figures["by_ethnicity"] = {"汉族": 707, "回族": 293}
    figures["ethnic_groups"] = 2
    assert "占29.3%，有汉、回2个民族" in report_paragraph(figures, "社区")


def test_charts_are_self_contained_svg(community, figures):
    persons = person_rows(community.households, AS_OF)
    charts = summary_charts(figures, persons)
    assert set(charts) == {"age_pyramid", "ethnicity", "residence"}
    for svg in charts.values():
        root = ET.fromstring(svg)  # well-formed, inlinable
        assert root.tag.endswith("svg")
        assert "<script" not in svg and "http://" not in svg.replace(
            "http://www.w3.org", ""
        ).replace("http://purl.org", "")
    assert "男" in charts["age_pyramid"] and "女" in charts["age_pyramid"]
    assert "汉族" in charts["ethnicity"] and "回族" in charts["ethnicity"]
    assert "户籍人口 3236" in charts["residence"] and "外出人员 85" in charts["residence"]
    assert summary_charts(figures, persons) == charts  # the same image every time (PDF cache)
    english = summary_charts(figures, persons, lang="en")
    assert "Male" in english["age_pyramid"] and "Han" in english["ethnicity"]


def test_pygal_leaves_no_import_hook_behind():
    """pygal's map-plugin hook made every missed import warn (an error under our settings)."""
    import importlib
    import sys

    import census.domain.charts  # noqa: F401

    assert not [f for f in sys.meta_path if type(f).__name__ == "PluginImportFixer"]
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("no_such_module_for_census_tests")
