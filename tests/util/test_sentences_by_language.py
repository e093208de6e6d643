"""Sentences built from parts read the one catalogue: the same call gives Chinese or English.

Each of these was once an ``if lang == "zh"`` with two f-strings; the English now comes from
messages.po, so a missing or wrong entry shows here as Chinese in the English output.
"""

from __future__ import annotations

from datetime import date

import pytest

from census.domain.gate import Gate, Pending, counted_text
from census.util.i18n import joined
from census.worklog.links import Person, Resolved
from census.worklog.periods import Period, bucket_of


def test_pending_counts_are_joined_as_each_language_lists_things():
    pending = Pending(households=12, storefronts=1, units=2)
    assert counted_text(pending, "zh") == "12 户、1 家门面、2 个单位"
    assert counted_text(pending, "en") == "12 households, 1 storefront and 2 organisations"
    assert counted_text(Pending(), "en") == ""
    assert joined(["a"], "en") == "a"


def test_the_gate_line_in_both_languages():
    one = Pending(households=1)
    assert Gate(approved=True).line(one, "zh") == "仅含已审核记录；另有 1 户待审核未计入"
    assert (
        Gate(approved=True).line(Pending(), "en") == "Approved records only; none awaiting review"
    )
    assert (
        Gate(approved=False).line(one, "en")
        == "Includes unreviewed records: 1 household awaiting review"
    )
    assert Gate(approved=False).line(Pending(), "zh") == "全部记录（均已审核）"


def test_periods_and_months_in_both_languages():
    period = Period(date(2025, 1, 1), date(2025, 3, 31))
    assert period.label("zh") == "2025-01-01至2025-03-31"
    assert period.label("en") == "2025-01-01 to 2025-03-31"
    assert bucket_of(date(2025, 2, 9), "month").label("en") == "2025-02"  # as its key
    assert bucket_of(date(2025, 2, 9), "year").label("en") == "2025"


def test_a_link_to_a_person_or_a_missing_one_in_both_languages():
    home = {"household_no": "H0012", "building": "3栋", "unit": "2单元", "room": "301"}
    person = Person(home, {"name": "张伟"})
    found = Resolved("H0012/张伟", household=home, person=person)
    assert found.text("zh").startswith("张伟（H0012 ")
    assert found.text("en").startswith("张伟 (H0012 ") and found.text("en").endswith(")")
    assert Resolved("H9", problem="household_unknown").text("en") == "H9 (not found)"
    assert Resolved("李", problem="person_ambiguous").text("zh") == "李（不唯一）"


def test_where_an_xlsform_problem_is_in_both_languages():
    from census.surveys.xlsform.problems import XLSFormProblem

    found = XLSFormProblem("definition", "survey", 5, "constraint", "G5")
    assert found.where("zh") == "survey 表第 5 行 constraint 列（G5）"
    assert found.where("en") == "sheet survey, row 5, column constraint (G5)"
    assert XLSFormProblem("definition", "settings").where("en") == "sheet settings"
    assert XLSFormProblem("definition", "census.yaml").where("en") == "census.yaml"


def _household_form():
    from census.surveys.definition import load_surveys

    return load_surveys()["household"]


def test_an_import_reports_counts_in_both_languages():
    from census.sheets.model import Plan, Planned
    from census.sheets.plan import NEW, REJECTED
    from census.sheets.report import text_report

    records = [Planned([], NEW), Planned([], NEW), Planned([], REJECTED)]
    plan = Plan(_household_form(), "住户.xlsx", [], records, [], data_rows=4, skipped_rows=1)
    assert text_report(plan, "zh") == [
        "住户登记表：数据行 4 行，新增 2，更新 0，无变化 0，未导入 1（0 行），跳过 1 行"
    ]
    assert text_report(plan, "en") == [
        "Household form: 4 data rows, 2 new, 0 updated, 0 unchanged, 1 rejected (0 rows), "
        "1 rows skipped"
    ]


