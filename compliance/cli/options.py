"""The options commands share, each turned into the value a workflow takes: where the cluster state comes from
(`source`), the clock (`now`), how to report (`feedback`: long stages on a terminal, warnings), the analysis
assumptions (`options`) and the git repository (`git`); and options renamed with their old spellings kept."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from compliance.errors import UsageError
from compliance.model.status import FAILING_STATUSES
from compliance.netpol.options import ENFORCEMENT_MODES, AnalysisOptions
from compliance.report.formats import visible
from compliance.sources.cluster_target import COLLECT_TIMEOUT, REQUEST_TIMEOUT, ClusterTarget, Timeouts
from compliance.sources.git.blob_cache import default_cache_directory
from compliance.sources.git.source import GitSource
from compliance.times import canonical_utc, current_utc
from compliance.workflows.inputs import Feedback, StateSource

FAIL_ON = tuple(FAILING_STATUSES)
SECONDS = click.FloatRange(min=0, min_open=True)


def utc_now(text: str | None) -> str:
    """The run's clock as RFC 3339 UTC: `--now` when given (for reproducible runs), else the current time."""
    return current_utc() if text is None else canonical_utc(text, "--now")


class TerminalProgress:
    """Long stages on a terminal's stderr: one line per stage, rewritten while it runs (with its progress) and left
    with its elapsed time when it ends."""

    def __init__(self) -> None:
        self.line = ""
        self.current = ""

    def show(self, text: str, final: bool = False) -> None:
        """Replace the stage's line with `text`; a final line stays."""
        click.echo(f"\r{text}\x1b[K", err=True, nl=final, color=True)  # the terminal's escape: erase to its end
        self.line = "" if final else text

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Announce the stage, then its end (or where it stopped) with the seconds it took."""
        started, outer = time.monotonic(), self.current
        self.current = name
        self.show(f"{name}...")
        try:
            yield
        except BaseException:
            self.show(f"{name}: stopped after {time.monotonic() - started:.1f} s", final=True)
            raise
        finally:
            self.current = outer
        self.show(f"{name}: done in {time.monotonic() - started:.1f} s", final=True)

    def progress(self, what: str, done: int, total: int | None) -> None:
        """How far the current stage is: `done` of `total` (None: not known yet) of `what`."""
        of = f"/{total}" if total else ""
        self.show(f"{self.current or 'working'}: {what} {done}{of}")

    def warn(self, message: str) -> None:
        """A warning on its own line, the stage's line drawn again below it."""
        if self.line:
            click.echo("\r\x1b[K", err=True, nl=False, color=True)
        warn(message)
        if self.line:
            self.show(self.line)


def terminal_progress() -> TerminalProgress | None:
    """Progress of long stages on stderr, only when stderr is a terminal."""
    return TerminalProgress() if sys.stderr.isatty() else None


def warn(message: str) -> None:
    """One warning on stderr."""
    click.echo(f"segproof: warning: {visible(message)}", err=True)


def feedback(quiet: bool) -> Feedback:
    """Progress of long stages on a terminal and warnings on stderr, or nothing with --quiet."""
    if quiet:
        return Feedback()
    terminal = terminal_progress()
    if terminal is None:
        return Feedback(warn=warn)
    return Feedback(terminal.progress, terminal.warn, terminal.stage)


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
    @click.option("--request-timeout", type=SECONDS, default=REQUEST_TIMEOUT, show_default=True, metavar="SECONDS",
                  help="Give up on one API request, its retries and its body included, after this long.")
    @click.option("--collect-timeout", type=SECONDS, default=COLLECT_TIMEOUT, show_default=True, metavar="SECONDS",
                  help="Give up reading the live cluster after this long.")
    @click.option("--now", "now", metavar="TIME", help="The run's clock (RFC 3339), for reproducible output.")
    @click.option("-q", "--quiet", is_flag=True, help="No progress or warnings on stderr.")
    @functools.wraps(command)
    def with_source(manifests: tuple[str, ...], snapshot_file: str | None, cluster: bool, kubeconfig: str | None,
                    context: str | None, in_cluster: bool, namespaces: tuple[str, ...], request_timeout: float,
                    collect_timeout: float, now: str | None, quiet: bool, **kwargs: Any) -> Any:
        chosen = tuple(sorted(set(namespaces)))
        target = None
        if cluster or kubeconfig or context or in_cluster:
            # Without --in-cluster, the service account is used only when running in a pod.
            target = ClusterTarget(kubeconfig=kubeconfig, context=context, in_cluster=True if in_cluster else None,
                                   namespaces=chosen, timeouts=Timeouts(request_timeout, collect_timeout))
        return command(source=StateSource(manifests, snapshot_file, target, namespaces), now=utc_now(now),
                       quiet=quiet, **kwargs)
    return with_source


