"""Every output counts the same records: summary, registers, printed lists, export and API.

A community is built through the real save path and the real JSON API (one of its
households in a building the community did not have yet, added by that post). Then each
output is read the way its user reads it — the summary and the prints through the
``census`` command, the prints read back from the PDF, the export opened as a workbook, the
API as JSON, the registers as rows and as pages — and compared household by household and
person by person. Every output is asked for 全部 (``--all``, ``?all=1``): one household is a
surveyor's, waiting for review, which the approved-only default leaves out (that gate is
tests/printing/test_print_gate.py's and tests/cli/test_review_gate_cli.py's).

The outputs count by rules of their own (docs/domain.md §5, §6): the summary's residents
leave out persons living elsewhere (外出), whom the printed list still counts with their
household (共 N 户 M 人 counts every member not moved out or deceased); the export and the
API show every member, those who left included. The test checks those relations, not
equal numbers where the rules differ.
"""

from __future__ import annotations

import io
import json
import re
import uuid as uuidlib
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

from census.app import create_app
from census.cli import main
from census.domain.ids import make_resident_id
from census.domain.registers import rows_in
from census.domain.residents import build_community
from census.queries.derived import read_records
from census.services import records
from census.services.accounts import add_user, create_token
from census.sheets.vocabulary import vocabulary
from census.web.current import context, get_store
from tests.conftest import FAST_HASH, PASSWORD, csrf_token

AS_OF = date.today()
COMMUNITY = "佐斯腾社区"
# Grids stored out of order; 第三 sorts before 第二 as text, after it as people count.
GRIDS = ("第十网格", "第三网格", "第二网格")
BUILDINGS = (
    ("12栋", "第二网格"),
    ("3栋", "第三网格"),
    ("2栋", "第二网格"),
    ("5栋", "第十网格"),
    ("10栋", "第二网格"),
)
NEW_BUILDING = "20栋"  # not in the address tree until a staff member's API post names it
NO_GRID = "未分网格"
# What the printed list must show, in this order: grids as people count, then their buildings.
PRINT_ORDER = [
    ("第二网格", ["2栋", "10栋", "12栋"]),
    ("第三网格", ["3栋"]),
    ("第十网格", ["5栋"]),
    (NO_GRID, [NEW_BUILDING]),
]


class People:
    """Valid roster entries, each person with a name and an ID number of their own."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, relation: str = "head", born: int = 1980, **extra: Any) -> dict[str, Any]:
        self.n += 1
        sex = "male" if self.n % 2 else "female"
        birth = date(born, 1 + self.n % 12, 1 + self.n % 27)
        name = "居民" + "甲乙丙丁戊己庚辛壬癸"[self.n % 10] + str(self.n)
        return {
            "name": name,
            "relation": relation,
            "sex": sex,
            "ethnicity": ["汉族", "回族", "哈萨克族", "维吾尔族"][self.n % 4],
            "id_type": "resident_id",
            "id_number": make_resident_id("650102", birth, 100 + self.n, sex),
            "birth_date": birth.isoformat(),
            "residence_type": "registered",
            "political": "masses",
            "conditions": [],
            "status": "active",
        } | extra


def _households(person: People) -> list[tuple[str, dict[str, Any]]]:
    """(how it is saved, household): by the save path, by a staff API post, by a surveyor's."""
    gone = {"status_date": "2024-03-01"}
    return [
        ("save", {"building": "2栋", "unit": "1", "room": "101", "housing": "owned",
                  "members": [person(born=1950), person("spouse", 1952),
                              person("child", 1985, status="moved_out", **gone)]}),
        ("save", {"building": "2栋", "unit": "1", "room": "102", "housing": "rented",
                  "landlord_name": "房东甲", "landlord_phone": "13900000001",
                  "members": [person(born=1990, residence_type="floating"),
                              person("child", 2015)]}),
        ("save", {"building": "10栋", "unit": "2", "room": "201", "housing": "owned",
                  "hardship": ["low_income"],
                  "members": [person(born=1940, conditions=["disability"]),
                              person("spouse", 1942, status="deceased", **gone)]}),
        ("save", {"building": "12栋", "unit": "1", "room": "301", "housing": "owned",
                  "members": [person(born=1975, political="cpc_member"),
                              person("child", 2000, residence_type="away")]}),
        ("save", {"building": "3栋", "unit": "", "room": "5", "housing": "owned",
                  "members": [person(born=1968)]}),
        ("api", {"building": "5栋", "unit": "1", "room": "101", "housing": "owned",
                 "members": [person(born=1988), person("spouse", 1989),
                             person("child", 2019)]}),
        ("api", {"building": NEW_BUILDING, "unit": "3单元", "room": "101室", "housing": "rented",
                 "landlord_name": "房东乙", "landlord_phone": "13900000002",
                 "members": [person(born=1982), person("spouse", 1984, status="moved_out",
                                                        **gone)]}),
        ("api", {"building": NEW_BUILDING, "unit": "1", "room": "202", "housing": "owned",
                 "members": [person(born=1936), person("spouse", 1938)]}),
        ("surveyor", {"building": "3栋", "unit": "", "room": "6", "housing": "owned",
                      "members": [person(born=1995), person("child", 2021)]}),
    ]  # fmt: skip


