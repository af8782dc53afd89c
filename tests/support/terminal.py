"""Running the real `segproof` in a subprocess with stdout or stderr on a pseudo-terminal, as a user at a terminal
runs it; the other stream goes to a file."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_on_terminal(*args: str, terminal: str = "stderr") -> tuple[int, str, str]:
    """Exit code, what the terminal showed (`terminal` is "stdout" or "stderr"; its line ends are `\r\n`), and the
    other stream."""
    controller, device = pty.openpty()
    with tempfile.TemporaryFile() as other:
        streams = {"stdout": device, "stderr": other} if terminal == "stdout" else {"stdout": other, "stderr": device}
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen([sys.executable, "-m", "compliance.cli", *args], stdin=subprocess.DEVNULL,
                                   env=env, cwd=ROOT, **streams)
        os.close(device)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        os.close(controller)
        code = process.wait(timeout=300)
        other.seek(0)
        return code, shown.decode("utf-8", "replace"), other.read().decode("utf-8", "replace")
