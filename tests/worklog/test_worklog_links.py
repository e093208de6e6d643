"""Links from work records to households and persons: by 户编号, address, 户编号/姓名, ID number."""

from __future__ import annotations

from worklog_factories import households

from census.surveys.definition import load_surveys
from census.worklog.links import Links, households_of, link_problems

VISIT = load_surveys()["visit"]


def test_a_household_is_found_by_number_or_by_its_address():
    links = Links(households())
    assert links.household("H0002").household["id"] == 2
    assert links.household(" ｈ0002 ").household["id"] == 2  # full-width, spaces, case
    assert links.household("1栋1单元201").household["id"] == 3  # typed as staff write it
    assert links.household("1栋1单元201室").household["id"] == 3  # or as it is shown
    missing = links.household("H0404")
    assert missing.household is None and missing.problem == "household_unknown"
    assert missing.text() == "H0404（未找到）"
    assert links.household("H0001").text() == "H0001 1栋1单元101室"


def test_a_person_is_found_by_household_and_name_or_by_id_number():
    homes = households()
    links = Links(homes)
    head = links.person("H0001/张建国")
    assert head.person.name == "张建国" and head.household["id"] == 1
    assert head.text() == "张建国（H0001 1栋1单元101室）"
    second = homes[1]["members"][1]
    by_id = links.person(second["id_number"].lower())
    assert by_id.person.member is second
    assert links.person("H0001 ／ 张建国").person.name == "张建国"
    assert links.person("H0001/王五").problem == "person_unknown"
    assert links.person("310101199001011234").problem == "person_unknown"


def test_two_members_of_one_name_must_be_told_apart_by_id_number():
    homes = households()
    homes[0]["members"][1]["name"] = "张建国"
    assert Links(homes).person("H0001/张建国").problem == "person_ambiguous"


def test_a_record_links_to_the_households_it_names_and_unknown_links_are_problems():
    links = Links(households())
    record = {
        "households": [
            {"household": "H0001", "person": "H0002/" + households()[1]["members"][0]["name"]},
            {"household": "H0404", "person": None},
        ]
    }
    assert households_of(links, VISIT, record) == {1, 2}
    problems = link_problems(links, VISIT, record)
    assert list(problems) == ["households[1].household"]
    assert "H0404" in problems["households[1].household"][0]
