"""The `segproof` command line: parse options, call the library, print. Errors are rendered here, once."""

from __future__ import annotations

import datetime
import functools
import gc
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from compliance import __version__
from compliance.errors import (
    EXIT_CONTROLS_FAILED,
    EXIT_VERIFICATION_FAILED,
    EmptyInputError,
    SegproofError,
    UnknownNamespaceError,
    UsageError,
)
from compliance.model.objects import LEVELS
from compliance.model.snapshot import Snapshot
from compliance.sources.git_source import GitSource

# Loading and analysing build millions of small objects and few reference cycles; the default collector
# thresholds spend about a third of the run collecting at 50,000 pods.
COLLECTOR_THRESHOLDS = (100_000, 50, 1000)
OUTPUTS = {"reachability": ("table", "json", "csv"), "explain": ("text", "json")}


class SegproofGroup(click.Group):
    """A click group that renders segproof's typed errors as one line plus a hint, with their exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        gc.set_threshold(*COLLECTOR_THRESHOLDS)
        try:
            return super().invoke(ctx)
        except SegproofError as error:
            click.echo(f"segproof: error: {error.message}", err=True)
            if error.hint:
                click.echo(f"hint: {error.hint}", err=True)
            ctx.exit(error.exit_code)


def utc_now(text: str | None) -> str:
    """The run's clock as RFC 3339 UTC: `--now` when given (for reproducible runs), else the current time."""
    from compliance.times import canonical_utc, format_utc

    return format_utc(datetime.datetime.now(datetime.timezone.utc)) if text is None else canonical_utc(text, "--now")


def optional_source_options(command: Callable) -> Callable:
    """Like source_options, but no source at all is allowed (then `snapshot` is None)."""
    return source_options(command, optional=True)


def source_options(command: Callable, optional: bool = False) -> Callable:
    """Options that choose where the cluster state comes from, passed on as a loaded `snapshot`."""
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
    def with_snapshot(manifests: tuple[str, ...], snapshot_file: str | None, cluster: bool, kubeconfig: str | None,
                      context: str | None, in_cluster: bool, namespaces: tuple[str, ...], now: str | None,
                      quiet: bool, **kwargs: Any) -> Any:
        target = None
        if cluster or kubeconfig or context or in_cluster:
            target = cluster_target(kubeconfig, context, in_cluster, tuple(sorted(set(namespaces))))
        clock = utc_now(now)
        if optional and not (manifests or snapshot_file or target):
            return command(snapshot=None, now=clock, quiet=quiet, **kwargs)
        snapshot = load_snapshot(manifests, snapshot_file, target, clock, quiet)
        if not quiet:
            warn(snapshot)
        restricted = restrict_to_namespaces(snapshot, namespaces, source_name(manifests, snapshot_file, snapshot))
        return command(snapshot=restricted, now=clock, quiet=quiet, **kwargs)
    return with_snapshot


def restrict_to_namespaces(snapshot: Snapshot, namespaces: tuple[str, ...], source: str) -> Snapshot:
    """The snapshot's part in `namespaces`; one the input does not hold is an error, not an empty cluster."""
    present = snapshot.namespace_names()
    missing = sorted(set(namespaces) - set(present))
    if missing:
        raise UnknownNamespaceError(missing, source, present)
    return snapshot.restricted_to(namespaces)


def source_name(manifests: tuple[str, ...], snapshot_file: str | None, snapshot: Snapshot) -> str:
    """How errors name the input: its files (`<stdin>` for -), else the cluster's API server."""
    files = manifests or ((snapshot_file,) if snapshot_file else ())
    if files:
        return ", ".join("<stdin>" if name == "-" else name for name in files)
    return str(snapshot.source.get("server") or "the cluster")


def cluster_target(kubeconfig: str | None, context: str | None, in_cluster: bool,
                   namespaces: tuple[str, ...] = ()) -> Any:
    """The live cluster to read; without `in_cluster`, the service account is used only when running in a pod."""
    from compliance.sources.cluster import ClusterTarget

    return ClusterTarget(kubeconfig=kubeconfig, context=context, in_cluster=True if in_cluster else None,
                         namespaces=namespaces)


def load_snapshot(manifests: tuple[str, ...], snapshot_file: str | None, target: Any, now: str,
                  quiet: bool) -> Snapshot:
    """The snapshot from the one chosen source; a source holding no object at all is an error.

    An empty file or a wrong path would otherwise be a cluster where nothing can fail, so every control passes.
    """
    chosen = [name for name, given in (("--manifests", manifests), ("--snapshot", snapshot_file),
                                       ("--cluster", target)) if given]
    if len(chosen) != 1:
        raise UsageError("no cluster state given" if not chosen else f"choose one source, not {' and '.join(chosen)}",
                         hint="pass one of --manifests PATH, --snapshot FILE or --cluster")
    snapshot = read_source(manifests, snapshot_file, target, now, quiet)
    if snapshot.is_empty:
        found_only = [f"{count} {kind}" if count is not None else kind
                      for kind, count in sorted({**snapshot.skipped, **snapshot.unmodelled}.items())]
        raise EmptyInputError(source_name(manifests, snapshot_file, snapshot), found_only)
    return snapshot


