"""Typed errors of the evidence packs: unusable signing material, packs that cannot be written, failed verification."""

from __future__ import annotations

from collections.abc import Sequence

from compliance.errors import EXIT_UNREACHABLE, EXIT_VERIFICATION_FAILED, SegproofError


class SigningMaterialError(SegproofError):
    """A key, certificate or request file cannot be used to sign (exit code 2)."""

    def __init__(self, path: str, message: str, hint: str = "") -> None:
        super().__init__(f"{path}: {message}", hint)
        self.path = path
        self.detail = message


class WrongPassword(SigningMaterialError):
    """The private key is encrypted and the password is missing or incorrect."""


class NotAKey(SigningMaterialError):
    """The file holds no private key segproof can sign with."""


class NotACertificate(SigningMaterialError):
    """The file holds no X.509 certificate."""


class KeyCertificateMismatch(SigningMaterialError):
    """The certificate was issued for another key than the private key given with it."""


class CertificateNotValid(SigningMaterialError):
    """The certificate is expired, not yet valid, or does not allow digital signatures."""


class KeyFilesExist(SigningMaterialError):
    """Creating keys would overwrite existing key material."""


class PackExists(SegproofError):
    """The target of a new pack already exists; packs are never overwritten."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: already exists; an evidence pack is never overwritten",
                         hint="choose another output directory or remove the old pack")
        self.path = path


class PackContentError(SegproofError):
    """A file or value handed to the pack writer cannot go into a pack (exit code 2)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.detail = message


class PdfSigningError(SegproofError):
    """The report PDF could not be signed."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: cannot be signed: {message}")
        self.name = name
        self.detail = message


class InvalidEnvelope(SegproofError):
    """A DSSE envelope does not verify; the message names what failed (exit code 4)."""

    exit_code = EXIT_VERIFICATION_FAILED


class InvalidPackManifest(SegproofError):
    """A pack's manifest.json is not a valid `segproof.pack/v1` manifest (exit code 4)."""

    exit_code = EXIT_VERIFICATION_FAILED

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.detail = message


class LedgerError(SegproofError):
    """The ledger of packs is unreadable or inconsistent (exit code 4)."""

    exit_code = EXIT_VERIFICATION_FAILED

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.detail = message


class VerificationFailed(SegproofError):
    """A pack or chain verification found problems; each one is named in `problems` (exit code 4)."""

    exit_code = EXIT_VERIFICATION_FAILED

    def __init__(self, subject: str, problems: Sequence[str]) -> None:
        count = len(problems)
        super().__init__(f"{subject}: verification failed ({count} problem{'s' if count != 1 else ''})")
        self.subject = subject
        self.problems = tuple(problems)


class TimestampError(SegproofError):
    """The timestamping authority could not be reached or gave no usable token (exit code 3)."""

    exit_code = EXIT_UNREACHABLE

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"timestamping authority {url}: {message}",
                         hint="check the --tsa URL, or sign without a timestamp")
        self.url = url
        self.detail = message
