"""Edits that cross: PUT with base_revision saves or becomes a conflict; a reviewer merges it."""

from __future__ import annotations

import re
import threading
import uuid as uuidlib
from datetime import date

import pytest

from census.fieldwork import conflicts as fieldwork_conflicts
from census.fieldwork.conflicts import diff
from census.services import audit, records
from census.services.accounts import create_token
from census.store import Conflict
from census.surveys.definition import load_surveys
from tests.conftest import Auth, csrf_token
from tests.factories import make_household, make_storefront


@pytest.fixture
def tokens(store):
    return {name: create_token(store, name) for name in ("admin", "surveyor1", "surveyor2")}


def headers(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def household(client, tokens):
    """A household of four registered by surveyor1 over the API: (id, the body sent)."""
    body = make_household(members=4, notes="首次登记") | {"uuid": str(uuidlib.uuid4())}
    response = client.post("/api/v1/households", json=body, headers=headers(tokens["surveyor1"]))
    assert response.status_code == 201
    return response.json["id"], body


def put(client, token, record_id, body, base, uuid=None):
    edit = dict(body) | {"base_revision": base, "uuid": uuid or str(uuidlib.uuid4())}
    return client.put(f"/api/v1/households/{record_id}", json=edit, headers=headers(token))


def staff_edit(store, record_id, change):
    """A reviewer's edit at the desk (the web form saves through records.save the same way)."""
    current = store.collection("households").get(record_id)
    raw = {k: v for k, v in current.items() if k not in ("id", "_rev")}
    change(raw)
    result = records.save(
        store,
        load_surveys()["household"],
        raw,
        user="reviewer",
        record_id=record_id,
        expected_rev=current["_rev"],
    )
    assert result.saved, result.problems


def test_an_edit_at_the_current_revision_is_saved(client, tokens, store, household):
    record_id, body = household
    response = put(client, tokens["surveyor1"], record_id, body | {"notes": "补充电话"}, base=1)
    assert response.status_code == 200, response.json
    assert response.json["id"] == record_id and response.json["revision"] == 2
    stored = store.collection("households").get(record_id)
    assert stored["notes"] == "补充电话" and stored["_rev"] == 2
    assert stored["uuid"] == body["uuid"]  # the household keeps its own uuid
    assert [v["rev"] for v in records.history(store, "households", record_id)] == [2, 1]


def test_an_edit_from_an_old_revision_is_kept_aside_and_changes_nothing(
    client, tokens, store, household
):
    record_id, body = household
    staff_edit(store, record_id, lambda r: r.update(notes="社区核实"))
    before = store.collection("households").get(record_id)
    edit_uuid = str(uuidlib.uuid4())
    response = put(
        client, tokens["surveyor1"], record_id, body | {"notes": "离线修改"}, base=1, uuid=edit_uuid
    )
    assert response.status_code == 409
    assert response.json["current_revision"] == 2 and response.json["conflict"]
    assert store.collection("households").get(record_id) == before
    conflict = store.collection("conflicts").get(response.json["conflict"])
    assert conflict["state"] == "open" and conflict["by"] == "surveyor1"
    assert conflict["base_revision"] == 1 and conflict["theirs"]["notes"] == "离线修改"
    # the outbox sends it again: the same answer, no second conflict
    again = put(
        client, tokens["surveyor1"], record_id, body | {"notes": "离线修改"}, base=1, uuid=edit_uuid
    )
    assert again.status_code == 409 and again.json == response.json
    assert len(store.collection("conflicts")) == 1
    assert audit.entries(store, action="conflict")[0]["target"] == f"households/{record_id}"


def test_a_saved_edit_sent_again_is_not_a_conflict_with_itself(client, tokens, store, household):
    record_id, body = household
    edit_uuid = str(uuidlib.uuid4())
    first = put(client, tokens["surveyor1"], record_id, body | {"notes": "一"}, 1, edit_uuid)
    again = put(client, tokens["surveyor1"], record_id, body | {"notes": "一"}, 1, edit_uuid)
    assert first.status_code == again.status_code == 200 and again.json == first.json
    other = put(client, tokens["surveyor1"], record_id, body | {"notes": "二"}, 1, edit_uuid)
    assert other.status_code == 409 and other.json["error"] == "uuid_reused"
    assert store.collection("households").get(record_id)["_rev"] == 2
    assert len(store.collection("conflicts")) == 0


def test_retries_of_one_edit_at_the_same_moment_save_once(app, tokens, store, household):
    record_id, body = household
    edit = body | {"notes": "同时重发", "base_revision": 1, "uuid": str(uuidlib.uuid4())}
    answers: list[tuple[int, dict]] = []
    barrier = threading.Barrier(6)

    def send():
        client = app.test_client()
        barrier.wait()
        r = client.put(
            f"/api/v1/households/{record_id}", json=edit, headers=headers(tokens["surveyor1"])
        )
        answers.append((r.status_code, r.json))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [status for status, _ in answers] == [200] * 6
    assert {a["revision"] for _, a in answers} == {2}
    assert store.collection("households").get(record_id)["_rev"] == 2
    assert len(store.collection("conflicts")) == 0


def test_an_edit_that_already_matches_the_record_is_no_conflict(client, tokens, store, household):
    record_id, body = household
    staff_edit(store, record_id, lambda r: r.update(notes="两人都这样改"))
    response = put(client, tokens["surveyor1"], record_id, body | {"notes": "两人都这样改"}, 1)
    assert response.status_code == 200 and response.json["unchanged"] is True
    assert response.json["revision"] == 2 and len(store.collection("conflicts")) == 0


def test_edits_are_checked_and_scoped(client, tokens, store, household):
    record_id, body = household
    assert put(client, tokens["surveyor2"], record_id, body, 1).status_code == 403
    moved = put(client, tokens["surveyor1"], record_id, body | {"building": "2栋"}, 1)
    assert moved.status_code == 403
    bad = put(client, tokens["surveyor1"], record_id, body | {"housing": "castle"}, 1)
    assert bad.status_code == 422 and "housing" in bad.json["errors"]
    no_base = client.put(
        f"/api/v1/households/{record_id}",
        json=body | {"uuid": "e-1"},
        headers=headers(tokens["surveyor1"]),
    )
    assert no_base.status_code == 422 and "base_revision" in no_base.json["errors"]
    ahead = put(client, tokens["surveyor1"], record_id, body, 7)
    assert ahead.status_code == 422
    assert put(client, tokens["admin"], 999, body, 1).status_code == 404
    # what GET returned, sent back with a change, is a valid edit
    got = client.get(f"/api/v1/households/{record_id}", headers=headers(tokens["surveyor1"])).json
    echoed = put(client, tokens["surveyor1"], record_id, got | {"notes": "回传"}, got["revision"])
    assert echoed.status_code == 200, echoed.json
    assert store.collection("households").get(record_id)["_rev"] == 2


@pytest.fixture
def conflict(client, tokens, store, household):
    """A reviewer changed member 李秀兰's phone and the housing; meanwhile surveyor1, offline,
    reordered the roster, changed 张伟's political status and the notes."""
    record_id, body = household

    def desk(raw):
        raw["housing"] = "public"
        next(m for m in raw["members"] if m["name"] == "李秀兰")["phone"] = "13900001111"

    staff_edit(store, record_id, desk)
    members = list(reversed(body["members"]))
    next(m for m in members if m["name"] == "张伟")["political"] = "cyl_member"
    next(m for m in members if m["name"] == "李秀兰")["phone"] = "13600002222"
    offline = body | {"notes": "离线补充：租户已搬走", "members": members}
    response = put(client, tokens["surveyor1"], record_id, offline, base=1)
    assert response.status_code == 409
    return record_id, response.json["conflict"]


def radio_names(html: str) -> set[str]:
    return set(re.findall(r'type="radio" name="([^"]+)"', html))


def test_a_reviewer_resolves_field_by_field_with_members_matched_by_identity(app, store, conflict):
    record_id, conflict_id = conflict
    reviewer = Auth(app.test_client())
    reviewer.login("reviewer")
    listing = reviewer.client.get("/fieldwork/conflicts").get_data(as_text=True)
    assert f"/fieldwork/conflicts/{conflict_id}" in listing
    url = f"/fieldwork/conflicts/{conflict_id}"
    page = reviewer.client.get(url).get_data(as_text=True)
    current = store.collection("households").get(record_id)
    d = diff(
        load_surveys()["household"],
        current,
        store.collection("conflicts").get(conflict_id)["theirs"],
    )
    # only real differences: the reordering alone is none
    assert {c.key for c in d.fields} == {"housing", "notes"}
    by_who = {m.who: m for m in d.members}
    assert set(by_who) == {"张伟", "李秀兰"}
    assert [c.key for c in by_who["张伟"].changes] == ["political"]
    assert [c.key for c in by_who["李秀兰"].changes] == ["phone"]
    assert radio_names(page) == set(d.names())
    assert "公租房" in page and "共青团员" in page  # values shown as words

    political = by_who["张伟"].changes[0].name
    phone = by_who["李秀兰"].changes[0].name
    response = reviewer.client.post(
        url,
        data={
            "csrf_token": csrf_token(reviewer.client, url),
            "rev": current["_rev"],
            "f.notes": "theirs",
            "f.housing": "mine",
            political: "theirs",
            phone: "mine",
        },
    )
    assert response.status_code == 302
    merged = store.collection("households").get(record_id)
    assert merged["_rev"] == 3 and merged["updated_by"] == "reviewer"
    assert merged["notes"] == "离线补充：租户已搬走"  # theirs, chosen
    assert merged["housing"] == "public"  # mine, kept
    people = {m["name"]: m for m in merged["members"]}
    assert people["张伟"]["political"] == "cyl_member"
    assert people["李秀兰"]["phone"] == "13900001111"
    assert [m["name"] for m in merged["members"]] == [m["name"] for m in current["members"]]

    closed = store.collection("conflicts").get(conflict_id)
    assert closed["state"] == "resolved" and closed["resolved_by"] == "reviewer"
    assert closed["resolved_revision"] == 3 and closed["choices"]["f.notes"] == "theirs"
    assert (
        f"/fieldwork/conflicts/{conflict_id}"
        not in reviewer.client.get("/fieldwork/conflicts")
        .get_data(as_text=True)
        .split("最近处理")[0]
    )
    # the history keeps the desk version and the merge; the conflict keeps the offline body
    versions = records.history(store, "households", record_id)
    assert [v["rev"] for v in versions] == [3, 2, 1]
    assert (
        versions[1]["record"]["housing"] == "public"
        and versions[1]["record"]["notes"] == "首次登记"
    )
    assert versions[0]["record"]["notes"] == "离线补充：租户已搬走"
    assert closed["theirs"]["notes"] == "离线补充：租户已搬走"
    entry = audit.entries(store, action="resolve_conflict")[0]
    assert entry["actor"] == "reviewer" and entry["detail"]["took_theirs"] == sorted(
        ["f.notes", political]
    )
    # once closed the page is read-only and shows what was chosen
    again = reviewer.client.get(url).get_data(as_text=True)
    assert "保存为新版本并关闭冲突" not in again and "disabled" in again


def test_a_page_drawn_before_another_change_is_refused(app, store, conflict):
    record_id, conflict_id = conflict
    reviewer = Auth(app.test_client())
    reviewer.login("reviewer")
    url = f"/fieldwork/conflicts/{conflict_id}"
    token = csrf_token(reviewer.client, url)
    staff_edit(store, record_id, lambda r: r.update(notes="又改了一次"))
    response = reviewer.client.post(url, data={"csrf_token": token, "rev": 2, "f.notes": "theirs"})
    assert response.status_code == 302
    assert store.collection("households").get(record_id)["notes"] == "又改了一次"
    assert store.collection("conflicts").get(conflict_id)["state"] == "open"
    page = reviewer.client.get(url).get_data(as_text=True)
    assert "刚被他人修改" in page


def test_a_merge_that_breaks_a_rule_is_not_saved(app, store, conflict, client, tokens, household):
    record_id, body = household
    staff_edit(store, record_id, lambda r: r.update(notes="x"))
    members = [dict(m) for m in body["members"]]
    members[1]["relation"] = "head"  # the offline edit made 李秀兰 the head...
    members[0]["relation"] = "spouse"  # ...and 张建国 her spouse
    response = put(client, tokens["surveyor1"], record_id, body | {"members": members}, base=1)
    conflict_id = response.json["conflict"]
    reviewer = Auth(app.test_client())
    reviewer.login("reviewer")
    url = f"/fieldwork/conflicts/{conflict_id}"
    page = reviewer.client.get(url).get_data(as_text=True)
    rev = store.collection("households").get(record_id)["_rev"]
    names = sorted(n for n in radio_names(page) if n.endswith(".relation"))
    # take only one of the two relation changes: two heads
    data = {"csrf_token": csrf_token(reviewer.client, url), "rev": rev}
    data[next(n for n in names if n.startswith(_pair_of(store, conflict_id, "李秀兰")))] = "theirs"
    answer = reviewer.client.post(url, data=data)
    assert answer.status_code == 200
    assert re.search(
        r'class="flash error"[^>]*>[^<]*有且只有一位户主（现有 2 位）',
        answer.get_data(as_text=True),
    )
    assert store.collection("households").get(record_id)["_rev"] == rev
    assert store.collection("conflicts").get(conflict_id)["state"] == "open"


def _pair_of(store, conflict_id, name):
    row = store.collection("conflicts").get(conflict_id)
    current = store.collection("households").get(row["household_id"])
    d = diff(load_surveys()["household"], current, row["theirs"])
    return next(m.name for m in d.members if m.who == name) + "."


def test_surveyors_cannot_see_or_resolve_conflicts(app, conflict):
    _record_id, conflict_id = conflict
    surveyor = Auth(app.test_client())
    surveyor.login("surveyor1")
    assert surveyor.client.get("/fieldwork/conflicts").status_code == 403
    url = f"/fieldwork/conflicts/{conflict_id}"
    assert surveyor.client.get(url).status_code == 403
    token = csrf_token(surveyor.client, "/survey/")
    assert surveyor.client.post(url, data={"csrf_token": token, "rev": 2}).status_code == 403


@pytest.mark.parametrize("stale", [False, True], ids=["current", "stale"])
def test_retries_from_several_processes_still_make_one_save_or_one_conflict(
    app, tokens, store, household, monkeypatch, stale
):
    """With a database shared by several servers the in-process lock does not hold; the
    store's unique keys and revisions must still give one outcome and one answer."""
    import contextlib

    from census.fieldwork import edits

    monkeypatch.setattr(edits, "_one_edit_at_a_time", lambda *_: contextlib.nullcontext())
    record_id, body = household
    if stale:
        staff_edit(store, record_id, lambda r: r.update(notes="社区核实"))
    edit = body | {"notes": "并发重发", "base_revision": 1, "uuid": str(uuidlib.uuid4())}
    answers: list[tuple[int, dict]] = []
    barrier = threading.Barrier(8)

    def send():
        client = app.test_client()
        barrier.wait()
        r = client.put(
            f"/api/v1/households/{record_id}", json=edit, headers=headers(tokens["surveyor1"])
        )
        answers.append((r.status_code, r.json))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({status for status, _ in answers}) == 1
    assert answers[0][0] == (409 if stale else 200)
    assert len({a.get("revision") or a.get("conflict") for _, a in answers}) == 1
    assert store.collection("households").get(record_id)["_rev"] == 2
    assert len(records.history(store, "households", record_id)) == 2
    assert len(store.collection("conflicts")) == (1 if stale else 0)
    assert len(store.collection("edits").find(uuid=edit["uuid"])) == 1


def test_two_reviewers_merging_one_conflict_save_one_version(store, conflict):
    """The second merge started from the same page: neither its version nor its close stays."""
    record_id, conflict_id = conflict
    defn = load_surveys()["household"]
    row = store.collection("conflicts").get(conflict_id)
    rev = store.collection("households").get(record_id)["_rev"]
    first, _ = fieldwork_conflicts.resolve(
        store, defn, row, {"f.notes": "theirs"}, user="reviewer", expected_rev=rev
    )
    assert first.saved
    # a second reviewer whose page shows the record as it now is, but the conflict as it was
    # before the first merge closed it: the close is refused, and the merge with it
    stale_row = dict(row)
    before = len(records.history(store, "households", record_id))
    with pytest.raises(Conflict):
        fieldwork_conflicts.resolve(
            store,
            defn,
            stale_row | {"state": "open"},
            {"f.notes": "mine"},
            user="admin",
            expected_rev=rev + 1,
        )
    assert len(records.history(store, "households", record_id)) == before
    assert store.collection("households").get(record_id)["notes"] == "离线补充：租户已搬走"
    assert store.collection("conflicts").get(conflict_id)["resolved_by"] == "reviewer"


def test_a_storefront_edit_is_saved_or_kept_for_a_reviewer_like_a_households(
    app, client, tokens, store
):
    created = client.post(
        "/api/v1/storefronts",
        json=make_storefront(uuid=str(uuidlib.uuid4())),
        headers=headers(tokens["surveyor1"]),
    )
    shop_id = created.json["id"]
    url = f"/api/v1/storefronts/{shop_id}"

    def send(token, base, **changes):
        body = make_storefront(**changes, base_revision=base, uuid=str(uuidlib.uuid4()))
        return client.put(url, json=body, headers=headers(token))

    saved = send(tokens["surveyor1"], 1, employees=3)
    assert saved.status_code == 200 and saved.json["revision"] == 2
    assert store.collection("storefronts").get(shop_id)["employees"] == 3
    assert send(tokens["surveyor2"], 2, status="closed").status_code == 403  # not theirs
    # a desk edit, then the surveyor's offline edit from revision 2: kept aside
    current = store.collection("storefronts").get(shop_id)
    raw = {k: v for k, v in current.items() if k not in ("id", "_rev")} | {"operator_name": "马亮"}
    assert records.save(
        store, load_surveys()["storefront"], raw, user="reviewer", record_id=shop_id, expected_rev=2
    ).saved
    crossed = send(tokens["surveyor1"], 2, employees=3, status="closed")
    assert crossed.status_code == 409, crossed.json
    assert store.collection("storefronts").get(shop_id)["status"] == "open"
    conflict_id = crossed.json["conflict"]
    assert store.collection("conflicts").get(conflict_id)["collection"] == "storefronts"

    reviewer = Auth(app.test_client())
    reviewer.login("reviewer")
    listing = reviewer.client.get("/fieldwork/conflicts").get_data(as_text=True)
    assert "红柳烤肉店 · 1栋101底商" in listing
    page_url = f"/fieldwork/conflicts/{conflict_id}"
    page = reviewer.client.get(page_url).get_data(as_text=True)
    assert "门面/个体工商户登记表" in page and "经营者" in page and "状态" in page
    assert set(radio_names(page)) == {"f.status", "f.operator_name"}
    token = csrf_token(reviewer.client, page_url)
    done = reviewer.client.post(
        page_url, data={"csrf_token": token, "rev": 3, "f.status": "theirs"}
    )
    assert done.status_code == 302
    shop = store.collection("storefronts").get(shop_id)
    assert (shop["status"], shop["operator_name"], shop["_rev"]) == ("closed", "马亮", 4)
    assert store.collection("conflicts").get(conflict_id)["state"] == "resolved"
    english = reviewer.client.get("/fieldwork/conflicts?lang=en").get_data(as_text=True)
    assert "<th>Record</th>" in english and "(households, storefronts, units)" in english


def test_a_storefronts_history_shows_each_version_with_masked_ids(app, store):
    from census.domain.ids import make_resident_id

    operator_id = make_resident_id("650102", date(1980, 5, 1), 7, "male")
    defn = load_surveys()["storefront"]
    first = records.save(store, defn, make_storefront(operator_id_number=operator_id), user="admin")
    new_operator = make_resident_id("650102", date(1985, 3, 9), 8, "female")
    raw = make_storefront(operator_id_number=new_operator, status="closed", employees=2)
    assert records.save(store, defn, raw, user="reviewer", record_id=first.id).saved
    staff = Auth(app.test_client())
    staff.login("reviewer")
    listing = staff.client.get("/records/storefront").get_data(as_text=True)
    url = f"/records/storefront/{first.id}/history"
    assert url in listing
    page = staff.client.get(url).get_data(as_text=True)
    assert "红柳烤肉店 · 1栋101底商" in page and "第 2 版" in page and "首次登记" in page
    assert re.search(r"<td>状态</td><td><del>营业</del></td><td><ins>停业</ins></td>", page)
    assert re.search(r"<td>从业人数</td><td><del>—</del></td><td><ins>2</ins></td>", page)
    assert operator_id not in page and new_operator not in page
    assert f"<del>{operator_id[:6]}********{operator_id[-4:]}</del>" in page
    surveyor = Auth(app.test_client())
    surveyor.login("surveyor1")
    assert surveyor.client.get(url).status_code == 403