def read_source(manifests: tuple[str, ...], snapshot_file: str | None, target: Any, now: str,
                quiet: bool) -> Snapshot:
    """The snapshot from manifests, a snapshot file or the live cluster, whichever is given."""
    if manifests:
        from compliance.sources.manifests import load_manifests
        return load_manifests(manifests, now)
    if snapshot_file:
        from compliance.sources.snapshot_file import load_snapshot_file
        return load_snapshot_file(snapshot_file)
    from compliance.sources.cluster import collect_cluster
    return collect_cluster(target, now, progress=None if quiet else terminal_progress())


def terminal_progress() -> Callable[[str, int, int | None], None] | None:
    """A progress line on stderr while lists are read, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(resource: str, done: int, total: int | None) -> None:
        of = f"/{total}" if total else ""
        click.echo(f"\rcollecting {resource}: {done}{of}\x1b[K", err=True, nl=total == done)
    return show


def analysis_options(command: Callable) -> Callable:
    """Options for the assumptions CNIs differ on, passed on as `options`."""
    @click.option("--ipblock-selects-pods/--no-ipblock-selects-pods", default=True, show_default=True,
                  help="Whether ipBlock peers also match pods whose IPs they contain.")
    @click.option("--host-network-isolated/--no-host-network-isolated", default=False, show_default=True,
                  help="Whether NetworkPolicies isolate hostNetwork pods like other pods.")
    @functools.wraps(command)
    def with_options(ipblock_selects_pods: bool, host_network_isolated: bool, **kwargs: Any) -> Any:
        from compliance.netpol.options import AnalysisOptions
        return command(options=AnalysisOptions(ipblock_selects_pods, host_network_isolated), **kwargs)
    return with_options


def git_options(command: Callable) -> Callable:
    """Options naming the git repository of the policy manifests, passed on as `git` (None when not given)."""
    @click.option("--git", "git_repository", metavar="REPO", help="Local clone of the policy manifests' repository.")
    @click.option("--rev", default="HEAD", show_default=True, metavar="REV", help="Revision of the repository.")
    @click.option("--path", "git_paths", multiple=True, metavar="SUBDIR", help="Only these directories (repeatable).")
    @functools.wraps(command)
    def with_git(git_repository: str | None, rev: str, git_paths: tuple[str, ...], **kwargs: Any) -> Any:
        return command(git=GitSource(git_repository, rev, git_paths) if git_repository else None, **kwargs)
    return with_git


def evaluation_options(command: Callable) -> Callable:
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


@click.group(cls=SegproofGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="segproof")
def main() -> None:
    """Kubernetes network segmentation as audit evidence."""


@main.command()
@source_options
@analysis_options
@click.option("--level", type=click.Choice(LEVELS), default="workload", show_default=True)
@click.option("-o", "--output", type=click.Choice(OUTPUTS["reachability"]), default="table", show_default=True)
def reachability(snapshot: Snapshot, now: str, quiet: bool, options: Any, level: str, output: str) -> None:
    """Who can reach whom, on which ports."""
    from compliance.netpol.connections import connections
    from compliance.netpol.reachability import analyse_snapshot
    from compliance.report import connections_output

    found = connections(analyse_snapshot(snapshot, options), level)
    assumptions = options.assumptions(snapshot.unmodelled)
    if output == "json":
        click.echo(connections_output.connections_json(level, assumptions, found), nl=False)
    elif output == "csv":
        click.echo(connections_output.connections_csv(found), nl=False)
    else:
        click.echo(connections_output.connections_table(found, assumptions), nl=False)


@main.command()
@source_options
@click.option("-o", "--output", "output", required=True, metavar="FILE",
              help="Where to write the snapshot (- for stdout).")
def collect(snapshot: Snapshot, now: str, quiet: bool, output: str) -> None:
    """Write the cluster state as a snapshot file that every other command can read back (--snapshot)."""
    from compliance.model.snapshot import snapshot_document
    from compliance.report.formats import json_text

    text = json_text(snapshot_document(snapshot), flat_below=3)
    if output == "-":
        click.echo(text, nl=False)
    else:
        from compliance.evidence.files import write_atomically
        write_atomically(output, text)


@main.command()
@source_options
@analysis_options
@click.option("--from", "source", required=True, metavar="SRC", help="ns/pod, ns/workload[Kind] or an IP address.")
@click.option("--to", "destination", required=True, metavar="DST", help="ns/pod, ns/workload[Kind] or an IP address.")
@click.option("--port", metavar="PORT", help="Only this port or range, e.g. 443/TCP or 8000-8100/UDP.")
@click.option("-o", "--output", type=click.Choice(OUTPUTS["explain"]), default="text", show_default=True)
def explain(snapshot: Snapshot, now: str, quiet: bool, options: Any, source: str, destination: str,
            port: str | None, output: str) -> None:
    """Why SRC may or may not reach DST: the deciding policies and rules."""
    from compliance.netpol.explain import explain as explain_connection
    from compliance.netpol.ports import ALL_PORTS, parse_port_argument
    from compliance.report import explain_output

    try:
        asked = parse_port_argument(port) if port else ALL_PORTS
    except ValueError as error:
        raise UsageError(f"--port: {error}") from None
    explanation = explain_connection(snapshot, source, destination, options, asked)
    render = explain_output.explanation_json if output == "json" else explain_output.explanation_text
    click.echo(render(explanation), nl=False)


def scope_text(path: str) -> str:
    """The scope file's text; an unreadable file is a scope error naming it."""
    from compliance.errors import ScopeError

    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ScopeError(path, "", error.strerror or str(error)) from None


