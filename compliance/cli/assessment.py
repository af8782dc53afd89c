"""Commands of the assessment: evaluate, pack, run, and the control catalogs."""

from __future__ import annotations

import json
import sys

import click

from compliance.cli.evidence import written_lines
from compliance.cli.main import main
from compliance.cli.options import analysis_options, evaluation_options, fail_on_option, failed, feedback, utc_now
from compliance.cli.output import echo_output, output_option
from compliance.errors import EXIT_CONTROLS_FAILED, EXIT_VERIFICATION_FAILED, UsageError
from compliance.netpol.options import AnalysisOptions
from compliance.sources.git.source import GitSource
from compliance.workflows.inputs import StateSource


@main.command()
@evaluation_options
@output_option("table", "json", "csv")
@fail_on_option("Exit 1 when a control fails (or warns).")
def evaluate(source: StateSource, now: str, quiet: bool, options: AnalysisOptions, git: GitSource | None,
             scope_file: str, frameworks: tuple[str, ...], output: str, fail_on: str) -> None:
    """Evaluate framework controls on the cluster and the scope."""
    from compliance.report import assessment_output
    from compliance.workflows.assess import evaluate as evaluated

    found = evaluated(source, scope_file, frameworks, options, now, git, feedback(quiet))
    system, assessment = found.system, found.assessment
    assumptions = options.of(system.snapshot)
    if output in ("json", "yaml"):
        echo_output(assessment_output.assessment_json(assessment, system.scope, system.snapshot.source, assumptions,
                                                      now), output)
    elif output == "csv":
        from compliance.report.tables import controls_table, csv_text

        click.echo(csv_text(controls_table(assessment)), nl=False)
    else:
        click.echo(assessment_output.assessment_text(assessment, system.scope, assumptions), nl=False)
    if failed({result.status for result in assessment.controls}, fail_on):
        sys.exit(EXIT_CONTROLS_FAILED)


@main.command()
@evaluation_options
@click.option("--out", "out", required=True, metavar="DIR",
              help="Output root: the pack is written to DIR/<time>/ and chained to the previous pack there.")
@click.option("--sign-key", metavar="KEY", help="Private key (PEM); SEGPROOF_KEY_PASSWORD decrypts it.")
@click.option("--sign-cert", metavar="CERT", help="The key's certificate (PEM, leaf first).")
@click.option("--tsa", "tsa", metavar="URL", help="RFC 3161 timestamping authority that dates the signature.")
@click.option("--zip", "make_zip", is_flag=True, help="Also write the pack as a zip beside it.")
@fail_on_option("Exit 1 when a control fails (or warns); the pack is written either way.")
def pack(source: StateSource, now: str, quiet: bool, options: AnalysisOptions, git: GitSource | None,
         scope_file: str, frameworks: tuple[str, ...], out: str, sign_key: str | None, sign_cert: str | None,
         tsa: str | None, make_zip: bool, fail_on: str) -> None:
    """Write a signed evidence pack into the ledger under --out.

    report.pdf, data/*.csv, snapshot.json, scope.yaml, manifest and signature, chained to the previous pack.
    """
    from compliance.workflows.publish import load_signing, publish_assessment

    published = publish_assessment(source, scope_file, frameworks, options, now, out,
                                   load_signing(sign_key, sign_cert, tsa), git, make_zip, feedback=feedback(quiet))
    signer = published.signer
    subject = signer.certificate.subject.rfc4514_string() if signer else None
    click.echo("\n".join(written_lines(published.pack, subject)))
    if failed({result.status for result in published.assessment.controls}, fail_on):
        sys.exit(EXIT_CONTROLS_FAILED)


@main.command()
@analysis_options
@click.option("--config", "config_file", required=True, metavar="FILE", help="The run configuration (segproof.yaml).")
@click.option("--now", "now", metavar="TIME", help="The run's clock (RFC 3339), for reproducible packs.")
@click.option("--wait", type=click.FloatRange(min=0), default=300, show_default=True, metavar="SECONDS",
              help="How long to wait for another run on the same output root to finish.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or warnings on stderr.")
def run(options: AnalysisOptions, config_file: str, now: str | None, wait: float, quiet: bool) -> None:
    """One unattended run, as segproof.yaml says.

    Collect, fetch git, evaluate, write a pack into the ledger and apply retention.
    """
    from compliance.report.run_output import run_summary
    from compliance.workflows.run_unattended import run as run_once

    result = run_once(config_file, options, None if now is None else utc_now(now), wait, feedback(quiet))
    chain = (result.chain.verdict, result.chain.problems) if result.chain else None
    written, signer = result.published.pack, result.published.signer
    click.echo(run_summary(written.manifest.pack_id, written.manifest.created_at, str(written.path),
                           str(written.zip_path) if written.zip_path else None, written.manifest.inputs.get("git"),
                           result.published.assessment,
                           signer.certificate.subject.rfc4514_string() if signer else None, result.failed, chain))
    if chain and chain[1]:
        sys.exit(EXIT_VERIFICATION_FAILED)
    if result.failed:
        sys.exit(EXIT_CONTROLS_FAILED)


@main.group()
def controls() -> None:
    """List and show the control catalogs.

    Frameworks, requirements and the checks that decide them.
    """


@controls.command("list")
@click.option("--framework", "frameworks", multiple=True, metavar="ID", help="Only this framework (repeatable).")
def controls_list(frameworks: tuple[str, ...]) -> None:
    """List the frameworks, or the controls of the given ones."""
    from compliance.controls import catalog_files, load_framework
    from compliance.report.formats import text_table

    if not frameworks:
        rows: list[tuple[str, ...]] = [(f.id, f.title, str(len(f.controls)))
                                       for f in map(load_framework, catalog_files())]
        click.echo(text_table(("FRAMEWORK", "TITLE", "CONTROLS"), rows), nl=False)
        return
    rows = [(f.id, c.id, c.severity, ", ".join(dict.fromkeys(r.check for r in c.checks)) or "manual", c.title)
            for f in map(load_framework, frameworks) for c in f.controls]
    click.echo(text_table(("FRAMEWORK", "CONTROL", "SEVERITY", "CHECKS", "TITLE"), rows), nl=False)


@controls.command("show")
@click.argument("framework")
@click.argument("control_id", metavar="ID")
def controls_show(framework: str, control_id: str) -> None:
    """Show one control and how it is decided.

    Objective, testing procedure, checks with their parameters, evidence to request.
    """
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
