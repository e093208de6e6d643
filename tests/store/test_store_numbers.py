"""Store.next_number: numbers people see, never handed out twice, whoever asks at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from census.store import open_store


class Stop(Exception):
    """An error raised inside a block."""


def test_numbers_grow_from_the_floor_and_never_go_back(target):
    with open_store(target, fsync=False) as store:
        assert store.next_number("household_no") == 1
        assert store.next_number("household_no") == 2
        assert store.next_number("household_no", floor=10) == 10
        assert store.next_number("household_no", floor=3) == 11
        assert store.next_number("other") == 1
    with open_store(target, fsync=False) as store:  # kept across a restart
        assert store.next_number("household_no") == 12


def test_a_failed_block_keeps_no_claim_on_tinydb(tmp_path):
    with open_store(tmp_path / "data", fsync=False) as store:
        with pytest.raises(Stop), store.atomic():
            assert store.next_number("n") == 1
            raise Stop
        assert store.next_number("n") == 1


def test_threads_claiming_at_once_get_distinct_numbers(target):
    with open_store(target, fsync=False) as store:
        barrier = threading.Barrier(8)

        def claim(_):
            barrier.wait()
            return [store.next_number("n") for _ in range(25)]

        with ThreadPoolExecutor(8) as pool:
            got = [n for ns in pool.map(claim, range(8)) for n in ns]
    assert sorted(got) == list(range(1, 201))


@pytest.mark.postgres
def test_two_processes_on_one_database_get_distinct_numbers(pg_url):
    stores = [open_store(pg_url, fsync=False) for _ in range(2)]
    try:
        barrier = threading.Barrier(8)

        def claim(k):
            barrier.wait()
            store = stores[k % 2]
            found = []
            for _ in range(25):
                with store.atomic():  # the claim held until the block commits
                    found.append(store.next_number("n"))
            return found

        with ThreadPoolExecutor(8) as pool:
            got = [n for ns in pool.map(claim, range(8)) for n in ns]
    finally:
        for store in stores:
            store.close()
    assert sorted(got) == list(range(1, 201))
