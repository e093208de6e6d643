"""台账 and 基本情况 are kept between views, and show a write on the very next view."""

from __future__ import annotations

import re
import threading
from datetime import date

import pytest

from census.queries import derived
from census.queries.derived import Derived
from census.services import records
from census.services.accounts import create_token
from tests.conftest import csrf_token
from tests.factories import form_fields, make_household, make_member

DAY = "2026-01-01"


def counts(client, day: str = DAY, **args: str) -> dict[str, int]:
    query = "&".join(f"{k}={v}" for k, v in {"as_of": day, **args}.items())
    response = client.get(f"/registers/?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return {k: int(n) for k, n in re.findall(r'data-register="(\w+)">(\d+)<', html)}


def headline(client, day: str = DAY, **args: str) -> tuple[int, int]:
    """(households, residents) from the summary's opening words: 共有居民2户5人."""
    query = "&".join(f"{k}={v}" for k, v in {"as_of": day, **args}.items())
    html = client.get(f"/summary?{query}").get_data(as_text=True)
    found = re.search(r"共有居民(\d+)户(\d+)人", html)
    assert found, html[:500]
    return int(found.group(1)), int(found.group(2))


def listed(client, key: str, day: str = DAY) -> int:
    html = client.get(f"/registers/{key}?as_of={day}").get_data(as_text=True)
    return int(re.search(r"共 (\d+) 条", html).group(1))


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/survey/"), **data})


def household(room: str = "101"):
    """Three residents (one with a disability) in a low-income household."""
    found = make_household(room=room, hardship=["low_income"])
    found["members"][1] = make_member(1, conditions=["disability"])
    return found


@pytest.fixture
def reads(monkeypatch):
    """How many times the pages read the records from the store."""
    calls: list[int] = []
    real = derived.read_records

    def counted(store):
        calls.append(1)
        return real(store)

    monkeypatch.setattr(derived, "read_records", counted)
    return calls


def test_a_household_saved_through_the_form_counts_on_the_very_next_view(client, auth, reads):
    auth.login("admin")
    assert counts(client)["registered"] == 0
    assert headline(client) == (0, 0)
    assert listed(client, "disabled") == 0
    assert len(reads) == 1  # three pages, one read

    url = "/survey/household/new?building=1栋"
    data = form_fields(household()) | {"csrf_token": csrf_token(client, url), "save": "1"}
    assert client.post(url, data=data).status_code == 302

    after = counts(client)
    assert (after["registered"], after["disabled"], after["low_income"]) == (3, 1, 1)
    assert headline(client) == (1, 3)
    assert listed(client, "disabled") == 1
    assert len(reads) == 1  # the saved household was read again, not the whole store


def test_life_events_and_edits_through_the_app_show_at_once(client, auth, store, app):
    defn = app.extensions["census"].surveys["household"]
    hid = records.save(store, defn, household(), user="admin").id
    auth.login("reviewer")
    assert counts(client)["registered"] == 3
    url = f"/households/{hid}/events/move_out"
    moved = post(client, url, members=["2"], on="2025-12-01", destination="昌吉市", _rev="1")
    assert moved.status_code == 302
    assert counts(client)["registered"] == 2
    assert headline(client) == (1, 2)
    assert counts(client, day="2025-11-30")["registered"] == 3  # before the move, as it was


def test_an_approval_shows_at_once_among_the_approved_records(client, auth, store, app):
    defn = app.extensions["census"].surveys["household"]
    hid = records.save(store, defn, household(), user="surveyor1").id
    auth.login("reviewer")
    assert headline(client, all="1") == (1, 3)
    assert headline(client) == (0, 0)  # approved records only, by default
    assert headline(client, approved="1") == (0, 0)
    assert counts(client)["registered"] == 0
    assert post(client, f"/review/households/{hid}/approve").status_code == 302
    assert headline(client) == (1, 3)
    assert counts(client)["registered"] == 3


def test_a_household_sent_through_the_api_counts_at_once(client, auth, store, reads):
    token = create_token(store, "admin")
    auth.login("reviewer")
    assert counts(client)["low_income"] == 0
    response = client.post(
        "/api/v1/households",
        json=household() | {"uuid": "c1d2e3f4-0000-4000-8000-000000000001"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.json
    assert counts(client)["low_income"] == 1
    assert len(reads) == 1  # the household was read again, not the whole store


def test_writes_elsewhere_keep_the_views(client, auth, store, reads):
    auth.login("admin")
    counts(client)
    store.collection("audit").insert({"action": "something else"})
    store.collection("users").find(username="admin")
    headline(client)
    assert len(reads) == 1


def test_a_page_cannot_change_what_the_next_one_shows(app, store):
    defn = app.extensions["census"].surveys["household"]
    records.save(store, defn, household(), user="admin")
    cache: Derived = app.extensions["census"].derived
    view = cache.view(date(2026, 1, 1))
    view.counts()["registered"] = 99
    view.figures()["by_ethnicity"]["汉族"] = 99
    view.figures()["residents"] = 99
    assert view.counts()["registered"] == 3
    assert view.figures()["residents"] == 3
    assert view.figures()["by_ethnicity"]["汉族"] == 2


def test_the_cache_keeps_a_few_dates_and_makes_each_once(app, store, reads):
    defn = app.extensions["census"].surveys["household"]
    records.save(store, defn, household(), user="admin")
    cache = Derived(store, app.extensions["census"].registers, views=2)
    days = [date(2026, 1, n) for n in range(1, 5)]
    start = threading.Barrier(8)
    seen = []

    def look(day: date) -> None:
        start.wait()
        view = cache.view(day)
        seen.append((day, id(view), view.counts()["registered"], id(view.community())))

    threads = [threading.Thread(target=look, args=(days[n % 2],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reads) == 1  # eight threads, one read of the store
    assert {(day, view, n, c) for day, view, n, c in seen} == {
        (day, id(cache.view(day)), 3, id(cache.view(day).community())) for day in days[:2]
    }
    for day in days:
        cache.view(day)
    assert cache.view(days[3]) is cache.view(days[3])
    first = cache.view(days[0])  # pushed out by later dates: made again
    assert first.counts()["registered"] == 3
    assert len(cache._views) == 2
    assert len(reads) == 1  # one stamp, one read, however many dates


def test_the_charts_drawn_from_the_counts_are_those_drawn_from_the_rows(app, store):
    from census.domain.charts import summary_charts

    defn = app.extensions["census"].surveys["household"]
    for room in ("101", "102", "201"):
        records.save(store, defn, household(room), user="admin")
    view = app.extensions["census"].derived.view(date(2026, 1, 1))
    for lang in ("zh", "en"):
        drawn = summary_charts(view.figures(), view.community().residents, lang)
        assert view.charts(lang) == drawn


def test_no_page_changes_the_records_it_shares_with_the_store(app, client, auth, store):
    defn = app.extensions["census"].surveys["household"]
    for room in ("101", "102"):
        records.save(store, defn, household(room), user="surveyor1")
    store.collection("storefronts").insert({"name": "小卖部", "building": "1栋", "status": "open"})
    before = {name: store.collection(name).scan() for name in derived.WATCHED}
    auth.login("admin")
    for args in ("", "&approved=1"):
        assert client.get(f"/registers/?as_of={DAY}{args}").status_code == 200
        assert client.get(f"/summary?as_of={DAY}{args}").status_code == 200
        for reg in app.extensions["census"].registers:
            for query in ("", "&q=张&grid=第一网格&age=18-59&ethnicity=汉族", "&full=1&page=2"):
                url = f"/registers/{reg.key}?as_of={DAY}{args}{query}"
                assert client.get(url).status_code == 200, url
    assert {name: store.collection(name).scan() for name in derived.WATCHED} == before
