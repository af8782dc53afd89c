"""Shipped data is found from a checkout and from an installed wheel run elsewhere."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from compliance.resources import NAMES, resource_dir

ROOT = Path(__file__).resolve().parents[1]


def test_resources_are_found_in_the_checkout() -> None:
    for name in NAMES:
        assert resource_dir(name) == ROOT / name


def test_resources_are_found_from_an_installed_wheel(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True)
    wheel = next((tmp_path / "dist").glob("segproof-*.whl"))
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = ("from compliance.resources import resource_dir; "
              "print('\\n'.join(str(resource_dir(n)) for n in ('controls', 'report_templates', 'samples')))")
    found = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env={"PYTHONPATH": str(site)},
                           capture_output=True, text=True, check=True).stdout.split()
    assert found == [str(site / "compliance" / "_data" / name) for name in NAMES]
    assert (site / "compliance" / "_data" / "samples" / "cluster" / "payments.yaml").is_file()
