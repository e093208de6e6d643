"""The browser's checks (static/checks.js) find what the server's ``clean`` finds, word for word.

One table of answers goes through both: Python's ``clean`` here and checks.js in Chromium,
on the form page that embeds the definition and the problem catalogue. Errors only: the
warnings that need other records (an ID in another household, region codes) stay on the server.
First-generation (15-digit) numbers, blank ID types and births before 1900 are among the rows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from census.domain.ids import make_resident_id
from census.surveys.validate import clean
from tests.factories import make_household, make_member

TODAY = date(2026, 11, 27)

RUN_IN_BROWSER = """
async ({cases, today}) => {
  const checks = await import('/static/checks.js');
  const rules = JSON.parse(document.getElementById('census-checks').textContent);
  return cases.map((raw) => checks.check(rules, raw, today)
    .map((p) => [p.path, p.code, checks.message(rules, p)]));
}
"""


def resident_id_ending_in_x() -> str:
    for seq in range(1, 499):
        number = make_resident_id("110105", date(1988, 8, 8), seq, "female")
        if number.endswith("X"):
            return number
    raise AssertionError("no X check digit in range")


def first_generation(number: str) -> str:
    """The 15-digit number an 18-digit one (born in the 1900s) was upgraded from."""
    return number[:6] + number[8:17]


def person(n: int = 0, **overrides: Any) -> dict[str, Any]:
    """A roster row as the form sends it: every question present, blanks as ''."""
    row = {
        "name": "",
        "relation": "",
        "id_type": "resident_id",
        "id_number": "",
        "sex": "",
        "birth_date": "",
        "ethnicity": "汉族",
        "residence_type": "registered",
        "hukou_address": "",
        "move_in_date": "",
        "phone": "",
        "political": "",
        "education": "",
        "marital": "",
        "employment": "",
        "conditions": [],
        "status": "active",
        "status_date": "",
    }
    return row | make_member(n) | overrides


def household(*people: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    base = make_household(members=0) | {
        "household_no": "",
        "landlord_name": "",
        "landlord_phone": "",
    }
    return base | {"members": list(people) or [person(0)]} | overrides


def household_cases() -> list[dict[str, Any]]:
    head = person(0)
    good = head["id_number"]
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    x_id = resident_id_ending_in_x()
    full_width = good.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    blank_row = {key: ("" if not isinstance(v, list) else []) for key, v in person(0).items()}
    return [
        household(person(0), person(1), person(2)),
        household(person(0), person(1, id_number=wrong)),
        household(person(0, id_number=good[:17])),
        household(person(0, id_number=good[:10] + "A" + good[11:])),
        household(person(0, id_number=x_id.lower(), birth_date="", sex="")),
        household(person(0, id_number=" " + full_width + " ")),
        household(person(0, id_number="11010519901332001X", birth_date="", sex="")),
        household(person(0, id_number=make_resident_id("110105", date(2030, 1, 1), 1, "male"))),
        household(person(0, birth_date="1961-01-01", sex="female")),
        household(person(0, birth_date="", sex="", id_number=wrong)),
        household(person(0, id_type="passport", id_number="E12345678", birth_date="", sex="")),
        household(person(0, id_type="passport", id_number="P" * 31, birth_date="", sex="")),
        household(
            person(0, phone="+86 139 1234 5678"),
            person(1, phone="0991-1234567转801"),
            person(2, phone="(0991)1234567"),
            person(3, phone="０９９１－１２３４５６７"),
        ),
        household(
            person(0, phone="12345"),
            person(1, phone="13912345678;13812345678"),
            person(2, phone="1391234567"),
            person(3, phone="0991 1234567 801"),
        ),
        household(housing="rented"),
        household(housing="rented", landlord_name="周房东", landlord_phone="0991-765432"),
        household(housing="owned", landlord_name="留下的房东", landlord_phone="abc"),
        household(person(0), person(1, relation="head")),
        household(person(1), person(2)),
        household(person(0), person(1, id_number=good)),
        household(person(0, status="moved_out"), person(1, move_in_date="2027-01-01")),
        household(person(0, residence_type="floating", hukou_address="")),
        household(person(0, name="张" * 41), room="1" * 21),
        household(person(0), blank_row),
        household(blank_row),
        household(person(0, birth_date="1960-02-30", name="", relation="")),
        *old_id_cases(),
    ]


def old_id_cases() -> list[dict[str, Any]]:
    """15-digit numbers, blank ID types, births before 1900: refused or accepted alike."""
    head, spouse = person(0), person(1)
    old, old_spouse = first_generation(head["id_number"]), first_generation(spouse["id_number"])
    blank = {"birth_date": "", "sex": ""}
    return [
        household(person(0, id_number=old, **blank), person(1, id_number=old_spouse)),
        household(person(0, id_number=old, id_type="", **blank)),
        household(person(0, id_number=" " + old[:6] + " " + old[6:] + " ", sex="female")),
        household(person(0, id_number=old, birth_date="1960-01-02")),
        household(person(0, id_number="610104620932690", **blank)),
        household(person(0, id_number="610104620932690", id_type="", **blank)),
        household(person(0, id_number="61010462093269X", **blank)),
        household(person(0, id_number="6101046209A2690", **blank)),
        household(person(0, id_number=head["id_number"][:17], id_type="", **blank)),
        household(person(0, id_number="440524188001010014", **blank)),
        household(person(0), person(1, id_number=old)),
        household(person(0, id_type="other", id_number="610104620932690")),  # staff's way out
    ]


def storefront_cases() -> list[dict[str, Any]]:
    base = {
        "name": "老马拉面",
        "building": "1栋",
        "address": "1栋底商3号",
        "category": "catering",
        "operator_name": "马建华",
        "operator_id_number": "",
        "operator_ethnicity": "回族",
        "operator_phone": "",
        "licence_type": "individual",
        "uscc": "",
        "employees": "",
        "premises": "owned",
        "landlord_name": "",
        "fire_safety_checked": "yes",
        "status": "open",
    }
    return [
        base,
        base | {"uscc": "91110105MA01ABCD12", "employees": "-1"},
        base | {"uscc": "9111010", "employees": "abc"},
        base | {"uscc": "91110108MA01ABCDXI", "employees": "100001"},
        base | {"uscc": "91350100M000100Y43", "employees": "12", "premises": "rented"},
        base | {"operator_id_number": make_resident_id("650102", date(1980, 1, 2), 5, "male")},
        base | {"operator_id_number": "650102198001020050"},
    ]


def server_says(defn, raw: dict[str, Any]) -> list[list[str]]:
    _record, problems = clean(defn, raw, today=TODAY)
    return sorted([p.path, p.code, p.message("zh")] for p in problems if p.is_error)


def test_the_browser_finds_the_same_errors_as_the_server(page, login, live_server):
    surveys = live_server.app.extensions["census"].surveys
    login("surveyor1")
    for form, cases in (("household", household_cases()), ("storefront", storefront_cases())):
        page.goto(f"/survey/{form}/new?building=1栋")
        browser = page.evaluate(RUN_IN_BROWSER, {"cases": cases, "today": TODAY.isoformat()})
        for raw, found in zip(cases, browser, strict=True):
            assert sorted(found) == server_says(surveys[form], raw), raw
    # The table is not vacuous: most rows are refused, for many different reasons.
    codes = {
        code for raw in household_cases() for _p, code, _m in server_says(surveys["household"], raw)
    }
    assert {
        "id_checksum",
        "id_length",
        "id_format",
        "id_birth_date",
        "birth_date_mismatch",
        "sex_mismatch",
        "phone_invalid",
        "required",
        "head_count",
        "members_empty",
        "id_duplicate_in_household",
        "date_future",
        "text_too_long",
        "date_invalid",
        "pattern_mismatch",
        "id15_format",
        "id15_birth_date",
        "id_birth_too_early",
        "id_birth_future",
    } <= codes
    # The valid 15-digit rows pass in both, with the blanks filled from the number.
    accepted = [raw for raw in old_id_cases() if not server_says(surveys["household"], raw)]
    assert len(accepted) == 3
