"""The `segproof` command line: parse options, call the library, print. Errors are rendered here, once."""

from __future__ import annotations

import datetime
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from compliance import __version__
from compliance.errors import SegproofError, UsageError
from compliance.model.snapshot import Snapshot

OUTPUTS = {"reachability": ("table", "json", "csv"), "explain": ("text", "json")}


class SegproofGroup(click.Group):
    """A click group that renders segproof's typed errors as one line plus a hint, with their exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SegproofError as error:
            click.echo(f"segproof: error: {error.message}", err=True)
            if error.hint:
                click.echo(f"hint: {error.hint}", err=True)
            ctx.exit(error.exit_code)


def utc_now(text: str | None) -> str:
    """The run's clock as RFC 3339 UTC: `--now` when given (for reproducible runs), else the current time."""
    if text is None:
        moment = datetime.datetime.now(datetime.timezone.utc)
    else:
        try:
            moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"--now: invalid time {text!r}", hint="use RFC 3339, e.g. 2026-09-30T12:00:00Z") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def source_options(command: Callable) -> Callable:
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
        from compliance.sources.cluster import ClusterTarget

        target = None
        if cluster or kubeconfig or context or in_cluster:
            target = ClusterTarget(kubeconfig=kubeconfig, context=context, in_cluster=True if in_cluster else None,
                                   namespaces=tuple(sorted(set(namespaces))))
        clock = utc_now(now)
        snapshot = load_snapshot(manifests, snapshot_file, target, clock, quiet)
        if not quiet:
            warn(snapshot)
        return command(snapshot=snapshot.restricted_to(namespaces), now=clock, **kwargs)
    return with_snapshot


def load_snapshot(manifests: tuple[str, ...], snapshot_file: str | None, target: Any, now: str,
                  quiet: bool) -> Snapshot:
    """The snapshot from the one chosen source."""
    chosen = [name for name, given in (("--manifests", manifests), ("--snapshot", snapshot_file),
                                       ("--cluster", target)) if given]
    if len(chosen) != 1:
        raise UsageError("no cluster state given" if not chosen else f"choose one source, not {' and '.join(chosen)}",
                         hint="pass one of --manifests PATH, --snapshot FILE or --cluster")
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


@click.group(cls=SegproofGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="segproof")
def main() -> None:
    """Kubernetes network segmentation as audit evidence."""


@main.command()
@source_options
@analysis_options
@click.option("--level", type=click.Choice(("pod", "workload", "namespace")), default="workload", show_default=True)
@click.option("-o", "--output", type=click.Choice(OUTPUTS["reachability"]), default="table", show_default=True)
def reachability(snapshot: Snapshot, now: str, options: Any, level: str, output: str) -> None:
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
def collect(snapshot: Snapshot, now: str, output: str) -> None:
    """Write the cluster state as a snapshot file that every other command can read back (--snapshot)."""
    from compliance.model.snapshot import snapshot_document
    from compliance.report.formats import json_text

    text = json_text(snapshot_document(snapshot), flat_below=3)
    if output == "-":
        click.echo(text, nl=False)
    else:
        from compliance.evidence.files import write_atomically
        write_atomically(output, text)


def read_scope(path: str) -> Any:
    """The scope file, parsed and validated."""
    from compliance.scope import ScopeError, parse_scope

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ScopeError(path, "", error.strerror or str(error)) from None
    return parse_scope(text, path)


def failed(statuses: set[str], fail_on: str) -> bool:
    """Whether the run must exit 1 under --fail-on."""
    failing = {"fail": {"fail", "error"}, "warning": {"fail", "error", "warning"}, "never": set()}[fail_on]
    return bool(statuses & failing)


@main.command()
@source_options
@analysis_options
@click.option("--scope", "scope_file", required=True, metavar="FILE", help="The scope file (zones, approved flows).")
@click.option("--framework", "frameworks", multiple=True, metavar="ID",
              help="Framework catalog to evaluate, e.g. pci-dss-4.0.1 (repeatable; default: all).")
@click.option("-o", "--output", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--fail-on", type=click.Choice(("fail", "warning", "never")), default="never", show_default=True,
              help="Exit 1 when a control fails (or warns).")
def evaluate(snapshot: Snapshot, now: str, options: Any, scope_file: str, frameworks: tuple[str, ...], output: str,
             fail_on: str) -> None:
    """Evaluate framework controls against the cluster and the scope."""
    from compliance.report import assessment_output

    context, assessment = evaluation(snapshot, now, options, scope_file, frameworks)
    scope = context.scope
    assumptions = options.assumptions(snapshot.unmodelled)
    if output == "json":
        click.echo(assessment_output.assessment_json(assessment, scope, snapshot.source, assumptions, now), nl=False)
    else:
        click.echo(assessment_output.assessment_text(assessment, scope, assumptions), nl=False)
    if failed({result.status for result in assessment.controls}, fail_on):
        sys.exit(1)


def evaluation(snapshot: Snapshot, now: str, options: Any, scope_file: str, frameworks: tuple[str, ...],
               previous: tuple[str, ...] = ()) -> tuple[Any, Any]:
    """(context, assessment) of the chosen frameworks on a snapshot."""
    from compliance.checks.context import CheckContext
    from compliance.controls import catalog_files, evaluate_controls, load_framework

    scope = read_scope(scope_file)
    chosen = [load_framework(f) for f in (frameworks or tuple(catalog_files()))]
    context = CheckContext(snapshot, scope, options, datetime.date.fromisoformat(now[:10]), previous=previous)
    return context, evaluate_controls(context, chosen)


@main.command()
@source_options
@analysis_options
@click.option("--scope", "scope_file", required=True, metavar="FILE", help="The scope file (zones, approved flows).")
@click.option("--framework", "frameworks", multiple=True, metavar="ID",
              help="Framework catalog to evaluate, e.g. pci-dss-4.0.1 (repeatable; default: all).")