def read_scope(path: str) -> Any:
    """The scope file, parsed and validated."""
    from compliance.scope import parse_scope

    return parse_scope(scope_text(path), path)


def failed(statuses: set[str], fail_on: str) -> bool:
    """Whether the run must exit 1 under --fail-on."""
    from compliance.controls import FAILING_STATUSES

    return bool(statuses & FAILING_STATUSES[fail_on])


@main.command()
@evaluation_options
@click.option("-o", "--output", type=click.Choice(("table", "json", "csv")), default="table", show_default=True)
@click.option("--fail-on", type=click.Choice(("fail", "warning", "never")), default="never", show_default=True,
              help="Exit 1 when a control fails (or warns).")
def evaluate(snapshot: Snapshot, now: str, quiet: bool, options: Any, git: GitSource | None, scope_file: str,
             frameworks: tuple[str, ...], output: str, fail_on: str) -> None:
    """Evaluate framework controls against the cluster and the scope."""
    from compliance.report import assessment_output

    context, assessment = evaluation(snapshot, now, options, scope_file, frameworks, git, quiet)
    scope = context.scope
    assumptions = options.assumptions(snapshot.unmodelled)
    if output == "json":
        click.echo(assessment_output.assessment_json(assessment, scope, snapshot.source, assumptions, now), nl=False)
    elif output == "csv":
        from compliance.report.tables import controls_table, csv_text

        click.echo(csv_text(controls_table(assessment)), nl=False)
    else:
        click.echo(assessment_output.assessment_text(assessment, scope, assumptions), nl=False)
    if failed({result.status for result in assessment.controls}, fail_on):
        sys.exit(EXIT_CONTROLS_FAILED)


def chosen_frameworks(frameworks: tuple[str, ...]) -> list[Any]:
    """The catalogs of the frameworks asked for, every shipped one when none is."""
    from compliance.controls import catalog_files, load_framework

    return [load_framework(f) for f in (frameworks or tuple(catalog_files()))]


def evaluation(snapshot: Snapshot, now: str, options: Any, scope_file: str, frameworks: tuple[str, ...],
               git: GitSource | None, quiet: bool) -> tuple[Any, Any]:
    """(context, assessment) of the chosen frameworks on a snapshot, with git evidence when given."""
    from compliance.assessment import assess

    return assess(snapshot, read_scope(scope_file), options, chosen_frameworks(frameworks), now, git,
                  None if quiet else terminal_progress())


@main.command()
@evaluation_options
@click.option("--out", "out", required=True, metavar="DIR",
              help="Output root: the pack is written to DIR/<time>/ and chained to the previous pack there.")
@click.option("--sign-key", metavar="KEY", help="Private key (PEM); SEGPROOF_KEY_PASSWORD decrypts it.")
@click.option("--sign-cert", metavar="CERT", help="The key's certificate (PEM, leaf first).")
@click.option("--tsa", "tsa", metavar="URL", help="RFC 3161 timestamping authority that dates the signature.")
@click.option("--zip", "make_zip", is_flag=True, help="Also write the pack as a zip beside it.")
@click.option("--fail-on", type=click.Choice(("fail", "warning", "never")), default="never", show_default=True,
              help="Exit 1 when a control fails (or warns); the pack is written either way.")
