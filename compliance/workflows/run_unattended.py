"""An unattended run (`segproof run --config`): collect, fetch the policy repository, assess, write a pack into the
ledger with retention and, when the configuration names a trust certificate, verify the whole chain, all as the
run configuration says, so a cron line or a CronJob is one command."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from compliance.errors import RunConfigError
from compliance.evidence.ledger import read_ledger
from compliance.evidence.run_lock import run_lock
from compliance.model.status import FAILING_STATUSES
from compliance.netpol.options import AnalysisOptions
from compliance.report.document import render_pdf
from compliance.sources.cluster_target import ClusterTarget
from compliance.sources.git.remote import Credentials, fetch_branch
from compliance.sources.git.source import GitSource
from compliance.times import current_utc
from compliance.workflows.inputs import QUIET, Feedback, StateSource
from compliance.workflows.publish import Published, Renderer, load_signing, publish_assessment
from compliance.workflows.run_config import RunConfig, git_token, load_run_config
from compliance.workflows.verify_packs import Verification, load_anchors, verify_packs

GIT_CACHE = ".git-cache"
HISTORY_CACHE = ".history-cache"  # parsed manifest blobs


@dataclass(frozen=True)
class RunResult:
    """What one run did: the pack it published, whether a control failed at the configured threshold, and the
    verification of the chain (None when no trust certificate is configured)."""

    published: Published
    failed: bool
    chain: Verification | None


def configured_git(config: RunConfig, root: Path, environment: Mapping[str, str]) -> GitSource | None:
    """A run configuration's git source: a local path as it is, or a url fetched into `<root>/.git-cache`."""
    if config.git is None:
        return None
    if config.git.path:
        return GitSource(config.git.path, config.git.branch or "HEAD", config.git.paths,
                         cache=str(root / HISTORY_CACHE))
    assert config.git.url is not None  # the configuration names a path or a url
    credentials = Credentials(git_token(config.git, environment, config.file), config.git.ssh_key_file)
    fetched = fetch_branch(config.git.url, config.git.branch, root / GIT_CACHE, credentials)
    return GitSource(fetched.repository, fetched.commit, config.git.paths, origin=fetched.url,
                     cache=str(root / HISTORY_CACHE))


def configured_source(config: RunConfig) -> StateSource:
    """Where the run configuration takes the cluster state from."""
    cluster = config.cluster
    target = (ClusterTarget(kubeconfig=cluster.kubeconfig, context=cluster.context,
                            in_cluster=True if cluster.in_cluster else None, timeouts=cluster.timeouts)
              if cluster else None)
    return StateSource(config.manifests, config.snapshot, target)


def run_clock(root: Path) -> str:
    """The current time, once past the newest pack's: a run that follows another within its second waits for the
    next one (packs are named and chained by the second)."""
    now = current_utc()
    entries = read_ledger(root)
    if entries and entries[-1].created_at == now:
        time.sleep(1.0)
        now = current_utc()
    return now


def run(config_file: str, options: AnalysisOptions, now: str | None, wait: float, feedback: Feedback = QUIET,
        render: Renderer = render_pdf, environment: Mapping[str, str] | None = None) -> RunResult:
    """One run as the configuration file says, holding the output root's run lock for `wait` seconds at most.

    The clock is `now`, or else read once the lock is held, so that concurrent runs write their packs in time order.
    Git tokens are read from `environment` (the process's environment when None).
    """
    config = load_run_config(config_file)
    signing = load_signing(config.signing_key, config.signing_certificate, config.timestamp_url)
    root = Path(config.output_root)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunConfigError(config.file, "output.root", f"cannot create {root}: {error.strerror or error}") from None
    with run_lock(root, wait):
        now = now or run_clock(root)
        git = configured_git(config, root, os.environ if environment is None else environment)
        published = publish_assessment(configured_source(config), config.scope, config.frameworks, options, now,
                                       str(root), signing, git, config.zip, config.retain, feedback, render)
    failing = {result.status for result in published.assessment.controls} & FAILING_STATUSES[config.fail_on]
    chain = None
    if config.trust:
        # The chain is verified as an auditor would, with its trust anchor required, after every run.
        chain = verify_packs((), str(root), load_anchors((config.trust,)), require_trust=True)
    return RunResult(published, bool(failing), chain)
