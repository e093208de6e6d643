"""Hostile input against the API and the web forms: never a 5xx, a 422 names its field,
and every page and export still answers after whatever the fuzz managed to store.

Three fuzzers share one app (a real TinyDB folder) in this order:
1. Schemathesis over the OpenAPI description served at /api/v1/openapi.json;
2. Hypothesis mutating valid records one value at a time into what breaks servers
   (huge and negative integers, lone surrogates, NUL and control characters, deep
   nesting, huge strings, wrong types);
3. Hypothesis over every web form's POST route with hostile form fields.
Then every GET page and export is read as each role. The sizes are bounded so that
``make test`` stays fast; ``FUZZ_EXAMPLES`` raises them.
"""

from __future__ import annotations

import copy
import os
import re
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from census.app import create_app
from census.services.accounts import add_user, create_token
from census.surveys.conform import conform
from census.web.current import get_store
from tests.conftest import ACCOUNTS, BUILDINGS, FAST_HASH, PASSWORD
from tests.factories import make_household, make_storefront

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
TALLY: Counter[str] = Counter()
PATH = re.compile(r"^([A-Za-z_]\w*(\[\d+\])*)(\.[A-Za-z_]\w*(\[\d+\])*)*$|^$")
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """One app for the whole module: what one fuzzer stores, the pages must survive."""
    app = create_app(
        {
            "DATA_DIR": str(tmp_path_factory.mktemp("fuzz") / "data"),
            "SECRET_KEY": "fuzz-secret",
            "TESTING": True,
            "FSYNC": False,
        }
    )
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a bug answers 500, as in production
    store = get_store(app)
    for building in BUILDINGS:
        store.collection("buildings").insert(dict(building))
    for name, (role, grids) in ACCOUNTS.items():
        add_user(store, name, role, PASSWORD, grids=grids, hash_method=FAST_HASH)
    app.config["FUZZ_TOKENS"] = {name: create_token(store, name) for name in ACCOUNTS}
    yield app
    store.close()


def _headers(app, who: str = "admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {app.config['FUZZ_TOKENS'][who]}"}


def _checked(response, where: str, sent: Any = None) -> None:
    TALLY["requests"] += 1
    TALLY[f"{response.status_code // 100}xx"] += 1
    assert response.status_code < 500, (where, response.status_code, response.get_data()[:300])
    if response.status_code == 422 and response.is_json:
        errors = response.get_json().get("errors") or {}
        assert errors, (where, "a 422 without errors")
        for path, messages in errors.items():
            keys = sent if isinstance(sent, dict) else {}
            named = PATH.match(path) or any(path.startswith(str(k)) for k in keys)
            assert named, (where, "a 422 path that names no field", path)
            assert messages and all(isinstance(m, str) and m for m in messages), (where, path)


# 1. Schemathesis over the OpenAPI description -------------------------------------------


