"""Who is the same person: one rule for the history, the conflict merge and the import."""

from __future__ import annotations

from census.domain.persons import id_key, match_members, name_birth, name_key, same_person

ID = "110105199003071234"


def test_id_numbers_and_names_are_compared_folded() -> None:
    assert id_key({"id_number": " １１０１０５ 19900307123x"}) == "11010519900307123X"
    assert id_key({"id_number": "e12345678"}) == id_key({"id_number": "E12345678"})
    assert id_key({"id_number": ""}) is None and id_key({}) is None
    assert name_key({"name": " 张　三 "}) == name_key({"name": "张三"}) == "张三"
    assert name_key({"name": "ＡＢＣ"}) == "ABC"
    assert name_birth({"name": "张 三", "birth_date": "1990-03-07"}) == ("张三", "1990-03-07")
    assert name_birth({"name": "张三"}) is None


def test_an_id_number_wins_over_names_and_birth_dates() -> None:
    a = {"name": "张建国", "id_number": ID, "birth_date": "1990-03-07"}
    renamed = {"name": "张健国", "id_number": ID.lower().replace("4", "4 ")}
    assert same_person(a, renamed)
    other = dict(a, id_number="110105199003075678")  # same name and birthday, another ID
    assert not same_person(a, other)
    assert match_members([a], [other]) == {}
    assert same_person(a, {"name": "张 建国", "birth_date": "1990-03-07"})  # no ID: name+birth


def test_a_person_id_both_carry_wins_over_id_numbers() -> None:
    a = {"person_id": "p1", "name": "甲", "id_number": "A1"}
    b = {"person_id": "p2", "name": "乙", "id_number": "B2"}
    swapped = [dict(b, id_number="A1"), dict(a, id_number="B2")]
    assert match_members([a, b], swapped) == {0: 1, 1: 0}


def test_a_name_alone_pairs_only_when_it_points_to_one_person() -> None:
    old = [
        {"name": "张小宝", "birth_date": "2025-03-01"},
        {"name": "王芳", "id_number": "D"},
        {"name": "李明"},
        {"name": "李明"},
    ]
    new = [
        {"name": "李明"},
        {"name": "张小宝", "birth_date": "2025-03-02"},  # a corrected birth date: same child
        {"name": "王芳", "id_number": "E"},  # same name, another ID: another person
    ]
    assert match_members(old, new) == {1: 0}  # two 李明 before: which one is unknown


def test_among_several_of_one_name_the_birth_date_that_does_not_contradict() -> None:
    old = [
        {"name": "张三", "birth_date": "1990-01-01"},
        {"name": "张三"},  # no birth date recorded
    ]
    new = [{"name": "张三", "birth_date": "2000-05-05"}]
    assert match_members(old, new) == {0: 1}
    assert match_members(old, [{"name": "张三", "birth_date": "1990-01-01"}]) == {0: 0}


def test_reordered_rosters_pair_in_order_and_never_twice() -> None:
    old = [{"name": "甲", "id_number": "A"}, {"name": "乙", "id_number": "B"}, {"name": "丙"}]
    new = [{"name": "丙"}, {"name": "乙", "id_number": "B"}, {"name": "甲", "id_number": "A"}]
    assert match_members(old, new) == {0: 2, 1: 1, 2: 0}
    twins = [{"name": "丁", "birth_date": "2020-01-01"}] * 2
    assert match_members(twins, twins) == {0: 0, 1: 1}
