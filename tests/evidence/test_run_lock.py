"""The run lock: one run per output root, a bounded wait, the holder named, released by a process that dies."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from compliance.errors import RunInProgress
from compliance.evidence.run_lock import RUN_LOCK_FILE, run_lock


def test_a_second_holder_gives_up_after_the_wait_naming_the_first(tmp_path: Path) -> None:
    with run_lock(tmp_path, 0):
        started = time.monotonic()
        with pytest.raises(RunInProgress) as caught, run_lock(tmp_path, 0.5):
            pass
        assert 0.4 < time.monotonic() - started < 5
    assert caught.value.exit_code == 3
    assert f"pid {os.getpid()} on " in caught.value.message
    assert caught.value.message.endswith("gave up after waiting 0.5 s")
    with run_lock(tmp_path, 0):
        pass


def test_a_waiting_holder_gets_the_lock_when_it_is_released(tmp_path: Path) -> None:
    released = threading.Event()

    def hold() -> None:
        with run_lock(tmp_path, 0):
            released.wait(0.5)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.1)
    started = time.monotonic()
    with run_lock(tmp_path, 30):
        waited = time.monotonic() - started
    holder.join()
    assert 0.2 < waited < 10


def test_a_killed_holder_releases_the_lock(tmp_path: Path) -> None:
    code = (f"from compliance.evidence.run_lock import run_lock\nimport time\nwith run_lock({str(tmp_path)!r}, 0):\n"
            "    print('held', flush=True)\n    time.sleep(60)\n")
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    with pytest.raises(RunInProgress, match=f"pid {process.pid} on "), run_lock(tmp_path, 0):
        pass
    process.kill()
    process.wait()
    process.stdout.close()
    with run_lock(tmp_path, 5):
        assert (tmp_path / RUN_LOCK_FILE).read_text().startswith(f"pid {os.getpid()} ")
