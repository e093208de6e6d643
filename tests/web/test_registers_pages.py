"""Staff open 台账 and 基本情况 on the generated community and see its known counts and people."""

from __future__ import annotations

import re

import pytest

from census.app import create_app
from census.services import audit
from census.services.accounts import add_user
from census.web.current import get_store
from tests.community import AS_OF, PAST, TRUE_FIGURES, TRUE_REGISTERS, build
from tests.conftest import ACCOUNTS, FAST_HASH, PASSWORD, Auth

DAY = AS_OF.isoformat()


@pytest.fixture(scope="module")
def community():
    return build()


@pytest.fixture(scope="module")
def app(tmp_path_factory, community):
    """An app whose store holds the whole generated community (1,057 households)."""
    app = create_app(
        {
            "DATA_DIR": str(tmp_path_factory.mktemp("registers") / "data"),
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "FSYNC": False,
            "COMMUNITY_NAME": "佐斯腾社区",
        }
    )
    store = get_store(app)
    buildings = {(h["building"], h["grid"]) for h in community.households}
    store.collection("buildings").insert_many([{"name": b, "grid": g} for b, g in buildings])
    store.collection("households").insert_many(community.households)
    store.collection("storefronts").insert_many(community.storefronts)
    store.collection("units").insert_many(community.units)
    for name, (role, grids) in ACCOUNTS.items():
        add_user(store, name, role, PASSWORD, grids=grids, hash_method=FAST_HASH)
    yield app
    store.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def staff(client):
    Auth(client).login("reviewer")
    return client


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def shown_total(html: str) -> int:
    return int(re.search(r"共 (\d+) 条", html).group(1))


def matched(html: str) -> int:
    found = re.search(r"符合条件 (\d+) 条", html)
    return int(found.group(1)) if found else shown_total(html)


def test_the_registers_page_lists_every_register_with_its_count(staff):
    html = page(staff, f"/registers/?as_of={DAY}")
    counts = {k: int(n) for k, n in re.findall(r'data-register="(\w+)">(\d+)<', html)}
    assert counts == TRUE_REGISTERS
    assert "少数民族人员" in html and "出租房屋" in html and "基本情况" in html
    assert 'href="/registers/"' in page(staff, "/households")  # the 台账 link in the nav


def names_on(html: str) -> list[str]:
    """The first column (the name, linked to the household) of each row of a register table."""
    return re.findall(r'<tr>\s*<td>\d+</td>\s*<td>\s*<a href="/households/\d+">([^<]+)</a>', html)


def test_a_register_shows_its_people_with_masked_ids_in_address_order(staff, community):
    html = page(staff, f"/registers/disabled?as_of={DAY}")
    assert shown_total(html) == TRUE_FIGURES["disabled_persons"]
    expected = community.expected_register("disabled", AS_OF)
    people = {s.key: s.person for s in community.specs}
    second = page(staff, f"/registers/disabled?as_of={DAY}&page=2")
    assert "第 1 页 / 共 2 页" in html and "第 2 页 / 共 2 页" in second
    first_names, second_names = names_on(html), names_on(second)
    assert (len(first_names), len(second_names)) == (50, 47)
    assert sorted(first_names + second_names) == sorted(people[n]["name"] for n in expected)
    # masked ID numbers only, one per row
    assert len(re.findall(r"\b\d{6}\*{8}\d{3}[\dX]\b", html)) == 50
    assert [n for n in expected if n in html + second] == []
    # address order: buildings in natural order (2栋 before 10栋)
    by_name = {p["name"]: p for p in people.values()}
    households = {id(p): h for h in community.households for p in h["members"]}
    buildings = [households[id(by_name[name])]["building"] for name in first_names + second_names]
    numbers = [int(b[:-1]) for b in buildings if b[:-1].isdigit()]
    assert numbers == sorted(numbers)


def test_filters_by_grid_building_ethnicity_and_age_band(staff, community):
    base = f"/registers/minority?as_of={DAY}"
    assert matched(page(staff, base + "&ethnicity=回族")) == 300
    assert matched(page(staff, base + "&ethnicity=壮族")) == 5
    registered = community.expected_register("registered", AS_OF)
    by_id = {s.key: s for s in community.specs}
    old = [n for n in registered if by_id[n].age[AS_OF] >= 80]
    assert matched(page(staff, f"/registers/registered?as_of={DAY}&age=80%2B")) == len(old)
    in_grid = [
        h for h in community.present(AS_OF) if h["grid"] == "第二网格" and h["housing"] == "rented"
    ]
    doors = {(h["building"], h["unit"], h["room"]) for h in in_grid}
    assert matched(page(staff, f"/registers/rental?as_of={DAY}&grid=第二网格")) == len(doors)
    tenth = [h for h in community.present(AS_OF) if h["building"] == "10栋" and h["hardship"]]
    assert matched(page(staff, f"/registers/hardship?as_of={DAY}&building=10栋")) == len(tenth)


