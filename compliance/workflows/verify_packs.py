"""Verifying evidence packs as `segproof verify` does: each pack on its own (and in the ledger beside it), the whole
chain under an output root, optionally their re-performance, and one verdict over all of them.

The verdict is `trusted` only when nothing failed and every signature (of the packs, and of the manifests the
ledger kept for removed packs) chains to a given trust anchor; `untrusted` when everything is intact and signed
but no trust anchor was given; `unsigned` when some pack carries no signature; else `failed`.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from compliance.errors import InputError, InvalidPackManifest
from compliance.evidence.chain import ChainReport, ledger_beside, verify_chain, verify_in_ledger
from compliance.evidence.keys import load_certificates
from compliance.evidence.verify import NO_ANCHORS, Anchors, PackReport, SignatureReport, verify_pack
from compliance.workflows.reperform import Reperformance, reperform_in_place


@dataclass(frozen=True)
class Reperformed:
    """One pack's re-performance, or why it was not re-performed (`skipped`) or could not be (`error`, a failure)."""

    path: str
    result: Reperformance | None
    skipped: str = ""
    error: str = ""


@dataclass(frozen=True)
class Verification:
    """Everything `verify` found: the packs' reports, the chain's, the re-performances and the verdict."""

    reports: tuple[PackReport, ...]
    chain: ChainReport | None
    reperformed: tuple[Reperformed, ...]
    trust_given: bool
    require_trust: bool = False

    @property
    def all_reports(self) -> tuple[PackReport, ...]:
        """The packs named on the command line, then every pack stored in the chain."""
        return (*self.reports, *(self.chain.reports if self.chain else ()))

    @property
    def signatures(self) -> tuple[SignatureReport | None, ...]:
        """The signature of every pack verified, and of every manifest the ledger kept for a removed pack."""
        kept = tuple(item.signature for item in self.chain.retained) if self.chain else ()
        return (*(report.signature for report in self.all_reports), *kept)

    @property
    def problems(self) -> tuple[str, ...]:
        """Every problem, each prefixed with the pack or root it concerns."""
        found = [f"{report.path}: {problem}" for report in self.all_reports for problem in report.problems]
        if self.chain is not None:
            found += [f"{self.chain.root}: {problem}" for problem in self.chain.problems]
        found += [f"{item.path}: {problem}" for item in self.reperformed if item.result
                  for problem in item.result.problems]
        found += [f"{item.path}: cannot be re-performed: {item.error}" for item in self.reperformed if item.error]
        if self.require_trust and not self.trust_given:
            found.append("--require-trust: no trusted certificate was given (--trust CERT), so no pack can be trusted")
        return tuple(found)

    @property
    def verdict(self) -> str:
        """`failed`, `unsigned`, `untrusted` or `trusted` (see the module's docstring)."""
        if self.problems:
            return "failed"
        if any(signature is None for signature in self.signatures):
            return "unsigned"
        return "trusted" if all(signature and signature.trusted for signature in self.signatures) else "untrusted"

    def shared_subjects(self) -> dict[str, tuple[str, ...]]:
        """Signer subjects held by more than one certificate, with their fingerprints: only these tell them apart."""
        by_subject: dict[str, set[str]] = {}
        for signature in self.signatures:
            if signature is not None:
                by_subject.setdefault(signature.subject, set()).add(signature.fingerprint)
        return {subject: tuple(sorted(prints)) for subject, prints in sorted(by_subject.items()) if len(prints) > 1}


def load_anchors(trust: Sequence[str] = (), timestamp_trust: Sequence[str] = ()) -> Anchors:
    """The trust anchors in certificate files: every certificate of each file counts."""
    return Anchors(tuple(c for path in trust for c in load_certificates(path)),
                   tuple(c for path in timestamp_trust for c in load_certificates(path)))


def verify_packs(packs: Sequence[str], chain_root: str | None = None, anchors: Anchors = NO_ANCHORS, *,
                 require_trust: bool = False, reperform: bool = False, git_repository: str | None = None,
                 at: datetime.datetime | None = None) -> Verification:
    """Verify the packs (each in the ledger beside it, if any) and the chain under `chain_root`; re-perform them."""
    reports = []
    for pack in packs:
        root = Path(chain_root) if chain_root else ledger_beside(pack)
        reports.append(verify_in_ledger(pack, root, anchors, at) if root else verify_pack(pack, anchors, at))
    chain = verify_chain(chain_root, anchors, at) if chain_root else None
    verification = Verification(tuple(reports), chain, (), bool(anchors.signers), require_trust)
    if not reperform:
        return verification
    return Verification(verification.reports, chain, reperformances(verification.all_reports, git_repository),
                        verification.trust_given, require_trust)


def reperformances(reports: Sequence[PackReport], git_repository: str | None) -> tuple[Reperformed, ...]:
    """Each distinct pack re-performed once, from its first copy; a pack that failed verification is not, and one
    whose recorded inputs or files cannot be evaluated again fails."""
    done: set[str] = set()
    results = []
    for report in reports:
        if report.pack_id and report.pack_id in done:
            continue
        done.add(report.pack_id)
        if report.problems:
            results.append(Reperformed(report.path, None, "the pack failed verification, so it is not re-performed"))
            continue
        try:
            results.append(Reperformed(report.path, reperform_in_place(report.path, git_repository)))
        except (InputError, InvalidPackManifest) as error:  # what the pack holds cannot be evaluated again
            results.append(Reperformed(report.path, None, error=error.message))
    return tuple(results)

