"""The options commands share, each turned into the value a workflow takes: where the cluster state comes from
(`source`), the clock (`now`), how to report (`feedback`), the analysis assumptions (`options`) and the git
repository (`git`)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from compliance.model.status import FAILING_STATUSES
from compliance.netpol.options import AnalysisOptions
from compliance.report.formats import visible
from compliance.sources.git.source import GitSource
from compliance.times import canonical_utc, current_utc
from compliance.workflows.inputs import Feedback, StateSource

FAIL_ON = tuple(FAILING_STATUSES)


def utc_now(text: str | None) -> str:
    """The run's clock as RFC 3339 UTC: `--now` when given (for reproducible runs), else the current time."""
    return current_utc() if text is None else canonical_utc(text, "--now")


def terminal_progress() -> Callable[[str, int, int | None], None] | None:
    """A progress line on stderr while long stages run, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(resource: str, done: int, total: int | None) -> None:
        of = f"/{total}" if total else ""
        click.echo(f"\rcollecting {resource}: {done}{of}\x1b[K", err=True, nl=total == done)
    return show


def warn(message: str) -> None:
    """One warning on stderr."""
    click.echo(f"segproof: warning: {visible(message)}", err=True)


def feedback(quiet: bool) -> Feedback:
    """Progress on a terminal and warnings on stderr, or nothing with --quiet."""
    return Feedback() if quiet else Feedback(terminal_progress(), warn)


def source_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options that choose where the cluster state comes from, passed on as `source` with `now` and `quiet`."""
    @click.option("--manifests", "manifests", multiple=True, metavar="PATH",
                  help="Manifest file or directory (repeatable; - reads stdin).")
    @click.option("--snapshot", "snapshot_file", metavar="FILE", help="A snapshot written by `segproof collect`.")
    @click.option("--cluster", is_flag=True, help="Read the live cluster (kubeconfig, or in-cluster in a pod).")
    @click.option("--kubeconfig", metavar="FILE", help="Kubeconfig file (implies --cluster).")
    @click.option("--context", metavar="NAME", help="Kubeconfig context (implies --cluster).")
    @click.option("--in-cluster", is_flag=True, help="Use the pod's service account (implies --cluster).")
    @click.option("-n", "--namespace", "namespaces", multiple=True, metavar="NS",
                  help="Only this namespace (repeatable).")
    @click.option("--now", "now", metavar="TIME", help="The run's clock (RFC 3339), for reproducible output.")
    @click.option("-q", "--quiet", is_flag=True, help="No progress or warnings on stderr.")
    @functools.wraps(command)
    def with_source(manifests: tuple[str, ...], snapshot_file: str | None, cluster: bool, kubeconfig: str | None,
                    context: str | None, in_cluster: bool, namespaces: tuple[str, ...], now: str | None,
                    quiet: bool, **kwargs: Any) -> Any:
        chosen = tuple(sorted(set(namespaces)))
        target = None
        if cluster or kubeconfig or context or in_cluster:
            from compliance.sources.cluster import ClusterTarget

            # Without --in-cluster, the service account is used only when running in a pod.
            target = ClusterTarget(kubeconfig=kubeconfig, context=context, in_cluster=True if in_cluster else None,
                                   namespaces=chosen)
        return command(source=StateSource(manifests, snapshot_file, target, namespaces), now=utc_now(now),
                       quiet=quiet, **kwargs)
    return with_source


def analysis_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options for the assumptions CNIs differ on, passed on as `options`."""
    @click.option("--ipblock-selects-pods/--no-ipblock-selects-pods", default=True, show_default=True,
                  help="Whether ipBlock peers also match pods whose IPs they contain.")
    @click.option("--host-network-isolated/--no-host-network-isolated", default=False, show_default=True,
                  help="Whether NetworkPolicies isolate hostNetwork pods like other pods.")
    @functools.wraps(command)
    def with_options(ipblock_selects_pods: bool, host_network_isolated: bool, **kwargs: Any) -> Any:
        return command(options=AnalysisOptions(ipblock_selects_pods, host_network_isolated), **kwargs)
    return with_options


def git_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options naming the git repository of the policy manifests, passed on as `git` (None when not given)."""
    @click.option("--git", "git_repository", metavar="REPO", help="Local clone of the policy manifests' repository.")
    @click.option("--rev", default="HEAD", show_default=True, metavar="REV", help="Revision of the repository.")
    @click.option("--path", "git_paths", multiple=True, metavar="SUBDIR", help="Only these directories (repeatable).")
    @functools.wraps(command)
    def with_git(git_repository: str | None, rev: str, git_paths: tuple[str, ...], **kwargs: Any) -> Any:
        return command(git=GitSource(git_repository, rev, git_paths) if git_repository else None, **kwargs)
    return with_git


def evaluation_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The source, assumptions, git, scope and frameworks of an evaluation (evaluate, pack)."""
    for option in reversed((
        source_options, analysis_options, git_options,
        click.option("--scope", "scope_file", required=True, metavar="FILE",
                     help="The scope file (zones, approved flows)."),
        click.option("--framework", "frameworks", multiple=True, metavar="ID",
                     help="Framework catalog to evaluate, e.g. pci-dss-4.0.1 (repeatable; default: all)."),
    )):
        command = option(command)
    return command


def fail_on_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--fail-on fail|warning|never`, with the command's own help."""
    return click.option("--fail-on", type=click.Choice(FAIL_ON), default="never", show_default=True, help=help_text)


def failed(statuses: set[str], fail_on: str) -> bool:
    """Whether the run must exit 1 under --fail-on."""
    return bool(statuses & FAILING_STATUSES[fail_on])