def test_a_problem_in_the_report_workbook_names_its_column_in_both_languages():
    from census.sheets.issues import Issue
    from census.sheets.report import cell_note

    headed = Issue("required", row=4, column="G", header="身份证号")
    assert cell_note(headed, "zh") == "G列“身份证号”：必填项"
    assert cell_note(headed, "en") == "Column G “身份证号”: This field is required"
    bare = Issue("required", row=4, column="G")
    assert cell_note(bare, "zh") == "G列：必填项"
    assert cell_note(bare, "en") == "Column G: This field is required"
    # no column for the field in the sheet: the message alone, in the row's problem cell
    assert cell_note(Issue("required", row=4, header="住房性质"), "en") == (
        "This field is required"
    )


def test_the_wizard_groups_its_targets_in_both_languages():
    from census.sheets.wizard import target_choices

    form = _household_form()
    assert {group for group, _, _ in target_choices(form, "zh")} == {"住户登记表", "成员", "其他"}
    assert {group for group, _, _ in target_choices(form, "en")} == {
        "Household form",
        "Member",
        "Other",
    }


def test_the_allowed_values_of_an_import_message_are_listed_in_both_languages():
    from census.sheets.advice import entries, words
    from census.sheets.vocabulary import vocabulary

    housing = vocabulary(_household_form()).targets["housing"]
    codes = list(entries(housing))[:3]
    assert words(housing, codes, "zh") == "自有、租住、公租房"
    assert words(housing, codes, "en") == "Owned, Rented, Public rental"


def test_the_printed_notes_of_a_household_in_both_languages():
    from census.printing.household_list import household_values

    rented = {"housing": "rented", "landlord_name": "王芳", "landlord_phone": "13800000000"}
    rented["notes"] = "楼下有门面"
    assert household_values(rented, "zh", False)["notes"] == "房东：王芳 138****0000；楼下有门面"
    assert household_values(rented, "en", False)["notes"] == (
        "Landlord: 王芳 138****0000; 楼下有门面"
    )


def test_numbers_lists_and_paragraphs_are_punctuated_by_the_catalogue():
    from census.util.i18n import SEMICOLON, clauses, number, paragraph

    assert (number(32895, "zh"), number(32895, "en"), number(7, "en")) == ("32895", "32,895", "7")
    assert joined(["窗口", "信访", "热线"], "zh") == "窗口、信访、热线"
    assert joined(["Window", "Petition", "Hotline"], "en") == "Window, Petition and Hotline"
    assert clauses(["甲", "乙"], "zh", SEMICOLON) + "|" + clauses(["a", "b"], "en") == "甲；乙|a, b"
    assert paragraph(["甲", "乙"], "zh") == "甲。乙。"
    assert paragraph(["One", "two"], "en") == "One. two."
    assert paragraph([], "en") == ""


def test_a_street_tables_grouped_heads_on_one_line_in_both_languages():
    from census.domain.rollup import StreetTable

    def table(groups):
        return StreetTable("", "", "社区", ["受理", "办结"], [], groups=groups)

    assert table([("窗口", 2)]).flat_heads("zh") == ["社区", "窗口受理", "窗口办结"]
    assert table([("Window", 2)]).flat_heads("en")[1:] == ["Window 受理", "Window 办结"]