@click.option("--out", "out", required=True, metavar="DIR",
              help="Output root: the pack is written to DIR/<time>/ and chained to the previous pack there.")
@click.option("--sign-key", metavar="KEY", help="Private key (PEM); SEGPROOF_KEY_PASSWORD decrypts it.")
@click.option("--sign-cert", metavar="CERT", help="The key's certificate (PEM, leaf first).")
@click.option("--zip", "make_zip", is_flag=True, help="Also write the pack as a zip beside it.")
@click.option("--fail-on", type=click.Choice(("fail", "warning", "never")), default="never", show_default=True,
              help="Exit 1 when a control fails (or warns); the pack is written either way.")
def pack(snapshot: Snapshot, now: str, options: Any, scope_file: str, frameworks: tuple[str, ...], out: str,
         sign_key: str | None, sign_cert: str | None, make_zip: bool, fail_on: str) -> None:
    """Write a signed evidence pack: report.pdf, data/*.csv, snapshot.json, scope.yaml, manifest and signature."""
    from compliance.evidence.build import PackRequest, publish
    from compliance.evidence.ledger import read_ledger

    signer = load_signer(sign_key, sign_cert)
    previous = tuple(entry.created_at for entry in read_ledger(out))
    context, assessment = evaluation(snapshot, now, options, scope_file, frameworks, previous)
    request = PackRequest(Path(scope_file).read_text(encoding="utf-8"), now,
                          tuple(f.id for f in assessment.frameworks), signer)
    written = publish(context, assessment, request, out, make_zip=make_zip)
    click.echo(f"pack {written.manifest.pack_id}: {written.path}")
    click.echo(f"report: {Path(written.path) / 'report.pdf'}")
    click.echo("signed by " + signer.certificate.subject.rfc4514_string() if signer else "UNSIGNED (pass --sign-key "
               "and --sign-cert to sign)")
    if failed({result.status for result in assessment.controls}, fail_on):
        sys.exit(1)


def load_signer(key: str | None, certificate: str | None) -> Any:
    """The signer from --sign-key/--sign-cert (both or neither), checked against the real clock."""
    if not key and not certificate:
        return None
    if not key or not certificate:
        raise UsageError("--sign-key and --sign-cert go together", hint="create them with segproof keys create")
    import os

    from compliance.evidence.keys import load_signer as load

    return load(key, certificate, utc_now(None), password=os.environb.get(b"SEGPROOF_KEY_PASSWORD"))


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
@click.option("--trust", metavar="CERT", help="Certificate (or CA) the signer must match or chain to.")
@click.option("--chain", "chain", metavar="ROOT", help="Verify the whole chain of packs under ROOT (its ledger).")
def verify(packs: tuple[str, ...], trust: str | None, chain: str | None) -> None:
    """Re-hash every file of each PACK, check signatures and chain links; exit 4 naming every mismatch."""
    from compliance.evidence.errors import VerificationFailed
    from compliance.evidence.keys import load_certificate
    from compliance.evidence.ledger import read_ledger, verify_chain
    from compliance.evidence.verify import verify_pack

    if not packs and not chain:
        raise UsageError("nothing to verify", hint="pass a pack directory or zip, or --chain ROOT")
    certificate = load_certificate(trust) if trust else None
    targets = list(packs) or [str(Path(chain) / e.path) for e in read_ledger(chain) if not e.removed]
    problems = []
    for target in targets:
        report = verify_pack(target, certificate, ledger_root=chain or Path(target).parent)
        trusted = "trusted" if report.trust_checked else "trust not checked: pass --trust"
        signed = (f"signed by {report.signer} ({trusted})" if report.signed
                  else "UNSIGNED: hashes checked, but nothing proves who wrote them")
        click.echo(f"{target}: pack {report.pack_id}, {report.files} files, {signed}")
        problems += [f"{target}: {problem}" for problem in report.problems]
    if chain:
        chain_report = verify_chain(chain)
        click.echo(f"{chain}: chain of {chain_report.packs} packs ({chain_report.removed} removed by retention)")
        problems += [f"{chain}: {problem}" for problem in chain_report.problems]
    for problem in problems:
        click.echo(f"FAILED: {problem}")
    if problems:
        raise VerificationFailed(chain or targets[0], problems)
    click.echo("OK")


@main.command()
@click.option("--now", "now", metavar="TIME", help="The run's clock (RFC 3339), for reproducible output.")
def demo(now: str | None) -> None:
    """Analyse the bundled sample cluster (an online shop with a cardholder-data zone)."""
    from compliance.resources import resource_dir

    sample = str(resource_dir("samples") / "cluster")
    click.echo(f"segproof demo: workload reachability of the sample cluster in {sample}\n")
    reachability.callback(manifests=(sample,), snapshot_file=None, cluster=False, kubeconfig=None, context=None,
                          in_cluster=False, namespaces=(), now=now, quiet=False, ipblock_selects_pods=True,
                          host_network_isolated=False, level="workload", output="table")


@main.command()
@source_options
@analysis_options
@click.option("--from", "source", required=True, metavar="SRC", help="ns/pod, ns/workload[Kind] or an IP address.")
@click.option("--to", "destination", required=True, metavar="DST", help="ns/pod, ns/workload[Kind] or an IP address.")
@click.option("--port", metavar="PORT", help="Only this port or range, e.g. 443/TCP or 8000-8100/UDP.")
@click.option("-o", "--output", type=click.Choice(OUTPUTS["explain"]), default="text", show_default=True)
def explain(snapshot: Snapshot, now: str, options: Any, source: str, destination: str, port: str | None,
            output: str) -> None:
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