def test_search_by_full_id_number_or_name(staff, community):
    spec = next(
        s for s in community.specs if s.key in community.expected_register("veterans", AS_OF)
    )
    html = page(staff, f"/registers/veterans?as_of={DAY}&q={spec.key}")
    assert matched(html) == 1 and spec.person["name"] in html
    table = html[html.index("<table") : html.index("</table>")]
    assert spec.key not in table and spec.key[:6] + "********" + spec.key[-4:] in table
    assert matched(page(staff, f"/registers/veterans?as_of={DAY}&q=nobody-such")) == 0


def test_as_of_a_past_date(staff, community):
    for key in ("elderly_60", "minors", "rental", "hardship", "away"):
        html = page(staff, f"/registers/{key}?as_of={PAST.isoformat()}")
        assert shown_total(html) == len(community.expected_register(key, PAST)), key
    html = page(staff, f"/registers/?as_of={PAST.isoformat()}")
    counts = dict(re.findall(r'data-register="(\w+)">(\d+)<', html))
    assert int(counts["floating"]) == community.expected(PAST)["floating_residents"]


def test_a_bad_date_is_said_and_today_used(staff):
    html = page(staff, "/registers/minors?as_of=2025-13-45")
    assert "日期格式应为 YYYY-MM-DD" in html


def test_the_summary_page_shows_figures_paragraph_and_charts(staff):
    html = page(staff, f"/summary?as_of={DAY}")
    assert (
        "佐斯腾社区共有居民1057户3753人，其中少数民族1007人，占26.83%，有汉、回、哈萨克等13个民族"
        in html
    )
    assert "<dt>出租房屋</dt><dd>165</dd>" in html
    assert "<dt>少数民族占比</dt><dd>26.83%</dd>" in html
    assert "<dt>困难户人数</dt><dd>88</dd>" in html
    content = html.split("<main")[1].split("</main>")[0]  # the charts need no script
    assert html.count("<svg") >= 3 and "<script" not in content
    assert "<td>回族</td><td>300</td>" in html
    english = page(staff, f"/summary?as_of={DAY}&lang=en")
    assert "has 1,057 households with 3,753 residents" in english
    assert "Rented dwellings" in english


def test_registers_in_english(staff):
    html = page(staff, f"/registers/?as_of={DAY}&lang=en")
    assert "Ethnic minority residents" in html
    html = page(staff, f"/registers/party_members?as_of={DAY}")
    assert "CPC member" in html and "Political affiliation" in html
    page(staff, "/registers/?lang=zh")


@pytest.mark.parametrize("url", ["/registers/", "/registers/minority", "/summary"])
def test_a_surveyor_may_not_see_registers(client, url):
    Auth(client).login("surveyor1")
    assert client.get(url).status_code == 403


def test_logged_out_goes_to_login(client):
    response = client.get("/registers/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_register_is_404(staff):
    assert staff.get("/registers/no_such_register").status_code == 404


def test_full_ids_for_admins_only_and_logged(app, client, community):
    Auth(client).login("reviewer")
    assert client.get(f"/registers/veterans?as_of={DAY}&full=1").status_code == 403
    Auth(client).logout()
    Auth(client).login("admin")
    html = page(client, f"/registers/veterans?as_of={DAY}&full=1")
    some = next(iter(community.expected_register("veterans", AS_OF)))
    assert some in html
    logged = audit.entries(get_store(app), action="view_full_ids", actor="admin")
    assert logged and logged[0]["target"] == "registers/veterans"


def test_a_broken_register_stops_the_app_from_starting(tmp_path):
    from census.surveys.registers import DefinitionError
    from census.util.resources import FORMS_DIR

    forms = tmp_path / "forms"
    forms.mkdir()
    for name in ("household", "storefront", "unit"):
        (forms / f"{name}.yaml").write_bytes((FORMS_DIR / f"{name}.yaml").read_bytes())
    text = (FORMS_DIR / "registers.yaml").read_text(encoding="utf-8")
    (forms / "registers.yaml").write_text(text.replace("rule: age >= 80", "rule: age >>= 80"))
    config = {"DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "x", "FORMS_DIR": str(forms)}
    with pytest.raises(DefinitionError) as caught:
        create_app(config)
    assert str(caught.value).startswith("registers.yaml: register elderly_80: rule: syntax error")
    # the data folder was let go: fixed, the app starts
    (forms / "registers.yaml").write_text(text)
    get_store(create_app(config)).close()