def analysis_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options for the assumptions CNIs differ on, passed on as `options`."""
    @click.option("--ipblock-selects-pods/--no-ipblock-selects-pods", default=None,
                  help="Whether ipBlock peers (and Cilium's CIDR rules) also match pods whose IPs they contain. "
                       "[default: yes, except when Cilium is detected]")
    @click.option("--host-network-isolated/--no-host-network-isolated", default=False, show_default=True,
                  help="Whether NetworkPolicies isolate hostNetwork pods like other pods.")
    @click.option("--policy-enforcement-mode", type=click.Choice(ENFORCEMENT_MODES), default="default",
                  show_default=True, help="Cilium's policyEnforcementMode: always denies every pod by default, "
                                          "never enforces no policy.")
    @click.option("--cilium-cluster-name", default="default", show_default=True, metavar="NAME",
                  help="The cluster name Cilium's io.cilium.k8s.policy.cluster label carries.")
    @functools.wraps(command)
    def with_options(ipblock_selects_pods: bool | None, host_network_isolated: bool, policy_enforcement_mode: str,
                     cilium_cluster_name: str, **kwargs: Any) -> Any:
        return command(options=AnalysisOptions(ipblock_selects_pods, host_network_isolated, policy_enforcement_mode,
                                               cilium_cluster_name), **kwargs)
    return with_options


def git_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options naming the git repository of the policy manifests, passed on as `git` (None when not given)."""
    @click.option("--git", "git_repository", metavar="REPO", help="Local clone of the policy manifests' repository.")
    @click.option("--rev", default="HEAD", show_default=True, metavar="REV", help="Revision of the repository.")
    @click.option("--path", "git_paths", multiple=True, metavar="SUBDIR", help="Only these directories (repeatable).")
    @click.option("--cache-dir", metavar="DIR", help="Cache of parsed manifest versions, by blob id.  "
                  "[default: $XDG_CACHE_HOME/segproof/history]")
    @click.option("--no-cache", is_flag=True, help="Parse every manifest version again; write no cache.")
    @functools.wraps(command)
    def with_git(git_repository: str | None, rev: str, git_paths: tuple[str, ...], cache_dir: str | None,
                 no_cache: bool, **kwargs: Any) -> Any:
        if no_cache and cache_dir:
            raise UsageError("--no-cache and --cache-dir exclude each other")
        cache = "" if no_cache else cache_dir or default_cache_directory()
        return command(git=GitSource(git_repository, rev, git_paths, cache=cache) if git_repository else None,
                       **kwargs)
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


def renamed_option(*declarations: str, old: tuple[str, ...], required: bool = False,
                   **attributes: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An option with its `old` spellings kept for one release: hidden from the help, they still work and print one
    deprecation warning on stderr."""
    new = max((name for name in declarations if name.startswith("-")), key=len)
    moved_key = f"segproof: {new} given as {'/'.join(old)}"

    def moved(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value is not None:
            warn(f"{ctx.info_name} {'/'.join(old)} is deprecated, use {new}")
            ctx.meta[moved_key] = value

    def given_or_moved(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        value = ctx.meta.get(moved_key) if value is None else value
        if value is None and required:
            raise click.MissingParameter(ctx=ctx, param=param)
        return value

    def with_old_spellings(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option(*declarations, callback=given_or_moved, **attributes)(command)
        # Eager: the old spelling is seen before the new option is resolved, whatever their order on the line.
        return click.option(*old, hidden=True, is_eager=True, expose_value=False, callback=moved)(command)
    return with_old_spellings
