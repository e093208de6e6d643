"""Pages name people by their accounts' display names, not their usernames: the review
queue (rows and its filter), the household page, the review thread."""

from __future__ import annotations

from census.services import records, review
from census.services.accounts import add_user
from tests.conftest import FAST_HASH, PASSWORD
from tests.factories import make_household


def test_the_queue_and_the_household_page_name_the_surveyor_and_the_reviewer(
    client, auth, store, app
):
    add_user(
        store,
        "wangfang",
        "surveyor",
        PASSWORD,
        display_name="王芳",
        grids=["第一网格"],
        hash_method=FAST_HASH,
    )
    add_user(store, "lilei", "reviewer", PASSWORD, display_name="李雷", hash_method=FAST_HASH)
    defn = app.extensions["census"].surveys["household"]
    saved = records.save(store, defn, make_household(room="301"), user="wangfang")
    assert store.collection("households").get(saved.id)["surveyor"] == "wangfang"
    auth.login("lilei")
    queue = client.get("/review/").get_data(as_text=True)
    assert "<td>王芳</td>" in queue and '<option value="wangfang">王芳</option>' in queue
    assert "<td>wangfang</td>" not in queue
    review.act(store, saved.id, "approve", username="lilei", role="reviewer")
    page = client.get(f"/households/{saved.id}").get_data(as_text=True)
    assert "<dd>王芳 " in page and "李雷" in page
    assert "<dd>wangfang" not in page and "· lilei" not in page
