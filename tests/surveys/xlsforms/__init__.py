"""A corpus of small, realistic XLSForms, built here with openpyxl as their authors built them.

Each form is written the way forms handed to a residents' committee are: humanitarian
household rosters, community-health visits, elderly and vaccination checks, with notes,
calculations, hidden values, pyxform's aliases (relevance, caption, title, id_string,
"select one", "begin repeat", bind::relevant), columns of the author's own and settings
comments. One is kept as an old Excel file (household.xls, made from the
``OLD_EXCEL`` form by make_xls.py). ``SAMPLES`` gives each form an answer sheet and what
its calculations must come to; the tests compare our acceptance with pyxform's.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
XLS = HERE / "household.xls"


@dataclass(frozen=True)
class Corpus:
    """One XLSForm: its sheets as rows (headers first), and a submission to try it with."""

    name: str
    survey: list[tuple[Any, ...]]
    choices: list[tuple[Any, ...]] = field(default_factory=list)
    settings: list[tuple[Any, ...]] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)
    calculated: dict[str, Any] = field(default_factory=dict)  # what the server works out
    note: tuple[str, str] = ("", "")  # a note's key and its text once filled from answers
    suffix: str = ".xlsx"

    def workbook(self) -> bytes:
        """The .xlsx bytes (or, for the .xls form, the file kept beside this module)."""
        if self.suffix == ".xls":
            return XLS.read_bytes()
        return xlsx(self.survey, self.choices, self.settings)


def xlsx(survey: list, choices: list, settings: list) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(list(row))
    for title, rows in (("choices", choices), ("settings", settings)):
        if rows:
            ws = book.create_sheet(title)
            for row in rows:
                ws.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


YES_NO = [("yn", "yes", "是", "Yes"), ("yn", "no", "否", "No")]
CHOICE_HEAD = ("list_name", "name", "label::中文 (zh)", "label::English (en)")

# 1. A humanitarian household roster: consent, a roster as long as the household says,
# calculations over the members, a location, a photo (left out, noted).
HOUSEHOLD = Corpus(
    name="household_roster",
    survey=[
        (
            "type",
            "name",
            "label::中文 (zh)",
            "label::English (en)",
            "required",
            "relevance",
            "constraint",
            "calculation",
            "repeat_count",
            "hint::中文 (zh)",
        ),
        ("start", "start"),
        ("note", "intro", "您好，我们是社区居委会的调查员。", "Hello, we are from the committee."),
        ("select one yn", "consent", "是否同意接受调查？", "Do you agree?", "yes"),
        ("text", "head_name", "户主姓名", "Head of household", "yes", "${consent} = 'yes'"),
        (
            "integer",
            "hh_size",
            "家庭人数",
            "Household size",
            "yes",
            "${consent} = 'yes'",
            ". > 0 and . <= 30",
        ),
        (
            "begin repeat",
            "members",
            "家庭成员",
            "Members",
            "",
            "${consent} = 'yes'",
            "",
            "",
            "${hh_size}",
        ),
        ("text", "m_name", "姓名", "Name", "yes"),
        ("select_one sex", "m_sex", "${m_name} 的性别", "Sex of ${m_name}", "yes"),
        (
            "integer",
            "m_age",
            "${m_name} 的年龄",
            "Age of ${m_name}",
            "yes",
            "",
            ". >= 0 and . <= 120",
        ),
        ("calculate", "m_child", "", "", "", "", "", "if(${m_age} < 5, 1, 0)"),
        ("end repeat",),
        ("calculate", "n_members", "", "", "", "", "", "count(${members})"),
        ("calculate", "n_under5", "", "", "", "", "", "sum(${m_child})"),
        (
            "note",
            "summary",
            "本户 ${n_members} 人，其中 5 岁以下 ${n_under5} 人。",
            "${n_members} people, ${n_under5} under five.",
        ),
        ("geopoint", "location", "住址位置", "Location"),
        ("image", "house_photo", "房屋照片", "Photo of the house"),
        ("end", "end"),
    ],
    choices=[CHOICE_HEAD, *YES_NO, ("sex", "m", "男", "Male"), ("sex", "f", "女", "Female")],
    settings=[
        ("title", "id_string", "version"),
        ("家庭成员登记", "household_roster", "2024031501"),
    ],
    answers={
        "consent": "yes",
        "head_name": "阿依古丽",
        "hh_size": "3",
        "members": [
            {"m_name": "阿依古丽", "m_sex": "f", "m_age": "34"},
            {"m_name": "买买提", "m_sex": "m", "m_age": "36"},
            {"m_name": "小明", "m_sex": "m", "m_age": "3"},
        ],
        "location": "43.825592 87.616848 800 12",
    },
    calculated={"n_members": 3, "n_under5": 1},
    note=("summary", "本户 3 人，其中 5 岁以下 1 人。"),
)

# 2. A community-health visit: today's date by default, a temperature with the form's own
# message, a fever worked out, a follow-up asked only then, a hidden form version.
HEALTH_VISIT = Corpus(
    name="chw_visit",
    survey=[
        (
            "type",
            "name",
            "label",
            "hint",
            "required",
            "relevant",
            "constraint",
            "constraint_message",
            "calculation",
            "default",
            "appearance",
        ),
        ("date", "visit_date", "随访日期", "", "yes", "", ". <= today()", "", "", "today()"),
        ("text", "patient", "居民姓名", "", "yes"),
        ("select_one reason", "reason", "随访原因", "", "yes"),
        (
            "decimal",
            "temperature",
            "体温（℃）",
            "如 36.5",
            "yes",
            "",
            ". >= 34 and . <= 43",
            "体温应在 34 到 43 之间",
        ),
        ("calculate", "fever", "", "", "", "", "", "", "if(${temperature} >= 37.3, 'yes', 'no')"),
        (
            "note",
            "fever_note",
            "${patient} 体温 ${temperature}℃，需要复诊。",
            "",
            "",
            "${fever} = 'yes'",
        ),
        (
            "date",
            "recheck",
            "复诊日期",
            "",
            "yes",
            "${fever} = 'yes'",
            ". >= ${visit_date}",
            "复诊日期不能早于随访日期",
        ),
        ("text", "notes", "备注", "", "", "", "", "", "", "", "multiline"),
        ("hidden", "form_version", "", "", "", "", "", "", "", "v3"),
    ],
    choices=[
        ("list_name", "name", "label"),
        ("reason", "chronic", "慢病随访"),
        ("reason", "postnatal", "产后访视"),
        ("reason", "other", "其他"),
    ],
    settings=[("form_title", "form_id", "default_language"), ("社区卫生随访", "chw_visit", "zh")],
    answers={
        "visit_date": "2026-03-10",
        "patient": "王芳",
        "reason": "chronic",
        "temperature": "38.2",
        "recheck": "2026-03-12",
    },
    calculated={"fever": "yes", "form_version": "v3"},
    note=("fever_note", "王芳 体温 38.2℃，需要复诊。"),
)

# 3. An elderly needs survey: the age from the birth date, a read-only default, needs as a
# multiple choice, a note about them, a column of the author's, a settings comment.
ELDERLY = Corpus(
    name="elderly_needs",
    survey=[
        (
            "type",
            "name",
            "label",
            "required",
            "relevant",
            "calculation",
            "read_only",
            "default",
            "填表说明",
        ),
        ("text", "name_", "老人姓名", "yes", "", "", "", "", "问全名"),
        ("date", "birth_date", "出生日期", "yes"),
        ("calculate", "age", "", "", "", "int((today() - ${birth_date}) div 365.25)"),
        ("note", "age_note", "老人年龄：${age} 岁"),
        ("text", "community", "所属社区", "", "", "", "yes", "幸福里社区"),
        ("select_multiple needs", "needs", "服务需求", "yes"),
        ("calculate", "n_needs", "", "", "", "count-selected(${needs})"),
        ("text", "meal_place", "希望在哪里用餐", "", "selected(${needs}, 'meals')"),
        ("integer", "meal_days", "每周几天", "", "selected(${needs}, 'meals') and ${age} >= 60"),
        ("note", "needs_note", "共选了 ${n_needs} 项需求"),
    ],
    choices=[
        ("list_name", "name", "label"),
        ("needs", "meals", "助餐"),
        ("needs", "doctor", "上门医疗"),
        ("needs", "cleaning", "家政保洁"),
        ("needs", "company", "陪伴聊天"),
    ],
    settings=[
        ("form_title", "form_id", "comment", "联系人"),
        ("老年人需求调查", "elderly_needs", "2024 年第二季度用", "张主任"),
    ],
    answers={
        "name_": "李大爷",
        "birth_date": "1950-05-01",
        "community": "被改掉",
        "needs": ["meals", "doctor"],
        "meal_place": "社区食堂",
        "meal_days": "5",
    },
    calculated={"age": 75, "n_needs": 2, "community": "幸福里社区"},
    note=("age_note", "老人年龄：75 岁"),
)

# 4. A child vaccination check: age in months, a card seen or not, doses asked when it was,
# a required that depends on an answer, a concat for the record.
VACCINATION = Corpus(
    name="vaccination_check",
    survey=[
        ("type", "name", "label::zh", "label::en", "required", "relevant", "calculation"),
        ("text", "child", "儿童姓名", "Child", "yes"),
        ("date", "dob", "出生日期", "Date of birth", "yes"),
        ("calculate", "months", "", "", "", "", "int((today() - ${dob}) div 30.4375)"),
        ("select_one yn", "card", "是否出示接种证？", "Vaccination card seen?", "yes"),
        (
            "select_multiple doses",
            "doses",
            "已接种疫苗",
            "Doses given",
            "${card} = 'yes'",
            "${card} = 'yes'",
        ),
        ("text", "why_not", "未出示原因", "Why not", "", "${card} = 'no'"),
        (
            "calculate",
            "mmr_due",
            "",
            "",
            "",
            "",
            "if(${months} >= 8 and not(selected(${doses}, 'mmr')), 'yes', 'no')",
        ),
        ("calculate", "label_", "", "", "", "", "concat(${child}, '（', ${months}, ' 个月）')"),
        (
            "note",
            "due_note",
            "${label_}：麻腮风疫苗待接种 ${mmr_due}",
            "${label_}: MMR due ${mmr_due}",
        ),
    ],
    choices=[
        ("list_name", "name", "label::zh", "label::en"),
        *YES_NO,
        ("doses", "bcg", "卡介苗", "BCG"),
        ("doses", "hepb", "乙肝", "Hep B"),
        ("doses", "mmr", "麻腮风", "MMR"),
    ],
    settings=[("form_title", "form_id"), ("儿童接种核查", "vaccination_check")],
    answers={"child": "小红", "dob": "2025-03-15", "card": "yes", "doses": ["bcg", "hepb"]},
    calculated={"months": 11, "mmr_due": "yes", "label_": "小红（11 个月）"},
    note=("due_note", "小红（11 个月）：麻腮风疫苗待接种 yes"),
)

# 5. A rental-housing check made with an older tool: bind::relevant and bind:constraint
# headers, an "or_other" list, a hint that names the answer, a street list that follows the
# district chosen (choice_filter on a column of the choices).
RENTAL = Corpus(
    name="rental_check",
    survey=[
        (
            "type",
            "name",
            "label",
            "hint",
            "bind::relevant",
            "bind:constraint",
            "bind::required",
            "choice_filter",
        ),
        ("select_one district", "district", "所在片区", "", "", "", "yes"),
        ("select_one street", "street", "所在街巷", "", "", "", "yes", "district=${district}"),
        ("text", "address", "出租房地址", "楼栋单元门牌", "", "", "yes"),
        ("select_one use or_other", "use", "房屋用途", "", "", "", "yes"),
        ("integer", "tenants", "承租人数", "${address} 现住几人", "", ". >= 1"),
        ("select_one yn", "contract", "是否签订租赁合同", "", "${tenants} > 0"),
        (
            "text",
            "landlord_phone",
            "房东电话",
            "",
            "${contract} = 'yes'",
            "regex(., '^1[3-9][0-9]{9}$')",
        ),
        ("note", "done", "检查完毕：${address}，${tenants} 人。"),
    ],
    choices=[
        ("list_name", "name", "label", "district"),
        ("use", "home", "居住"),
        ("use", "shop", "商用"),
        ("yn", "yes", "是"),
        ("yn", "no", "否"),
        ("district", "east", "东片"),
        ("district", "west", "西片"),
        ("street", "lane1", "幸福一巷", "east"),
        ("street", "lane2", "幸福二巷", "east"),
        ("street", "market", "市场街", "west"),
    ],
    settings=[
        ("form_title", "form_id", "instance_name"),
        ("出租房屋检查", "rental_check", "concat(${address}, '-', today())"),
    ],
    answers={
        "district": "west",
        "street": "market",
        "address": "5栋1单元202",
        "use": "other",
        "use_other": "仓库",
        "tenants": "2",
        "contract": "yes",
        "landlord_phone": "13912345678",
    },
    note=("done", "检查完毕：5栋1单元202，2 人。"),
)

# 6. Veterans' services: groups with their own skip logic, caption for label, "begin group"
# with spaces, "select all that apply".
VETERANS = Corpus(
    name="veterans",
    survey=[
        ("type", "name", "caption", "relevance", "required"),
        ("text", "vname", "退役军人姓名", "", "yes"),
        ("select one yn", "disabled", "是否伤残", "", "yes"),
        ("begin group", "disability", "伤残情况", "${disabled} = 'yes'"),
        ("select one grade", "grade", "伤残等级", "", "yes"),
        ("select all that apply aid", "aids", "需要的帮扶"),
        ("end group",),
        ("note", "thanks", "感谢 ${vname} 的付出"),
    ],
    choices=[
        ("list_name", "name", "label"),
        ("yn", "yes", "是"),
        ("yn", "no", "否"),
        ("grade", "g1", "一级"),
        ("grade", "g5", "五级"),
        ("aid", "rehab", "康复"),
        ("aid", "job", "就业"),
    ],
    settings=[("form_title", "form_id"), ("退役军人服务登记", "veterans")],
    answers={"vname": "赵刚", "disabled": "no", "grade": "g1"},
    calculated={"grade": None},  # not disabled: the group is not asked, its answer not kept
    note=("thanks", "感谢 赵刚 的付出"),
)

# 7. A food consumption score (WFP): days per food group, the weighted score, its band.
FOOD = Corpus(
    name="food_security",
    survey=[
        ("type", "name", "label", "constraint", "calculation", "required"),
        ("integer", "cereals", "过去 7 天吃主食的天数", ". >= 0 and . <= 7", "", "yes"),
        ("integer", "pulses", "吃豆类的天数", ". >= 0 and . <= 7", "", "yes"),
        ("integer", "meat", "吃肉蛋鱼的天数", ". >= 0 and . <= 7", "", "yes"),
        ("integer", "veg", "吃蔬菜的天数", ". >= 0 and . <= 7", "", "yes"),
        ("calculate", "fcs", "", "", "${cereals} * 2 + ${pulses} * 3 + ${meat} * 4 + ${veg}"),
        (
            "calculate",
            "band",
            "",
            "",
            "if(${fcs} <= 21, 'poor', if(${fcs} <= 35, 'borderline', 'acceptable'))",
        ),
        ("note", "score", "食物消费得分 ${fcs}（${band}）"),
    ],
    settings=[("form_title", "form_id"), ("食物消费评分", "food_security")],
    answers={"cereals": "7", "pulses": "2", "meat": "1", "veg": "5"},
    calculated={"fcs": 29, "band": "borderline"},
    note=("score", "食物消费得分 29（borderline）"),
)

# 8. A disability census with two repeats: the members, and the aids the household holds.
DISABILITY = Corpus(
    name="disability_census",
    survey=[
        ("type", "name", "label", "required", "calculation", "relevant"),
        ("begin_repeat", "people", "残疾人", ""),
        ("text", "p_name", "姓名", "yes"),
        ("select_one kind", "p_kind", "残疾类别", "yes"),
        ("end_repeat",),
        ("begin_repeat", "aids", "辅具", ""),
        ("text", "aid_name", "辅具名称", "yes"),
        ("integer", "aid_year", "发放年份", ""),
        ("end_repeat",),
        ("calculate", "n_people", "", "", "count(${people})"),
        ("calculate", "n_aids", "", "", "count(${aids})"),
        ("note", "totals", "残疾人 ${n_people} 名，辅具 ${n_aids} 件"),
    ],
    choices=[("list_name", "name", "label"), ("kind", "sight", "视力"), ("kind", "limb", "肢体")],
    settings=[("form_title", "form_id"), ("残疾人情况", "disability_census")],
    answers={
        "people": [{"p_name": "钱一", "p_kind": "limb"}],
        "aids": [{"aid_name": "轮椅", "aid_year": "2023"}, {"aid_name": "拐杖", "aid_year": ""}],
    },
    calculated={"n_people": 1, "n_aids": 2},
    note=("totals", "残疾人 1 名，辅具 2 件"),
)

# 9. Epidemic screening at a door: time, dateTime, range, acknowledge, barcode.
SCREENING = Corpus(
    name="screening",
    survey=[
        ("type", "name", "label", "parameters", "required", "hint"),
        ("acknowledge", "ok", "已告知居民调查目的", "", "yes"),
        ("time", "at", "登记时间", "", "yes"),
        ("dateTime", "onset", "发病时间", ""),
        ("range", "pain", "不适程度（0-10）", "start=0 end=10 step=1"),
        ("barcode", "code", "健康码编号"),
        ("select_one symptom", "symptom", "主要症状", "", "yes"),
        ("note", "tip", "提示：症状为 ${symptom}", "", "", "发热请引导就医"),
    ],
    choices=[
        ("list_name", "name", "label"),
        ("symptom", "fever", "发热"),
        ("symptom", "cough", "咳嗽"),
    ],
    settings=[("form_title", "form_id"), ("入户健康筛查", "screening")],
    answers={
        "ok": "yes",
        "at": "09:30",
        "onset": "2026-03-14 20:00",
        "pain": "3",
        "symptom": "cough",
    },
    note=("tip", "提示：症状为 cough"),
)

# 10. A storefront photo register: the photos, a voice note and a street list from a file
# are left out (noted at their cells); the rest of the form works.
STOREFRONT = Corpus(
    name="storefront_photos",
    survey=[
        ("type", "name", "label", "required", "trigger", "media::image"),
        ("text", "shop", "店名", "yes", "", "logo.png"),
        ("image", "sign", "门头照片", "yes"),
        ("audio", "voice", "录音备注"),
        ("select_one_from_file streets.csv", "street", "所在街道"),
        ("select_one yn", "licence", "是否亮证经营", "yes"),
        ("note", "bye", "${shop} 登记完成"),
    ],
    choices=[("list_name", "name", "label"), ("yn", "yes", "是"), ("yn", "no", "否")],
    settings=[("form_title", "form_id", "style"), ("门店照片登记", "storefront_photos", "pages")],
    answers={"shop": "老王面馆", "licence": "yes"},
    note=("bye", "老王面馆 登记完成"),
)

# 11. A household roster with each member's jobs inside: a repeat in a repeat, which pyxform
# takes and we do not yet (refused at its cell).
NESTED = Corpus(
    name="nested_roster",
    survey=[
        ("type", "name", "label"),
        ("begin_repeat", "members", "成员"),
        ("text", "name", "姓名"),
        ("begin_repeat", "jobs", "工作经历"),
        ("text", "employer", "单位"),
        ("end_repeat",),
        ("end_repeat",),
    ],
    settings=[("form_title", "form_id"), ("成员工作经历", "nested_roster")],
)

# 12. The household questionnaire as an old .xls file.
OLD_EXCEL = Corpus(
    name="household_xls",
    survey=[
        ("type", "name", "label", "required", "relevant", "calculation"),
        ("text", "address", "住址", "yes"),
        ("integer", "adults", "成年人数", "yes"),
        ("integer", "children", "未成年人数", "yes"),
        ("calculate", "total", "", "", "", "${adults} + ${children}"),
        ("note", "total_note", "共 ${total} 人"),
        ("text", "school", "孩子就读学校", "", "${children} > 0"),
    ],
    settings=[("title", "id_string"), ("住户情况（旧版表格）", "household_xls")],
    answers={"address": "2栋101", "adults": "2", "children": "1", "school": "实验小学"},
    calculated={"total": 3},
    note=("total_note", "共 3 人"),
    suffix=".xls",
)

CORPUS = [HOUSEHOLD, HEALTH_VISIT, ELDERLY, VACCINATION, RENTAL, VETERANS, FOOD, DISABILITY,
          SCREENING, STOREFRONT, NESTED, OLD_EXCEL]  # fmt: skip
