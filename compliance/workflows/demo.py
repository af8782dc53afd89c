"""The demo (`segproof demo`): a complete signed evidence pack for a bundled sample, its cluster, scope and policy
history, signed by a throwaway key. The `calico` sample is the shop cluster with the Calico guardrails of
`samples/cluster-calico` on top; the `cilium` sample is a cluster of its own (`samples/cluster-cilium`, with its
scope), whose policies have no git history."""

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


@dataclass(frozen=True)
class Sample:
    """A bundled sample: its manifest directories and its scope file under samples/, and whether the demo policy
    repository (the shop cluster's NetworkPolicies, samples/git) is its policies' history."""

    directories: tuple[str, ...]
    scope: str = "scope.yaml"
    history: bool = True


SAMPLES = {"networkpolicy": Sample(("cluster",)), "calico": Sample(("cluster", "cluster-calico")),
           "cilium": Sample(("cluster-cilium",), "cluster-cilium/scope.yaml", history=False)}


def bundled_name(sample: str) -> str:
    """`samples/cluster (bundled)`: how outputs name a sample's manifests. The pack and the report name a sample by
    its place in segproof's repository, not in an installation."""
    return " + ".join(f"samples/{directory}" for directory in SAMPLES[sample].directories) + " (bundled)"


def bundled_scope(sample: str) -> str:
    """`samples/scope.yaml (bundled)`: how outputs name a sample's scope."""
    return f"samples/{SAMPLES[sample].scope} (bundled)"


@dataclass(frozen=True)
class Demo:
    """What the demo used and wrote: the sample (as the pack names it), the policy repository beside the ledger (None
    while no sample with `history` has made it; the packs of those samples re-perform with it), whether it is this
    sample's history, the key beside the ledger, and the pack."""

    cluster: str
    scope: str
    repository: Path | None
    history: bool
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
    """Write the pack of `sample` (a key of SAMPLES) into the ledger at `out`, making the key and (for a sample with
    history) the repository on the first run."""
    samples = resource_dir("samples")
    # The throwaway key and the policy repository stay beside the ledger (never inside a pack): every demo
    # pack shares one signer, and the repository a pack names is there to re-perform it with.
    keys, repository = Path(out) / ".demo-key", Path(out) / ".demo-policy-repo"
    if not (keys / "signing.key").exists():
        create_key_files(keys, DEMO_SUBJECT, current_utc())
    chosen = SAMPLES[sample]
    if chosen.history and not repository.exists():
        build_demo_repository(samples / "git" / "build_demo_repo.py", repository)
    signing = load_signing(str(keys / "signing.key"), str(keys / "signing.crt"))
    manifests = tuple(str(samples / directory) for directory in chosen.directories)
    snapshot = load_state(StateSource(manifests=manifests), now, feedback)
    text = scope_text(str(samples / chosen.scope))
    cluster, scope = bundled_name(sample), bundled_scope(sample)
    git = GitSource(str(repository), "HEAD", ()) if chosen.history else None
    published = assess_and_publish(replace(snapshot, source={"type": "manifests", "paths": [cluster]}),
                                   parse_scope(text, scope, run_date(now)), text, AnalysisOptions(),
                                   chosen_frameworks(()), now, out, git, signing, feedback)
    return Demo(cluster, scope, repository if repository.exists() else None, chosen.history, keys, published)