def test_the_api_described_never_answers_5xx(fuzz_app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    for operation in operations:

        @settings(FUZZ, max_examples=max(5, EXAMPLES // 2))
        @given(case=operation.as_strategy(), who=st.sampled_from(["admin", "surveyor1"]))
        def call(case, who):
            response = case.call(headers=_headers(fuzz_app, who))
            TALLY["requests"] += 1
            TALLY[f"{response.status_code // 100}xx"] += 1
            where = (who, case.method, case.formatted_path)
            assert response.status_code < 500, (where, response.text[:300])
            if response.status_code == 422:
                sent = case.body if isinstance(case.body, dict) else {}
                for path in response.json().get("errors") or {}:
                    assert PATH.match(path) or path in sent or path.split(".")[0] in sent, (
                        where,
                        path,
                    )

        call()


def test_the_description_covers_every_api_route(fuzz_app):
    described = {
        (path, method.upper())
        for path, ops in fuzz_app.test_client()
        .get("/api/v1/openapi.json")
        .get_json()["paths"]
        .items()
        for method in ops
    }
    routed = set()
    for rule in fuzz_app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1") :])
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert described == routed


# 2. Valid records with one value made hostile -------------------------------------------

HOSTILE = st.one_of(
    st.integers(min_value=2**53, max_value=2**80),
    st.integers(max_value=-(2**63)),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "\ud800",
            "a\x00b",
            "\x07\x1b",
            "x" * 20_000,
            "１２３",
            "=1+2",
            "<script>",
            " ",
            "0" * 5000,
        ]
    ),
    st.text(max_size=30),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.recursive(
        st.just("deep"), lambda inner: st.lists(inner, min_size=1, max_size=1), max_leaves=30
    ),
)


def _leaf_paths(doc: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _leaf_paths(value, (*path, key))
    elif isinstance(doc, list):
        for n, value in enumerate(doc):
            found += _leaf_paths(value, (*path, n))
    return found


def _replace(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    copy_ = copy.deepcopy(doc)
    target = copy_
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy_


BASES = {
    "/api/v1/households": make_household(members=3)
    | {"visited_at": "2025-05-01T10:00", "visit_outcome": "completed"},
    "/api/v1/storefronts": make_storefront(),
    "/api/v1/visits": {"building": "1栋", "unit": "1", "room": "102", "outcome": "not_home"},
}


@FUZZ
@given(
    url=st.sampled_from(sorted(BASES)),
    data=st.data(),
    value=HOSTILE,
    who=st.sampled_from(["admin", "surveyor1"]),
    extra_key=st.one_of(st.none(), st.text(min_size=1, max_size=8)),
)
def test_hostile_values_in_valid_records_are_refused_by_field(
    fuzz_app, url, data, value, who, extra_key
):
    base = BASES[url]
    path = data.draw(st.sampled_from(_leaf_paths(base)))
    body = _replace(base, path, value)
    if isinstance(body, dict):
        body = dict(body, uuid=data.draw(st.uuids()).hex)
        if extra_key:
            body[extra_key] = value
    import json

    try:
        raw = json.dumps(body, ensure_ascii=True)
    except (TypeError, ValueError):
        return
    client = fuzz_app.test_client()
    headers = _headers(fuzz_app, who) | {"Content-Type": "application/json"}
    _checked(client.post(url, data=raw, headers=headers), f"POST {url} {path}", body)
    if url != "/api/v1/visits":
        kind = url.rsplit("/", 1)[1]
        _checked(client.put(f"{url}/1", data=raw, headers=headers), f"PUT {kind}/1 {path}", body)
        edit = dict(body, base_revision=value) if isinstance(body, dict) else body
        try:
            raw_edit = json.dumps(edit, ensure_ascii=True)
        except (TypeError, ValueError):
            return
        _checked(client.put(f"{url}/1", data=raw_edit, headers=headers), f"PUT {kind}/1", edit)


def test_broken_bodies_are_400_or_413_never_5xx(fuzz_app):
    client = fuzz_app.test_client()
    headers = _headers(fuzz_app) | {"Content-Type": "application/json"}
    bodies = [
        b"",
        b"{",
        b"\xff\xfe",
        b"[" * 100_000,
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'"just text"',
        b'{"uuid": "x", "members": ' + b"[" * 50 + b"]" * 50 + b"}",
        b'{"uuid": "' + b"u" * 2_000_000 + b'"}',
    ]
    for body in bodies:
        for url in BASES:
            response = client.post(url, data=body, headers=headers)
            _checked(response, f"POST {url} {body[:20]!r}")
            assert response.status_code in (400, 413, 422), (url, body[:20], response.status_code)
    too_big = client.post("/api/v1/households", data=b" " * (2 * 1024 * 1024), headers=headers)
    assert too_big.status_code == 413 and "1024 KB" in too_big.get_json()["message"]


# 3. Web forms ---------------------------------------------------------------------------


def _login(client, who: str) -> str:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": who, "password": PASSWORD, "csrf_token": token})
    home = client.get("/survey/new" if who.startswith("surveyor") else "/households").get_data(
        as_text=True
    )
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', home) or re.search(
        r'content="([^"]+)" name="csrf-token"|name="csrf-token" content="([^"]+)"', home
    )
    return next(g for g in found.groups() if g) if found else token


def _post_routes(app) -> list[str]:
    fill = {"record_id": "1", "name": "1栋", "kind": "move_out", "action": "approve"}
    fill |= {"rev": "1", "conflict_id": "1", "form_name": "household", "upload_id": "x" * 12}
    fill |= {"username": "surveyor1"}
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith("/api/") and rule.rule != "/logout":
            urls.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda m: fill.get(m.group(1), "1"), rule.rule))
    return sorted(set(urls))


FORM_KEYS = st.sampled_from(
    ["remove_item", "add_item", "_rev", "building", "unit", "room", "members-0-name",
     "members-0-id_number", "members-0-birth_date", "ids", "comment", "back", "next",
     "housing", "action", "grids", "buildings", "kind", "date", "as_of", "name", "replace",
     "members-99999999999999999999-name", "members--1-name", "members-x-name", "target"]
)  # fmt: skip
FORM_VALUES = st.one_of(
    st.sampled_from(["", "1", "-1", "x", "1e9", "99999999999999999999999", "\x00", "0"]),
    st.text(max_size=40),
)


