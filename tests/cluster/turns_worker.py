"""A worker of two queues (schemas), for tests/cluster/test_worker_turns.py: each job writes
its queue's letter and number to a file, then the queues' loop takes the next one.

    python turns_worker.py URL_A URL_B OUT
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from census.store.pgqueue import TaskQueue, run_workers

TASK = "test.turn"


def main() -> None:
    url_a, url_b, out = sys.argv[1:4]
    queues = {"a": TaskQueue(url_a), "b": TaskQueue(url_b)}
    for key, queue in queues.items():

        def turn(n: int, key: str = key) -> None:
            time.sleep(0.1)
            with Path(out).open("a", encoding="utf-8") as file:
                file.write(f"{key}{n}\n")

        queue.register(TASK, turn)
    run_workers(lambda: queues, heartbeat=0.5, stalled=3, poll=0.2)


if __name__ == "__main__":
    main()
