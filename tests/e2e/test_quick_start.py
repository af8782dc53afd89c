"""The README's Quick start as a new user runs it: its commands, read from the README so they cannot drift, in a
fresh venv on a copy of the repository, write the demo pack under the directory they run in. Its system packages
are the ones CI and the image install. This is the suite's one slow test (a full install into a new venv)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What segproof needs at run time from Debian: WeasyPrint's libraries and a font, and git.
RUNTIME_PACKAGES = {"git", "libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-dejavu-core"}


def quick_start_blocks() -> list[str]:
    """The shell blocks of the README's Quick start section."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.DOTALL)


def debian_packages(command: str) -> set[str]:
    """The packages an `apt-get install` line names."""
    words = command.split("#")[0].split()
    return {word for word in words[words.index("install") + 1:] if not word.startswith("-")}


def test_the_quick_start_names_the_system_packages_ci_and_the_image_install() -> None:
    system = quick_start_blocks()[0]
    debian = next(line for line in system.splitlines() if "apt-get install" in line)
    assert debian_packages(debian) >= RUNTIME_PACKAGES
    assert any(line.startswith("brew install") and "pango" in line for line in system.splitlines())
    ci = re.search(r"^packages=\((.*)\)$", (ROOT / ".ci" / "run").read_text(), re.MULTILINE)
    assert ci and set(ci[1].split()) >= RUNTIME_PACKAGES
    image = (ROOT / "samples" / "deploy" / "Containerfile").read_text().replace("\\\n", " ")
    install = next(line for line in image.splitlines() if "apt-get install" in line)
    assert debian_packages(install) >= RUNTIME_PACKAGES


def test_the_quick_start_writes_the_demo_pack_from_a_fresh_venv(tmp_path: Path) -> None:
    (commands,) = [block for block in quick_start_blocks() if "segproof demo" in block]
    checkout = tmp_path / "segproof"
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            (checkout / name).write_bytes((ROOT / name).read_bytes())
    # As a new user: no PYTHONPATH or virtual environment of the suite, and the interpreter the suite runs on first.
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    done = subprocess.run(["bash", "-e", "-c", commands], cwd=checkout, env=environment, capture_output=True,
                          text=True, timeout=540)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = re.search(r"^report: (\S+)$", done.stdout, re.MULTILINE)
    assert report and report[1].startswith("segproof-demo/") and (checkout / report[1]).is_file()
    assert (checkout / report[1]).read_bytes().startswith(b"%PDF-")
    installed = subprocess.run([str(checkout / ".venv" / "bin" / "python"), "-c",
                                "import compliance; print(compliance.__file__)"], cwd=tmp_path, env=environment,
                               capture_output=True, text=True, check=True).stdout.strip()
    assert Path(installed).is_relative_to(checkout / ".venv"), "segproof ran from the venv, not the checkout"
    assert "site-packages" not in done.stdout
    assert not list((checkout / ".venv").rglob("segproof-demo")), "nothing is written into the installation"
