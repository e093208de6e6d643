"""Helpers for the crash tests: run store_writer_proc.py in a child process and check its work."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from census.store import Store

WRITER = Path(__file__).with_name("store_writer_proc.py")
ROOT = Path(__file__).resolve().parents[2]
CHILD_ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}


def load_writer() -> ModuleType:
    """Import store_writer_proc.py so the tests rebuild exactly the documents it wrote."""
    spec = importlib.util.spec_from_file_location("store_writer_proc", WRITER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


writer = load_writer()


def crash_after_writes(folder: Path, tag: str = "crash", count: int = 20) -> list[int]:
    """Run a writer that is SIGKILLed after its writes; return the ids it inserted."""
    proc = subprocess.run(
        [sys.executable, str(WRITER), str(folder), "crash", tag, str(count)],
        capture_output=True,
        env=CHILD_ENV,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    return [int(word) for word in proc.stdout.split()]


def assert_crash_writer_state(store: Store, ids: list[int], *, written_since: int = 0) -> None:
    """Check everything the crash writer acknowledged, and nothing more."""
    tag = "crash"
    households = store.collection("households")
    assert households.get(ids[0]) == {"id": ids[0], "_rev": 2, **writer.household(tag, 0), "v": 1}
    assert households.get(ids[1]) is None
    for n, doc_id in enumerate(ids[2:], start=2):
        assert households.get(doc_id) == {"id": doc_id, "_rev": 1, **writer.household(tag, n)}
    assert len(households) == len(ids) - 1 + written_since
