"""Verifying one evidence pack (a directory or a zip) on its own: every file's hash, the pack's completeness, the
manifest's signature (its signer, whether a trusted certificate vouches for it, when it was made) and the report
PDF's signature by the same key, naming every mismatch rather than stopping at the first.

A signer is *trusted* only when its certificate chains to a given trust anchor through certificates that may sign
(`trust.chain_problem`). Certificates are checked at the time of a trusted RFC 3161 timestamp of the signature when
the pack carries one, else now: a signature without a timestamp cannot be dated, so an expired signer fails.
"""

from __future__ import annotations

import datetime
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography import x509

from compliance.errors import InvalidEnvelope, InvalidPackManifest, InvalidValue, PackTooLarge
from compliance.evidence.manifest import (
    MANIFEST_FILE,
    REPORT_PDF,
    REQUIRED_FILES,
    SIGNATURE_FILE,
    Manifest,
    expected_pack_id,
    parse_manifest,
    sha256_hex,
)
from compliance.evidence.pack_files import PackFiles, open_pack
from compliance.evidence.pdf_signing import validate_pdf
from compliance.evidence.signing import verify_envelope
from compliance.evidence.timestamps import TimestampCheck, check_timestamp
from compliance.evidence.trust import chain_problem, described, fingerprint, usage_problem, validity_problem
from compliance.times import format_utc

READ_ERRORS = (OSError, zipfile.BadZipFile, zlib.error, EOFError)


@dataclass(frozen=True)
class Anchors:
    """The certificates a verification trusts: for signers (`--trust`) and, besides those, for timestamps."""

    signers: tuple[x509.Certificate, ...] = ()
    timestamps: tuple[x509.Certificate, ...] = ()

    @property
    def timestamp_roots(self) -> tuple[x509.Certificate, ...] | None:
        """The roots a timestamping authority must chain to; None when nothing is trusted at all."""
        return (*self.signers, *self.timestamps) or None


NO_ANCHORS = Anchors()


@dataclass(frozen=True)
class SignatureReport:
    """A manifest signature that verifies: its signer, whether it is trusted, and its timestamp if it has one."""

    certificate: x509.Certificate
    trusted: bool
    timestamp: datetime.datetime | None = None
    timestamp_authority: str = ""
    timestamp_trusted: bool = False
    dated: bool = False

    @property
    def subject(self) -> str:
        """The signer's subject as an RFC 4514 string."""
        return self.certificate.subject.rfc4514_string()

    @property
    def fingerprint(self) -> str:
        """The SHA-256 fingerprint of the signer's certificate."""
        return fingerprint(self.certificate)


@dataclass(frozen=True)
class PackReport:
    """What verifying a pack found: its identity, its signature, the ledger it was checked in, every problem."""

    path: str
    pack_id: str
    created_at: str
    files: int
    signature: SignatureReport | None
    trust_checked: bool
    problems: tuple[str, ...]
    manifest: Manifest | None = None
    manifest_sha256: str = ""
    signature_file: bool = False
    ledger: str = ""

    @property
    def ok(self) -> bool:
        """Whether nothing failed (an unsigned or untrusted pack can be ok: it says so, but nothing failed)."""
        return not self.problems

    @property
    def signed(self) -> bool:
        """Whether the pack carries a manifest signature (that verifies or not)."""
        return self.signature_file

    @property
    def signer(self) -> str:
        """The subject of the manifest's signer, or '' when no signature verifies."""
        return self.signature.subject if self.signature else ""

    @property
    def trusted(self) -> bool:
        """Whether the manifest's signer chains to a trusted certificate and nothing failed."""
        return self.ok and self.signature is not None and self.signature.trusted

    @property
    def chain_checked(self) -> bool:
        """Whether the pack's place in a ledger was checked."""
        return bool(self.ledger)


def verify_pack(path: str | Path, anchors: Anchors = NO_ANCHORS, at: datetime.datetime | None = None) -> PackReport:
    """Verify the pack at `path` on its own; signers must chain to `anchors.signers` when any are given.

    Certificates are checked at the pack's trusted timestamp when it has one, else at `at` (default now).
    """
    location = Path(path)
    if not location.exists():
        raise InvalidValue(f"{location}: no such pack directory or zip")
    moment = at or datetime.datetime.now(datetime.timezone.utc)
    try:
        with open_pack(location) as files:
            return checked_pack(location, files, anchors, moment)
    except PackTooLarge as error:
        problem = f"{error.detail}; refused before inflating anything"
    except (zipfile.BadZipFile, OSError) as error:
        problem = f"not a readable pack directory or zip ({error})"
    return PackReport(str(location), "", "", 0, None, bool(anchors.signers), (problem,))


def checked_pack(location: Path, files: PackFiles, anchors: Anchors, moment: datetime.datetime) -> PackReport:
    """The report on one opened pack."""
    problems = [f"{name}: not a regular file" for name in files.irregular]
    signature_file = SIGNATURE_FILE in files.names
    empty = PackReport(str(location), "", "", 0, None, bool(anchors.signers), (), signature_file=signature_file)
    manifest_raw = read_file(files, MANIFEST_FILE, problems)
    if manifest_raw is None:
        return replace(empty, problems=tuple(problems))
    try:
        manifest = parse_manifest(manifest_raw)
    except InvalidPackManifest as error:
        return replace(empty, problems=(*problems, error.message))
    if expected_pack_id(manifest) != manifest.pack_id:
        problems.append(f"{MANIFEST_FILE}: pack_id {manifest.pack_id} does not match the manifest's content")
    problems.extend(file_problems(files, manifest))
    signature = None
    if signature_file:
        envelope = read_file(files, SIGNATURE_FILE, problems)
        if envelope is not None:
            signature, found = manifest_signature(envelope, manifest_raw, anchors, moment)
            problems.extend(found)
    elif anchors.signers:
        problems.append(f"{SIGNATURE_FILE}: missing: the pack is unsigned, but a trusted certificate was given")
    problems.extend(pdf_problems(files, manifest, signature, signature_file, anchors, moment))
    return PackReport(str(location), manifest.pack_id, manifest.created_at, len(manifest.files), signature,
                      bool(anchors.signers), tuple(problems), manifest, sha256_hex(manifest_raw), signature_file)


