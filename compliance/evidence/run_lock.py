"""One `segproof run` at a time per output root: `.segproof-run-lock` is held from reading the clock and the fetch to
the last pack file, so runs started together write their packs in time order.

A second run waits for a bounded time, then gives up with a message naming the holder. The lock is an advisory
`flock`, so the system releases it when the holding process dies, and a crashed run never blocks the next one.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from compliance.errors import RunInProgress

RUN_LOCK_FILE = ".segproof-run-lock"
POLL_SECONDS = 0.2


@contextmanager
def run_lock(root: str | Path, wait: float) -> Iterator[None]:
    """Hold the run lock of `root`, waiting up to `wait` seconds for another run to release it."""
    path = Path(root) / RUN_LOCK_FILE
    with path.open("a+b") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    handle.seek(0)
                    holder = handle.read().decode("utf-8", "replace").strip() or "holder unknown"
                    raise RunInProgress(str(root), holder, wait) from None
                time.sleep(min(POLL_SECONDS, remaining))
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}".encode())
        handle.flush()
        yield
