"""User-facing validation problems: codes, levels and the msgid each code says.

Tests assert codes. The words are msgids of the one message catalogue
(``census.util.i18n``): Chinese here, the English in ``messages.po``, where translators
edit them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from census.util.i18n import N_, NC_, gettext

ERROR = "error"
WARNING = "warning"

# code -> msgid (Chinese; its English in messages.po), {placeholders} filled from
# Problem.params. constraint_failed is said in the form's own words (FORM_WORDS).
MESSAGES: dict[str, str] = {
    "required": N_("必填项"),
    "choice_invalid": N_("“{value}”不是可选的值"),
    "integer_invalid": N_("请输入整数"),
    "integer_min": N_("不能小于 {min}"),
    "integer_max": N_("不能大于 {max}"),
    "date_invalid": NC_("problem", "日期格式应为 YYYY-MM-DD"),
    "date_future": N_("日期不能晚于今天"),
    "text_too_long": N_("不能超过 {max} 个字"),
    "pattern_mismatch": N_("格式不正确"),
    "geopoint_invalid": N_("位置应为“纬度 经度 [海拔 精度]”，如 39.9042 116.4074"),
    "yes_no_invalid": N_("请选择“是”或“否”"),
    "id_length": N_("居民身份证号码应为 18 位（第一代身份证为 15 位），现为 {length} 位"),
    "id15_format": N_("15 位身份证号码应全部为数字（第一代身份证没有校验位 X）"),
    "id15_birth_date": N_(
        "15 位身份证号码第 7–12 位应为出生日期（年月日各 2 位），{value} 不是有效日期"
    ),
    "id_upgraded": N_("15 位身份证号码已升级为 18 位：{number}（原号码 {old}）"),
    "id_format": N_("居民身份证号码应为 17 位数字加 1 位数字或 X"),
    "id_checksum": N_("居民身份证号码校验位错误（应为 {expected}）"),
    "id_birth_date": N_("居民身份证号码中的出生日期 {value} 不是有效日期"),
    "id_region_unknown": N_("地区码 {region} 不在行政区划代码表中，请核对（不影响保存）"),
    "id_birth_too_early": N_("居民身份证号码中的出生年份早于 {year} 年（{value}），请核对"),
    "id_birth_future": N_("居民身份证号码中的出生日期 {value} 晚于今天，请核对"),
    "birth_date_mismatch": N_("出生日期与身份证号码不符（号码中为 {expected}）"),
    "sex_mismatch": N_("性别与身份证号码不符（号码中为{expected}）"),
    "phone_invalid": N_("电话号码格式不正确（手机 11 位，座机如 0991-1234567）"),
    "uscc_invalid": N_("统一社会信用代码不正确：{reason}"),
    "head_count": N_("每户必须有且只有一位户主（现有 {count} 位）"),
    "members_empty": N_("至少登记一位家庭成员"),
    "id_duplicate_in_household": N_("证件号码与第 {other} 位成员重复"),
    "id_in_other_household": N_("该证件号码已登记在 {household} 户（{address}）"),
    "household_no_taken": N_("户编号 {value} 已被使用"),
    "building_unknown": N_(
        "本社区没有楼栋“{building}”：请核对楼栋名称，或请社区工作人员先添加该楼栋"
    ),
    "building_not_assigned": N_("此楼栋未分配给您"),
    "unknown_field": N_("未知字段 {field}"),
    "nesting_too_deep": N_("嵌套超过 {max} 层，表单中没有这样的字段"),
    "too_many_fields": N_("字段超过 {max} 个"),
    "too_many_items": N_("超过 {max} 项"),
    "photo_invalid": N_("照片无法识别（只收 JPEG 或 PNG）"),
    "photo_too_large": N_("照片超过 {max} MB"),
    "photo_unknown": N_("照片不属于这条记录"),
    "repeat_count_mismatch": N_("“{repeat}”应有 {expected} 项（收到 {count} 项）"),
    "field_name_invalid": N_("字段名“{field}”含有不允许的字符"),
    "number_out_of_range": N_("数值超出范围（绝对值不能超过 {max}）"),
    "text_surrogate": N_("含有无效的字符（不成对的代理项），请重新输入"),
    "text_control_char": N_("含有不可见的控制字符 {code}，请删除"),
    "type_invalid": N_("值的类型不对（应为一个文本、数字或日期）"),
    "uuid_invalid": N_("uuid 应为不超过 64 个字符的文本"),
    "id_region_retired": N_(
        "地区码 {region} 已于 {year} 年后停用，早于出生年份，请核对（不影响保存）"
    ),
    "datetime_invalid": N_("时间格式应为 YYYY-MM-DDTHH:MM，且不能晚于明天"),
    "revision_invalid": N_("base_revision 应为记录的修订号（正整数）"),
    "visit_unknown": N_("没有您记录的这次走访，无法撤销"),
    "visit_too_old": N_("这次走访记录已超过一小时，不能再撤销，请联系社区工作人员"),
    # Consistency checks (census.domain.checks): warnings staff see beside fields and in the
    # community report. head_count, birth_date_mismatch, sex_mismatch and
    # id_in_other_household above are reused by those checks.
    "child_age_gap": N_("子女应比户主至少小 12 岁（现相差 {gap} 岁），请核对出生日期或关系"),
    "parent_age_gap": N_("父母应比户主至少大 12 岁（现相差 {gap} 岁），请核对出生日期或关系"),
    "grandchild_age_gap": N_("孙子女应比户主至少小 24 岁（现相差 {gap} 岁），请核对出生日期或关系"),
    "birth_date_in_future": N_("出生日期 {value} 晚于今天"),
    "age_over_120": N_("年龄 {age} 岁，超过 120 岁，请核对出生日期"),
    "spouse_under_18": N_("配偶未满 18 岁（{age} 岁），请核对出生日期或关系"),
    "id_registered_elsewhere": N_("此证件号码已在本社区登记，提交后由工作人员核对"),
    "person_registered_elsewhere": N_("同名同出生日期的人已在本社区登记，提交后由工作人员核对"),
    "probable_duplicate": N_(
        "{name}（{birth_date}）也登记在 {household} 户（{address}），可能重复登记"
    ),
    "landlord_missing": N_("租住房屋未登记房东姓名"),
    # Review, life events and merges (census.services.review, census.services.lifeevents).
    "review_not_allowed": N_("您不能对状态为“{state}”的记录执行此操作"),
    "comment_required": N_("退回时请填写意见，告诉调查员要改什么"),
    "member_unknown": N_("请选择本户的一位成员"),
    "member_not_active": N_("{name} 已不在册"),
    "new_head_required": N_("户主离开后，请从仍在册的成员中指定新户主"),
    "relation_head_invalid": N_("原户主的新关系不能是“户主”"),
    "not_rented": N_("此户不是租住户，不能办理租户变更"),
    "merge_same_household": N_("不能把一户与它自己合并"),
    "household_merged": N_("{household} 户已并入其他户，不能再办理"),
    "version_unknown": N_("没有第 {rev} 版"),
}

# Codes said in the words of the form itself (an XLSForm's constraint_message): the
# problem's params hold them per language, {"zh": ..., "en": ...}.
FORM_WORDS = frozenset({"constraint_failed"})
FORM_LANGUAGES = ("zh", "en")  # the languages a form's own words are written in


@dataclass(frozen=True)
class Problem:
    """A validation finding: what (code), where (path such as ``members[1].id_number``), how bad."""

    code: str
    path: str = ""
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    level: str = ERROR

    @property
    def is_error(self) -> bool:
        """Errors block saving; warnings are shown and the record is saved."""
        return self.level == ERROR

    def message(self, lang: str = "zh") -> str:
        """The message in the given language, falling back to Chinese.

        A problem about one member of a roster starts with that member's name (param
        ``member``, see ``naming``): a list of warnings after a save or in an import report
        says whom each one is about.
        """
        if self.code in FORM_WORDS:
            text = str(self.params.get(lang if lang in self.params else "zh", ""))
        elif self.code in MESSAGES:
            text = gettext(MESSAGES[self.code], lang, **self.params)
        else:
            text = self.code
        member = self.params.get("member")
        if member:
            return gettext("{member}：{text}", lang, member=member, text=text)
        return text


def templates(lang: str) -> dict[str, str]:
    """Every code's message in ``lang`` with its {placeholders} left for the browser to fill."""
    found = {code: gettext(msgid, lang) for code, msgid in MESSAGES.items()}
    own = lang if lang in FORM_LANGUAGES else FORM_LANGUAGES[0]
    return found | {code: f"{{{own}}}" for code in FORM_WORDS}


