"""The demo (`segproof demo`): a complete signed evidence pack for a bundled sample, its shop cluster, scope and
policy history, signed by a throwaway key. The `calico` sample is the shop cluster with the Calico guardrails of
`samples/cluster-calico` on top."""

from __future__ import annotations

import runpy
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from compliance.evidence.keys import create_key_files
from compliance.netpol.options import AnalysisOptions
from compliance.resources import resource_dir
from compliance.scope import parse_scope
from compliance.sources.git.source import GitSource
from compliance.times import current_utc
from compliance.workflows.inputs import (
    QUIET,
    Feedback,
    StateSource,
    chosen_frameworks,
    load_state,
    run_date,
    scope_text,
)
from compliance.workflows.publish import Published, assess_and_publish, load_signing

DEMO_SUBJECT = "CN=ACME Payments segproof demo,O=ACME Payments Ltd"
# Each sample's manifest directories under samples/. The pack and the report name a sample by its place in
# segproof's repository, not in an installation.
SAMPLES = {"networkpolicy": ("cluster",), "calico": ("cluster", "cluster-calico")}
BUNDLED_SCOPE = "samples/scope.yaml (bundled)"


def bundled_name(sample: str) -> str:
    """`samples/cluster (bundled)`: how outputs name a sample's manifests."""
    return " + ".join(f"samples/{directory}" for directory in SAMPLES[sample]) + " (bundled)"


@dataclass(frozen=True)
class Demo:
    """What the demo used and wrote: the sample (as the pack names it), the policy repository and key beside the
    ledger, and the pack."""

    cluster: str
    scope: str
    repository: Path
    keys: Path
    published: Published


def build_demo_repository(script: Path, target: Path) -> None:
    """Build the demo policy repository beside `target`, then move it there: an interrupted build is never reused."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f"{target.name}.partial-"))
    try:
        runpy.run_path(str(script))["build"](staging)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def demo(out: str, now: str, feedback: Feedback = QUIET, sample: str = "networkpolicy") -> Demo:
    """Write the pack of `sample` (a key of SAMPLES) into the ledger at `out`, making the key and repository on
    the first run."""
    samples = resource_dir("samples")
    # The throwaway key and the policy repository stay beside the ledger (never inside a pack): every demo
    # pack shares one signer, and the repository a pack names is there to re-perform it with.
    keys, repository = Path(out) / ".demo-key", Path(out) / ".demo-policy-repo"
    if not (keys / "signing.key").exists():
        create_key_files(keys, DEMO_SUBJECT, current_utc())
    if not repository.exists():
        build_demo_repository(samples / "git" / "build_demo_repo.py", repository)
    signing = load_signing(str(keys / "signing.key"), str(keys / "signing.crt"))
    manifests = tuple(str(samples / directory) for directory in SAMPLES[sample])
    snapshot = load_state(StateSource(manifests=manifests), now, feedback)
    text = scope_text(str(samples / "scope.yaml"))
    cluster = bundled_name(sample)
    published = assess_and_publish(replace(snapshot, source={"type": "manifests", "paths": [cluster]}),
                                   parse_scope(text, BUNDLED_SCOPE, run_date(now)), text, AnalysisOptions(),
                                   chosen_frameworks(()), now, out, GitSource(str(repository), "HEAD", ()), signing,
                                   feedback)
    return Demo(cluster, BUNDLED_SCOPE, repository, keys, published)
