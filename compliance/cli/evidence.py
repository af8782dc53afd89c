"""Commands of the evidence: verify packs, compare two packs, create signing keys, and the demo."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from compliance.cli.main import main
from compliance.cli.options import feedback, utc_now, warn
from compliance.cli.output import echo_output, output_option
from compliance.errors import UsageError, VerificationFailed
from compliance.report.formats import visible
from compliance.times import format_utc
from compliance.wording import counted

if TYPE_CHECKING:  # loaded when a command runs, not when the command line starts
    from compliance.evidence.pack import WrittenPack
    from compliance.evidence.verify import PackReport, SignatureReport
    from compliance.workflows.verify_packs import Verification


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
    """Verify evidence packs and their chain.

    Re-hash every file of each PACK, check signatures, trust, time and chain links; exit 4 naming every mismatch.
    """
    from compliance.workflows.verify_packs import load_anchors, verify_packs

    if not packs and not chain:
        raise UsageError("nothing to verify", hint="pass a pack directory or zip, or --chain ROOT")
    verification = verify_packs(packs, chain, load_anchors(trust, tsa_trust), require_trust=require_trust,
                                reperform=reperform, git_repository=git_repository)
    click.echo(visible(verification_text(verification), lines=True), nl=False)
    if verification.problems:
        raise VerificationFailed(chain or packs[0], verification.problems)


def verification_text(verification: Verification) -> str:
    """What verify prints: a block per pack, the chain, every problem, then the verdict."""
    lines = []
    for report in verification.all_reports:
        lines += pack_lines(report)
    for item in verification.reperformed:
        if item.skipped:
            lines.append(f"{item.path}: re-performance skipped: {item.skipped}")
        elif item.result is not None:
            aside = item.result.set_aside
            lines.append(f"{item.path}: re-performed {counted(item.result.compared, 'control')} from snapshot.json "
                         "and scope.yaml"
                         + (f"; set aside (inputs not available): {', '.join(aside)}" if aside else ""))
    chain = verification.chain
    if chain is not None:
        kept = ", its signed manifest kept in the ledger" if chain.removed == 1 else ", their signed manifests kept " \
            "in the ledger" if chain.removed else ""
        lines.append(f"{chain.root}: chain of {counted(chain.packs, 'pack')} "
                     f"({chain.removed} removed by retention{kept})")
    for subject, prints in verification.shared_subjects().items():
        lines.append(f"NOTE: {len(prints)} different certificates share the signer name {subject}: "
                     f"{', '.join(prints)}; only the fingerprints tell them apart")
    lines += [f"FAILED: {problem}" for problem in verification.problems]
    lines.append(VERDICTS[verification.verdict])
    if verification.verdict == "untrusted":
        lines[-1] += "; signed by " + "; ".join(sorted({f"{s.subject} (SHA-256 {s.fingerprint})"
                                                         for s in verification.signatures if s is not None}))
    return "\n".join(lines) + "\n"


VERDICTS = {
    "trusted": "OK",
    "untrusted": ("NOT VERIFIED AGAINST A TRUSTED CERTIFICATE: the files match their signed manifests, but without "
                  "--trust CERT nothing shows who signed them; compare the fingerprint with the certificate you "
                  "expect"),
    "unsigned": "UNSIGNED: the files match their manifests, but nothing proves who wrote them",
    "failed": "verification FAILED",
}


def pack_lines(report: PackReport) -> list[str]:
    """The lines that say what one pack is, who signed it, whether that is trusted, when, and where it is chained."""
    if not report.pack_id:
        return [f"{report.path}: not verified"]
    lines = [f"{report.path}: pack {report.pack_id}, {counted(report.files, 'file')}"]
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


def signature_time(signature: SignatureReport) -> str:
    """When a signature is dated: by a (trusted) timestamp, or not at all."""
    if signature.timestamp is None:
        return "no timestamp: the signature cannot be dated (certificates are checked now)"
    trust = ("trusted" if signature.timestamp_trusted else
             "authority NOT VERIFIED against a trusted certificate (pass --tsa-trust CERT)")
    return f"timestamped {format_utc(signature.timestamp)} by {signature.timestamp_authority} ({trust})"


@main.command()
@click.argument("packs", nargs=-1, metavar="[PACK_A PACK_B]")
@click.option("--ledger", "ledger", metavar="ROOT", help="Compare the two newest packs of the ledger at ROOT.")
@output_option("text", "json", "markdown")
def diff(packs: tuple[str, ...], ledger: str | None, output: str) -> None:
    """What changed from PACK_A to PACK_B.

    Directories, zips, or a ledger's root for its newest pack: controls, zone matrix, policies, exceptions.
    """
    from compliance.report import pack_diff_output
    from compliance.workflows.compare_packs import compare_ledger, compare_packs

    if len(packs) != (0 if ledger else 2):
        raise UsageError("diff compares PACK_A and PACK_B, or with --ledger ROOT its two newest packs",
                         hint="segproof diff OLD_PACK NEW_PACK, or segproof diff --ledger ROOT")
    found = compare_ledger(ledger) if ledger else compare_packs(*packs)
    render = {"text": pack_diff_output.pack_diff_text, "json": pack_diff_output.pack_diff_json,
              "yaml": pack_diff_output.pack_diff_json, "markdown": pack_diff_output.pack_diff_markdown}[output]
    echo_output(render(found), output)


@main.group()
def keys() -> None:
    """Signing keys for evidence packs."""


@keys.command("create")
@click.option("--out", "out", required=True, metavar="DIR", help="Directory for signing.key and signing.crt/.csr.")
@click.option("--subject", default="CN=segproof", show_default=True, help="Distinguished name, e.g. CN=...,O=...")
@click.option("--csr", is_flag=True, help="Write a certificate signing request for your CA instead of a certificate.")
def keys_create(out: str, subject: str, csr: bool) -> None:
    """Create a signing key and its certificate (or a CSR).

    A P-256 key with a self-signed certificate. Set SEGPROOF_KEY_PASSWORD to encrypt the key.
    """
    from compliance.evidence.keys import create_key_files

    password = os.environb.get(b"SEGPROOF_KEY_PASSWORD")
    files = create_key_files(out, subject, utc_now(None), request=csr, password=password)
    if not password:
        warn(f"{files.key} is not encrypted: SEGPROOF_KEY_PASSWORD is not set; keep the file where only the "
             "signer can read it")
    click.echo(f"private key: {files.key} (keep it secret; it is never written into a pack)")
    if csr:
        click.echo(f"certificate signing request: {files.request}")
        click.echo("send the request to your CA and save the certificate it returns (leaf first, then "
                   "intermediates, PEM) as signing.crt")
    else:
        click.echo(f"self-signed certificate: {files.certificate} (give it to auditors: segproof verify --trust)")


def written_lines(written: WrittenPack, signer: str | None) -> list[str]:
    """What `pack` prints: the pack, its report, and who signed it."""
    return [f"pack {written.manifest.pack_id}: {written.path}", f"report: {written.path / 'report.pdf'}",
            f"signed by {signer}" if signer else "UNSIGNED (pass --sign-key and --sign-cert to sign)"]


@main.command()
@click.option("--out", "out", default="segproof-demo", show_default=True, metavar="DIR",
              help="Output root of the demo pack (a ledger: each run adds a pack).")
@click.option("--sample", type=click.Choice(["networkpolicy", "calico", "cilium"]), default="networkpolicy",
              show_default=True, help="The shop cluster with NetworkPolicies only, or with Calico zone guardrails on "
              "top; or a payments cluster with Cilium's policies.")
@click.option("--now", "now", metavar="TIME", help="The assessment's clock (RFC 3339), for a reproducible pack.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or warnings on stderr.")
def demo(out: str, sample: str, now: str | None, quiet: bool) -> None:
    """Write a signed evidence pack for a bundled sample.

    The shop cluster, its scope, a git history of its policies and a throwaway key.
    """
    from compliance.workflows.demo import demo as write_demo

    found = write_demo(out, utc_now(now), feedback(quiet), sample)
    signer = found.published.signer
    history = f"policy history in {found.repository}" if found.history else "no policy history"
    click.echo(f"demo: sample cluster {found.cluster}, scope {found.scope}, {history}, "
               f"throwaway signing key in {found.keys}")
    click.echo("\n".join(written_lines(found.published.pack,
                                        signer.certificate.subject.rfc4514_string() if signer else None)))
    git = f" --git {found.repository}" if found.repository else ""
    click.echo(f"check the packs with: segproof verify --chain {out} --trust {found.keys / 'signing.crt'} "
               f"--reperform{git}")