def at(path: str, problems: list[Problem]) -> list[Problem]:
    """Re-root problems found on a value at ``path`` (e.g. a member's ID field)."""
    return [Problem(p.code, path, p.params, p.level) for p in problems]


def naming(problems: list[Problem], name: object) -> list[Problem]:
    """The warnings about one member, each naming them (errors stay beside their field)."""
    if not isinstance(name, str) or not name.strip():
        return problems
    return [
        p
        if p.is_error or p.params.get("member") or p.params.get("name") == name
        else Problem(p.code, p.path, p.params | {"member": name.strip()}, p.level)
        for p in problems
    ]


def once(problems: list[Problem]) -> list[Problem]:
    """Each problem once: the same message at the same place is said one time."""
    seen: set[tuple[str, str, str]] = set()
    kept = []
    for problem in problems:
        key = (problem.level, problem.path, problem.message())
        if key not in seen:
            seen.add(key)
            kept.append(problem)
    return kept


def errors_by_path(
    problems: list[Problem], lang: str = "zh", level: str = ERROR
) -> dict[str, list[str]]:
    """Group messages by field path, as the API and the forms show them."""
    grouped: dict[str, list[str]] = {}
    for problem in problems:
        if problem.level == level:
            grouped.setdefault(problem.path, []).append(problem.message(lang))
    return grouped