def read_file(files: PackFiles, name: str, problems: list[str]) -> bytes | None:
    """The content of `name`, or None after adding why it cannot be read to `problems`."""
    if name not in files.names:
        problems.append(f"{name}: missing")
        return None
    try:
        return files.read(name)
    except READ_ERRORS as error:
        problems.append(f"{name}: cannot be read ({error})")
        return None


def file_problems(files: PackFiles, manifest: Manifest) -> list[str]:
    """Files listed but missing, whose hash differs, that cannot be read, present but not listed, or required but
    not in the pack at all."""
    problems = []
    for entry in manifest.files:
        if entry.path not in files.names:
            problems.append(f"{entry.path}: listed in the manifest but missing")
            continue
        try:
            digest, size = files.digest(entry.path)
        except READ_ERRORS as error:
            problems.append(f"{entry.path}: cannot be read ({error})")
            continue
        if digest != entry.sha256:
            sizes = f" (size {size}, manifest says {entry.size})" if size != entry.size else ""
            problems.append(f"{entry.path}: sha256 mismatch{sizes}")
    listed = {entry.path for entry in manifest.files}
    problems.extend(f"{name}: present but not listed in the manifest"
                    for name in sorted(files.names - listed - {MANIFEST_FILE, SIGNATURE_FILE}))
    problems.extend(f"{name}: not in the pack, which is incomplete (every pack holds {', '.join(REQUIRED_FILES)})"
                    for name in REQUIRED_FILES if name not in listed)
    return problems


def manifest_signature(envelope: bytes, manifest_raw: bytes, anchors: Anchors, moment: datetime.datetime,
                       name: str = SIGNATURE_FILE) -> tuple[SignatureReport | None, list[str]]:
    """The signature `envelope` makes over `manifest_raw`, checked at its trusted time or `moment`, and what fails."""
    try:
        signature = verify_envelope(envelope, manifest_raw, name=name)
    except InvalidEnvelope as error:
        return None, [error.message]
    problems: list[str] = []
    stamp = check_timestamp(signature.timestamp, signature.value, anchors.timestamp_roots) if signature.timestamp \
        else None
    if stamp is not None:
        problems.extend(f"{name}: timestamp {problem}" for problem in stamp.problems)
    # An untrusted signer may be dated by an unchecked timestamp: nothing about it is trusted either way.
    dated = stamp is not None and not stamp.problems and (stamp.trusted or anchors.timestamp_roots is None)
    at = stamp.time if dated and stamp is not None and stamp.time else moment
    leaf = signature.certificate
    validity = validity_problem(leaf, at)
    if validity:
        problems.append(f"{name}: signer {validity}; {undated_reason(stamp, dated, at)}")
    usage = usage_problem(leaf)
    if usage:
        problems.append(f"{name}: signer {usage}")
    trusted = False
    if anchors.signers and not validity:
        reason = chain_problem(signature.certificates, anchors.signers, at)
        if reason:
            problems.append(f"{name}: the signer certificate {described(leaf)} does not chain to a trusted "
                            f"certificate: {reason}")
        trusted = not reason and not usage
    report = SignatureReport(leaf, trusted, stamp.time if stamp else None,
                             stamp.authority.subject.rfc4514_string() if stamp and stamp.authority else "",
                             bool(stamp and stamp.trusted), dated)
    return report, problems


def undated_reason(stamp: TimestampCheck | None, dated: bool, at: datetime.datetime) -> str:
    """Why the signer's validity was checked at `at`, for the message of a signer not valid then."""
    if dated:
        return f"checked at the time of the signature's timestamp, {format_utc(at)}"
    if stamp is None:
        return (f"checked at {format_utc(at)}: the signature carries no timestamp, so it cannot be dated to a time "
                "the certificate was valid")
    return (f"checked at {format_utc(at)}: the signature's timestamp is not trusted (pass the authority's root "
            "with --tsa-trust), so it cannot be dated")


def pdf_problems(files: PackFiles, manifest: Manifest, signature: SignatureReport | None, signature_file: bool,
                 anchors: Anchors, moment: datetime.datetime) -> list[str]:
    """What is wrong with the report's PDF signature: a signed pack's report.pdf must be signed by the same key,
    and an unsigned pack's report.pdf must not carry a signature its manifest lacks."""
    if REPORT_PDF not in files.names or all(entry.path != REPORT_PDF for entry in manifest.files):
        return []
    problems: list[str] = []
    pdf = read_file(files, REPORT_PDF, problems)
    if pdf is None:
        return problems
    if not signature_file:
        check = validate_pdf(pdf)
        if check.certificate is not None:
            return [f"{REPORT_PDF}: signed by {described(check.certificate)}, but the pack has no {SIGNATURE_FILE}: "
                    "its manifest signature was removed"]
        return []
    at = signature.timestamp if signature is not None and signature.dated and signature.timestamp else moment
    check = validate_pdf(pdf, anchors.signers or None, moment=at)
    problems.extend(f"{REPORT_PDF}: {problem}" for problem in check.problems)
    if signature is not None and check.certificate is not None and check.certificate != signature.certificate:
        problems.append(f"{REPORT_PDF}: signed by {described(check.certificate)}, but {SIGNATURE_FILE} by "
                        f"{described(signature.certificate)}")
    return problems