@pytest.fixture
def changed_english(tmp_path):
    """The English catalogue with some msgstrs changed, compiled and read instead of the
    product's; ``change({msgid or (context, msgid): english})`` before calling the code."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    from census.util import i18n

    po = i18n.TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po"
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)

    def change(english: dict) -> None:
        with po.open("rb") as fh:
            catalog = read_po(fh)
        for key, text in english.items():
            context, msgid = key if isinstance(key, tuple) else (None, key)
            assert catalog.get(msgid, context) is not None, key  # a message of the product
            catalog.get(msgid, context).string = text
        with (folder / "messages.mo").open("wb") as fh:
            write_mo(fh, catalog)
        i18n.catalogue.cache_clear()

    saved = i18n.TRANSLATIONS_DIR
    i18n.TRANSLATIONS_DIR = tmp_path
    yield change
    i18n.TRANSLATIONS_DIR = saved
    i18n.catalogue.cache_clear()


def _work_figures():
    from census.worklog.figures import CaseCounts, WorkFigures

    f = WorkFigures(Period(date(2025, 1, 1), date(2025, 12, 31)))
    f.visits, f.households_visited, f.mediations, f.mediations_resolved = 1120, 86, 40, 38
    f.cases = {"window": CaseCounts(32895, 25462, 25452), "petition": CaseCounts(9, 8, 8)}
    return f


def test_the_work_reports_paragraphs_are_said_by_the_catalogue(changed_english):
    """Another English for one clause, the numbers or the punctuation changes the English
    paragraph, and only it: the paragraphs are built from messages, not per language."""
    from census.domain.summary import OPENING, report_paragraph, summary
    from census.worklog.report import CASE_CLAUSES, service_paragraph

    channels = {"window": "Service window", "petition": "Petition"}
    figures = summary([], [], [], date(2025, 6, 30))
    zh_before = service_paragraph(_work_figures(), channels), report_paragraph(figures, "新社区")
    window = "Counter: {consulted} enquiries, {accepted} taken on, {handled} closed"
    changed_english(
        {
            CASE_CLAUSES["window"]: window,
            ("number", "{n}"): "{n:_}",
            ("between sentences", "。"): ".\n",
            OPENING: "{community}: {households} / {residents}",
        }
    )
    services = service_paragraph(_work_figures(), channels, "en")
    assert "Counter: 32_895 enquiries, 25_462 taken on, 25_452 closed, completion rate" in services
    assert "Service window" not in services and "made 1_120 home visits" in services
    assert ".\nCounter: " in services and services.endswith(
        "Petition: 8 accepted, 8 handled, completion rate 100%."
    )
    assert report_paragraph(figures, "New", "en").startswith("New: 0 / 0.\nRegistered residents:")
    zh_after = service_paragraph(_work_figures(), channels), report_paragraph(figures, "新社区")
    assert zh_after == zh_before  # the Chinese are the msgids themselves


def test_an_uploaded_definition_that_cannot_be_read_is_said_in_both_languages():
    from census.surveys.custom import read_upload

    (wrong_type,) = read_upload("名单.txt", b"").problems
    assert wrong_type.message("zh") == "无法读取文件：请上传 .xlsx 或 .xls（XLSForm）或 .yaml 文件"
    assert wrong_type.message("en").endswith("Upload an .xlsx or .xls (XLSForm) or a .yaml file")
    (not_a_mapping,) = read_upload("survey.yaml", b"- a list\n").problems
    assert not_a_mapping.message("zh").endswith("定义应为映射（form、title、fields）")
    assert not_a_mapping.message("en").endswith("a definition is a mapping (form, title, fields)")


def test_a_left_out_xlsform_question_and_default_are_noted_in_both_languages():
    from census.surveys.xlsform import XLSFormError, translate
    from tests.surveys.xlsform_files import ROSTER, xlsform

    audio = ("audio", "voice", "录音", "Voice")
    (note,) = [n for n in translate(xlsform([*ROSTER, audio])).notes if n.code == "left_out"]
    assert note.message("zh").startswith("录音题暂不支持：")
    assert note.message("en").startswith("audio questions are not supported yet: ")
    rooms = ("integer", "rooms", "房间数", "Rooms", "", "", "", "", "", "three")
    with pytest.raises(XLSFormError) as refused:
        translate(xlsform([*ROSTER, rooms]))
    (default,) = [p for p in refused.value.problems if p.code == "default"]
    assert default.message("zh") == "默认值“three”不支持（应为整数）"
    assert default.message("en").endswith("(not a whole number)")


def test_an_xlsform_decimals_hint_and_a_rule_without_a_message_in_both_languages():
    from census.surveys.definition import parse_definition
    from census.surveys.validate import clean
    from census.surveys.xlsform import translate
    from tests.surveys.xlsform_files import ROSTER, xlsform

    area = ("decimal", "area", "面积", "Area", "", "", "", ". > 0")
    definition = translate(xlsform([*ROSTER, area])).definition
    (field,) = [f for f in definition["fields"] if f["key"] == "area"]
    assert field["hint"] == {"zh": "填数字，可带小数", "en": "A number, decimals allowed"}
    form = parse_definition(dict(definition, collection="survey_roster"), "x.xlsx")
    (broken,) = [p for p in clean(form, {"area": "-3"})[1] if p.path == "area"]
    assert broken.message("zh") == "不符合填写要求"
    assert broken.message("en") == "The answer does not meet the form's rule"