STOREFRONTS = [
    ("save", {"name": "红柳烤肉店", "building": "12栋", "address": "12栋底商",
              "category": "catering", "operator_name": "马明", "status": "open"}),
    ("api", {"name": "和平路修车铺", "building": "和平路", "address": "和平路8号",
             "category": "repair", "operator_name": "李强", "status": "open"}),
    ("save", {"name": "旧货店", "building": "2栋", "address": "2栋底商",
              "category": "retail", "operator_name": "王五", "status": "closed"}),
]  # fmt: skip
UNITS = [
    ("save", {"name": "第一小学", "kind": "school", "address": "和平路1号",
              "key_unit": True, "safe_unit": True}),
    ("api", {"name": "社区卫生服务站", "kind": "hospital", "address": "和平路3号",
             "key_unit": False, "safe_unit": True}),
]  # fmt: skip


def _post(client: Any, token: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(
        f"/api/v1/{kind}",
        json=body | {"uuid": str(uuidlib.uuid4())},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _sheet(workbook: Any, title: str) -> list[dict[str, Any]]:
    rows = list(workbook[title].iter_rows(values_only=True))
    width = len(rows[0])  # a read-only sheet leaves a row's blank cells at its end out
    return [dict(zip(rows[0], (*row, *[None] * width), strict=False)) for row in rows[1:]]


def _pdf(path: Path | str) -> tuple[list[str], list[Any]]:
    """The text of each page (spaces dropped) and the outline of a printed list."""
    assert isinstance(path, Path), f"not printed: {path}"
    reader = PdfReader(path)
    return [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages], reader.outline


def _outline(reader_outline: list[Any]) -> list[tuple[str, list[str]]]:
    """Bookmarks as (grid, [buildings]): each grid's entry followed by the list of its own."""
    tree: list[tuple[str, list[str]]] = []
    for item in reader_outline:
        if isinstance(item, list):
            assert tree, "a nested bookmark list before any grid"
            tree[-1][1].extend(child.title for child in item)
        else:
            tree.append((item.title, []))
    return tree


def _printed(pages: list[str]) -> dict[str, dict[str, Any]]:
    """Per building: its household numbers, its 共 N 户 M 人 and its text, in print order."""
    found: dict[str, dict[str, Any]] = {}
    for text in pages:
        heading = re.search(COMMUNITY + r"(.+?)住户花名册", text)
        assert heading, text[:80]
        entry = found.setdefault(heading.group(1), {"numbers": [], "totals": None, "text": ""})
        entry["numbers"] += re.findall(r"H\d{4}", text)
        entry["text"] += text
        totals = re.search(r"共(\d+)户(\d+)人", text)
        if totals:
            entry["totals"] = (int(totals.group(1)), int(totals.group(2)))
    return found


@pytest.fixture(scope="module")
def community(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The community, built with the app; the app's store is closed before the commands run."""
    tmp_path = tmp_path_factory.mktemp("cross")
    data = tmp_path / "data"
    app = create_app(
        {
            "DATA_DIR": str(data),
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "FSYNC": False,
            "COMMUNITY_NAME": COMMUNITY,
        }
    )
    store = get_store(app)
    for name in GRIDS:
        store.collection("grids").insert({"name": name})
    for name, grid in BUILDINGS:
        store.collection("buildings").insert(
            {"name": name, "grid": grid, "type": "residential", "expected_dwellings": 6}
        )
    add_user(store, "admin", "admin", PASSWORD, hash_method=FAST_HASH)
    add_user(store, "surveyor3", "surveyor", PASSWORD, grids=["第三网格"], hash_method=FAST_HASH)
    tokens = {name: create_token(store, name) for name in ("admin", "surveyor3")}
    client = app.test_client()
    forms = context(app).surveys
    person = People()
    ids: dict[str, int] = {}
    for how, household in _households(person):
        if how == "save":
            result = records.save(store, forms["household"], household, user="admin")
            assert result.saved, result.problems
            ids[result.record["household_no"]] = result.id
        else:
            token = tokens["surveyor3" if how == "surveyor" else "admin"]
            answer = _post(client, token, "households", household)
            ids[answer["household_no"]] = answer["id"]
    for kind, rows in (("storefronts", STOREFRONTS), ("units", UNITS)):
        for how, row in rows:
            if how == "save":
                form = forms["storefront" if kind == "storefronts" else "unit"]
                assert records.save(store, form, row, user="admin").saved
            else:
                _post(client, tokens["admin"], kind, row)

    # What the web app shows: the API, the export, the register pages, a household's page.
    api = client.get("/api/v1/households", headers={"Authorization": f"Bearer {tokens['admin']}"})
    per_building = {
        name: client.get(
            "/api/v1/households",
            query_string={"building": name},
            headers={"Authorization": f"Bearer {tokens['admin']}"},
        ).get_json()["households"]
        for name, _grid in [*BUILDINGS, (NEW_BUILDING, "")]
    }
    token = csrf_token(client, "/login")
    client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    export = client.get("/sheets/export.xlsx")
    assert export.status_code == 200
    registers = context(app).registers
    pages = {
        reg.key: client.get(
            f"/registers/{reg.key}", query_string={"as_of": AS_OF.isoformat(), "all": "1"}
        )
        for reg in registers
    }
    new_door = next(
        h for h in api.get_json()["households"] if h["building"] == NEW_BUILDING and h["unit"]
    )
    household_page = client.get(f"/households/{new_door['id']}").get_data(as_text=True)
    household_list = client.get("/households").get_data(as_text=True)
    stored = read_records(store)
    community = build_community(stored.households, AS_OF)
    rows = {reg.key: rows_in(reg, community, stored.storefronts, stored.units) for reg in registers}
    store.close()

    # What the commands give, on the same data folder.
    env = {
        "CENSUS_DATA_DIR": str(data),
        "CENSUS_FSYNC": "false",
        "CENSUS_COMMUNITY_NAME": COMMUNITY,
    }
    runner = CliRunner(env=env)
    figures = runner.invoke(main, ["summary", "--json", "--all", "--as-of", AS_OF.isoformat()])
    assert figures.exit_code == 0, figures.output
    prints: dict[str, Path | str] = {}  # the PDF, or what the command said instead
    for scope in ["", *(name for name, _grid in BUILDINGS), NEW_BUILDING]:
        target = tmp_path / f"list-{scope or 'all'}.pdf"
        where = ["--building", scope] if scope else []
        printed = runner.invoke(
            main,
            ["print", "household-list", *where, "--as-of", AS_OF.isoformat(), "--all",
             "--workers", "0", "-o", str(target)],
        )  # fmt: skip
        prints[scope] = (
            target if printed.exit_code == 0 else f"{printed.output}{printed.exception!r}"
        )
    return {
        "ids": ids,
        "api": api.get_json(),
        "api_by_building": per_building,
        "export": load_workbook(io.BytesIO(export.data), read_only=True),
        "pages": pages,
        "household_page": household_page,
        "household_list": household_list,
        "rows": rows,
        "registers": registers,
        "figures": json.loads(figures.stdout),
        "prints": prints,
        "forms": forms,
    }


def test_every_output_counts_the_same_households_and_persons(community):
    api = community["api"]["households"]
    numbers = sorted(h["household_no"] for h in api)
    assert numbers == sorted(community["ids"]) and len(numbers) == 9
    buildings = {h["household_no"]: h["building"] for h in api}
    active = {
        h["household_no"]: sorted(m["name"] for m in h["members"] if m["status"] == "active")
        for h in api
    }
    everyone = {h["household_no"]: sorted(m["name"] for m in h["members"]) for h in api}
    away = {m["name"] for h in api for m in h["members"] if m["residence_type"] == "away"}
    assert away and {m["status"] for h in api for m in h["members"]} == {
        "active",
        "moved_out",
        "deceased",
    }

    # The summary (census summary --json).
    figures = community["figures"]
    living = {n for names in active.values() for n in names} - away
    assert figures["households"] == len(numbers)
    assert figures["residents"] == len(living)
    assert figures["away_persons"] == len(away)
    assert figures["buildings"] == len(set(buildings.values())) == 6

    # Each register, as rows and as its page, against the summary and the API.
    rows, pages = community["rows"], community["pages"]
    for reg in community["registers"]:
        page = pages[reg.key]
        assert page.status_code == 200, reg.key
        total = re.search(r"共 (\d+) 条", page.get_data(as_text=True))
        assert total and int(total.group(1)) == len(rows[reg.key]), reg.key
    residents = rows["registered"] + rows["floating"]
    assert sorted(r["name"] for r in residents) == sorted(living)
    assert {r["household_no"] for r in residents} == set(numbers)
    assert {r["name"] for r in rows["away"]} == away
    for register, figure in (
        ("registered", "registered_residents"),
        ("floating", "floating_residents"),
        ("away", "away_persons"),
        ("minority", "minority_residents"),
        ("rental", "rental_dwellings"),
        ("elderly_60", "elderly_60_plus"),
        ("elderly_80", "elderly_80_plus"),
        ("minors", "minors"),
        ("disabled", "disabled_persons"),
        ("party_members", "party_members"),
        ("hardship", "hardship_households"),
        ("storefronts", "storefronts"),
        ("units", "units"),
        ("key_units", "key_units"),
        ("safe_units", "safe_units"),
    ):
        assert len(rows[register]) == figures[figure], register
    rented = {r["building"] for r in rows["rental"]}
    assert rented == {"2栋", NEW_BUILDING}
    by_building: dict[str, set[str]] = defaultdict(set)
    for row in residents + rows["away"]:
        by_building[row["building"]].add(row["household_no"])
        assert (row["grid"] or "") == dict(BUILDINGS).get(row["building"], ""), row

    # The export: one 住户 row per household, one 成员 row per member (those who left too).
    vocab = vocabulary(community["forms"]["household"])
    title = {key: vocab.targets[key].text("zh") for key in ("household_no", "building", "grid")}
    name_title = vocab.targets["members.name"].text("zh")
    houses = _sheet(community["export"], "住户")
    members = _sheet(community["export"], "成员")
    assert sorted(r[title["household_no"]] for r in houses) == numbers
    assert {r[title["household_no"]]: r[title["building"]] for r in houses} == buildings
    assert {r[title["building"]]: r[title["grid"]] or "" for r in houses} == dict(
        [*BUILDINGS, (NEW_BUILDING, "")]
    ), "the export's grid column: the building's grid, blank for none (as an import reads it)"
    exported: dict[str, list[str]] = defaultdict(list)
    for row in members:
        exported[row[title["household_no"]]].append(row[name_title])
    assert {k: sorted(v) for k, v in exported.items()} == everyone
    shops = _sheet(community["export"], "门面")
    assert len(shops) == len(STOREFRONTS) and len(_sheet(community["export"], "单位")) == len(UNITS)

    # The printed whole-community list, then each building's list.
    pages_text, outline = _pdf(community["prints"][""])
    whole = _printed(pages_text)
    order = [name for _grid, names in PRINT_ORDER for name in names]
    assert list(whole) == order, "buildings in print order: grid by grid, as people count"
    assert _outline(outline) == PRINT_ORDER, "bookmarks: each grid, then its buildings"
    for name in order:
        printed = whole[name]
        mine = sorted(n for n, b in buildings.items() if b == name)
        assert sorted(printed["numbers"]) == mine, name
        assert set(mine) >= by_building[name]
        persons = sum(len(active[n]) for n in mine)
        assert printed["totals"] == (len(mine), persons), name
        for number in mine:
            for person in everyone[number]:  # those who left are listed too, marked
                assert person in printed["text"], (name, person)
        alone_text, alone_outline = _pdf(community["prints"][name])
        alone = _printed(alone_text)
        assert list(alone) == [name]
        assert sorted(alone[name]["numbers"]) == mine
        assert alone[name]["totals"] == printed["totals"], name
        api_here = community["api_by_building"][name]
        assert sorted(h["household_no"] for h in api_here) == mine, name
    assert sum(whole[name]["totals"][0] for name in order) == figures["households"]
    assert sum(whole[name]["totals"][1] for name in order) == len(living) + len(away)
    assert "3单元101室" in whole[NEW_BUILDING]["text"]


def test_a_dwelling_typed_with_its_words_shows_one_way_on_the_page_and_the_list(community):
    assert f"{NEW_BUILDING}3单元101室" in community["household_page"]
    assert f"{NEW_BUILDING}3单元101室" in community["household_list"]
    assert "单元单元" not in community["household_page"] + community["household_list"]
    text = "".join(_pdf(community["prints"][NEW_BUILDING])[0])
    assert "3单元101室" in text and "单元单元" not in text and "室室" not in text