def pack(snapshot: Snapshot, now: str, quiet: bool, options: Any, git: GitSource | None, scope_file: str,
         frameworks: tuple[str, ...], out: str, sign_key: str | None, sign_cert: str | None, tsa: str | None,
         make_zip: bool, fail_on: str) -> None:
    """Write a signed evidence pack: report.pdf, data/*.csv, snapshot.json, scope.yaml, manifest and signature."""
    signer = load_signer(sign_key, sign_cert)
    if tsa and signer is None:
        raise UsageError("--tsa timestamps the signature, so it needs --sign-key and --sign-cert")
    written, assessment = published_evaluation(snapshot, now, options, scope_file, frameworks, git, quiet, signer,
                                               out, make_zip, timestamp_url=tsa)
    click.echo(f"pack {written.manifest.pack_id}: {written.path}")
    click.echo(f"report: {Path(written.path) / 'report.pdf'}")
    click.echo("signed by " + signer.certificate.subject.rfc4514_string() if signer else "UNSIGNED (pass --sign-key "
               "and --sign-cert to sign)")
    if failed({result.status for result in assessment.controls}, fail_on):
        sys.exit(EXIT_CONTROLS_FAILED)


def published_evaluation(snapshot: Snapshot, now: str, options: Any, scope_file: str, frameworks: tuple[str, ...],
                         git: GitSource | None, quiet: bool, signer: Any, out: str, make_zip: bool,
                         keep: int | None = None, timestamp_url: str | None = None) -> tuple[Any, Any]:
    """Evaluate and write the pack into the ledger at `out` (keeping the newest `keep`); (written pack, assessment)."""
    from compliance.assessment import assess_and_publish
    from compliance.scope import parse_scope

    text = scope_text(scope_file)
    return assess_and_publish(snapshot, parse_scope(text, scope_file), text, options,
                              chosen_frameworks(frameworks), now, out, git, signer,
                              None if quiet else terminal_progress(), make_zip, keep, timestamp_url)


@main.command()
@analysis_options
@click.option("--config", "config_file", required=True, metavar="FILE", help="The run configuration (segproof.yaml).")
@click.option("--now", "now", metavar="TIME", help="The run's clock (RFC 3339), for reproducible packs.")
@click.option("--wait", type=click.FloatRange(min=0), default=300, show_default=True, metavar="SECONDS",
              help="How long to wait for another run on the same output root to finish.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or warnings on stderr.")
def run(options: Any, config_file: str, now: str | None, wait: float, quiet: bool) -> None:
    """Collect, fetch git, evaluate, write a pack into the ledger and apply retention, as segproof.yaml says."""
    import os

    from compliance.assessment import configured_git
    from compliance.errors import RunConfigError
    from compliance.evidence.run_lock import run_lock
    from compliance.report.run_output import run_summary
    from compliance.run_config import load_run_config

    config = load_run_config(config_file)
    clock = utc_now(now)
    signer = load_signer(config.signing_key, config.signing_certificate)
    root = Path(config.output_root)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunConfigError(config.file, "output.root", f"cannot create {root}: {error.strerror or error}") from None
    with run_lock(root, wait):
        cluster = config.cluster
        target = cluster_target(cluster.kubeconfig, cluster.context, cluster.in_cluster) if cluster else None
        snapshot = load_snapshot(config.manifests, config.snapshot, target, clock, quiet)
        if not quiet:
            warn(snapshot)
        git = configured_git(config, root, os.environ)
        written, assessment = published_evaluation(snapshot, clock, options, config.scope, config.frameworks, git,
                                                   quiet, signer, str(root), config.zip, config.retain,
                                                   config.timestamp_url)
    failing = failed({result.status for result in assessment.controls}, config.fail_on)
    chain = None
    if config.trust:
        from compliance.workflows.verify_packs import load_anchors, verify_packs

        # The chain is verified as an auditor would, with its trust anchor required, after every run.
        verification = verify_packs((), str(root), load_anchors((config.trust,)), require_trust=True)
        chain = (verification.verdict, verification.problems)
    click.echo(run_summary(written, assessment, signer.certificate.subject.rfc4514_string() if signer else None,
                           failing, chain))
    if chain and chain[1]:
        sys.exit(EXIT_VERIFICATION_FAILED)
    if failing:
        sys.exit(EXIT_CONTROLS_FAILED)


def load_signer(key: str | None, certificate: str | None) -> Any:
    """The signer from --sign-key/--sign-cert (both or neither), checked against the real clock."""
    if not key and not certificate:
        return None
    if not key or not certificate:
        raise UsageError("--sign-key and --sign-cert go together", hint="create them with segproof keys create")
    import os

    from compliance.evidence.keys import load_signer as load

    return load(key, certificate, utc_now(None), password=os.environb.get(b"SEGPROOF_KEY_PASSWORD"))


