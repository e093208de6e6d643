"""A community's name is unique in its street, as its code is: written with other spaces
(full-width, doubled, around it) it is the same name, and two admins adding one name at the
same moment get one community and one refusal in words.

The moment is made with a ``threading.Barrier`` releasing the two requests together: on a
real TinyDB folder through one deployment, and on the real PostgreSQL through two
``census serve`` processes, one request to each. On the tree before, the name was checked
by reading the list and then writing, so both requests of a round could pass the check.
"""

from __future__ import annotations

import re
import sys
import threading

import psycopg
import pytest
import requests
from click.testing import CliRunner
from werkzeug.test import Client

from census.cli import main
from census.queries.communities import added
from census.services.accounts import add_user
from census.services.communities import add_community
from census.street.deployment import Deployment
from tests.conftest import FAST_HASH, PASSWORD, PG_URL
from tests.servers import servers, settings
from tests.street.street_site import EAST, WEST, login, make_street, token

ROUNDS = 6  # rounds of two requests at once: one is enough to show a second community
TINY_ROUNDS = 20  # in one process the two interleave less often than on two servers
LISTED = 300


@pytest.fixture
def street(tmp_path):
    deployment = make_street({"DATA_DIR": str(tmp_path / "data"), "TESTING": True, "FSYNC": False})
    yield deployment
    deployment.close()


def _add(client: Client, name: str, code: str, csrf: str) -> tuple[int, str]:
    answer = client.post(
        "/street/communities", data={"name": name, "code": code, "csrf_token": csrf}
    )
    return answer.status_code, answer.get_data(as_text=True)


def test_the_same_name_with_other_spaces_is_refused_on_the_page(street):
    boss = Client(street)
    login(boss, "boss")
    csrf = token(boss, "/street/communities")
    assert _add(boss, "北区社区", "bq", csrf)[0] == 302
    for name, code in (("　北区社区 ", "bq2"), ("北区　社区", "bq3"), ("北区  社区", "bq4")):
        status, page = _add(boss, name, code, csrf)
        assert status == 200 and "已有名为" in page and "的社区" in page, name
    status, page = _add(boss, f"{EAST[:2]} {EAST[2:]}", "dq", csrf)  # the first community's
    assert status == 200 and "已有名为" in page
    status, page = _add(boss, "ＷＥＳＴ　Ｐａｒｋ", "wp", csrf)  # full-width letters
    assert _add(boss, "west park", "wp2", csrf)[0] == 200 and status == 302
    assert [c.name for c in street.communities()] == [EAST, WEST, "北区社区", "ＷＥＳＴ Ｐａｒｋ"]


def test_the_same_name_with_other_spaces_is_refused_on_the_command_line(tmp_path):
    env = {"CENSUS_DATA_DIR": str(tmp_path / "data"), "CENSUS_FSYNC": "false"}

    def run(*args: str):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    assert run("init", "--community", EAST).exit_code == 0
    assert run("community", "add", WEST, "--code", "xq").exit_code == 0
    again = run("community", "add", f" {WEST[:2]}　{WEST[2:]}", "--code", "xq2")
    assert again.exit_code == 1 and f"已有名为“{WEST[:2]} {WEST[2:]}”的社区" in again.output
    assert not (tmp_path / "data" / "communities" / "xq2").exists()
    first = run("community", "add", f"{EAST}　", "--code", "dq")
    assert first.exit_code == 1 and "已有名为" in first.output


def _at_once(calls) -> list:
    """Each of ``calls`` in a thread of its own, released together; their answers."""
    barrier = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def run(n: int) -> None:
        barrier.wait()
        answers[n] = calls[n]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def test_two_admins_adding_one_name_at_once_on_tinydb(street):
    """Two admins of the first community, each in a browser of their own. One process: the
    interpreter is made to switch threads every microsecond (not every 5 ms), so that the
    two requests interleave as two servers' do."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        _two_admins_at_once(street)
    finally:
        sys.setswitchinterval(before)


def _two_admins_at_once(street) -> None:
    add_user(street.census.store, "boss2", "admin", PASSWORD, hash_method=FAST_HASH)
    for n in range(LISTED):  # a long list: checking a name against it takes a while
        add_community(street.census.store, f"已有{n}社区", f"old{n}", home_name=EAST, actor="t")
    admins = [Client(street), Client(street)]
    login(admins[0], "boss")
    login(admins[1], "boss2")
    tokens = [token(client, "/street/communities") for client in admins]
    for round_ in range(TINY_ROUNDS):
        name = f"南{round_}社区"
        answers = _at_once([
            lambda n=n, name=name, code=f"n{round_}_{n}": _add(admins[n], name, code, tokens[n])
            for n in range(2)
        ])  # fmt: skip
        assert sorted(status for status, _page in answers) == [200, 302], name
        refused = next(page for status, page in answers if status == 200)
        assert f"已有名为“{name}”的社区" in refused
    names = [c.name for c in added(street.census.store)]
    assert len(names) == len(set(names)) == 1 + LISTED + TINY_ROUNDS


def _browser(url: str, username: str) -> tuple[requests.Session, str]:
    """A logged-in browser of ``url`` and the CSRF token of the communities page."""
    session = requests.Session()

    def csrf(path: str) -> str:
        page = session.get(url + path, timeout=60).text
        found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        assert found, page[:300]
        return found.group(1)

    answer = session.post(
        f"{url}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf("/login")},
        allow_redirects=False,
        timeout=60,
    )
    assert answer.status_code == 302, answer.text[:300]
    return session, csrf("/street/communities")


def test_two_admins_adding_one_name_at_once_on_two_servers_of_postgresql(tmp_path):
    """Two ``census serve`` processes on one database, one admin's request to each."""
    schema = "census_street_names"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{PG_URL}?options=-c%20search_path%3D{schema}"
    data = tmp_path / "data"
    try:
        first = Deployment({"DATA_DIR": str(data), "DATABASE_URL": url})
        for username in ("boss", "boss2"):
            add_user(first.census.store, username, "admin", PASSWORD, hash_method=FAST_HASH)
        first.close()
        with servers(2, settings(data, url), threads=4) as (one, two):
            admins = [_browser(one.url, "boss"), _browser(two.url, "boss2")]
            bases = [one.url, two.url]
            for round_ in range(ROUNDS):
                name = f"南{round_}社区"

                def post(n: int, name: str = name, round_: int = round_) -> tuple[int, str]:
                    session, csrf = admins[n]
                    answer = session.post(
                        f"{bases[n]}/street/communities",
                        data={"name": name, "code": f"n{round_}_{n}", "csrf_token": csrf},
                        allow_redirects=False,
                        timeout=60,
                    )
                    return answer.status_code, answer.text

                answers = _at_once([lambda n=n: post(n) for n in range(2)])
                assert sorted(status for status, _page in answers) == [200, 302], name
                refused = next(page for status, page in answers if status == 200)
                assert f"已有名为“{name}”的社区" in refused
        with psycopg.connect(PG_URL) as conn:
            rows = conn.execute(
                f"SELECT count(*), count(DISTINCT doc->>'name') FROM {schema}.census_documents"
                " WHERE collection = 'communities'"
            ).fetchone()
        assert rows == (ROUNDS, ROUNDS)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            for round_ in range(ROUNDS):
                for n in range(2):
                    conn.execute(f"DROP SCHEMA IF EXISTS {schema}_n{round_}_{n} CASCADE")
