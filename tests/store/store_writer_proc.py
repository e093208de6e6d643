"""A writer process for the crash tests: it writes households and gets killed.

python store_writer_proc.py DATA_DIR loop TAG COMPACT_MIN_BYTES
    insert (and now and then update) households forever, printing one line
    per acknowledged write: "i ID N" or "u ID REV".
python store_writer_proc.py DATA_DIR crash TAG COUNT
    insert COUNT households, compact halfway, update the first, delete the
    second, then SIGKILL itself, leaving a journal behind.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from census.store.tinystore import TinyStore


def household(tag: str, n: int) -> dict[str, Any]:
    """The document written as number ``n`` of run ``tag`` (the tests rebuild it to compare)."""
    return {
        "uuid": f"{tag}-{n}",
        "n": n,
        "members": [{"name": f"成员{n}-{k}", "id_number": f"{n:012d}{k:05d}X"} for k in range(3)],
        "note": "入户登记" * (n % 40),
    }


def loop(data_dir: str, tag: str, compact_min_bytes: int) -> None:
    store = TinyStore(data_dir, compact_min_bytes=compact_min_bytes)
    households = store.collection("households")
    revs: dict[int, tuple[int, int]] = {}  # id -> (n, rev)
    n = 0
    while True:
        doc_id = households.insert(household(tag, n), unique=["uuid"])
        revs[doc_id] = (n, 1)
        print(f"i {doc_id} {n}", flush=True)
        if n % 3 == 2:
            target = sorted(revs)[n % len(revs)]
            tn, rev = revs[target]
            rev = households.update(target, {**household(tag, tn), "v": rev}, expected_rev=rev)
            revs[target] = (tn, rev)
            print(f"u {target} {rev}", flush=True)
        n += 1


def crash(data_dir: str, tag: str, count: int) -> None:
    store = TinyStore(data_dir)
    households = store.collection("households")
    ids = []
    for n in range(count):
        ids.append(households.insert(household(tag, n)))
        if n == count // 2:
            store.compact()
    households.update(ids[0], {**household(tag, 0), "v": 1})
    households.delete(ids[1])
    print(" ".join(map(str, ids)), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    folder, mode, run_tag, number = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    {"loop": loop, "crash": crash}[mode](folder, run_tag, number)
