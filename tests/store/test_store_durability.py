"""TinyDB backend: every acknowledged write survives SIGKILL at a random moment."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from store_crash import CHILD_ENV, WRITER, writer

from census.store import open_store

ROUNDS = 8


@pytest.mark.slow
def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    seed = time.time_ns()
    rng = random.Random(seed)
    folder = tmp_path / "data"
    inserted: dict[int, tuple[str, int]] = {}  # id -> (tag, n) as acknowledged
    acked_rev: dict[int, int] = {}
    for round_no in range(ROUNDS):
        tag = f"r{round_no}"
        # Odd rounds compact often, so kills also land inside compactions.
        compact_min = 16 * 1024 if round_no % 2 else 32 * 1024 * 1024
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(folder), "loop", tag, str(compact_min)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=CHILD_ENV,
        )
        # Wait for the first acknowledged write (start-up is slow on a busy machine), then
        # kill at a random moment of the write stream.
        first = proc.stdout.readline() if proc.stdout else b""
        time.sleep(rng.uniform(0.0, 0.6))
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
        out = first + out
        assert proc.returncode == -signal.SIGKILL, err.decode()
        for line in out.decode().split("\n")[:-1]:  # the last piece is "" or unfinished
            kind, doc_id, value = line.split()
            if kind == "i":
                inserted[int(doc_id)] = (tag, int(value))
            else:
                acked_rev[int(doc_id)] = int(value)

        with open_store(folder) as store:
            households = store.collection("households")
            for doc_id, (doc_tag, n) in inserted.items():
                doc = households.get(doc_id)
                context = f"seed {seed}, round {round_no}, id {doc_id}"
                assert doc is not None, context
                rev = doc["_rev"]
                assert rev >= acked_rev.get(doc_id, 1), context
                expected = writer.household(doc_tag, n)
                if rev > 1:
                    expected["v"] = rev - 1
                assert doc == {"id": doc_id, "_rev": rev, **expected}, context
            uuids = [doc["uuid"] for doc in households.scan()]
            assert len(uuids) == len(set(uuids))
            assert len(uuids) >= len(inserted)
        assert (folder / "census.journal").stat().st_size == 0
    assert len(inserted) >= ROUNDS, f"the writer hardly wrote anything (seed {seed})"
    assert acked_rev, "no update was acknowledged"
