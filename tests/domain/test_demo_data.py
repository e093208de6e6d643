"""The demo community: realistic, valid under our own rules, the same for the same seed."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest

from census.demo.generate import DEMO_DATE, generate_demo
from census.domain.codes import choice_lists, ethnic_groups
from census.domain.contact import check_phone, check_uscc
from census.domain.ids import check_person_id

SEEDS = [7, 1, 2024]

# person field -> code list in forms/choices.yaml
PERSON_CODES = {
    "relation": "relation",
    "sex": "sex",
    "id_type": "id_type",
    "residence_type": "residence_type",
    "political": "political",
    "education": "education",
    "marital": "marital",
    "employment": "employment",
    "status": "person_status",
}


@pytest.fixture(scope="module", params=SEEDS)
def demo(request):
    return generate_demo(seed=request.param)


def members(data):
    return [m for h in data["households"] for m in h["members"]]


def years_between(earlier: str, later: str) -> int:
    a, b = date.fromisoformat(earlier), date.fromisoformat(later)
    return b.year - a.year - ((b.month, b.day) < (a.month, a.day))


def test_same_seed_same_community_other_seed_other_people():
    assert generate_demo(seed=7) == generate_demo(seed=7)
    assert generate_demo(seed=7)["households"] != generate_demo(seed=8)["households"]


def test_default_sizes(demo):
    assert demo["community"]["name"] == "佐斯腾社区"
    assert [g["name"] for g in demo["grids"]] == ["第一网格", "第二网格", "第三网格"]
    assert len(demo["households"]) == 50
    assert len(demo["storefronts"]) == 8
    assert len(demo["units"]) == 5
    names = [b["name"] for b in demo["buildings"]]
    assert len(names) == 6 and "1栋" in names and "民族大院" in names
    types = {b["name"]: b["type"] for b in demo["buildings"]}
    assert types["民族大院"] == "compound" and "bungalow" in types.values()
    grids = {g["name"] for g in demo["grids"]}
    for building in demo["buildings"]:
        assert building["grid"] in grids and building["expected_dwellings"] > 0


@pytest.mark.parametrize("count", [1, 5, 300])
def test_household_count_follows_the_request(count):
    data = generate_demo(seed=3, households=count)
    assert len(data["households"]) == count
    dwellings = {(h["building"], h["unit"], h["room"]) for h in data["households"]}
    assert len(dwellings) == count
    buildings = {b["name"]: b for b in data["buildings"]}
    assert sum(b["expected_dwellings"] for b in buildings.values()) >= count
    assert all(h["building"] in buildings for h in data["households"])


def test_household_numbers_and_dwellings_are_unique(demo):
    numbers = [h["household_no"] for h in demo["households"]]
    assert numbers == [f"H{n:04d}" for n in range(1, 51)]
    assert len({(h["building"], h["unit"], h["room"]) for h in demo["households"]}) == 50
    compounds = {b["name"] for b in demo["buildings"] if b["type"] in ("compound", "bungalow")}
    for household in demo["households"]:
        assert (household["unit"] == "") == (household["building"] in compounds)
        assert household["visit_outcome"] == "completed"


def test_every_household_has_one_head_first_and_one_to_six_members(demo):
    for household in demo["households"]:
        relations = [m["relation"] for m in household["members"]]
        assert 1 <= len(relations) <= 6
        assert relations.count("head") == 1 and relations[0] == "head"


def test_every_id_number_is_valid_and_agrees_with_birth_date_and_sex(demo):
    warnings = Counter()
    for person in members(demo):
        problems, born, sex = check_person_id(
            person["id_type"],
            person["id_number"],
            birth_date=date.fromisoformat(person["birth_date"]),
            sex=person["sex"],
        )
        assert not [p for p in problems if p.is_error], (person["name"], problems)
        assert born.isoformat() == person["birth_date"] and sex == person["sex"]
        warnings.update(p.code for p in problems)
    # Realistic IDs raise no warning: codes newer than the birth year are normal, and the
    # demo's codes are all in the table and in use when their holders were born or later.
    assert not warnings


def test_id_numbers_are_unique_across_the_community(demo):
    numbers = [p["id_number"] for p in members(demo)]
    numbers += [s["operator_id_number"] for s in demo["storefronts"]]
    assert len(numbers) == len(set(numbers))


def test_codes_come_from_the_code_lists(demo):
    lists = choice_lists()
    ethnicities = {name for name, _ in ethnic_groups()}
    for household in demo["households"]:
        assert household["housing"] in lists["housing"]
        assert set(household["hardship"]) <= set(lists["hardship"])
        for person in household["members"]:
            for key, list_name in PERSON_CODES.items():
                assert person[key] is None or person[key] in lists[list_name], (key, person[key])
            assert person["ethnicity"] in ethnicities
            assert set(person["conditions"]) <= set(lists["conditions"])
            assert person["status"] == "active" and person["id_type"] == "resident_id"


def test_ages_are_consistent_within_households(demo):
    for household in demo["households"]:
        head = household["members"][0]
        for person in household["members"]:
            if person["relation"] == "child":
                parents = [p for p in household["members"] if p["relation"] in ("head", "spouse")]
                for parent in parents:
                    assert years_between(parent["birth_date"], person["birth_date"]) >= 18
            if person["relation"] == "grandchild":
                assert years_between(head["birth_date"], person["birth_date"]) >= 36
            if person["relation"] == "parent":
                assert years_between(person["birth_date"], head["birth_date"]) >= 18
            assert person["birth_date"] <= DEMO_DATE.isoformat()


def test_names_are_chinese_and_minority_names_follow_their_customs(demo):
    people = members(demo)
    for person in people:
        assert re.fullmatch(r"[\u4e00-\u9fff]+(·[\u4e00-\u9fff]+)?", person["name"]), person["name"]
    uyghurs = [p["name"] for p in people if p["ethnicity"] == "维吾尔族"]
    assert uyghurs and all("·" in name for name in uyghurs)
    for household in demo["households"]:
        names = [m["name"] for m in household["members"]]
        assert len(names) == len(set(names))


def test_a_mixed_community_mostly_han_and_registered(demo):
    people = members(demo)
    ethnicity = Counter(p["ethnicity"] for p in people)
    assert ethnicity.most_common(1)[0][0] == "汉族"
    assert len(ethnicity) >= 4
    residence = Counter(p["residence_type"] for p in people)
    assert residence["registered"] > residence["floating"] > 0
    assert residence["away"] >= 1
    for person in people:
        assert bool(person["hukou_address"]) == (person["residence_type"] == "floating")


def test_registers_have_people_on_them(demo):
    conditions = Counter(c for p in members(demo) for c in p["conditions"])
    for condition in ("living_alone_elderly", "disability", "veteran", "left_behind_child"):
        assert conditions[condition] >= 1, condition
    hardship = [h for h in demo["households"] if h["hardship"]]
    assert 1 <= len(hardship) < 25
    assert any(p["political"] == "cpc_member" for p in members(demo))


def test_living_alone_means_alone_and_old(demo):
    for household in demo["households"]:
        for person in household["members"]:
            if "living_alone_elderly" in person["conditions"]:
                assert len(household["members"]) == 1
                assert years_between(person["birth_date"], DEMO_DATE.isoformat()) >= 60


def test_phones_are_valid_and_adults_have_one(demo):
    for person in members(demo):
        adult = years_between(person["birth_date"], DEMO_DATE.isoformat()) >= 18
        assert bool(person["phone"]) == adult
        if person["phone"]:
            assert check_phone(person["phone"]) == []
            assert re.fullmatch(r"1[3-9]\d{9}", person["phone"])


def test_rented_households_name_their_landlord(demo):
    rented = [h for h in demo["households"] if h["housing"] == "rented"]
    assert rented
    for household in demo["households"]:
        if household["housing"] == "rented":
            assert household["landlord_name"] and check_phone(household["landlord_phone"]) == []
        else:
            assert household["landlord_name"] is None and household["landlord_phone"] is None


def test_storefronts_are_valid(demo):
    lists = choice_lists()
    for shop in demo["storefronts"]:
        assert shop["category"] in lists["store_category"]
        assert shop["licence_type"] in lists["licence_type"]
        assert shop["premises"] in lists["premises"] and shop["status"] in lists["store_status"]
        assert check_uscc(shop["uscc"]) == []
        assert shop["uscc"][:2] == ("92" if shop["licence_type"] == "individual" else "91")
        assert check_phone(shop["operator_phone"]) == []
        problems, _, _ = check_person_id(
            "resident_id", shop["operator_id_number"], birth_date=None, sex=None
        )
        assert not [p for p in problems if p.is_error]
        assert isinstance(shop["fire_safety_checked"], bool)
        assert bool(shop["landlord_name"]) == (shop["premises"] == "rented")
    assert any(s["licence_type"] == "enterprise" for s in demo["storefronts"])


def test_units_are_valid(demo):
    kinds = choice_lists()["unit_kind"]
    for unit in demo["units"]:
        assert unit["kind"] in kinds and unit["name"] and unit["address"]
        assert check_phone(unit["phone"]) == []
        assert isinstance(unit["key_unit"], bool) and isinstance(unit["safe_unit"], bool)
        assert unit["staff_count"] > 0
