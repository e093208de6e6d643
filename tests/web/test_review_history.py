"""History pages: what changed between versions, members by identity; restoring a version."""

from __future__ import annotations

from census.services import audit, records
from census.store import AppendOnly
from tests.conftest import csrf_token
from tests.factories import form_fields, make_household, make_member


def test_the_history_page_shows_each_change_with_members_matched_by_identity(client, auth, store):
    defn = client.application.extensions["census"].surveys["household"]
    first = make_household(members=4)
    saved = records.save(store, defn, first, user="surveyor1")
    head, spouse, child, leaving = (dict(m) for m in first["members"])
    spouse["phone"] = "13900001111"
    newcomer = make_member(5, name="马丽", relation="non_relative")
    second = make_household(members=0, housing="rented", landlord_name="马建华")
    second["members"] = [newcomer, spouse, head, child]  # reordered as well
    auth.login("reviewer")
    response = client.post(
        f"/survey/household/{saved.id}/edit",
        data={"csrf_token": csrf_token(client, "/survey/"), "_rev": "1", **form_fields(second)},
    )
    assert response.status_code == 302
    page = client.get(f"/households/{saved.id}/history").get_data(as_text=True)
    assert "新增成员</strong> 马丽" in page
    assert f"删除成员</strong> {leaving['name']}" in page
    assert f"修改成员</strong> {spouse['name']}：联系电话" in page and "13900001111" in page
    assert "修改成员</strong> " + head["name"] not in page  # moved, not changed
    assert "住房性质" in page and "租住" in page and "马建华" in page
    # ID numbers stay masked in the history, like everywhere else.
    assert leaving["id_number"] not in page


def test_restoring_an_old_version_saves_it_as_a_new_one(client, auth, store):
    defn = client.application.extensions["census"].surveys["household"]
    saved = records.save(store, defn, make_household(notes="第一版"), user="surveyor1")
    records.save(store, defn, make_household(notes="改错了"), user="admin", record_id=saved.id)
    auth.login("surveyor1")
    token = csrf_token(client, "/survey/")
    url = f"/review/households/{saved.id}/restore/1"
    assert client.post(url, data={"csrf_token": token, "_rev": "2"}).status_code == 403
    auth.logout()
    auth.login("reviewer")
    token = csrf_token(client, f"/households/{saved.id}/history")
    stale = client.post(url, data={"csrf_token": token, "_rev": "1"})
    assert stale.status_code == 302 and store.collection("households").get(saved.id)["_rev"] == 2
    client.post(url, data={"csrf_token": token, "_rev": "2"})
    record = store.collection("households").get(saved.id)
    assert (record["notes"], record["_rev"], record["updated_by"]) == ("第一版", 3, "reviewer")
    versions = records.history(store, "households", saved.id)
    assert [(v["rev"], v["action"]) for v in versions] == [
        (3, "restore"),
        (2, "edit"),
        (1, "create"),
    ]
    assert versions[0]["detail"] == {"from_rev": 1}
    (entry,) = audit.entries(store, action="restore")
    assert entry["actor"] == "reviewer" and entry["detail"] == {"rev": 3, "from_rev": 1}
    assert entry["ip"] == "127.0.0.1"
    page = client.get(f"/households/{saved.id}/history").get_data(as_text=True)
    assert "恢复自第 1 版" in page
    # Old versions themselves are never rewritten.
    try:
        store.collection("versions").update(versions[-1]["id"], {"record": {}})
    except AppendOnly:
        pass
    else:  # pragma: no cover
        raise AssertionError("a version was changed")


def test_restoring_a_version_that_no_longer_validates_is_refused(store, app):
    defn = app.extensions["census"].surveys["household"]
    saved = records.save(store, defn, make_household(), user="admin")
    result = records.restore(store, defn, saved.id, 7, user="admin")
    assert not result.saved and result.problems[0].code == "version_unknown"
