"""One catalogue of user-facing validation problems: codes, levels and messages.

Tests assert codes; translators edit the messages here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"

# code -> {"zh": ..., "en": ...}; messages may use {placeholders} filled from Problem.params.
MESSAGES: dict[str, dict[str, str]] = {
    "required": {"zh": "必填项", "en": "This field is required"},
    "choice_invalid": {"zh": "“{value}”不是可选的值", "en": "“{value}” is not one of the choices"},
    "integer_invalid": {"zh": "请输入整数", "en": "Enter a whole number"},
    "integer_min": {"zh": "不能小于 {min}", "en": "Must be at least {min}"},
    "integer_max": {"zh": "不能大于 {max}", "en": "Must be at most {max}"},
    "date_invalid": {"zh": "日期格式应为 YYYY-MM-DD", "en": "Enter a date as YYYY-MM-DD"},
    "date_future": {"zh": "日期不能晚于今天", "en": "The date cannot be in the future"},
    "text_too_long": {"zh": "不能超过 {max} 个字", "en": "At most {max} characters"},
    "pattern_mismatch": {"zh": "格式不正确", "en": "The format is not valid"},
    # an XLSForm's own constraint, with its constraint_message when it has one
    "constraint_failed": {"zh": "{zh}", "en": "{en}"},
    "geopoint_invalid": {
        "zh": "位置应为“纬度 经度 [海拔 精度]”，如 39.9042 116.4074",
        "en": "A location is “latitude longitude [altitude accuracy]”, such as 39.9042 116.4074",
    },
    "yes_no_invalid": {"zh": "请选择“是”或“否”", "en": "Choose yes or no"},
    "id_length": {
        "zh": "居民身份证号码应为 18 位（第一代身份证为 15 位），现为 {length} 位",
        "en": "A resident ID has 18 characters (15 on a first-generation card); "
        "this one has {length}",
    },
    "id15_format": {
        "zh": "15 位身份证号码应全部为数字（第一代身份证没有校验位 X）",
        "en": "A 15-digit ID number is digits only (first-generation cards have no check X)",
    },
    "id15_birth_date": {
        "zh": "15 位身份证号码第 7–12 位应为出生日期（年月日各 2 位），{value} 不是有效日期",
        "en": "Characters 7–12 of a 15-digit ID number are the birth date (YYMMDD): "
        "{value} is not a real date",
    },
    "id_upgraded": {
        "zh": "15 位身份证号码已升级为 18 位：{number}（原号码 {old}）",
        "en": "The 15-digit ID number was converted to 18 digits: {number} (was {old})",
    },
    "id_format": {
        "zh": "居民身份证号码应为 17 位数字加 1 位数字或 X",
        "en": "A resident ID is 17 digits followed by a digit or X",
    },
    "id_checksum": {
        "zh": "居民身份证号码校验位错误（应为 {expected}）",
        "en": "The check digit of this resident ID is wrong (expected {expected})",
    },
    "id_birth_date": {
        "zh": "居民身份证号码中的出生日期 {value} 不是有效日期",
        "en": "The birth date {value} in this resident ID is not a real date",
    },
    "id_region_unknown": {
        "zh": "地区码 {region} 不在行政区划代码表中，请核对（不影响保存）",
        "en": "Region code {region} is not in the code table; please check (saving is allowed)",
    },
    "id_birth_too_early": {
        "zh": "居民身份证号码中的出生年份早于 {year} 年（{value}），请核对",
        "en": "The birth date {value} in this resident ID is before {year}; please check",
    },
    "id_birth_future": {
        "zh": "居民身份证号码中的出生日期 {value} 晚于今天，请核对",
        "en": "The birth date {value} in this resident ID is after today; please check",
    },
    "birth_date_mismatch": {
        "zh": "出生日期与身份证号码不符（号码中为 {expected}）",
        "en": "The birth date does not match the ID number ({expected})",
    },
    "sex_mismatch": {
        "zh": "性别与身份证号码不符（号码中为{expected}）",
        "en": "Sex does not match the ID number ({expected})",
    },
    "phone_invalid": {
        "zh": "电话号码格式不正确（手机 11 位，座机如 0991-1234567）",
        "en": "Not a valid phone number (11-digit mobile or a landline such as 0991-1234567)",
    },
    "uscc_invalid": {
        "zh": "统一社会信用代码不正确：{reason}",
        "en": "Not a valid unified social credit code: {reason}",
    },
    "head_count": {
        "zh": "每户必须有且只有一位户主（现有 {count} 位）",
        "en": "A household needs exactly one head (it has {count})",
    },
    "members_empty": {"zh": "至少登记一位家庭成员", "en": "Record at least one member"},
    "id_duplicate_in_household": {
        "zh": "证件号码与第 {other} 位成员重复",
        "en": "The same ID number as member {other}",
    },
    "id_in_other_household": {
        "zh": "该证件号码已登记在 {household} 户（{address}）",
        "en": "This ID number is already in household {household} ({address})",
    },
    "household_no_taken": {
        "zh": "户编号 {value} 已被使用",
        "en": "Household number {value} is already in use",
    },
    "building_unknown": {
        "zh": "本社区没有楼栋“{building}”：请核对楼栋名称，或请社区工作人员先添加该楼栋",
        "en": "{building} is not a building of this community: check the name, "
        "or ask the community staff to add the building first",
    },
    "building_not_assigned": {
        "zh": "此楼栋未分配给您",
        "en": "This building is not assigned to you",
    },
    "unknown_field": {"zh": "未知字段 {field}", "en": "Unknown field {field}"},
    "nesting_too_deep": {
        "zh": "嵌套超过 {max} 层，表单中没有这样的字段",
        "en": "Nested more than {max} levels deep: no form has such a field",
    },
    "too_many_fields": {"zh": "字段超过 {max} 个", "en": "More than {max} fields"},
    "too_many_items": {"zh": "超过 {max} 项", "en": "More than {max} items"},
    "photo_invalid": {
        "zh": "照片无法识别（只收 JPEG 或 PNG）",
        "en": "The photo cannot be read (JPEG or PNG only)",
    },
    "photo_too_large": {"zh": "照片超过 {max} MB", "en": "The photo is larger than {max} MB"},
    "photo_unknown": {"zh": "照片不属于这条记录", "en": "The photo is not one of this record's"},
    "repeat_count_mismatch": {
        "zh": "“{repeat}”应有 {expected} 项（收到 {count} 项）",
        "en": "“{repeat}” should have {expected} entries ({count} given)",
    },
    "field_name_invalid": {
        "zh": "字段名“{field}”含有不允许的字符",
        "en": "The field name “{field}” holds characters that are not allowed",
    },
    "number_out_of_range": {
        "zh": "数值超出范围（绝对值不能超过 {max}）",
        "en": "The number is out of range (at most {max} either way)",
    },
    "text_surrogate": {
        "zh": "含有无效的字符（不成对的代理项），请重新输入",
        "en": "Holds an invalid character (a lone surrogate); please type it again",
    },
    "text_control_char": {
        "zh": "含有不可见的控制字符 {code}，请删除",
        "en": "Holds the invisible control character {code}; please remove it",
    },
    "type_invalid": {
        "zh": "值的类型不对（应为一个文本、数字或日期）",
        "en": "The value has the wrong type (one text, number or date is expected)",
    },
    "uuid_invalid": {
        "zh": "uuid 应为不超过 64 个字符的文本",
        "en": "The uuid must be text of at most 64 characters",
    },
    "id_region_retired": {
        "zh": "地区码 {region} 已于 {year} 年后停用，早于出生年份，请核对（不影响保存）",
        "en": "Region code {region} went out of use after {year}, before the birth year; "
        "please check (saving is allowed)",
    },
    "datetime_invalid": {
        "zh": "时间格式应为 YYYY-MM-DDTHH:MM，且不能晚于明天",
        "en": "Enter a time as YYYY-MM-DDTHH:MM, no later than tomorrow",
    },
    "revision_invalid": {
        "zh": "base_revision 应为记录的修订号（正整数）",
        "en": "base_revision must be the record's revision (a positive whole number)",
    },
    "visit_unknown": {
        "zh": "没有您记录的这次走访，无法撤销",
        "en": "There is no such visit of yours to withdraw",
    },
    "visit_too_old": {
        "zh": "这次走访记录已超过一小时，不能再撤销，请联系社区工作人员",
        "en": "This visit was recorded over an hour ago and can no longer be withdrawn; "
        "ask the community staff",
    },
    # Consistency checks (census.domain.checks): warnings staff see beside fields and in the
    # community report. head_count, birth_date_mismatch, sex_mismatch and
    # id_in_other_household above are reused by those checks.
    "child_age_gap": {
        "zh": "子女应比户主至少小 12 岁（现相差 {gap} 岁），请核对出生日期或关系",
        "en": "A child should be at least 12 years younger than the head ({gap} years); "
        "check the birth dates or the relation",
    },
    "parent_age_gap": {
        "zh": "父母应比户主至少大 12 岁（现相差 {gap} 岁），请核对出生日期或关系",
        "en": "A parent should be at least 12 years older than the head ({gap} years); "
        "check the birth dates or the relation",
    },
    "grandchild_age_gap": {
        "zh": "孙子女应比户主至少小 24 岁（现相差 {gap} 岁），请核对出生日期或关系",
        "en": "A grandchild should be at least 24 years younger than the head ({gap} years); "
        "check the birth dates or the relation",
    },
    "birth_date_in_future": {
        "zh": "出生日期 {value} 晚于今天",
        "en": "The birth date {value} is after today",
    },
    "age_over_120": {
        "zh": "年龄 {age} 岁，超过 120 岁，请核对出生日期",
        "en": "Aged {age}, over 120; check the birth date",
    },
    "spouse_under_18": {
        "zh": "配偶未满 18 岁（{age} 岁），请核对出生日期或关系",
        "en": "The spouse is under 18 ({age}); check the birth date or the relation",
    },
    "id_registered_elsewhere": {
        "zh": "此证件号码已在本社区登记，提交后由工作人员核对",
        "en": "This ID number is already registered in the community; staff will check it",
    },
    "person_registered_elsewhere": {
        "zh": "同名同出生日期的人已在本社区登记，提交后由工作人员核对",
        "en": "Someone with this name and birth date is already registered; staff will check it",
    },
    "probable_duplicate": {
        "zh": "{name}（{birth_date}）也登记在 {household} 户（{address}），可能重复登记",
        "en": "{name} ({birth_date}) is also in household {household} ({address}): "
        "probably registered twice",
    },
    "landlord_missing": {
        "zh": "租住房屋未登记房东姓名",
        "en": "A rented dwelling without the landlord's name",
    },
    # Review, life events and merges (census.services.review, census.services.lifeevents).
    "review_not_allowed": {
        "zh": "您不能对状态为“{state}”的记录执行此操作",
        "en": "You cannot do this to a record whose state is “{state}”",
    },
    "comment_required": {
        "zh": "退回时请填写意见，告诉调查员要改什么",
        "en": "Write a comment when returning a record: what should the surveyor fix?",
    },
    "member_unknown": {
        "zh": "请选择本户的一位成员",
        "en": "Choose a member of this household",
    },
    "member_not_active": {
        "zh": "{name} 已不在册",
        "en": "{name} is no longer on the register",
    },
    "new_head_required": {
        "zh": "户主离开后，请从仍在册的成员中指定新户主",
        "en": "The head is leaving: choose a new head among the remaining members",
    },
    "relation_head_invalid": {
        "zh": "原户主的新关系不能是“户主”",
        "en": "The former head's new relation cannot be “head”",
    },
    "not_rented": {
        "zh": "此户不是租住户，不能办理租户变更",
        "en": "This household does not rent its dwelling: no change of tenant",
    },
    "merge_same_household": {
        "zh": "不能把一户与它自己合并",
        "en": "A household cannot be merged with itself",
    },
    "household_merged": {
        "zh": "{household} 户已并入其他户，不能再办理",
        "en": "Household {household} was merged into another one",
    },
    "version_unknown": {
        "zh": "没有第 {rev} 版",
        "en": "There is no version {rev}",
    },
}


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
        texts = MESSAGES.get(self.code, {"zh": self.code, "en": self.code})
        template = texts.get(lang) or texts["zh"]
        try:
            text = template.format(**self.params)
        except (KeyError, IndexError):
            text = template
        member = self.params.get("member")
        if member:
            return f"{member}：{text}" if lang == "zh" else f"{member}: {text}"
        return text


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
