"""Verifying an evidence pack (a directory or a zip): every file's hash, the manifest signature, the PDF signature and
the link to the previous pack, naming every mismatch rather than stopping at the first."""

from __future__ import annotations

import datetime
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from compliance.errors import UsageError
from compliance.evidence.errors import InvalidEnvelope, InvalidPackManifest
from compliance.evidence.keys import certificate_problem
from compliance.evidence.ledger import link_problems
from compliance.evidence.manifest import (
    MANIFEST_FILE,
    REPORT_PDF,
    SIGNATURE_FILE,
    Manifest,
    expected_pack_id,
    parse_manifest,
    sha256_hex,
)
from compliance.evidence.pack_files import PackFiles, open_pack
from compliance.evidence.pdf_signing import validate_pdf
from compliance.evidence.signing import verify_envelope
from compliance.times import format_utc, parse_utc

READ_ERRORS = (OSError, zipfile.BadZipFile, zlib.error, EOFError)


@dataclass(frozen=True)
class PackReport:
    """What verifying a pack found: its identity, whether and by whom it is signed, and every problem by name."""

    path: str
    pack_id: str
    created_at: str
    files: int
    signed: bool
    signer: str
    trust_checked: bool
    chain_checked: bool
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether nothing failed (an unsigned pack can be ok: its hashes match, but nobody vouches for it)."""
        return not self.problems


def verify_pack(path: str | Path, trust: x509.Certificate | None = None, ledger_root: str | Path | None = None,
                at: str | None = None) -> PackReport:
    """Verify the pack at `path`; with `trust`, signatures must chain to it; with `ledger_root`, check its chain link.

    Certificates must be valid at `at` (RFC 3339; default now).
    """
    location = Path(path)
    if not location.exists():
        raise UsageError(f"{location}: no such pack directory or zip")
    moment = parse_utc(at, "at") if at is not None else datetime.datetime.now(datetime.timezone.utc)
    try:
        with open_pack(location) as files:
            return checked_pack(location, files, trust, ledger_root, moment)
    except (zipfile.BadZipFile, OSError) as error:
        return PackReport(str(location), "", "", 0, False, "", trust is not None, ledger_root is not None,
                          (f"{location}: not a readable pack directory or zip ({error})",))


def checked_pack(location: Path, files: PackFiles, trust: x509.Certificate | None, ledger_root: str | Path | None,
                 moment: datetime.datetime) -> PackReport:
    """The report on one opened pack."""
    problems = [f"{name}: not a regular file" for name in files.irregular]
    manifest_raw = read_file(files, MANIFEST_FILE, problems)
    if manifest_raw is None:
        return PackReport(str(location), "", "", 0, SIGNATURE_FILE in files.names, "", trust is not None,
                          ledger_root is not None, tuple(problems))
    try:
        manifest = parse_manifest(manifest_raw)
    except InvalidPackManifest as error:
        return PackReport(str(location), "", "", 0, SIGNATURE_FILE in files.names, "", trust is not None,
                          ledger_root is not None, (*problems, error.message))
    if expected_pack_id(manifest) != manifest.pack_id:
        problems.append(f"{MANIFEST_FILE}: pack_id {manifest.pack_id} does not match the manifest's content")
    problems.extend(file_problems(files, manifest))
    signed = SIGNATURE_FILE in files.names
    signer = None
    if signed:
        signer = signature_problems(files, manifest_raw, trust, moment, problems)
        problems.extend(pdf_problems(files, manifest, signer, trust, moment))
    elif trust is not None:
        problems.append(f"{SIGNATURE_FILE}: missing: the pack is unsigned, but a trusted certificate was given")
    if ledger_root is not None:
        problems.extend(link_problems(ledger_root, manifest, sha256_hex(manifest_raw)))
    return PackReport(str(location), manifest.pack_id, manifest.created_at, len(manifest.files), signed,
                      signer.subject.rfc4514_string() if signer is not None else "", trust is not None,
                      ledger_root is not None, tuple(problems))


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
    """Files listed but missing, whose hash differs, that cannot be read, or present but not listed."""
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
    listed = {entry.path for entry in manifest.files} | {MANIFEST_FILE, SIGNATURE_FILE}
    problems.extend(f"{name}: present but not listed in the manifest" for name in sorted(files.names - listed))
    return problems


def signature_problems(files: PackFiles, manifest_raw: bytes, trust: x509.Certificate | None,
                       moment: datetime.datetime, problems: list[str]) -> x509.Certificate | None:
    """The manifest signer's certificate if manifest.sig verifies, adding what fails to `problems`."""
    envelope = read_file(files, SIGNATURE_FILE, problems)
    if envelope is None:
        return None
    try:
        certificate = verify_envelope(envelope, manifest_raw, trust)
    except InvalidEnvelope as error:
        problems.append(error.message)
        return None
    expiry = certificate_problem(certificate, moment)
    if expiry:
        problems.append(f"{SIGNATURE_FILE}: signer {expiry} (checked at {format_utc(moment)})")
    return certificate


def pdf_problems(files: PackFiles, manifest: Manifest, signer: x509.Certificate | None,
                 trust: x509.Certificate | None, moment: datetime.datetime) -> list[str]:
    """What is wrong with the report's PDF signature, which a signed pack's report.pdf must carry."""
    if REPORT_PDF not in files.names or all(entry.path != REPORT_PDF for entry in manifest.files):
        return []
    problems: list[str] = []
    pdf = read_file(files, REPORT_PDF, problems)
    if pdf is None:
        return problems
    check = validate_pdf(pdf, trust, at=format_utc(moment))
    problems.extend(f"{REPORT_PDF}: {problem}" for problem in check.problems)
    if signer is not None and check.certificate is not None and check.certificate != signer:
        problems.append(f"{REPORT_PDF}: signed by {check.signer}, but {SIGNATURE_FILE} by "
                        f"{signer.subject.rfc4514_string()}")
    return problems