@main.command()
@optional_source_options
@analysis_options
@git_options
@click.option("--since", metavar="DATE", help="Only changes committed on or after DATE (YYYY-MM-DD or RFC 3339).")
@click.option("--until", metavar="DATE", help="Only changes committed on or before DATE.")
@click.option("--scope", "scope_file", metavar="FILE", help="Scope file: its approval rule, and zones for deltas.")
@click.option("--provenance", is_flag=True, help="Show, for each policy, the change that last set its spec.")
@click.option("-o", "--output", type=click.Choice(("table", "json", "csv")), default="table", show_default=True)
def history(snapshot: Snapshot | None, now: str, quiet: bool, options: Any, git: GitSource | None, since: str | None,
            until: str | None, scope_file: str | None, provenance: bool, output: str) -> None:
    """Who changed the policies, when, approved by whom; with a cluster source, what each change opened or closed."""
    from compliance.report import history_output
    from compliance.scope import ChangeApproval
    from compliance.sources import git_history

    if git is None:
        raise UsageError("history needs --git REPO", hint="point --git at a clone of the policy repository")
    scope = read_scope(scope_file) if scope_file else None
    found = git_history.read_history(git.repository, scope.change_approval if scope else ChangeApproval(), git.rev,
                                     git.paths, since=since, until=until)
    if provenance:
        records = git_history.provenance(found)
        render = {"table": history_output.provenance_table, "csv": history_output.provenance_csv}.get(output)
        click.echo(render(records) if render else history_output.provenance_json(found, records), nl=False)
        return
    if snapshot is not None:
        from compliance.assessment import with_deltas

        found = with_deltas(found, snapshot, scope, options, None if quiet else terminal_progress())
    render = {"table": history_output.history_table, "json": history_output.history_json,
              "csv": history_output.history_csv}[output]
    click.echo(render(found), nl=False)


