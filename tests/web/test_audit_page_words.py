"""The audit log page names people and records as staff know them: display names with the
username beneath, actions in words, a household by its address, an account by its holder."""

from __future__ import annotations

import csv
import io

from census.domain.address import address_text
from census.services import audit, records
from census.services.accounts import add_user
from tests.conftest import FAST_HASH, PASSWORD
from tests.factories import make_household, make_storefront


def test_the_log_shows_names_words_and_addresses(client, auth, store, app):
    add_user(store, "wangfang", "surveyor", PASSWORD, display_name="王芳", hash_method=FAST_HASH)
    forms = app.extensions["census"].surveys
    house = records.save(store, forms["household"], make_household(room="302"), user="wangfang")
    shop = records.save(store, forms["storefront"], make_storefront(), user="wangfang")
    audit.record(store, "admin", "password_reset", "users/wangfang")
    audit.record(store, "admin", "edit", "households/999")  # a record no longer there
    auth.login("admin")
    page = client.get("/audit/").get_data(as_text=True)
    # The surveyor's own name, the username on a line of its own beneath it.
    assert '王芳<br><small class="username" title="用户名">wangfang</small>' in page
    # A household by its address, linked, its id in the tooltip; an account by its holder.
    place = address_text(make_household(room="302"))
    assert place.endswith("302室")
    assert f'title="households/{house.id}">{place}</a>' in page
    assert '<span title="users/wangfang">王芳</span>' in page
    name = make_storefront()["name"]
    assert f'<span title="storefronts/{shop.id}">{name}' in page
    # What is gone stays as it was stored; actions are words, never codes.
    assert 'title="households/999">households/999</a>' in page
    assert "<td>新建</td>" in page and "<td>重置密码</td>" in page and "<td>登录</td>" in page
    assert "<td>password_reset</td>" not in page and "<td>create</td>" not in page
    english = client.get("/audit/?lang=en").get_data(as_text=True)
    assert "<td>Log in</td>" in english or "<td>Login</td>" in english


def test_the_log_export_adds_names_and_words_beside_the_codes(client, auth, store, app):
    add_user(store, "wangfang", "surveyor", PASSWORD, display_name="王芳", hash_method=FAST_HASH)
    defn = app.extensions["census"].surveys["household"]
    house = records.save(store, defn, make_household(room="302"), user="wangfang")
    auth.login("admin")
    response = client.get("/audit/export.csv?actor=wangfang")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][6:] == ["操作人姓名", "操作名称", "对象说明"]
    (row,) = rows[1:]
    assert row[1:4] == ["wangfang", "create", f"households/{house.id}"]
    assert row[6:] == ["王芳", "新建", address_text(make_household(room="302"))]