@FUZZ
@given(data=st.data(), who=st.sampled_from(["admin", "reviewer", "surveyor1"]))
def test_hostile_web_forms_never_answer_5xx(fuzz_app, data, who):
    client = fuzz_app.test_client()
    token = _login(client, who)
    url = data.draw(st.sampled_from(_post_routes(fuzz_app)))
    fields = data.draw(st.dictionaries(FORM_KEYS, FORM_VALUES, max_size=6))
    _checked(client.post(url, data=fields | {"csrf_token": token}), f"POST {url} {fields}")


# 4. After all that: every page and export still answers ---------------------------------


def _get_routes(app) -> list[str]:
    store = get_store(app)
    ids = [d["id"] for d in store.collection("households").scan()][-5:] or [1]
    fill = {"name": "1栋", "form_name": "storefront", "key": "elderly", "fmt": "xlsx"}
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/static", "/api/", "/prints/<")):
            continue
        if rule.rule.endswith(".pdf") and "<" not in rule.rule:
            continue  # the PDFs of the whole community are read once below
        if "<int:record_id>" in rule.rule:
            for n in ids:
                urls.add(rule.rule.replace("<int:record_id>", str(n)).replace("<kind>", "move_out"))
            continue
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: fill.get(m.group(1), "x"), rule.rule)
        urls.add(url)
        if "<fmt>" in rule.rule:
            urls.add(url.replace("xlsx", "csv"))
    return sorted(urls | {"/review/checks.pdf", "/buildings/1栋/household-list.pdf"})


@pytest.mark.parametrize("who", ["admin", "reviewer", "surveyor1"])
def test_every_page_answers_after_the_fuzz(fuzz_app, who):
    client = fuzz_app.test_client()
    _login(client, who)
    for url in _get_routes(fuzz_app):
        _checked(client.get(url), f"GET {url} as {who}")


def test_zz_tally(fuzz_app):
    """What the fuzz sent (shown with -s): requests and answers by class; never a 5xx."""
    print(f"\nfuzz: {dict(TALLY)}")
    assert TALLY["requests"] > 0 and TALLY["5xx"] == 0


# 5. Stored data that is not what the form says (an old version, a hand edit) ------------

ODD_VALUES = [5, ["x"], {"a": 1}, "garbage", None, True, -1, "\ufffd", "9999-99-99", 1.5]


def test_pages_show_odd_stored_values_as_text(tmp_path):
    app = create_app(
        {"DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "s", "TESTING": True, "FSYNC": False}
    )
    app.config["PROPAGATE_EXCEPTIONS"] = False
    store = get_store(app)
    for building in BUILDINGS:
        store.collection("buildings").insert(dict(building))
    for name, (role, grids) in ACCOUNTS.items():
        add_user(store, name, role, PASSWORD, grids=grids, hash_method=FAST_HASH)
    base = make_household(members=2) | {
        "household_no": "H0001",
        "review_state": "submitted",
        "surveyor": "surveyor1",
        "visited_at": "2025-05-01T10:00:00",
        "visit_outcome": "completed",
    }
    n = 0
    for path in _leaf_paths(base):
        if not path:
            continue
        for value in ODD_VALUES:
            n += 1
            doc = _replace(base, path, value)
            doc["household_no"] = f"H{n:04d}"
            store.collection("households").insert(doc)
    store.collection("storefronts").insert(make_storefront() | {"category": ["x"], "name": 5})
    store.close()  # stored behind the app's back: the next start conforms them
    app = create_app(
        {"DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "s", "TESTING": True, "FSYNC": False}
    )
    app.config["PROPAGATE_EXCEPTIONS"] = False
    store = get_store(app)
    repaired = [e for e in store.collection("audit").scan() if e["action"] == "repair"]
    assert len(repaired) > n // 2  # the values of a wrong type; their versions keep the old
    household = app.extensions["census"].surveys["household"]
    assert all(conform(household, h) is None for h in store.collection("households").scan())
    odd = store.collection("storefronts").scan()[-1]
    assert odd["name"] == "5" and odd["category"] == '["x"]'
    try:
        for who in ("admin", "surveyor1"):
            client = app.test_client()
            _login(client, who)
            for url in _get_routes(app):
                _checked(client.get(url), f"GET {url} as {who} (odd values stored)")
    finally:
        store.close()