@main.command()
@source_options
@analysis_options
@git_options
@click.option("-o", "--output", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--fail-on-drift", is_flag=True, help="Exit 1 when the cluster differs from git in effect.")
def drift(snapshot: Snapshot, now: str, quiet: bool, options: Any, git: GitSource | None, output: str,
          fail_on_drift: bool) -> None:
    """Policies only in the cluster, only in git, or different; and whether each difference changes reachability."""
    from compliance.report import history_output
    from compliance.sources.drift import drift as compare
    from compliance.sources.git_history import read_revision

    if git is None:
        raise UsageError("drift needs --git REPO", hint="point --git at a clone of the policy repository")
    found = compare(snapshot, read_revision(git.repository, git.rev, git.paths), options)
    click.echo((history_output.drift_json if output == "json" else history_output.drift_text)(found), nl=False)
    if fail_on_drift and any(item.semantic for item in found.items):
        sys.exit(EXIT_CONTROLS_FAILED)


@main.command()
@source_options
@analysis_options
@click.option("--proposed", multiple=True, metavar="PATH",
              help="Manifests whose NetworkPolicies replace the same-named ones or are added (repeatable).")
@click.option("--delete", "deleted", multiple=True, metavar="NS/NAME", help="A policy the change deletes (repeatable).")
@click.option("--git", "git_repository", metavar="REPO", help="Compare the policies of two revisions of this clone.")
@click.option("--base", metavar="REV", help="With --git: the revision before the change (e.g. the target branch).")
@click.option("--head", metavar="REV", help="With --git: the revision with the change.  [default: HEAD]")
@click.option("--path", "git_paths", multiple=True, metavar="SUBDIR", help="With --git: only these directories.")
@click.option("--scope", "scope_file", metavar="FILE", help="Scope file: zones and controls (else connections only).")
@click.option("--framework", "frameworks", multiple=True, metavar="ID",
              help="With --scope: framework catalog to evaluate (repeatable; default: all).")
@click.option("-o", "--output", type=click.Choice(("text", "json", "markdown")), default="text", show_default=True)
@click.option("--fail-on", type=click.Choice(("fail", "warning", "never")), default="never", show_default=True,
              help="Exit 1 when a control would get worse and then fail (or warn).")
def simulate(snapshot: Snapshot, now: str, quiet: bool, options: Any, proposed: tuple[str, ...],
             deleted: tuple[str, ...], git_repository: str | None, base: str | None, head: str | None,
             git_paths: tuple[str, ...], scope_file: str | None, frameworks: tuple[str, ...], output: str,
             fail_on: str) -> None:
    """What a policy change would open, close and do to the controls, before it is applied."""
    from compliance import simulate as what_if
    from compliance.report import simulate_output

    if bool(proposed or deleted) == bool(git_repository):
        raise UsageError("simulate needs --proposed/--delete or --git, and not both",
                         hint="--proposed FILE for a change in files, --git REPO --base REV [--head REV] for commits")
    if git_repository is None and (base or head or git_paths):
        raise UsageError("--base, --head and --path go with --git")
    if not scope_file and (frameworks or fail_on != "never"):
        raise UsageError("--framework and --fail-on need --scope", hint="controls are evaluated against a scope")
    if git_repository:
        if not base:
            raise UsageError("--git needs --base REV", hint="e.g. --base origin/main, or HEAD^1 on a merge commit")
        from compliance.sources.git_history import read_revision

        before, after, labels = what_if.revisions(snapshot, read_revision(git_repository, base, git_paths),
                                                  read_revision(git_repository, head or "HEAD", git_paths))
    else:
        from compliance.sources.manifests import load_manifests

        try:
            keys = [what_if.policy_key(text) for text in deleted]
        except ValueError as error:
            raise UsageError(f"--delete: {error}") from None
        policies = load_manifests(proposed, now).policies if proposed else ()
        before, after, labels = what_if.proposal(snapshot, policies, keys, proposed)
    scope = read_scope(scope_file) if scope_file else None
    simulation = what_if.simulate(before, after, labels, options, datetime.date.fromisoformat(now[:10]), scope,
                                  chosen_frameworks(frameworks) if scope else ())
    gate = what_if.verdict(simulation, fail_on)
    render = {"text": simulate_output.simulation_text, "json": simulate_output.simulation_json,
              "markdown": simulate_output.simulation_markdown}[output]
    click.echo(render(simulation, gate), nl=False)
    if gate.failed:
        sys.exit(EXIT_CONTROLS_FAILED)


@main.command()
@click.argument("pack_a", metavar="PACK_A")
@click.argument("pack_b", metavar="PACK_B")
@click.option("-o", "--output", type=click.Choice(("text", "json", "markdown")), default="text", show_default=True)
def diff(pack_a: str, pack_b: str, output: str) -> None:
    """What changed from PACK_A to PACK_B (directories or zips): controls, zone matrix, policies, exceptions."""
    from compliance.evidence.pack_diff import diff_packs, read_pack
    from compliance.report import pack_diff_output

    found = diff_packs(read_pack(pack_a), read_pack(pack_b))
    render = {"text": pack_diff_output.pack_diff_text, "json": pack_diff_output.pack_diff_json,
              "markdown": pack_diff_output.pack_diff_markdown}[output]
    click.echo(render(found), nl=False)


@main.group()
def controls() -> None:
    """The control catalogs: frameworks, requirements and the checks that decide them."""


@controls.command("list")
@click.option("--framework", "frameworks", multiple=True, metavar="ID", help="Only this framework (repeatable).")
def controls_list(frameworks: tuple[str, ...]) -> None:
    """List the frameworks, or the controls of the given ones."""
    from compliance.controls import catalog_files, load_framework
    from compliance.report.formats import text_table

    if not frameworks:
        rows = [(f.id, f.title, str(len(f.controls))) for f in map(load_framework, catalog_files())]
        click.echo(text_table(("FRAMEWORK", "TITLE", "CONTROLS"), rows), nl=False)
        return
    rows = [(f.id, c.id, c.severity, ", ".join(dict.fromkeys(r.check for r in c.checks)) or "manual", c.title)
            for f in map(load_framework, frameworks) for c in f.controls]
    click.echo(text_table(("FRAMEWORK", "CONTROL", "SEVERITY", "CHECKS", "TITLE"), rows), nl=False)


@controls.command("show")
@click.argument("framework")
@click.argument("control_id", metavar="ID")
def controls_show(framework: str, control_id: str) -> None:
    """Show one control: objective, testing procedure, checks with their parameters, evidence to request."""
    import json

    from compliance.controls import load_framework

    catalog = load_framework(framework)
    found = next((c for c in catalog.controls if c.id == control_id), None)
    if found is None:
        raise UsageError(f"{catalog.id} has no control {control_id!r}",
                         hint=f"segproof controls list --framework {catalog.id}")
    lines = [f"{catalog.id}/{found.id}: {found.title} (severity {found.severity})", "",
             f"Objective: {found.objective}", "", f"Testing procedure: {found.testing}", "", "Checks:"]
    lines += [f"  {r.check} {json.dumps(dict(r.params), sort_keys=True)} -> evidence: {', '.join(r.evidence) or '-'}"
              for r in found.checks] or ["  none: manual"]
    if found.manual_reason:
        lines += ["", f"Manual: {found.manual_reason}"]
    lines += [f"  request: {request}" for request in found.manual_requests]
    click.echo("\n".join(lines))


@main.command()
@source_options
@analysis_options
@click.option("--scope", "scope_file", required=True, metavar="FILE", help="The scope file (zones).")
@click.option("-o", "--output", type=click.Choice(("text", "svg", "png")), default="text", show_default=True)
@click.option("--out", "out", metavar="FILE", help="Write the picture here instead of stdout.")
def zones(snapshot: Snapshot, now: str, quiet: bool, options: Any, scope_file: str, output: str,
          out: str | None) -> None:
    """The zone x zone matrix of allowed ports: the picture of segmentation."""
    from compliance.checks.context import CheckContext
    from compliance.report import charts

    context = CheckContext(snapshot, read_scope(scope_file), options, datetime.date.fromisoformat(now[:10]))
    picture: str | bytes = {"text": charts.zone_matrix_text, "svg": charts.zone_matrix_svg,
                            "png": charts.zone_matrix_png}[output](context)
    if out:
        from compliance.evidence.files import write_atomically

        write_atomically(out, picture)
    elif isinstance(picture, bytes):
        click.get_binary_stream("stdout").write(picture)
    else:
        click.echo(picture, nl=False)


@main.group()
def keys() -> None:
    """Signing keys for evidence packs."""


@keys.command("create")
@click.option("--out", "out", required=True, metavar="DIR", help="Directory for signing.key and signing.crt/.csr.")
@click.option("--subject", default="CN=segproof", show_default=True, help="Distinguished name, e.g. CN=...,O=...")
@click.option("--csr", is_flag=True, help="Write a certificate signing request for your CA instead of a certificate.")
def keys_create(out: str, subject: str, csr: bool) -> None:
    """Create a P-256 signing key with a self-signed certificate (or a CSR). Set SEGPROOF_KEY_PASSWORD to encrypt."""
    import os

    from compliance.evidence.keys import create_key_files

    files = create_key_files(out, subject, utc_now(None), request=csr,
                             password=os.environb.get(b"SEGPROOF_KEY_PASSWORD"))
    click.echo(f"private key: {files.key} (keep it secret; it is never written into a pack)")
    if csr:
        click.echo(f"certificate signing request: {files.request}")
        click.echo("send the request to your CA and save the certificate it returns (leaf first, then "
                   "intermediates, PEM) as signing.crt")
    else:
        click.echo(f"self-signed certificate: {files.certificate} (give it to auditors: segproof verify --trust)")


@main.command()
@click.argument("packs", nargs=-1, metavar="[PACK]...")
@click.option("--trust", "trust", multiple=True, metavar="CERT",
              help="Certificate (or CA) the signers must chain to (repeatable; a file may hold several).")
@click.option("--tsa-trust", "tsa_trust", multiple=True, metavar="CERT",
              help="Root of a timestamping authority whose timestamps date the signatures (repeatable).")
@click.option("--require-trust", is_flag=True,
              help="Fail unless every pack is signed by a certificate that chains to --trust.")
@click.option("--chain", "chain", metavar="ROOT", help="Verify the whole chain of packs under ROOT (its ledger).")
@click.option("--reperform", is_flag=True, help="Also evaluate each pack's snapshot and scope again and compare.")
@click.option("--git", "git_repository", metavar="REPO",
              help="With --reperform: a clone of the policy repository, to re-perform the git-based checks too.")
def verify(packs: tuple[str, ...], trust: tuple[str, ...], tsa_trust: tuple[str, ...], require_trust: bool,
           chain: str | None, reperform: bool, git_repository: str | None) -> None:
    """Re-hash every file of each PACK, check signatures, trust, time and chain links; exit 4 naming every mismatch."""
    from compliance.errors import VerificationFailed
    from compliance.workflows.verify_packs import load_anchors, verify_packs

    if not packs and not chain:
        raise UsageError("nothing to verify", hint="pass a pack directory or zip, or --chain ROOT")
    verification = verify_packs(packs, chain, load_anchors(trust, tsa_trust), require_trust=require_trust,
                                reperform=reperform, git_repository=git_repository)
    click.echo(verification_text(verification), nl=False)
    if verification.problems:
        raise VerificationFailed(chain or packs[0], verification.problems)


def verification_text(verification: Any) -> str:
    """What verify prints: a block per pack, the chain, every problem, then the verdict."""
    lines = []
    for report in verification.all_reports:
        lines += pack_lines(report)
    for item in verification.reperformed:
        if item.result is None:
            lines.append(f"{item.path}: re-performance skipped: {item.skipped}")
        else:
            aside = item.result.set_aside
            lines.append(f"{item.path}: re-performed {item.result.compared} controls from snapshot.json and scope.yaml"
                         + (f"; set aside (inputs not available): {', '.join(aside)}" if aside else ""))
    chain = verification.chain
    if chain is not None:
        kept = ", its signed manifest kept in the ledger" if chain.removed == 1 else ", their signed manifests kept " \
            "in the ledger" if chain.removed else ""
        lines.append(f"{chain.root}: chain of {chain.packs} packs ({chain.removed} removed by retention{kept})")
    for subject, prints in verification.shared_subjects().items():
        lines.append(f"NOTE: {len(prints)} different certificates share the signer name {subject}: "
                     f"{', '.join(prints)}; only the fingerprints tell them apart")
    lines += [f"FAILED: {problem}" for problem in verification.problems]
    lines.append(VERDICTS[verification.verdict])
    return "\n".join(lines) + "\n"


VERDICTS = {
    "trusted": "OK",
    "untrusted": ("NOT VERIFIED AGAINST A TRUSTED CERTIFICATE: the files match their signed manifests, but without "
                  "--trust CERT nothing shows who signed them (compare the signer fingerprints above)"),
    "unsigned": "UNSIGNED: the files match their manifests, but nothing proves who wrote them",
    "failed": "verification FAILED",
}


def pack_lines(report: Any) -> list[str]:
    """The lines that say what one pack is, who signed it, whether that is trusted, when, and where it is chained."""
    if not report.pack_id:
        return [f"{report.path}: not verified"]
    lines = [f"{report.path}: pack {report.pack_id}, {report.files} files"]
    signature = report.signature
    if signature is None:
        lines.append("  signer: " + ("the signature does not verify" if report.signed
                                     else "UNSIGNED: nothing proves who wrote the files"))
    else:
        lines.append(f"  signer: {signature.subject} (SHA-256 {signature.fingerprint})")
        lines.append("  trust: " + ("chains to the trusted certificate (trusted)" if signature.trusted
                                    else "does NOT chain to the trusted certificate" if report.trust_checked
                                    else "NOT VERIFIED AGAINST A TRUSTED CERTIFICATE (pass --trust CERT)"))
        lines.append("  time: " + signature_time(signature))
    lines.append("  chain: " + (f"checked in {report.ledger}" if report.ledger
                                else "not checked: no ledger beside the pack (use --chain ROOT)"))
    return lines


def signature_time(signature: Any) -> str:
    """When a signature is dated: by a (trusted) timestamp, or not at all."""
    from compliance.times import format_utc

    if signature.timestamp is None:
        return "no timestamp: the signature cannot be dated (certificates are checked now)"
    trust = ("trusted" if signature.timestamp_trusted else
             "authority NOT VERIFIED against a trusted certificate (pass --tsa-trust CERT)")
    return f"timestamped {format_utc(signature.timestamp)} by {signature.timestamp_authority} ({trust})"


@main.command()
@click.option("--out", "out", default="segproof-demo", show_default=True, metavar="DIR",
              help="Output root of the demo pack (a ledger: each run adds a pack).")
@click.option("--now", "now", metavar="TIME", help="The assessment's clock (RFC 3339), for a reproducible pack.")
def demo(out: str, now: str | None) -> None:
    """Write a complete signed evidence pack for the bundled sample: shop cluster, scope, git history, key."""
    from compliance.evidence.keys import create_key_files
    from compliance.resources import resource_dir

    samples = resource_dir("samples")
    # The throwaway key and the policy repository stay beside the ledger (never inside a pack): every demo
    # pack shares one signer, and the repository a pack names is there to re-perform it with.
    keys, repository = Path(out) / ".demo-key", Path(out) / ".demo-policy-repo"
    if not (keys / "signing.key").exists():
        create_key_files(keys, "CN=ACME Payments segproof demo,O=ACME Payments Ltd", utc_now(None))
    if not repository.exists():
        build_demo_repository(samples / "git" / "build_demo_repo.py", repository)
    click.echo(f"demo: sample cluster {samples / 'cluster'}, scope {samples / 'scope.yaml'}, policy history in "
               f"{repository}, throwaway signing key in {keys}")
    pack.callback(manifests=(str(samples / "cluster"),), snapshot_file=None, cluster=False, kubeconfig=None,
                  context=None, in_cluster=False, namespaces=(), now=now, quiet=True, ipblock_selects_pods=True,
                  host_network_isolated=False, git_repository=str(repository), rev="HEAD", git_paths=(),
                  scope_file=str(samples / "scope.yaml"), frameworks=(), out=out,
                  sign_key=str(keys / "signing.key"), sign_cert=str(keys / "signing.crt"), tsa=None, make_zip=False,
                  fail_on="never")
    click.echo(f"check the packs with: segproof verify --chain {out} --trust {keys / 'signing.crt'} "
               f"--reperform --git {repository}")


def build_demo_repository(script: Path, target: Path) -> None:
    """Build the demo policy repository beside `target`, then move it there: an interrupted build is never reused."""
    import runpy
    import shutil
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f"{target.name}.partial-"))
    try:
        runpy.run_path(str(script))["build"](staging)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def warn(snapshot: Snapshot) -> None:
    """Print the snapshot's warnings on stderr, and say when the analysis cannot be complete."""
    for warning in snapshot.warnings:
        click.echo(f"segproof: warning: {warning}", err=True)
    if snapshot.unmodelled:
        click.echo(f"segproof: warning: analysis incomplete: {unmodelled_text(snapshot.unmodelled)}", err=True)


def unmodelled_text(unmodelled: dict) -> str:
    """`3 CiliumNetworkPolicy, AdminNetworkPolicy (count unknown) are not modelled`."""
    kinds = ", ".join(f"{count} {kind}" if count is not None else f"{kind} (count unknown)"
                      for kind, count in sorted(unmodelled.items()))
    return f"{kinds} also change reachability and are not modelled"


if __name__ == "__main__":
    sys.exit(main())
