"""Commands that need no report, signature, cluster or git load none of the libraries for them (nor numpy for a
small cluster)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from compliance.resources import resource_dir

HEAVY = ("pandas", "matplotlib", "weasyprint", "kubernetes", "git", "jinja2", "cryptography", "pyhanko", "numpy")
RUN = """
import json, sys
from compliance.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "loaded": sorted({name.partition(".")[0] for name in sys.modules})}))
"""


def loaded_by(*args: str) -> set[str]:
    """The top-level modules a fresh interpreter has loaded after running `segproof ARGS`."""
    process = subprocess.run([sys.executable, "-c", RUN, *args], capture_output=True, text=True, check=True)
    result = json.loads(process.stdout.splitlines()[-1])
    assert result["code"] in (0, None), process.stderr
    return set(result["loaded"])


SAMPLE = str(resource_dir("samples") / "cluster")


@pytest.mark.parametrize("args", [["--help"], ["reachability", "--manifests", SAMPLE]], ids=["help", "reachability"])
def test_heavy_libraries_stay_unloaded(args: list[str]) -> None:
    assert loaded_by(*args).isdisjoint(HEAVY)
