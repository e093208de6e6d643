"""Fixtures for the store tests: every backend-neutral test runs once per backend."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from census.store import Store, open_store

# Add "postgres" here (and a branch in _open_backend) when that backend exists.
BACKENDS = ["tinydb"]

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def id_number(region: str, birth: str, serial: int) -> str:
    """Build a resident ID number with a correct GB 11643 check digit."""
    body = f"{region}{birth}{serial % 1000:03d}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def household(n: int, **overrides: Any) -> dict[str, Any]:
    """Return a realistic household document numbered ``n``."""
    doc: dict[str, Any] = {
        "uuid": f"5f0c1e2a-0000-4000-8000-{n:012d}",
        "address": {
            "community": "幸福社区",
            "building": n % 30 + 1,
            "room": f"{n % 6 + 1}0{n % 4 + 1}",
        },
        "head_name": "王建国",
        "phone": f"139{n:08d}",
        "status": "draft" if n % 3 else "submitted",
        "members": [
            {
                "name": "王建国",
                "relation": "户主",
                "sex": "男",
                "id_number": id_number("650102", "19700315", 2 * n + 1),
            },
            {
                "name": "李秀英",
                "relation": "配偶",
                "sex": "女",
                "id_number": id_number("650102", "19720820", 2 * n),
            },
            {
                "name": "王小明",
                "relation": "子",
                "sex": "男",
                "id_number": id_number("650104", f"2005{n % 12 + 1:02d}01", n + 11),
            },
        ],
    }
    doc.update(overrides)
    return doc


@pytest.fixture
def make_household() -> Callable[..., dict[str, Any]]:
    """Return a factory of distinct households: ``make_household(status="done")``."""
    counter = itertools.count(1)
    return lambda **overrides: household(next(counter), **overrides)


def _open_backend(backend: str, where: Path) -> Store:
    if backend == "tinydb":
        return open_store(where)
    raise AssertionError(f"unknown backend {backend}")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend under test."""
    return str(request.param)


@pytest.fixture
def reopen(backend: str, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Return a function that opens this test's store again; all are closed at the end."""
    opened: list[Store] = []

    def open_again() -> Store:
        store = _open_backend(backend, tmp_path / "data")
        opened.append(store)
        return store

    yield open_again
    for store in opened:
        store.close()


@pytest.fixture
def store(reopen: Callable[[], Store]) -> Store:
    """An open, empty store for the backend under test."""
    return reopen()
