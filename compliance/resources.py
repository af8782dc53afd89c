"""Where the shipped data lives: control catalogs, report templates and samples.

From a source checkout they are the top-level folders; from an installed wheel they are packaged
under `compliance/_data/`.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
NAMES = ("controls", "report_templates", "samples")


def resource_dir(name: str) -> Path:
    """The directory holding one kind of shipped data (`controls`, `report_templates` or `samples`)."""
    if name not in NAMES:
        raise ValueError(f"unknown resource {name!r}")
    for candidate in (PACKAGE / "_data" / name, PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"segproof's {name} directory is missing from this installation")
